"""Issue 18, bugs 4 and 12: a booked course shows its appointments on the plan page and the
plan PDF (not "— / to be booked"), and an active plan's main button is "Book course", not
"Complete" on a 0/n plan. Web tests: server-rendered pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db


def make_plan(clinic: Any, status: str = "active", done: int = 0) -> TreatmentPlan:
    """A 3-session plan (the shared factory's plan, fewer sessions)."""
    return factories.make_plan(
        clinic, status=status, sessions_done=done, sessions_planned=3, sessions_by_rule=3
    )


def book(clinic: Any, plan: TreatmentPlan, indexes: list[int]) -> list[Appointment]:
    first = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)  # 09:00 in Rome
    return [
        Appointment.objects.create(
            organization=clinic.org,
            location=clinic.location,
            practitioner=clinic.members["practitioner"],
            room=clinic.room,
            patient=clinic.patient,
            start=first + dt.timedelta(days=7 * (i - 1)),
            end=first + dt.timedelta(days=7 * (i - 1), minutes=30),
            plan=plan,
            course_index=i,
            planned_session=plan.planned_sessions.get(index=i),
            created_by=clinic.user("reception"),
        )
        for i in indexes
    ]


def page(clinic: Any, plan: TreatmentPlan, role: str = "practitioner") -> str:
    client = Client()
    client.force_login(clinic.user(role))
    return client.get(f"/plans/{plan.pk}").content.decode()


def buttons(html: str) -> list[tuple[str, str]]:
    """(class, text) of every button link of the plan card."""
    card = html[html.index('id="plan-h"') : html.index('id="windows-h"')]
    return [
        (cls, re.sub(r"\s+", " ", text).strip())
        for cls, text in re.findall(r'<a class="(button[^"]*)"[^>]*>(.*?)</a>', card)
    ]


def test_a_booked_course_shows_each_appointment_on_the_plan_page(clinic: Any) -> None:
    plan = make_plan(clinic)
    book(clinic, plan, [1, 2])
    html = page(clinic, plan)
    table = html[html.index('id="windows-h"') :]
    table = table[: table.index("</table>")]
    assert "09:00 CET" in table  # 12 January, in Rome time
    assert table.count("to be booked") == 1  # only session 3


def test_a_booked_course_shows_its_dates_on_the_plan_pdf(
    clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(clinic)
    book(clinic, plan, [1, 2, 3])
    rendered: list[str] = []

    class CapturingHTML:
        def __init__(self, string: str, **kwargs: Any) -> None:
            rendered.append(string)

        def write_pdf(self) -> bytes:
            return b"%PDF-1.7"

    monkeypatch.setattr("weasyprint.HTML", CapturingHTML)
    client = Client()
    client.force_login(clinic.user("practitioner"))
    assert client.get(f"/plans/{plan.pk}/pdf").status_code == 200
    html = rendered[0]
    assert "to be booked" not in html
    assert html.count("09:00 CET") == 3


def test_an_active_unbooked_plan_offers_book_course_as_its_main_button(clinic: Any) -> None:
    plan = make_plan(clinic, status="active", done=0)
    shown = buttons(page(clinic, plan, "admin"))
    primary = [text for cls, text in shown if "secondary" not in cls]
    assert primary == ["Book course"], shown
    assert ("button secondary", "Complete") in shown


def test_completing_is_the_main_button_once_every_session_is_done(clinic: Any) -> None:
    plan = make_plan(clinic, status="active", done=3)
    book(clinic, plan, [1, 2, 3])
    shown = buttons(page(clinic, plan, "admin"))
    assert [text for cls, text in shown if "secondary" not in cls] == ["Complete"], shown
    assert "Book course" not in [text for _c, text in shown]


def test_the_review_outcome_and_history_read_as_words_not_codes(clinic: Any) -> None:
    plan = make_plan(clinic, status="review_needed")
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        review_outcome="too_early", review_reason="Only one session so far."
    )
    plan.events.create(
        organization=clinic.org,
        kind="reviewed",
        outcome="too_early",
        from_status="active",
        to_status="review_needed",
        by=clinic.user("practitioner"),
    )
    text = re.sub(r"<[^>]+>", " ", page(clinic, plan))  # what a person reads
    assert "Too early to judge" in text
    assert "too_early" not in text and "review_needed" not in text
    assert "(Active → Review needed)" in text
