"""Issue 18, bug 1: every date-time a person reads is the location's wall clock with its zone.

The clinic's location is in Europe/Rome (UTC+1 in winter, UTC+2 in summer). Each page the bug
report lists is rendered for a winter and a summer moment (across the DST change); the page must
show 09:00 with CET/CEST, never the UTC 08:00/07:00. (Web tests: the pages are server-rendered.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mesocare.assessments.models import Assessment
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import sessions
from mesocare.lib import local_time
from mesocare.scheduling.models import Appointment

UTC = dt.UTC
# 09:00 in Rome: 08:00 UTC in winter (CET), 07:00 UTC in summer (CEST).
MOMENTS = [
    pytest.param(dt.datetime(2026, 1, 12, 8, 0, tzinfo=UTC), "CET", id="winter"),
    pytest.param(dt.datetime(2026, 7, 13, 7, 0, tzinfo=UTC), "CEST", id="summer"),
]


def signed_in(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def session_at(clinic: Any, when: dt.datetime, signed: bool = False) -> TreatmentSession:
    session = sessions.open_walk_in(
        clinic.actor("practitioner"), patient=clinic.patient, location=clinic.location
    )
    changes: dict[str, Any] = {"started_at": when}
    if signed:
        changes |= {
            "signed_at": when + dt.timedelta(hours=1),
            "signed_by": clinic.user("practitioner"),
        }
    TreatmentSession.objects.filter(pk=session.pk).update(**changes)
    return TreatmentSession.objects.get(pk=session.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "zone"), MOMENTS)
def test_session_header_shows_local_time_and_zone(
    clinic: Any, when: dt.datetime, zone: str
) -> None:
    session = session_at(clinic, when, signed=True)
    html = signed_in(clinic, "practitioner").get(f"/sessions/{session.pk}").content.decode()
    header = html[html.index('id="session-h"') : html.index("Print summary")]
    assert f"09:00 {zone}" in header, header
    assert f"10:00 {zone}" in header  # signed an hour later
    assert "08:00" not in header and "07:00" not in header
    assert clinic.user("practitioner").email not in header  # signed by a name, not an email


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "zone"), MOMENTS)
def test_session_pdf_shows_local_time_and_zone(
    clinic: Any, when: dt.datetime, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = session_at(clinic, when, signed=True)
    rendered: list[str] = []

    class CapturingHTML:
        def __init__(self, string: str, **kwargs: Any) -> None:
            rendered.append(string)

        def write_pdf(self) -> bytes:
            return b"%PDF-1.7"

    monkeypatch.setattr("weasyprint.HTML", CapturingHTML)
    response = signed_in(clinic, "practitioner").get(f"/sessions/{session.pk}/summary.pdf")
    assert response.status_code == 200
    html = rendered[0]
    assert f"09:00 {zone}" in html, html[:2000]
    assert "08:00" not in html and "07:00" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "zone"), MOMENTS)
def test_sessions_to_sign_card_shows_local_time(clinic: Any, when: dt.datetime, zone: str) -> None:
    session_at(clinic, when)
    html = signed_in(clinic, "practitioner").get("/").content.decode()
    card = html[html.index('id="card-unsigned-h"') :][:1500]
    assert f"09:00 {zone}" in card, card
    assert "08:00" not in card and "07:00" not in card


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "zone"), MOMENTS)
def test_assessment_history_shows_local_time(clinic: Any, when: dt.datetime, zone: str) -> None:
    Assessment.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        scale_id="hexsel-css",
        items={},
        total=Decimal("10"),
        assessed_at=when,
        assessed_by=clinic.user("practitioner"),
    )
    html = (
        signed_in(clinic, "practitioner")
        .get(f"/patients/{clinic.patient.pk}/assessments")
        .content.decode()
    )
    history = html[html.index('id="hist-h"') :]
    assert f"09:00 {zone}" in history, history[:1500]
    assert clinic.user("practitioner").email not in history


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "zone"), MOMENTS)
def test_calendar_appointment_panel_shows_local_time(
    clinic: Any, when: dt.datetime, zone: str
) -> None:
    appointment = Appointment.objects.create(
        organization=clinic.org,
        location=clinic.location,
        practitioner=clinic.members["practitioner"],
        room=clinic.room,
        patient=clinic.patient,
        start=when,
        end=when + dt.timedelta(minutes=45),
        created_by=clinic.user("reception"),
    )
    html = (
        signed_in(clinic, "reception")
        .get(f"/appointments/{appointment.pk}", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert f"09:00–09:45 {zone}" in html, html[:1500]


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/Rome", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_formatting_always_shows_the_wall_clock_of_the_zone(moment: dt.datetime, zone: str) -> None:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    with translation.override("en"):
        text = local_time.format_datetime(moment, zone)
        assert text.endswith(" " + (local.tzname() or ""))
        assert local_time.format_time(moment, zone) == local.strftime("%H:%M")
        assert local_time.local_day(moment, zone) == local.date()


def test_zone_of_accepts_a_location_an_object_with_a_location_a_name_or_a_zone() -> None:
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")
    assert local_time.zone_of("Europe/Rome") == rome
    assert local_time.zone_of(rome) is rome
    assert local_time.zone_of(SimpleNamespace(tz=rome)) is rome
    assert local_time.zone_of(SimpleNamespace(location=SimpleNamespace(tz=rome))) is rome
    winter = dt.datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    with translation.override("en"):
        assert local_time.format_time(winter, "Europe/Rome", zone=True) == "09:00 CET"
