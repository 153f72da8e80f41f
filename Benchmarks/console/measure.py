#!/usr/bin/env python3
"""Signs in to a running collector's console and reads each page REPEAT times; prints the median and p95 of the
server's own time (its Server-Timing header) per page, and one JSON line per page for scripts.
  measure.py URL TOKEN REPEAT"""
import http.cookiejar
import json
import re
import statistics
import sys
import urllib.parse
import urllib.request


def main():
    base, token, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/signin", timeout=600).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    opener.open(base + "/signin", data=urllib.parse.urlencode({"csrf": csrf, "token": token, "next": "/"}).encode(),
                timeout=600).read()
    # A deep page: 40 pages of 50 back from the newest.
    path = "/events"
    for _ in range(40):
        html = opener.open(base + path, timeout=600).read().decode()
        path = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    pages = [("overview", "/"), ("events", "/events"), ("events, one camera", "/events?camera=cam-3"),
             ("events, crossings", "/events?type=traffic.red_light_crossing"),
             ("events, camera + crossings", "/events?camera=cam-2&type=traffic.red_light_crossing"),
             ("events, one day", "/events?since=%s&until=%s" % day()), ("events, page 41", path)]
    for name, p in pages:
        times = []
        for _ in range(repeat):
            r = opener.open(base + p, timeout=600)
            r.read()
            times.append(float(r.headers["Server-Timing"].split("dur=")[1]))
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(json.dumps({"page": name, "median_ms": statistics.median(times), "p95_ms": p95}))


def day():
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    a = now - datetime.timedelta(days=3)
    return a.strftime("%Y-%m-%dT%H:%M"), (a + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


if __name__ == "__main__":
    main()
