print("sightlined: not yet")
