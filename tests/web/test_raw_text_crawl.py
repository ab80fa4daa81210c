"""No raw text: a person never reads a code, a model label, a cache key, an "(s)" plural, an ISO
timestamp or a colleague's email where their name belongs.

The crawl signs in as each role of the demo clinic (admin, practitioner, reception, auditor),
starts at the dashboard and the demo's patients, plans and sessions, follows same-site links to a
bounded depth (a few samples per URL pattern), and reads the text a person sees (not scripts,
styles, URLs or form values). Any match of a raw-code pattern fails with the page and the text.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from mesocare.charting.models import TreatmentSession
from mesocare.clinics.models import Membership
from mesocare.demo.data import load_demo
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan

ROLES = [
    "admin",
    "practitioner",
    "desk",
    "audit",
]  # the demo's admin, practitioner, reception, auditor
SKIPPED = {"web:logout", "web:audit-export", "web:switch-org"}
SAMPLES_PER_PATTERN = 2
MAX_PAGES = 120
MAX_DEPTH = 3
# Pages whose job is to show sign-in addresses: the staff list and invitations, one's own
# account, and the audit trail (which names the account that acted, unambiguously).
EMAIL_PAGES = {"web:staff-list", "web:account", "web:audit-log", "web:patient-audit"}

RAW_PATTERNS: dict[str, re.Pattern[str]] = {
    "snake_case code": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "app.model label": re.compile(
        r"\b(?:accounts|assessments|audit|billing|catalog|charting|clinics|inventory|notify|"
        r"outcomes|patients|plans|portal|safety|scheduling)\.[a-z]+\b"
    ),
    "cache or outbox key": re.compile(r"\bkey [a-z_]+:\d+"),
    "(s) plural": re.compile(r"\w\((?:s|es)\)"),
    "ISO timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    "slug-like code": re.compile(r"\b[a-z]+-[a-z]+-(?:css|v\d)\b|\bhexsel-css\b"),
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Page(HTMLParser):
    """Visible text (plus title, alt, aria-label and placeholder texts) and links."""

    HIDDEN = {"script", "style", "template", "textarea"}
    READ_ATTRS = ("title", "alt", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.hrefs: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        for name in self.READ_ATTRS:
            if values.get(name):
                self.texts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


@pytest.fixture
def demo(monkeypatch: Any, tmp_path: Any, settings: Any) -> None:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    load_demo()


def starting_points() -> list[str]:
    patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:3])
    plans = list(TreatmentPlan.objects.order_by("pk").values_list("pk", flat=True)[:3])
    sessions = list(TreatmentSession.objects.order_by("-pk").values_list("pk", flat=True)[:3])
    return (
        ["/"]
        + [f"/patients/{pk}" for pk in patients]
        + [f"/plans/{pk}" for pk in plans]
        + [f"/sessions/{pk}" for pk in sessions]
    )


def raw_text_on(text: str, staff_emails: set[str], email_ok: bool) -> list[tuple[str, str]]:
    found = []
    for label, pattern in RAW_PATTERNS.items():
        for match in pattern.finditer(text):
            found.append((label, match.group(0)))
    if not email_ok:
        found += [
            ("email instead of a name", m.group(0))
            for m in EMAIL.finditer(text)
            if m.group(0).lower() in staff_emails
        ]
    return found


def crawl(client: Client, staff_emails: set[str]) -> tuple[dict[str, list[tuple[str, str]]], int]:
    problems: dict[str, list[tuple[str, str]]] = {}
    per_pattern: Counter[str] = Counter()
    queue = [(url, 0) for url in starting_points()]
    visited: set[str] = set()
    pages = 0
    while queue and pages < MAX_PAGES:
        url, depth = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        name = f"{match.namespace}:{match.url_name}"
        if match.namespace != "web" or name in SKIPPED:
            continue
        if per_pattern[name] >= SAMPLES_PER_PATTERN:
            continue
        per_pattern[name] += 1
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages += 1
        page = _Page()
        page.feed(response.content.decode())
        for text in page.texts:
            for label, raw in raw_text_on(text, staff_emails, name in EMAIL_PAGES):
                problems.setdefault(f"{name} {url}", []).append((label, raw, text[:120]))  # type: ignore[arg-type]
        if depth >= MAX_DEPTH:
            continue
        for href in page.hrefs:
            parts = urlsplit(urljoin(url, href))
            if parts.netloc or parts.scheme not in ("", "http") or parts.path.endswith(".pdf"):
                continue
            queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), depth + 1))
    return problems, pages


@pytest.mark.django_db
def test_no_staff_page_of_the_demo_clinic_shows_raw_text(demo: None) -> None:
    staff_emails = {e.lower() for e in Membership.objects.values_list("user__email", flat=True)}
    started = time.monotonic()
    report: dict[str, list[tuple[str, str]]] = {}
    total = 0
    for role in ROLES:
        client = Client()
        client.force_login(Membership.objects.get(user__email=f"{role}@demo.mesocare.test").user)
        problems, pages = crawl(client, staff_emails)
        total += pages
        for where, found in problems.items():
            report.setdefault(f"[{role}] {where}", found)
    elapsed = time.monotonic() - started
    print(f"raw-text crawl: {total} pages in {elapsed:.1f} s")
    assert total >= 40
    assert report == {}, "\n".join(
        f"{where}: {found[:4]}" for where, found in sorted(report.items())
    )


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("0 day(s)", "(s) plural"),
        ("3 instruction(s)", "(s) plural"),
        ("Scale hexsel-css", "slug-like code"),
        ("too_early", "snake_case code"),
        ("thigh_posterior_l", "snake_case code"),
        ("charting.treatmentsession 4", "app.model label"),
        ("key session:35:aftercare", "cache or outbox key"),
        ("2026-12-07T09:00:00+01:00", "ISO timestamp"),
    ],
)
def test_the_patterns_catch_the_raw_texts_of_the_report(text: str, raw: str) -> None:
    assert raw in {label for label, _m in raw_text_on(text, set(), True)}


@pytest.mark.parametrize(
    "text", ["Thigh, posterior, left", "2 days", "Mon 7 Dec 2026 09:00 CET", "Dr Anna Bianchi"]
)
def test_the_patterns_leave_ordinary_text_alone(text: str) -> None:
    assert raw_text_on(text, {"anna@demo.mesocare.test"}, False) == []
