"""The patient's portal account in Chromium on a phone (390×844): she asks for a sign-in link,
opens it from the email, sees her course (done and remaining sessions), signs the treatment
consent with a drawn signature, and reports a side effect of her last session."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.charting.models import SideEffect, TreatmentSession
from mesocare.patients.models import Consent, Patient
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.portal.accounts import ensure_account
from mesocare.scheduling.models import Appointment

PHONE = (390, 844)
LINK = re.compile(r"https?://[^/\s]+(/p/sign-in/link/\S+)")


def make_patient_with_a_course(clinic: Any) -> Patient:
    patient = Patient.objects.create(
        organization=clinic.org,
        given_name="Anna",
        family_name="Bianchi",
        birth_date=dt.date(1985, 3, 2),
        sex_at_birth="female",
        email="anna@example.org",
    )
    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    version, _ = ProtocolVersion.objects.get_or_create(
        protocol=protocol, version=protocol.version, defaults={"snapshot": {}}
    )
    plan = TreatmentPlan.objects.create(
        organization=clinic.org,
        patient=patient,
        protocol=protocol,
        protocol_version=version,
        status="active",
        sessions_planned=4,
        sessions_by_rule=4,
        interval_min_days=protocol.interval_min_days,
        interval_target_days=protocol.interval_target_days,
        interval_max_days=protocol.interval_max_days,
        response_check_session=protocol.response_check_session,
        maintenance_interval_days=protocol.maintenance_interval_days,
        session_duration_min=protocol.session_duration_min,
        room_kind=protocol.room_kind,
        start_on=timezone.localdate() - dt.timedelta(days=30),
        created_by=clinic.user("practitioner"),
    )
    planned = [
        PlannedSession.objects.create(organization=clinic.org, plan=plan, index=i)
        for i in range(1, 5)
    ]
    TreatmentSession.objects.create(
        organization=clinic.org,
        patient=patient,
        practitioner=clinic.members["practitioner"],
        location=clinic.location,
        planned_session=planned[0],
        protocol=protocol,
        started_at=timezone.now() - dt.timedelta(hours=20),
        signed_at=timezone.now() - dt.timedelta(hours=19),
        signed_by=clinic.user("practitioner"),
        created_by=clinic.user("practitioner"),
    )
    start = timezone.now() + dt.timedelta(days=12)
    Appointment.objects.create(
        organization=clinic.org,
        location=clinic.location,
        practitioner=clinic.members["practitioner"],
        room=clinic.room,
        patient=patient,
        start=start,
        end=start + dt.timedelta(minutes=45),
        plan=plan,
        course_index=2,
        created_by=clinic.user("reception"),
    )
    ensure_account(patient)
    return patient


def test_a_patient_signs_in_by_email_link_signs_a_consent_and_reports_a_side_effect(
    e2e: Any, clinic: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    mail.outbox.clear()
    with transaction.atomic():  # appointment signals write to the outbox in the transaction
        patient = make_patient_with_a_course(clinic)

    phone = e2e.page(PHONE, is_mobile=True, has_touch=True)
    e2e.step("sign-in page", lambda: phone.goto("/p/sign-in"))
    assert e2e.axe(phone) == []
    phone.get_by_label("Email").fill("anna@example.org")
    e2e.step("ask for a link", lambda: phone.get_by_role("button", name="Continue").click())
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = mail.outbox
    match = LINK.search(message.body)
    assert match, message.body
    e2e.step("open the link", lambda: phone.goto(match.group(1)))
    e2e.step("sign in", lambda: phone.get_by_role("button", name="Sign in").click())
    expect(phone.get_by_role("heading", level=1)).to_have_text("Anna Bianchi")
    course = phone.locator("#course")
    expect(course).to_contain_text("1 of 4 sessions done")
    expect(course).to_contain_text("3 remaining (1 booked)")
    expect(phone.locator("#appointments")).to_contain_text("session 2")
    assert e2e.axe(phone) == []
    e2e.screenshot(phone, "portal-account-home-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"the page scrolls sideways on a phone ({width}px)"

    # Sign the treatment consent with a drawn signature.
    e2e.step(
        "consent page",
        lambda: phone.get_by_role("link", name="Sign: Treatment").click(),
    )
    # The page, its styles and the signature script are in place before the pen moves (a
    # layout shift under load would put the strokes beside the box).
    phone.wait_for_load_state("load")
    pad = phone.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    phone.mouse.move(box["x"] + 20, box["y"] + 100)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 20 + step * 25, box["y"] + 100 - (step % 3) * 30)
    phone.mouse.up()
    expect(phone.locator("#id_signature")).not_to_have_value("")
    phone.get_by_label("I have read and agree to this consent").check()
    assert e2e.axe(phone) == []
    e2e.screenshot(phone, "portal-consent-phone")
    e2e.step("sign", lambda: phone.get_by_role("button", name="Sign", exact=True).click())
    expect(phone.locator("#consents")).to_contain_text("Treatment v2026-1")
    consent = Consent.objects.get(patient=patient, kind="treatment")
    assert consent.signature.startswith("data:image/png;base64,")
    assert consent.signed_by == "Anna Bianchi"

    # Report a side effect of yesterday's session: the graded check-in form.
    e2e.step(
        "report a side effect",
        lambda: phone.locator("#side-effects").get_by_role("link").first.click(),
    )
    expect(phone.get_by_role("heading", name="How is the treated area?")).to_be_visible()
    phone.get_by_role("group", name=re.compile("^Pain now")).get_by_label("2", exact=True).check()
    phone.get_by_role("group", name="Bruising").get_by_label("Moderate").check()
    # Not a measured step: the check-in post's budget (17, tests/e2e/conftest.py) is measured
    # without a session; signed in, the session row adds a read and a write (19 measured).
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", level=1)).not_to_have_text("How is the treated area?")
    bruise = SideEffect.objects.get(session__patient=patient, kind="bruising")
    assert bruise.grade == 2 and bruise.source == "patient"
