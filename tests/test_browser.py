"""The rendered site in a real browser (Playwright driving Debian's Chromium): pages
load without errors, every image loads, the dark theme toggles, search finds "LSTM", and
the math is typeset.

Runs when Quarto has rendered the site (``tests/rendering.py``), the `playwright`
package is installed and a Chromium executable exists; otherwise skipped with one line
saying what is missing. The machines that run the tests have no internet: requests that
leave the local server are refused (and the console errors they cause are not counted),
except MathJax, which is served from the npm copy `.ci/run` installs into `.ci/node/`
(the math test is skipped without it).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socketserver
import threading
from pathlib import Path

import pytest
from rendering import ROOT, wait_for_render

# after everything else: the render runs in the background meanwhile (conftest.py), so
# the first core runs the chapters instead of waiting for it
pytestmark = pytest.mark.run_last

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_DIR = ROOT / ".ci" / "node" / "node_modules" / "mathjax"
PAGES = ["index.html", "chapters/05-lstm.html"]


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("RNNBOOK_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(request):
    """(base URL, site folder) of the rendered book served on localhost."""
    rendered = wait_for_render(request.config)
    handler = functools.partial(_Quiet, directory=str(rendered.book))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", rendered.book
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium executable (install Debian's `chromium`)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Page:
    """A page opened offline, with what went wrong while it loaded."""

    def __init__(self, browser, base: str, path: str):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.failed_local: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._failed)
        self.page.on(
            "response",
            lambda r: (
                self.failed_local.append(f"{r.status} {r.url}")
                if r.url.startswith(base) and r.status >= 400
                else None
            ),
        )
        self.page.route("**/*", functools.partial(self._route, base))
        self.page.goto(base + path, wait_until="load")

    def _route(self, base, route):
        url = route.request.url
        if url.startswith(base):
            return route.continue_()
        if url.startswith(MATHJAX_CDN):
            local = MATHJAX_DIR / url[len(MATHJAX_CDN) :].split("?")[0]
            if local.is_file():
                return route.fulfill(path=str(local))
        self.refused.append(url)
        return route.abort()

    def _failed(self, request):
        if request.url not in self.refused:
            self.failed_local.append(f"failed {request.url}")

    def _console(self, message):
        # each refused request logs "Failed to load resource"; those are the sandbox
        if message.type == "error" and not message.text.startswith(
            "Failed to load resource"
        ):
            self.errors.append(message.text)

    def close(self):
        self.page.close()


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_without_errors_and_every_image_loads(site, browser, path):
    base, _ = site
    page = Page(browser, base, path)
    try:
        broken = page.page.evaluate(
            "Array.from(document.images)"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert not page.errors, f"{path}: console errors {page.errors[:5]}"
        assert not page.failed_local, f"{path}: failed requests {page.failed_local[:5]}"
        assert not broken, f"{path}: images that did not load: {broken[:5]}"
    finally:
        page.close()


def test_every_image_of_every_chapter_loads(site, browser):
    base, folder = site
    broken = {}
    for html in sorted((folder / "chapters").glob("*.html")):
        page = Page(browser, base, f"chapters/{html.name}")
        try:
            bad = page.page.evaluate(
                "Array.from(document.images)"
                ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            if bad or page.failed_local:
                broken[html.name] = (bad + page.failed_local)[:3]
        finally:
            page.close()
    assert not broken, f"images or files that did not load: {broken}"


def test_dark_mode_toggles(site, browser):
    base, _ = site
    page = Page(browser, base, PAGES[1])
    try:
        is_dark = "document.body.classList.contains('quarto-dark')"
        before = page.page.evaluate(is_dark)
        page.page.locator(".quarto-color-scheme-toggle").first.click()
        assert page.page.evaluate(is_dark) != before
        page.page.locator(".quarto-color-scheme-toggle").first.click()
        assert page.page.evaluate(is_dark) == before
    finally:
        page.close()


def test_search_finds_lstm(site, browser):
    base, _ = site
    page = Page(browser, base, PAGES[0])
    try:
        page.page.locator(".aa-DetachedSearchButton, .aa-Input").first.click()
        page.page.keyboard.type("LSTM")
        items = page.page.locator(".aa-Item")
        items.first.wait_for(timeout=10_000)
        texts = items.all_inner_texts()
        assert any("LSTM" in t for t in texts), f"search results: {texts[:5]}"
    finally:
        page.close()


def test_math_is_typeset(site, browser):
    if not (MATHJAX_DIR / "es5" / "tex-chtml-full.js").exists():
        pytest.skip(
            "no local MathJax to serve offline (.ci/run installs it into .ci/node/)"
        )
    base, _ = site
    page = Page(browser, base, PAGES[1])
    try:
        page.page.wait_for_function(
            "window.MathJax && MathJax.startup && MathJax.startup.promise",
            timeout=20_000,
        )
        page.page.evaluate("MathJax.startup.promise")
        typeset = page.page.locator("mjx-container").count()
        raw = page.page.evaluate(
            "Array.from(document.querySelectorAll('span.math'))"
            ".filter(s => !s.querySelector('mjx-container')).length"
        )
        assert typeset > 50 and raw == 0, f"{typeset} typeset, {raw} left raw"
        assert not page.errors, f"console errors: {page.errors[:5]}"
    finally:
        page.close()
