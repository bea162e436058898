"""Screenshots of the Danger Zone for docs/screenshots/, taken in headless Chromium.

Run by scripts/screenshots.sh (``make screenshots``), which serves the demo database of
``make run``: this logs in as its admin, who owns the sample companies, opens the Danger Zone
page of Sample Trading Co and its dialogs, and saves each as a PNG. It speaks the Chrome
DevTools Protocol over a websocket (websocket-client, one of Odoo's requirements).

    python scripts/screenshots.py URL DATABASE COMPANY_ID OUTPUT_DIR
"""

import base64
import itertools
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

WIDTH, HEIGHT = 1280, 900
PAGE = "/odoo/action-danger_zone.action_danger_zone_page"

# name, what to click first (CSS, in order), what must show before the picture, the page's height
SHOTS = [
    ("danger-zone-page", [], ".o_danger_zone .o_danger_zone_history svg", 1500),
    (
        "download-dialog",
        [".o_danger_zone .o_data_row button[name=action_download]"],
        ".modal .o_danger_zone_download",
        HEIGHT,
    ),
    (
        "restore-wizard",
        [".o_danger_zone button[name=action_danger_zone_restore]"],
        ".modal .o_form_view",
        HEIGHT,
    ),
    (
        "delete-wizard",
        [".o_danger_zone button[name=action_danger_zone_delete]"],
        ".modal .o_field_widget[name=final_backup]",
        1100,
    ),
]


class Browser:
    """Headless Chromium, driven over the DevTools Protocol."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="dz-chromium-")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.socket = websocket.create_connection(self._page_socket(), timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.call("Page.enable")

    def _page_socket(self):
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _attempt in range(100):
            if port_file.exists() and port_file.read_text().strip():
                port = port_file.read_text().split()[0]
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                return next(page for page in pages if page["type"] == "page")["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise RuntimeError("Chromium did not start")

    def call(self, method, **params):
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{selector} did not show")
            time.sleep(0.2)
        time.sleep(0.5)  # animations (dialogs fade in)

    def click(self, selector):
        self.wait_for(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def resize(self, height):
        metrics = {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", **metrics)

    def screenshot(self, path, height):
        self.resize(height)
        time.sleep(0.5)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def session_cookie(url, database, login, password):
    """Log in as Odoo's login form does; return the session id."""
    session = requests.Session()
    form = session.get(f"{url}/web/login", params={"db": database}, timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = session.post(
        f"{url}/web/login",
        data={"csrf_token": token, "login": login, "password": password, "db": database},
        timeout=30,
    )
    if "/web/login" in answer.url:
        raise RuntimeError(f"cannot log in as {login}")
    return session.cookies["session_id"]


def main(url, database, company_id, output):
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        host = re.sub(r"^https?://|:\d+$|/.*$", "", url)
        cookies = {"session_id": session_cookie(url, database, "admin", "admin"), "cids": company_id}
        for name, value in cookies.items():
            browser.call("Network.setCookie", name=name, value=str(value), domain=host, path="/")
        for name, clicks, ready, height in SHOTS:
            browser.resize(HEIGHT)
            browser.call("Page.navigate", url=f"{url}{PAGE}")
            browser.wait_for(".o_danger_zone")
            for selector in clicks:
                browser.click(selector)
            browser.wait_for(ready)
            browser.screenshot(output / f"{name}.png", height)
            print(f"{output / name}.png")
    finally:
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
