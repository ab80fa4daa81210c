"""Signed links: no login, one form each, expiring, never another patient's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from mesocare.audit.models import AuditEvent
from mesocare.charting.models import SideEffect
from mesocare.notify.links import (
    CheckInLink,
    LinkError,
    PreCareLink,
    RecallLink,
    make_token,
    portal_url,
    read_token,
)
from mesocare.notify.models import Alert
from mesocare.notify.rendering import render_message
from mesocare.outcomes.models import Photo
from mesocare.portal.models import CheckInResponse, PreCareConfirmation
from mesocare.portal.precare import precare_status

pytestmark = pytest.mark.django_db


def checkin_url(clinic, session, patient=None, when="24h"):
    link = CheckInLink(
        organization=clinic.org.pk,
        patient=(patient or session.patient).pk,
        session=session.pk,
        when=when,
    )
    return reverse("portal:checkin", args=[make_token(link)])


def precare_url(clinic, appointment, patient=None):
    link = PreCareLink(
        organization=clinic.org.pk,
        patient=(patient or appointment.patient).pk,
        appointment=appointment.pk,
        instruction_set="pre_care_general",
    )
    return reverse("portal:precare", args=[make_token(link)])


ANSWERS = {
    "pain_vas": "2",
    "bruising": "mild",
    "swelling": "none",
    "redness": "none",
    "notes": "",
}


CHECK_IN = CheckInLink(organization=1, patient=2, session=3, when="24h")


def test_a_token_is_bound_to_its_purpose():
    token = make_token(CHECK_IN)
    assert read_token("checkin", token) == CHECK_IN
    assert read_token(CheckInLink, token).session == 3
    with pytest.raises(LinkError) as exc:
        read_token("precare", token)
    assert exc.value.reason == "invalid"
    with pytest.raises(LinkError):
        read_token("checkin", token[:-2] + "xx")


def test_a_token_expires(settings, monkeypatch):
    token = make_token(CHECK_IN)
    later = timezone.now().timestamp() + dt.timedelta(days=15).total_seconds()
    monkeypatch.setattr("time.time", lambda: later)
    with pytest.raises(LinkError) as exc:
        read_token("checkin", token)
    assert exc.value.reason == "expired"


def _legacy_token(purpose, data):
    """A token as links were signed before their payloads were typed: one-letter keys."""
    return signing.TimestampSigner(salt=f"mesocare.portal.{purpose}").sign_object(
        data, compress=True
    )


def test_tokens_signed_in_the_old_one_letter_format_still_open():
    token = _legacy_token("checkin", {"o": 1, "p": 2, "s": 3, "k": "24h"})
    assert read_token("checkin", token) == CHECK_IN
    token = _legacy_token("precare", {"o": 1, "p": 2, "a": 4, "s": "pre_care_general"})
    assert read_token(PreCareLink, token) == PreCareLink(
        organization=1, patient=2, appointment=4, instruction_set="pre_care_general"
    )
    token = _legacy_token("recall", {"o": 1, "p": 2, "pl": 5})
    assert read_token(RecallLink, token) == RecallLink(organization=1, patient=2, plan=5)


def test_an_old_format_token_keeps_its_old_life(monkeypatch):
    token = _legacy_token("checkin", {"o": 1, "p": 2, "s": 3, "k": "24h"})
    later = timezone.now().timestamp() + dt.timedelta(days=15).total_seconds()
    monkeypatch.setattr("time.time", lambda: later)
    with pytest.raises(LinkError) as exc:
        read_token("checkin", token)
    assert exc.value.reason == "expired"


@pytest.mark.parametrize(
    "values",
    [{"p": 1}, [1, 2, 3], [1, 2, "three", "24h"], [1, 2, None, "24h"], "text", [1, 2, True, "x"]],
)
def test_a_signed_token_with_a_malformed_payload_is_invalid(values):
    with pytest.raises(LinkError) as exc:
        read_token("checkin", _legacy_token("checkin", values))
    assert exc.value.reason == "invalid"


def test_an_old_format_link_opens_its_check_in_form(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    data = {"o": clinic.org.pk, "p": session.patient.pk, "s": session.pk, "k": "72h"}
    response = Client().get(reverse("portal:checkin", args=[_legacy_token("checkin", data)]))
    assert response.status_code == 200
    response = Client().post(
        reverse("portal:checkin", args=[_legacy_token("checkin", data)]), ANSWERS
    )
    assert CheckInResponse.objects.get().when == "72h"


def test_a_message_stored_with_an_old_format_link_renders_a_link_that_opens(clinic, make):
    from mesocare.notify.models import OutboxMessage

    session = make.session(plan=make.plan(), signed_at=timezone.now())
    legacy = {"o": clinic.org.pk, "p": session.patient.pk, "s": session.pk, "k": "24h"}
    message = OutboxMessage.objects.create(  # stored as messages were before typed links
        organization=clinic.org,
        patient=session.patient,
        kind="check_in_24h",
        channel="email",
        template="check_in",
        payload={
            "clinic": "Clinic alpha",
            "patient_name": "Giulia",
            "links": [{"name": "checkin_url", "purpose": "checkin", "data": legacy}],
        },
        due_at=timezone.now(),
        idempotency_key="old-link",
    )
    text = render_message(message).text
    path = text[text.index("/p/") :].split()[0]
    assert Client().get(path).status_code == 200


def test_an_expired_link_shows_a_gone_page(clinic, make, monkeypatch):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    url = checkin_url(clinic, session)
    later = timezone.now().timestamp() + dt.timedelta(days=15).total_seconds()
    monkeypatch.setattr("time.time", lambda: later)
    response = Client().get(url)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert b"Giulia" not in response.content


def test_a_link_cannot_open_another_patients_session(clinic, make):
    other = make.patient(given_name="Other")
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    # A genuinely signed token naming patient B and patient A's session:
    response = Client().get(checkin_url(clinic, session, patient=other))
    assert response.status_code == 404
    response = Client().post(checkin_url(clinic, session, patient=other), ANSWERS)
    assert response.status_code == 404
    assert not CheckInResponse.objects.exists()


def test_a_link_of_another_organization_does_not_open(clinic, other_clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    link = CheckInLink(
        organization=other_clinic.org.pk, patient=session.patient.pk, session=session.pk, when="24h"
    )
    response = Client().get(reverse("portal:checkin", args=[make_token(link)]))
    assert response.status_code == 404


def test_the_check_in_page_needs_no_login_and_reveals_only_its_form(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    response = Client().get(checkin_url(clinic, session))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="pain_vas"' in body and 'name="fever"' in body
    assert "Rossi" not in body and "practitioner" not in body
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"  # never to another site
    assert "<script" not in body


def test_a_mild_check_in_records_patient_side_effects_without_alert(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    response = Client().post(checkin_url(clinic, session), ANSWERS)
    assert response.status_code == 200
    effects = SideEffect.objects.filter(session=session).order_by("kind")
    assert [(e.kind, e.grade, e.source) for e in effects] == [
        ("bruising", 1, "patient"),
        ("pain", 1, "patient"),
    ]
    assert all(e.recorded_after_signing for e in effects)
    audited = AuditEvent.objects.filter(object_type="charting.sideeffect", action="create")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(e.pk) for e in effects)
    assert {(a.actor_label, a.channel, a.patient_id) for a in audited} == {
        ("patient", "portal", session.patient_id)
    }
    assert not Alert.objects.exists()
    # The same link cannot be answered twice.
    again = Client().post(checkin_url(clinic, session), {**ANSWERS, "pain_vas": "9"})
    assert b"already answered" in again.content
    assert CheckInResponse.objects.count() == 1


def test_an_infection_sign_alerts_the_practitioner_at_once(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    response = Client().post(
        checkin_url(clinic, session, when="72h"), {**ANSWERS, "fever": "on", "warmth": "on"}
    )
    assert response.status_code == 200
    assert b"clinic has been alerted" in response.content
    alert = Alert.objects.get()
    assert alert.kind == "check_in" and alert.severity == "critical"
    assert alert.patient_id == session.patient_id and alert.organization_id == clinic.org.pk
    assert "Sign of infection grade 3" in alert.message
    assert CheckInResponse.objects.get().alert_id == alert.pk


def test_a_check_in_photo_is_stored_privately_and_cleaned(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    buf.seek(0)
    buf.name = "area.jpg"
    response = Client().post(checkin_url(clinic, session), {**ANSWERS, "photo": buf})
    assert response.status_code == 200
    photo = Photo.objects.get()
    assert photo.source == "patient" and photo.session_id == session.pk
    assert CheckInResponse.objects.get().photo_id == photo.pk


def test_a_bad_check_in_form_is_shown_again(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    response = Client().post(checkin_url(clinic, session), {"pain_vas": "12"})
    assert response.status_code == 422
    assert not CheckInResponse.objects.exists()


def test_pre_care_confirmation_and_its_status_at_check_in(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    status = precare_status(appointment)
    assert not status.responded and len(status.items) == 10
    assert "not answered" in status.warning
    url = precare_url(clinic, appointment)
    page = Client().get(url)
    assert page.status_code == 200 and b"answer_no_caffeine" in page.content
    # Ticking two of ten is not an answer (issue 18, bug 7): nothing is stored.
    two = {"answer_no_caffeine": "done", "answer_no_alcohol": "done", "answer_x": "done"}
    assert Client().post(url, two).status_code == 422
    assert not PreCareConfirmation.objects.exists()
    everything = {f"answer_{i.code}": "done" for i in status.items}
    assert Client().post(url, everything).status_code == 200
    assert PreCareConfirmation.objects.get().items_confirmed == [i.code for i in status.items]
    assert precare_status(appointment).complete
    assert precare_status(appointment).warning is None


def test_pre_care_link_of_another_patients_appointment_is_refused(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    other = make.patient()
    assert Client().get(precare_url(clinic, appointment, patient=other)).status_code == 404


def test_recall_link_asks_reception_to_call(clinic, make, settings):
    settings.SITE_URL = "https://clinic.example"
    plan = make.plan()
    url = portal_url(RecallLink(organization=clinic.org.pk, patient=plan.patient_id, plan=plan.pk))
    path = url.removeprefix("https://clinic.example")
    assert Client().get(path).status_code == 200
    Client().post(path)
    Client().post(path)
    alert = Alert.objects.get()
    assert alert.kind == "booking_request"


def test_a_portal_form_post_from_a_browser_passes_the_csrf_origin_check(clinic, make):
    """Regression (browser journey): with `Referrer-Policy: no-referrer` Chromium posts the
    portal's own forms with `Origin: null`, and every submission was refused with a 403."""
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    client = Client(enforce_csrf_checks=True)
    url = checkin_url(clinic, session)
    page = client.get(url)
    assert page["Referrer-Policy"] not in ("no-referrer", "")
    origin = "http://testserver"  # what a same-origin policy lets the browser send
    token = page.cookies["csrftoken"].value
    response = client.post(url, {**ANSWERS, "csrfmiddlewaretoken": token}, HTTP_ORIGIN=origin)
    assert response.status_code == 200
