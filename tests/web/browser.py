#!/usr/bin/env python3
"""The page of gavel-web in a real browser (headless Chromium, driven by
chromedriver through the W3C WebDriver protocol, with Python's standard
library only).

    browser.py --driver URL --page URL --bin DIR --cluster DIR --screenshot FILE

Against a running cluster (gavel-local's directory) and gavel-web: opens the
page, opens an auction and bids with `bidder`, and asserts that the page
shows each new highest bid within one second of its success, the winner once
the auction closes, and a new primary after `gavel-local kill primary`.
Saves a screenshot. Exit status 0 when every assertion held, 1 otherwise.
"""
import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.request

SHOW_WITHIN = 1.0   # s: a committed highest bid must be on the page by then


class Browser:
    """A WebDriver session: just the few commands this test needs."""

    def __init__(self, driver):
        self.driver = driver.rstrip("/")
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                # As root, in a machine without a display, with no network
                # beyond loopback: no sandbox, no GPU, nothing in the background
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1200,900"]}}}}
        answer = self.call("POST", "/session", capabilities)
        self.session = answer["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.driver + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}").get("value", {})

    def command(self, method, path, body=None):
        return self.call(method, "/session/" + self.session + path, body)

    def open(self, url):
        self.command("POST", "/url", {"url": url})

    def run(self, script, *args):
        return self.command("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path):
        with open(path, "wb") as file:
            file.write(base64.b64decode(self.command("GET", "/screenshot")))

    def close(self):
        try:
            self.command("DELETE", "")
        except Exception:
            pass


FAILED = []


def fail(message):
    print("FAIL: " + message)
    FAILED.append(message)


def wait_until(what, seconds, probe):
    """probe() until it returns something true, for at most seconds; the
    value, or None after the wait"""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def bidder(args, name, lines):
    out = subprocess.run([args.bin + "/bidder", "--cluster", args.cluster + "/cluster.cfg",
                          "--name", name], input=lines, capture_output=True, text=True,
                         timeout=30)
    return out.stdout.strip()


CARD = """
const card = document.querySelector('.auction[data-auction="' + arguments[0] + '"]');
if (!card) return null;
const part = (name) => { const e = card.querySelector(name); return e ? e.textContent : null; };
return { state: card.dataset.state, amount: part('.amount'), name: part('.name'),
         winner: part('.winner'), countdown: part('.countdown') };
"""


def main():
    parser = argparse.ArgumentParser()
    for option in ("driver", "page", "bin", "cluster", "screenshot"):
        parser.add_argument("--" + option, required=True)
    args = parser.parse_args()

    browser = Browser(args.driver)
    try:
        browser.open(args.page)
        if not wait_until("live", 10, lambda: browser.run(
                "return document.getElementById('feed').dataset.state === 'live';")):
            fail("the page's feed never said live")

        # An auction, then three rising bids by two bidders: each on the page
        # within a second of its success
        # A long auction beside, so that the screenshot shows both kinds
        longer = bidder(args, "seller", "open clock 10m\n")
        if longer.startswith("success auction="):
            bidder(args, "cid", "bid %s 15\n" % longer.split()[1].split("=")[1])
        answer = bidder(args, "seller", "open vase 6s\n")
        if not answer.startswith("success auction="):
            fail("open: " + answer)
            return
        auction = answer.split()[1].split("=")[1]
        if not wait_until("card", 5, lambda: browser.run(CARD, auction)):
            fail("auction %s never showed" % auction)
        for amount, name in ((10, "ann"), (25, "ben"), (40, "ann")):
            answer = bidder(args, name, "bid %s %d\n" % (auction, amount))
            committed = time.monotonic()
            if not answer.startswith("success"):
                fail("bid %d by %s: %s" % (amount, name, answer))
                continue
            shown = wait_until("bid", 5, lambda: (lambda card: card and card["amount"] == str(amount)
                                                  and card["name"] == name)(browser.run(CARD, auction)))
            took = time.monotonic() - committed
            if not shown:
                fail("bid %d by %s not shown after 5 s: %s" % (amount, name, browser.run(CARD, auction)))
            elif took > SHOW_WITHIN:
                fail("bid %d by %s shown after %.3f s (at most %.1f)" % (amount, name, took, SHOW_WITHIN))
            else:
                print("bid %d by %s shown %.0f ms after its success" % (amount, name, took * 1000))
        if not wait_until("countdown", 2, lambda: ((browser.run(CARD, auction) or {}).get(
                "countdown") or "").startswith("closes in")):
            fail("no countdown on the open auction")

        # The close: the winner on the page (the auction runs 6 s)
        closed = wait_until("closed", 12, lambda: (lambda card: card and card["state"] == "closed"
                                                   and card)(browser.run(CARD, auction)))
        if not closed:
            fail("auction %s never showed closed: %s" % (auction, browser.run(CARD, auction)))
        elif closed["winner"] != "ann":
            fail("the page shows winner %r, not ann" % closed["winner"])
        else:
            print("closed, won by ann at 40")
        browser.screenshot(args.screenshot)

        # A failover: the panel shows the new primary
        old = wait_until("primary", 5, lambda: browser.run(
            "return document.getElementById('primary').dataset.primary || null;"))
        if not old:
            fail("the cluster panel never named a primary")
            return
        subprocess.run([args.bin + "/gavel-local", "kill", "primary", "--dir", args.cluster],
                       capture_output=True, timeout=30, check=True)
        killed = time.monotonic()
        new = wait_until("new primary", 10, lambda: (lambda now: now and now != old and now)(
            browser.run("return document.getElementById('primary').dataset.primary || null;")))
        if not new:
            fail("the panel still shows primary %s 10 s after it was killed" % old)
        else:
            print("new primary %s shown %.1f s after killing %s" % (new, time.monotonic() - killed, old))
    finally:
        browser.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        fail("%s: %s" % (type(error).__name__, error))
    sys.exit(1 if FAILED else 0)
