"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

- Chromium is `/usr/bin/chromium` (installed by `.ci/run`); without it the tests are skipped.
  Playwright never downloads a browser here: it launches that executable, headless.
- The live server needs committed data, so these tests are transactional; they load the demo
  data themselves (`load_demo`, with the fast password hasher of tests/conftest.py) and ask for
  a serialized rollback, so the role groups created by the migrations are back for later tests.
- Playwright's sync API runs an event loop in the test thread, so Django's async-safety check is
  switched off (DJANGO_ALLOW_ASYNC_UNSAFE) while the browser is open, and only then; the browser
  lives for one test, inside the database setup and teardown (see `chromium`).
- Each step leaves a screenshot in test-artifacts/screenshots/ (git-ignored; kept by CI).
"""

from __future__ import annotations

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000  # every wait of a step
NAVIGATION_TIMEOUT_MS = 30_000
PASSWORD = "empact-demo"

#: what every browser test module sets as `pytestmark`
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo(live_server, transactional_db, settings, tmp_path):
    """The demo data set with its published 2022 and 2023 factsheets, committed so the live server
    sees it (flushed after the test); the factsheets' files under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def chromium(demo):
    """A headless chromium for one test, started after the database is set up and the demo loaded.

    While Playwright's loop runs, asgiref gives Django's `connections` per-context storage, so
    the test's own queries use a second connection; it is closed before the loop stops, and the
    loop stops before pytest-django flushes (and restores) the database in the usual storage.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                timeout=NAVIGATION_TIMEOUT_MS,
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Visitor:
    """One user's browser session: log in through the form, go to pages, take screenshots."""

    def __init__(self, browser, base_url: str, test_name: str, counter: list[int], **options):
        options = {"viewport": {"width": 1400, "height": 1000}, **options}  # e.g. locale="es-ES"
        self.context = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.test_name = test_name
        self.counter = counter

    def goto(self, path: str):
        return self.page.goto(path)

    def login(self, username: str) -> Visitor:
        page = self.page
        page.goto("/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
        return self

    def shot(self, step: str) -> Path:
        self.counter[0] += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{self.counter[0]:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def select2(self, select_id: str, term: str, option_text: str) -> None:
        """Choose in an admin autocomplete: open the select2 box, type, click the option."""
        page = self.page
        page.click(f"#{select_id} + .select2-container .select2-selection")
        search = page.locator(".select2-container--open .select2-search__field")
        search.fill(term)
        option = page.locator(".select2-container--open .select2-results__option", has_text=option_text)
        option.first.click()
        page.wait_for_selector(f"#select2-{select_id}-container:has-text('{option_text}')")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(live_server, demo, chromium, request):
    """`visit(username, **context options)` → a logged-in `Visitor` in a fresh browser context."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for old in SCREENSHOTS.glob(f"{test_name}-*.png"):
        old.unlink()
    counter = [0]
    visitors: list[Visitor] = []

    def make(username: str | None = None, **options) -> Visitor:
        visitor = Visitor(chromium, live_server.url, test_name, counter, **options)
        visitors.append(visitor)
        return visitor.login(username) if username else visitor

    yield make
    for visitor in visitors:
        visitor.close()
