"""Browser tests: Playwright driving Debian's Chromium against a live server.

Pages are opened as real users; every page visit logs its server time and query count
(`page_stats`), and `axe` runs axe-core (vendored from the npm registry) in the page."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from mesocare.lib.request_stats import RECENT

# Step modules (test_e2e_<step>.py) are imported by name by the whole-day test.
sys.path.insert(0, str(Path(__file__).parent))


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# `make screenshots` refreshes docs/screenshots/; an ordinary test run writes to a temporary
# folder so it leaves the work tree clean.
SCREENSHOTS = Path(
    os.environ.get("MESOCARE_SCREENSHOTS_DIR")
    or Path(tempfile.gettempdir()) / "mesocare-screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(django_db_setup: Any) -> Iterator[Any]:
    """One Chromium per test module. While Playwright's sync API is started, its event loop is
    marked as running in this thread, so Django refuses synchronous ORM calls here (the test
    database's own set-up and flushes included) unless DJANGO_ALLOW_ASYNC_UNSAFE is set: it is
    set for exactly the browser's lifetime, and both end with the module, so neither reaches
    the tests of other directories. Requested after the test database exists."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as mp, playwright_api.sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# Queries one form post may make, per action: the most measured over the browser suite on
# SQLite and PostgreSQL, plus about a fifth. A post above its budget has grown a query per
# row (or per session, per component); raise a budget only with the measurement that says why.
POST_BUDGETS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(pattern), budget)
    for pattern, budget in (
        # a whole course (174 measured): safety check, every session, notices, audit
        (r"^/plans/\d+/book$", 210),
        (r"^/sessions/\d+/injections$", 82),  # safety check with totals, stock, audit
        (r"^/sessions/\d+/sign$", 60),
        (r"^/patients/\d+/plans$", 48),  # a plan from an assessment, with its safety check
        (r"^/appointments/\d+/session$", 38),
        # discard an empty session (35 measured): the session, its emptiness, the delete with
        # its related rows, the appointment booked again, two audit rows
        (r"^/sessions/\d+/discard$", 42),
        # check-in (29 measured): the safety check with the plan's facts, the status change,
        # the deposit settled, audit
        (r"^/appointments/\d+/check-in$", 35),
        (r"^/plans/\d+$", 29),
        # online booking (59 measured): a new patient, their reported intake, safety check,
        # booking, outbox, audit
        (r"^/book/[\w-]+/details/", 72),
        # the slot checked again and held (16), or taken: the next free times (21 measured)
        (r"^/book/[\w-]+/hold$", 26),
        # the rest of a course online (104 measured for 3 sessions): as the staff booking
        (r"^/book/[\w-]+/course/book$", 125),
        # the till: a sale with its invoice (24 measured), a visit invoice with package use and
        # deposit (30 measured), a payment (13 measured)
        (r"^/till/checkout/\d+$", 36),
        (r"^/patients/\d+/account/sell$", 30),
        (r"^/till/invoices/\d+/pay$", 16),
        (r"^/patients/\d+/account/pay$", 16),
        # the till's corrections: a new price version (21 measured); a cancelled course with its
        # credit note, refund and audit (47 measured)
        (r"^/till/prices/\d+$", 26),
        (r"^/patients/\d+/account/courses/\d+/cancel$", 57),
        (r"^/login$", 30),  # 21 measured, plus room for the lockout checks
        (r"^/p/check-in/", 19),
        (r"^/plans/\d+/activate$", 16),
        (r"^/patients/\d+/assessments/new$", 16),
        (r"^/patients/\d+/[a-z]+/add$", 15),  # allergies, consents, medications, weights…
        (r"^/calendar/\d+/time-off", 14),
        (r"^/stock/lots/\d+/recall$", 14),
        (r"^/patients/new$", 10),
        (r"^/scales/[\w-]+/preview$", 6),
    )
]
DEFAULT_POST_QUERIES = 15  # a post the table does not name
# htmx requests one step may cause (a click, typing into a field): more means a trigger fires
# repeatedly — a missing delay, or a swap that triggers itself.
MAX_HTMX_REQUESTS = 2  # measured: at most 1


def post_budget(path: str) -> int:
    return next((b for pattern, b in POST_BUDGETS if pattern.search(path)), DEFAULT_POST_QUERIES)


class E2E:
    """What a browser test needs: pages in fresh contexts, sign-in, axe, screenshots, and the
    server time and query count of each step: a page (GET) makes at most MAX_QUERIES, a form
    post at most its action's budget (POST_BUDGETS), and a step at most MAX_HTMX_REQUESTS
    htmx requests (counted in the browser from their HX-Request header)."""

    MAX_QUERIES = 30

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.log: list[tuple[str, float, int]] = []
        self.steps = 0
        self.htmx: list[str] = []  # htmx requests of the current step, as "METHOD /path"

    def page(self, viewport: tuple[int, int] = (1280, 900), **options: Any) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": viewport[0], "height": viewport[1]},
            bypass_csp=True,  # lets the test inject axe-core; the app's own CSP stays on
            **options,
        )
        context.set_default_timeout(15_000)
        context.on("request", self._seen)
        self.contexts.append(context)
        return context.new_page()

    def _seen(self, request: Any) -> None:
        if request.headers.get("hx-request") == "true":
            self.htmx.append(f"{request.method} {urlparse(request.url).path}")

    def sign_in(self, page: Any, email: str, password: str) -> None:
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)

    def axe(
        self, page: Any, impacts: tuple[str, ...] = ("minor", "moderate", "serious", "critical")
    ) -> list[Any]:
        page.add_script_tag(content=AXE)
        result = page.evaluate("async () => await axe.run(document)")
        return [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in impacts
        ]

    def screenshot(self, page: Any, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

    def step(self, label: str, action: Any) -> Any:
        """Run a browser step; log the server time and query count of every request it caused
        (measured in the server by RequestStatsMiddleware) and bound the queries per page."""
        self.steps += 1
        RECENT.clear()
        self.htmx.clear()
        result = action()
        for method, path, ms, queries in list(RECENT):
            self.log.append((f"{label}: {method} {path}", ms, queries))
            print(f"[page] {label}: {method} {path} {ms:.0f} ms, {queries} queries")
            bound = self.MAX_QUERIES if method == "GET" else post_budget(path)
            assert queries <= bound, f"{label}: {method} {path}: {queries} queries > {bound}"
        print(f"[htmx] {label}: {len(self.htmx)} {self.htmx}")
        assert len(self.htmx) <= MAX_HTMX_REQUESTS, f"{label}: htmx requests {self.htmx}"
        return result

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def e2e(browser: Any, live_server: Any, transactional_db: Any, settings: Any) -> Iterator[E2E]:
    stats = "mesocare.lib.request_stats.RequestStatsMiddleware"
    if stats not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [stats, *settings.MIDDLEWARE]
    # The live server built its middleware chains when it started (once per session): rebuild
    # them, or the stats middleware never runs and no page's queries are counted. Every layer
    # has one: with MEDIA_URL unset the media wrapper serves all pages through its own chain.
    handler = live_server.thread.httpd.get_app()
    while handler is not None:
        handler.load_middleware()
        handler = getattr(handler, "application", None)
    tools = E2E(browser, live_server.url)
    yield tools
    tools.close()
    assert tools.log or not tools.steps, "no request was measured: is the stats middleware on?"


@pytest.fixture
def day(clinic: Any) -> Any:
    from e2e_day import Day

    return Day(clinic)
