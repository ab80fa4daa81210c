"""Online booking in Chromium on a phone (390×844): a new patient finds a slot, answers the
health questions and books a consultation; a pregnant patient is stopped with the plain
message to call the clinic; two browsers racing for one slot give one hold (then one
booking) and one "taken, here are the next free times"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mesocare.booking.models import IntakeSubmission, OnlineAppointment, OnlineService
from mesocare.booking.services.setup import settings_of
from mesocare.catalog.models import Protocol
from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.scheduling.models import Appointment

PHONE = (390, 844)


@pytest.fixture
def online(clinic: Any, settings: Any) -> Any:
    settings.MESOCARE_ONLINE_BOOKING_POW_BITS = 8
    for weekday in range(7):
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
        WorkingHours.objects.create(
            organization=clinic.org,
            membership=clinic.members["practitioner"],
            location=clinic.location,
            weekday=weekday,
            opens=dt.time(9),
            closes=dt.time(13),
        )
    current = settings_of(clinic.org)
    current.enabled = True
    current.policy_text = "Cancel up to 24 hours before at no cost."
    current.save()
    protocol = (
        Protocol.objects.filter(organization__isnull=True, product_links__isnull=False)
        .distinct()
        .order_by("id")
        .first()
    )
    OnlineService.objects.create(
        organization=clinic.org,
        name="First consultation",
        protocol=protocol,
        duration_min=30,
        price_text="€60",
        room_kind="facial",
    )
    clinic.day = timezone.localdate(timezone=clinic.location.tz) + dt.timedelta(days=3)
    return clinic


def open_times(e2e: Any, online: Any) -> Any:
    page = e2e.page(viewport=PHONE)
    e2e.step("booking home", lambda: page.goto(f"/book/{online.org.slug}/"))
    expect(page.get_by_text("First consultation")).to_be_visible()
    assert e2e.axe(page) == []
    e2e.step("free times", lambda: page.get_by_role("button", name="See free times").click())
    day = page.get_by_role("link", name=online.day.strftime("%-d %b"))
    e2e.step("a day", lambda: day.click())
    expect(page.get_by_role("button", name="09:00")).to_be_visible()
    assert e2e.axe(page) == []
    return page


def fill_details(page: Any, email: str, *, pregnant: bool = False) -> None:
    page.get_by_label("Given name").fill("Chiara")
    page.get_by_label("Family name").fill("Neri")
    page.get_by_label("Birth date").fill("1990-06-15")
    page.get_by_label("Sex at birth").select_option(label="Female")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Do you have any allergies?").select_option(label="Yes (list them below)")
    page.get_by_label("Your allergies (one per line)").fill("nickel")
    page.get_by_label("Are you pregnant?").select_option(
        label="Pregnant" if pregnant else "Not pregnant"
    )
    page.get_by_label("Are you breastfeeding?").select_option(label="No")
    page.get_by_label("Could you become pregnant?").select_option(label="Yes")
    page.get_by_label("Weight (kg)").fill("58")
    page.get_by_label("I have read the deposit and cancellation policy above.").check()


def test_a_new_patient_books_a_consultation_on_a_phone(e2e: Any, online: Any) -> None:
    page = open_times(e2e, online)
    e2e.step("hold 09:00", lambda: page.get_by_role("button", name="09:00").click())
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    expect(page.get_by_text("Cancel up to 24 hours before at no cost.")).to_be_visible()
    assert e2e.axe(page) == []
    fill_details(page, "chiara@example.org")
    e2e.step("book", lambda: page.get_by_role("button", name="Book", exact=True).click())
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("09:00")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "online-booking-done")
    appointment = Appointment.objects.get(patient__email="chiara@example.org")
    local = appointment.start.astimezone(online.location.tz)
    assert (local.date(), local.time()) == (online.day, dt.time(9))
    assert OnlineAppointment.objects.filter(appointment=appointment).exists()
    assert IntakeSubmission.objects.get(patient=appointment.patient).status == "to_confirm"


def test_a_pregnant_patient_is_asked_to_call_the_clinic(e2e: Any, online: Any) -> None:
    online.location.phone = "+39 02 1234 5678"
    online.location.save()
    page = open_times(e2e, online)
    e2e.step("hold 09:00", lambda: page.get_by_role("button", name="09:00").click())
    fill_details(page, "chiara@example.org", pregnant=True)
    e2e.step("book", lambda: page.get_by_role("button", name="Book", exact=True).click())
    expect(page.get_by_role("heading", name="Please call us")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Please call the clinic")
    expect(page.get_by_role("link", name="+39 02 1234 5678")).to_be_visible()
    assert e2e.axe(page) == []
    assert not Appointment.objects.filter(patient__email="chiara@example.org").exists()
    assert IntakeSubmission.objects.get(patient__email="chiara@example.org").flagged


def test_two_browsers_race_for_one_slot(e2e: Any, online: Any) -> None:
    first, second = open_times(e2e, online), open_times(e2e, online)
    e2e.step("first takes 09:00", lambda: first.get_by_role("button", name="09:00").click())
    expect(first.get_by_role("heading", name="Your details")).to_be_visible()
    e2e.step("second takes 09:00", lambda: second.get_by_role("button", name="09:00").click())
    expect(second.get_by_role("alert")).to_contain_text("this time was just taken")
    expect(second.get_by_role("button", name="09:30")).to_be_visible()  # the next free times
    expect(second.get_by_role("button", name="09:00")).to_have_count(0)
    assert e2e.axe(second) == []
    fill_details(first, "first@example.org")
    e2e.step("first books", lambda: first.get_by_role("button", name="Book", exact=True).click())
    expect(first.get_by_role("heading", name="You are booked")).to_be_visible()
    e2e.step("second takes 09:30", lambda: second.get_by_role("button", name="09:30").click())
    fill_details(second, "second@example.org")
    e2e.step("second books", lambda: second.get_by_role("button", name="Book", exact=True).click())
    expect(second.get_by_role("heading", name="You are booked")).to_be_visible()
    starts = sorted(
        a.start for a in Appointment.objects.filter(patient__email__endswith="@example.org")
    )
    assert len(starts) == 2 and starts[0] != starts[1]


def portal_cookie(patient: Any) -> dict[str, str]:
    """A signed-in portal session for ``patient`` (the sign-in itself is the portal's own
    browser test), as the cookie the browser sends."""
    from importlib import import_module

    from django.conf import settings as django_settings
    from django.http import HttpRequest

    from mesocare.portal.accounts import ensure_account
    from mesocare.portal.session import sign_in

    engine = import_module(django_settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore()
    assert sign_in(request, ensure_account(patient), method="magic_link")
    request.session.save()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": request.session.session_key}


def test_a_returning_patient_books_the_rest_of_a_course_at_lunchtime(e2e: Any, online: Any) -> None:
    from mesocare.catalog.models import ProtocolVersion
    from mesocare.catalog.snapshots import snapshot_protocol
    from mesocare.plans.models import PlannedSession, TreatmentPlan

    WorkingHours.objects.filter(organization=online.org).update(closes=dt.time(18))
    patient = online.patient
    patient.email = "giulia@example.org"
    patient.save()
    protocol = Protocol.objects.filter(organization__isnull=True).order_by("id").first()
    version = ProtocolVersion.objects.filter(protocol=protocol, version=protocol.version).first()
    if version is None:
        version = ProtocolVersion.objects.create(
            protocol=protocol, version=protocol.version, snapshot=snapshot_protocol(protocol)
        )
    plan = TreatmentPlan.objects.create(
        organization=online.org,
        patient=patient,
        protocol=protocol,
        protocol_version=version,
        sessions_planned=3,
        sessions_by_rule=3,
        interval_min_days=5,
        interval_target_days=7,
        interval_max_days=14,
        response_check_session=2,
        session_duration_min=30,
        room_kind="facial",
        created_by=online.user("practitioner"),
    )
    for index in (1, 2, 3):
        PlannedSession.objects.create(organization=online.org, plan=plan, index=index)
    page = e2e.page(viewport=PHONE)
    page.context.add_cookies([{**portal_cookie(patient), "url": e2e.base_url}])
    # The first proposals of a course are the engine's search: give a loaded machine time.
    e2e.step("course", lambda: page.goto(f"/book/{online.org.slug}/course/", timeout=60_000))
    assert "/course/" in page.url, page.url
    expect(page.get_by_role("heading", name="Book the rest of your course")).to_be_visible()
    page.get_by_label("When suits you").select_option("lunch")
    e2e.step("lunchtime", lambda: page.get_by_role("button", name="Show times").click())
    expect(page.get_by_role("heading", name="Best fit")).to_be_visible()
    assert e2e.axe(page) == []
    best = page.get_by_role("region", name="Best fit")
    e2e.step("book", lambda: best.get_by_role("button", name="Book these 3 sessions").click())
    expect(page.get_by_role("heading", name="Your course is booked")).to_be_visible()
    assert e2e.axe(page) == []
    booked = list(Appointment.objects.filter(plan=plan).order_by("course_index"))
    assert [a.course_index for a in booked] == [1, 2, 3]
    for a in booked:
        local = a.start.astimezone(online.location.tz).time()
        assert dt.time(12) <= local <= dt.time(14)
