#!/usr/bin/env python3
"""Drives the operator console in a real headless Chromium (Debian's chromium + chromium-driver) through
Selenium, against a running collector. Run by Tests/CollectorTests/ConsoleBrowserTests.swift, which has the real
sightlined fill the collector (both samples, --subject enrolled) and passes its URL, tokens and SQLite file. Writes a
screenshot of each page to --out.
Exits 0 when every check holds; prints each failed check and exits 1 otherwise."""
import argparse
import os
import sqlite3
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import Select, WebDriverWait

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def main():
    p = argparse.ArgumentParser()
    for name in ("url", "admin-token", "reviewer-token", "traffic-token", "db", "out", "subject"):
        p.add_argument("--" + name, required=True)
    a = p.parse_args()
    # The face match the daemon sent, and its evidence: what a traffic token must never reach.
    db = sqlite3.connect(a.db, timeout=30)
    face = db.execute("SELECT device, seq FROM events WHERE type = 'face.match' ORDER BY seq LIMIT 1").fetchone()
    face_blobs = [r[0] for r in db.execute("SELECT sha256 FROM event_evidence WHERE type = 'face.match'")]
    db.close()
    check(face is not None and len(face_blobs) > 0, "the collector holds a face match with evidence")
    face_path = "/events/%s/%d" % (urllib.parse.quote(face[0], safe=""), face[1]) if face else "/events/x/1"
    os.makedirs(a.out, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    # A page being replaced can hand back an element of the old one: waits look again instead of failing.
    wait = WebDriverWait(driver, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

    def shot(name):
        path = os.path.join(a.out, name + ".png")
        driver.save_screenshot(path)
        print("screenshot " + path, flush=True)

    def sign_in(token):
        driver.get(a.url + "/signin")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]").click()
        wait.until(lambda d: "/signin" not in d.current_url)

    def sign_out():
        driver.find_element(By.CSS_SELECTOR, "form.signout button[type=submit]").click()
        wait.until(lambda d: "/signin" in d.current_url)

    try:
        # A browser that is not signed in lands on the sign-in page.
        driver.get(a.url + "/")
        check("/signin" in driver.current_url, "signed-out browser is sent to sign in")
        shot("signin")

        sign_in(a.reviewer_token)
        check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "sign in with a reviewer token")
        shot("overview")

        # Filter to red-light crossings and open one.
        driver.get(a.url + "/events")
        Select(driver.find_element(By.ID, "type")).select_by_value("traffic.red_light_crossing")
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        wait.until(lambda d: "type=traffic.red_light_crossing" in d.current_url)
        types = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#events tbody tr td:nth-child(3)")]
        check(len(types) > 0 and all(t == "traffic.red_light_crossing" for t in types),
              "the filter shows only crossings (%d rows)" % len(types))
        shot("events-crossings")
        driver.find_element(By.CSS_SELECTOR, "#events tbody tr td:nth-child(5) a").click()
        wait.until(lambda d: d.find_elements(By.ID, "proof-verdict"))
        event_url = driver.current_url
        wait.until(lambda d: d.execute_script(
            "return Array.from(document.images).every(i => i.complete)"))
        widths = driver.execute_script("return Array.from(document.images).map(i => i.naturalWidth)")
        check(len(widths) > 0 and all(w > 0 for w in widths), "evidence images loaded (natural widths %s)" % widths)
        check(len(driver.find_elements(By.CSS_SELECTOR, ".frame svg line")) > 0, "stop line drawn over the evidence")
        verdict = driver.find_element(By.ID, "proof-verdict").text
        check(verdict.startswith("Verified"), "proof verified: " + verdict)
        times = driver.find_elements(By.CSS_SELECTOR, "time[datetime]")
        check(len(times) > 0 and all(t.get_attribute("title").endswith("UTC") for t in times),
              "times carry their UTC value on hover")
        shot("event")
        # The crossing's clip is offered as a download of its own media type.
        clips = driver.find_elements(By.CSS_SELECTOR, "a[download$='.mjpeg']")
        check(len(clips) > 0, "the crossing's clip is offered")
        if clips:
            kind = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch(arguments[0]).then(r => done(r.status + ' ' + r.headers.get('content-type')))"
                ".catch(e => done(String(e)))", clips[0].get_attribute("href"))
            check(kind == "200 video/x-motion-jpeg", "the clip is served as video/x-motion-jpeg: " + kind)

        # A reviewer sees the face match of the enrolled subject (the traffic checks below need one to exist).
        driver.get(a.url + face_path)
        wait.until(lambda d: d.find_elements(By.ID, "proof-verdict"))
        verdict = driver.find_element(By.ID, "proof-verdict").text
        check(a.subject in driver.page_source and verdict.startswith("Verified"),
              "reviewer sees the verified face match of " + a.subject)
        shot("event-face-match")
        driver.get(event_url)

        # A form posted without its CSRF token is refused, and changes nothing.
        driver.execute_script("document.querySelector('form.signout input[name=csrf]').remove()")
        driver.find_element(By.CSS_SELECTOR, "form.signout button[type=submit]").click()
        # Wait for the answer page itself (the event page's heading stays readable until it is replaced).
        try:
            wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Form refused")
        except Exception:
            pass
        check(driver.find_element(By.TAG_NAME, "h1").text == "Form refused", "form without CSRF token refused")
        shot("csrf-refused")
        driver.get(a.url + "/")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "still signed in after the refused form")

        # A tampered row in the database shows as a chain problem.
        parts = urllib.parse.urlparse(event_url).path.split("/")
        device, seq = urllib.parse.unquote(parts[2]), int(parts[3])
        db = sqlite3.connect(a.db, timeout=30)
        db.execute("UPDATE events SET line = CAST(replace(CAST(line AS TEXT), '\"state\":\"red\"', "
                   "'\"state\":\"green\"') AS BLOB) WHERE device = ? AND seq = ?", (device, seq))
        db.commit()
        check(db.total_changes == 1, "tampered one row (%s seq %d)" % (device, seq))
        db.close()
        driver.get(event_url)
        verdict = driver.find_element(By.ID, "proof-verdict").text
        check(verdict.startswith("Not verified"), "tampered event is not verified: " + verdict)
        shot("event-tampered")
        sign_out()
        sign_in(a.admin_token)
        driver.find_element(By.CSS_SELECTOR, "form[action='/chains/recheck'] button").click()
        problem = None
        for _ in range(60):
            cells = driver.find_elements(By.CSS_SELECTOR, "td.chain-problem")
            if cells:
                problem = cells[0].text
                break
            time.sleep(0.5)
            driver.get(a.url + "/")
        check(problem is not None and ("seq %d" % seq) in problem, "overview shows the chain problem: %s" % problem)
        shot("overview-chain-problem")
        driver.get(a.url + "/devices")
        shot("devices")
        driver.get(a.url + "/tokens")
        shot("tokens")
        sign_out()

        # A traffic token never sees a face match: not in lists, filters, counts or charts.
        sign_in(a.traffic_token)
        for path in ("/", "/events", "/events?type=face.match", "/events?camera=faces", face_path):
            driver.get(a.url + path)
            source = driver.page_source
            check("face.match" not in source and a.subject not in source
                  and not any(sha in source for sha in face_blobs), "traffic sees no face match on " + path)
        # Nor its evidence, fetched by name, nor the live stream's first answer.
        driver.get(a.url + "/events")
        statuses = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "Promise.all(arguments[0].map(s => fetch('/evidence/' + s, {redirect: 'manual'})"
            ".then(r => r.status + ' ' + r.type + ' ' + r.url + ' ' + r.headers.get('content-type'))))"
            ".then(done)"
            ".catch(e => done(String(e)))", face_blobs)
        # (Even though the reviewer's browser loaded it before: evidence is never kept in the browser's cache.)
        check(isinstance(statuses, list) and len(statuses) > 0 and all(s.startswith("404 ") for s in statuses),
              "traffic cannot fetch face evidence: %s" % statuses)
        live = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const c = new AbortController(); setTimeout(() => c.abort(), 3000);"
            "fetch('/events/live', {signal: c.signal, headers: {'Last-Event-ID': '0'}}).then(async r => {"
            "  const reader = r.body.getReader(); let text = '';"
            "  try { while (text.length < 200000) { const x = await reader.read(); if (x.done) break;"
            "    text += new TextDecoder().decode(x.value); } } catch (e) {}"
            "  done(text); }).catch(e => done(''))")
        check("traffic.red_light_crossing" in live and "face.match" not in live and a.subject not in live,
              "traffic's live stream (replayed from the first event) holds crossings and no face match")
        shot("events-traffic")
        sign_out()

        # Signed out: sent to sign in again.
        driver.get(a.url + "/events")
        check("/signin" in driver.current_url, "signed-out browser is sent to sign in after signing out")
    except Exception as e:  # a missing element or a timeout is a failed check, with the page it happened on
        check(False, "%s: %s at %s" % (type(e).__name__, e, driver.current_url))
        shot("failure")
    finally:
        driver.quit()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
