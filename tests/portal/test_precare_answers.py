"""Pre-care: every instruction answered, done or "I could not follow this" with a note; the
form refuses a submission with items left blank (message next to each), staff see each answer
and a "could not follow" warns at check-in; the text is kept as the patient read it
(issue 18, bug 7)."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client

from mesocare.catalog.models import InstructionSet
from mesocare.errors import Invalid
from mesocare.notify.rendering import render_message
from mesocare.notify.schedules import schedule_booking_messages
from mesocare.portal.models import PreCareConfirmation
from mesocare.portal.precare import precare_items, precare_status, record_answers

pytestmark = pytest.mark.django_db
SET = "pre_care_general"


def precare_url(clinic, appointment):
    """The pre-care link of the appointment's reminder, as the patient gets it."""
    with transaction.atomic():
        messages = schedule_booking_messages(appointment)
    reminder = next(m for m in messages if m.kind == "reminder")
    found = re.search(r"/p/pre-care/[^\s\"<>]+", render_message(reminder).text)
    assert found, "no pre-care link in the reminder"
    return found.group(0)


def all_done(items, **overrides):
    data = {f"answer_{i['code']}": "done" for i in items}
    data.update(overrides)
    return data


def test_a_form_with_nothing_ticked_is_refused_with_a_message_next_to_each_item(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    r = Client().post(precare_url(clinic, appointment), {})
    html = r.content.decode()
    assert r.status_code == 422
    assert not PreCareConfirmation.objects.exists()
    assert html.count("Answer this point: done, or that you could not follow it.") == len(items)
    assert f'id="answer_{items[0]["code"]}_error"' in html
    status = precare_status(appointment)
    assert not status.responded and "has not answered" in status.warning


def test_one_item_left_blank_is_refused_and_the_other_answers_stay_on_the_form(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    data = all_done(items)
    blank = items[3]["code"]
    del data[f"answer_{blank}"]
    r = Client().post(precare_url(clinic, appointment), data)
    html = r.content.decode()
    assert r.status_code == 422
    assert html.count("Answer this point: done, or that you could not follow it.") == 1
    assert f'id="answer_{blank}_error"' in html
    assert html.count('value="done" checked') == len(items) - 1
    assert not PreCareConfirmation.objects.exists()


def test_could_not_follow_with_a_note_is_stored_and_warns_the_practitioner(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    code = items[0]["code"]
    data = all_done(
        items, **{f"answer_{code}": "not_followed", f"note_{code}": "Needed ibuprofen for a tooth"}
    )
    r = Client().post(precare_url(clinic, appointment), data)
    assert r.status_code == 200, r.content.decode()[:500]
    answer = PreCareConfirmation.objects.get()
    assert answer.answers[0] == {
        "code": code,
        "text": items[0]["text"],
        "answer": "not_followed",
        "note": "Needed ibuprofen for a tooth",
    }
    assert len(answer.items_confirmed) == len(items) - 1
    status = precare_status(appointment)
    assert status.responded and not status.complete
    assert [i.code for i in status.not_followed] == [code]
    assert "could not follow 1 pre-care instruction" in status.warning


def test_everything_done_is_complete(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    assert Client().post(precare_url(clinic, appointment), all_done(items)).status_code == 200
    status = precare_status(appointment)
    assert status.complete and status.warning is None
    assert all(i.done for i in status.items)


def test_the_instruction_text_is_kept_as_the_patient_read_it(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    record_answers(
        patient=appointment.patient,
        appointment=appointment,
        instruction_set=SET,
        items=items,
        answers={i["code"]: ("done", "") for i in items},
    )
    instruction_set = InstructionSet.objects.get(code=SET)
    changed = [dict(i) for i in instruction_set.items]
    changed[0]["text"] = "A new wording written later."
    InstructionSet.objects.filter(pk=instruction_set.pk).update(items=changed)
    status = precare_status(appointment)
    assert status.items[0].text == items[0]["text"]


def test_an_unknown_answer_is_refused_by_the_service(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    answers = {i["code"]: ("done", "") for i in items}
    answers[items[1]["code"]] = ("maybe", "")
    with pytest.raises(Invalid) as caught:
        record_answers(
            patient=appointment.patient,
            appointment=appointment,
            instruction_set=SET,
            items=items,
            answers=answers,
        )
    assert [e["field"] for e in caught.value.errors] == [f"answer_{items[1]['code']}"]


def test_the_calendar_panel_shows_each_answer_and_the_warning(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    items = precare_items(SET)
    code = items[2]["code"]
    Client().post(
        precare_url(clinic, appointment),
        all_done(items, **{f"answer_{code}": "not_followed", f"note_{code}": "Forgot"}),
    )
    staff = Client()
    staff.force_login(clinic.user("practitioner"))
    html = staff.get(f"/appointments/{appointment.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "The patient could not follow 1 pre-care instruction." in html
    assert "Could not follow" in html and "Forgot" in html
    assert html.count('class="badge ok">Done') == len(items) - 1
    # Still shown once the patient is checked in: the practitioner reads it before treating.
    type(appointment).objects.filter(pk=appointment.pk).update(status="checked_in")
    html = staff.get(f"/appointments/{appointment.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "The patient could not follow 1 pre-care instruction." in html
