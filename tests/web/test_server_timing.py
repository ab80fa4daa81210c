"""Speed of the staff pages: every signed-in page carries a `Server-Timing` header (application
time, database time and query count), anonymous pages carry none, and every staff page of the
demo clinic stays within a query budget.

The budget test crawls the demo clinic as the admin and as the practitioner: from the dashboard
it follows every same-site link (one sample per URL pattern and role) and reads the query count
from the header. A page over its bound fails with the page named, so a query per row shows up
here rather than on a clinic's busiest day."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from mesocare.clinics.models import Membership
from mesocare.demo.data import load_demo
from mesocare.lib.server_timing import header_value

HEADER = re.compile(
    r'^app;dur=(?P<app>[0-9.]+);desc="Application", '
    r'db;dur=(?P<db>[0-9.]+);desc="(?P<n>\d+) queries"$'
)
# Queries per page, measured on the demo clinic (the busiest, the dashboard and the patient's
# safety tab, took 20 as the admin) with a margin of a quarter; no page may grow a query per row.
DEFAULT_BOUND = 25
BOUNDS: dict[str, int] = {
    # the patient's till account (invoices, payments, courses): 28 measured as the admin
    "web:patient-account": 35,
}
SKIPPED = {"web:logout", "web:audit-export", "web:switch-org"}
MAX_PAGES = 400


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _queries(response: Any) -> int:
    match = HEADER.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    return int(match["n"])


def test_header_value_names_application_and_database_time() -> None:
    value = header_value(12.345, 3.21, 7)
    assert value == 'app;dur=12.3;desc="Application", db;dur=3.2;desc="7 queries"'
    assert HEADER.match(value)


def test_signed_in_pages_carry_server_timing_and_anonymous_ones_do_not(
    web: Any, django_assert_max_num_queries: Any
) -> None:
    client = web("reception")
    with django_assert_max_num_queries(DEFAULT_BOUND):
        response = client.get("/patients")
    assert response.status_code == 200
    match = HEADER.match(response["Server-Timing"])
    assert match and 0 < int(match["n"]) <= DEFAULT_BOUND
    assert float(match["db"]) <= float(match["app"])

    anonymous = Client()
    assert "Server-Timing" not in anonymous.get("/login")
    assert "Server-Timing" not in anonymous.get("/password-reset")


@pytest.fixture
def demo(monkeypatch: Any, tmp_path: Any, settings: Any) -> None:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    load_demo()


def _crawl(client: Client) -> dict[str, tuple[str, int]]:
    """url name → (first URL seen, its query count), following links from the dashboard."""
    seen: dict[str, tuple[str, int]] = {}
    queue, visited = ["/"], set()
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        if name in SKIPPED or name in seen or match.namespace != "web":
            continue
        response = client.get(url)
        if response.status_code != 200 or "Server-Timing" not in response:
            continue
        seen[name] = (url, _queries(response))
        if not response["Content-Type"].startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc or parts.scheme not in ("", "http"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "practitioner", "desk", "audit"])
def test_every_staff_page_of_the_demo_clinic_keeps_its_query_bound(demo: None, role: str) -> None:
    client = Client()
    client.force_login(Membership.objects.get(user__email=f"{role}@demo.mesocare.test").user)
    pages = _crawl(client)
    assert len(pages) >= 15, sorted(pages)
    over = {
        name: (url, count)
        for name, (url, count) in pages.items()
        if count > BOUNDS.get(name, DEFAULT_BOUND)
    }
    assert over == {}, over
