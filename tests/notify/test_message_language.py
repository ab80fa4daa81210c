"""Messages are written in the patient's language of messages, else the clinic's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from mesocare.notify.rendering import render_message
from mesocare.notify.schedules import schedule_booking_messages

pytestmark = pytest.mark.django_db


def _reminder(make, language: str):
    patient = make.patient(language=language, email=f"{language or 'x'}@example.org")
    start = timezone.now() + dt.timedelta(days=10)
    with transaction.atomic():
        appointment = make.appointment(patient=patient, start=start)
        messages = {m.kind: m for m in schedule_booking_messages(appointment)}
    return messages["reminder"]


def test_an_italian_patient_gets_italian_messages_in_an_english_clinic(clinic, make):
    rendered = render_message(_reminder(make, "it"))
    assert rendered.subject.startswith("Promemoria: il Suo appuntamento di domani")
    assert "promemoria del Suo appuntamento" in rendered.sms


def test_an_english_patient_gets_english_messages_in_an_italian_clinic(clinic, make):
    with override_settings(LANGUAGE_CODE="it"):
        rendered = render_message(_reminder(make, "en"))
    assert rendered.subject.startswith("Reminder: your appointment tomorrow")


def test_no_language_means_the_clinic_language(clinic, make):
    message = _reminder(make, "")
    with override_settings(LANGUAGE_CODE="it"):
        assert render_message(message).subject.startswith("Promemoria")
    assert render_message(message).subject.startswith("Reminder")


def test_the_language_is_read_when_the_message_is_sent(clinic, make):
    """A patient who changes language gets the pending messages in the new one."""
    message = _reminder(make, "en")
    message.patient.language = "it"
    message.patient.save(update_fields=["language"])
    message.refresh_from_db()
    assert render_message(message).subject.startswith("Promemoria")


def test_the_languages_of_messages_are_the_sites_languages() -> None:
    from django.conf import settings

    from mesocare.patients.choices import Language

    assert Language.values == [code for code, _name in settings.LANGUAGES]
