print("sightline: not yet")
