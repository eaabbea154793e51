"""Browser fixtures: the test's app served on a real port, and a headless Chromium driving it."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
# Quiet, offline, container-friendly: no sandbox (often unavailable as root in containers),
# no GPU, and none of the background traffic Chromium starts on its own.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000  # fail a broken page in seconds, not Playwright's default 30


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if os.environ.get("COALITION_REQUIRE_BROWSER") == "1":
        pytest.fail(f"COALITION_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _playwright_importable() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def pytest_collect_file(file_path, parent):
    # Test modules import playwright at the top: check before they are imported, so a
    # missing package skips (or fails) with a reason instead of an ImportError.
    if file_path.name.startswith("test_") and not _playwright_importable():
        _unavailable("the playwright package is not installed; pip install -e '.[test]'")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}; install it with apt-get install chromium")
    # Playwright's own browser download is not used: Debian's Chromium is the one we test.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def backend() -> str:
    """Browser tests check pages, not SQL: SQLite alone is enough."""
    return "sqlite"


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


def _closing(app: Flask):
    """Close each response as soon as it is written, as gunicorn does. Werkzeug's server
    closes it only once the browser stops using the connection, which would hold back the
    work that runs on close (sending the e-mail a request queued)."""

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The test's `app` on a free local port; the test can still create rows through it."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # so links in pages and e-mails lead back to this server
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=url, app=app)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) per test, with relative URLs on the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
