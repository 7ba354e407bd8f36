"""Headless Chromium for the dashboard's tests and screenshots.

Debian's ``chromium`` (``make test`` installs it from the distribution's packages), driven by
Playwright's Python package pointed at it: no browser is downloaded (``playwright install`` never
runs; its downloads do not work on a closed network anyway). The flags keep Chromium from
reaching out to Google's services at start, which a closed network refuses, many at a time.
Playwright gives each launch a fresh, empty user data directory of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FLAGS = [
    "--no-sandbox",  # root in CI and in containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "chromium is not installed: `make test` installs it (Debian package chromium)"


def chromium_path() -> str | None:
    """The system browser, or None."""
    return shutil.which("chromium")


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless browser (``--headless`` is Playwright's own flag), closed after."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
