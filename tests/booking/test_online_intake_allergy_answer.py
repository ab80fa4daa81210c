"""The online intake asks whether the patient has allergies: "No, none that I know of" is
recorded as patient-reported no known allergies; "Yes" needs the list; no answer is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.booking.services.intake import IntakeAnswers, Visitor, book_consultation
from mesocare.booking.services.slots import find_slots, place_hold
from mesocare.booking.web.forms import DetailsForm
from mesocare.patients.models import Patient


def _book(online: Any, email: str, answers: IntakeAnswers) -> Any:
    slots = find_slots(online.org.pk, online.service, online.location, online.monday, online.monday)
    slot = slots[Patient.objects.filter(email__endswith="@example.com").count() * 4]
    _hold, raw = place_hold(
        online.org.pk,
        online.service,
        online.location,
        slot.practitioner_id,
        slot.room_id,
        slot.start,
    )
    visitor = Visitor("Anna", "Bianchi", dt.date(1984, 2, 3), "female", email)
    return book_consultation(online.org, raw, visitor, answers)


def test_none_known_is_recorded_as_patient_reported_nka(online: Any) -> None:
    _book(online, "nka@example.com", IntakeAnswers(no_known_allergies=True))
    patient = Patient.objects.get(email="nka@example.com")
    assert patient.allergy_status == "no_known_allergies"
    assert patient.allergy_status_patient_reported is True
    assert patient.allergy_status_at is not None


def test_listed_allergies_are_patient_reported_and_no_answer_stays_not_asked(
    online: Any,
) -> None:
    _book(online, "listed@example.com", IntakeAnswers(allergies=["nickel"]))
    listed = Patient.objects.get(email="listed@example.com")
    assert listed.allergy_status == "has_allergies"
    assert listed.allergy_status_patient_reported is True
    _book(online, "silent@example.com", IntakeAnswers())
    assert Patient.objects.get(email="silent@example.com").allergy_status == "unknown"


def test_the_form_requires_an_answer_and_a_list_with_yes() -> None:
    base = {"allergies": ""}
    form = DetailsForm(data={**base, "allergy_answer": ""})
    form.is_valid()
    assert "allergy_answer" in form.errors
    form = DetailsForm(data={**base, "allergy_answer": "yes"})
    form.is_valid()
    assert form.errors["allergies"] == ["List your allergies, one per line."]
    form = DetailsForm(data={"allergy_answer": "no", "allergies": "latex"})
    form.is_valid()
    assert form.errors["allergy_answer"] == ["You listed allergies: answer yes."]
