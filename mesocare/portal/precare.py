"""Pre-care answers: every instruction is answered, either done or "I could not follow this"
(with an optional note), and staff see each answer; a "could not follow" is a warning to the
practitioner at check-in (issue 18, bug 7).

The answer keeps each instruction's text as the patient read it (`PreCareConfirmation.answers`),
since an instruction set may change later. The portal's signed-link form and the portal's own
page both record through `record_answers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mesocare.catalog.models import InstructionSet
from mesocare.errors import Conflict, Invalid
from mesocare.notify.schedules import instructions_payload, plan_of
from mesocare.portal.choices import PreCareAnswer
from mesocare.portal.models import PreCareConfirmation

NOTE_MAX = 500


@dataclass(frozen=True)
class PreCareItem:
    code: str
    text: str
    answer: str = ""
    note: str = ""

    @property
    def done(self) -> bool:
        return self.answer == PreCareAnswer.DONE

    @property
    def not_followed(self) -> bool:
        return self.answer == PreCareAnswer.NOT_FOLLOWED

    @property
    def answer_label(self) -> str:
        return str(PreCareAnswer(self.answer).label) if self.answer else _("Not answered")


@dataclass(frozen=True)
class PreCareStatus:
    items: list[PreCareItem] = field(default_factory=list)
    responded: bool = False

    @property
    def not_followed(self) -> list[PreCareItem]:
        return [i for i in self.items if i.not_followed]

    @property
    def unanswered(self) -> list[PreCareItem]:
        return [i for i in self.items if not i.answer]

    @property
    def missing(self) -> list[PreCareItem]:
        """Every item not answered "done"."""
        return [i for i in self.items if not i.done]

    @property
    def confirmed(self) -> list[str]:
        return [i.code for i in self.items if i.done]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def warning(self) -> str | None:
        if not self.items or self.complete:
            return None
        if not self.responded:
            return _("The patient has not answered the pre-care instructions.")
        if self.not_followed:
            n = len(self.not_followed)
            return ngettext(
                "The patient could not follow %(n)d pre-care instruction.",
                "The patient could not follow %(n)d pre-care instructions.",
                n,
            ) % {"n": n}
        n = len(self.unanswered)
        return ngettext(
            "The patient did not answer %(n)d pre-care instruction.",
            "The patient did not answer %(n)d pre-care instructions.",
            n,
        ) % {"n": n}


def precare_items(instruction_set_code: str) -> list[dict[str, Any]]:
    """The instructions of a set as they read now: [{"code", "text", "hours_before"}]."""
    instruction_set = InstructionSet.objects.filter(code=instruction_set_code).first()
    payload = instructions_payload(instruction_set)
    return payload["items"] if payload else []


def stored_items(answer: PreCareConfirmation) -> list[PreCareItem]:
    """The items of a stored answer as the patient read them."""
    if answer.answers:
        return [
            PreCareItem(a["code"], a["text"], a.get("answer", ""), a.get("note", ""))
            for a in answer.answers
        ]
    # A row with no per-item answers: the set's items today, the ticked ones done.
    done = set(answer.items_confirmed)
    return [
        PreCareItem(i["code"], i["text"], PreCareAnswer.DONE if i["code"] in done else "")
        for i in precare_items(answer.instruction_set)
    ]


def precare_status(appointment: Any) -> PreCareStatus:
    """For the calendar panel and check-in: each pre-care instruction of this appointment and
    the patient's answer. `status.warning` is the text to show when something is not done."""
    org_id = appointment.patient.organization_id
    answer = PreCareConfirmation.objects.filter(
        organization_id=org_id, appointment_id=appointment.pk
    ).first()
    if answer is not None:
        return PreCareStatus(stored_items(answer), responded=True)
    plan = plan_of(appointment)
    protocol = plan.protocol if plan is not None else None
    if protocol is None or protocol.pre_care is None:
        return PreCareStatus()
    items = precare_items(protocol.pre_care.code)
    return PreCareStatus([PreCareItem(i["code"], i["text"]) for i in items], responded=False)


def answer_field(code: str) -> str:
    return f"answer_{code}"


def note_field(code: str) -> str:
    return f"note_{code}"


def answers_from_post(items: list[dict[str, Any]], data: Any) -> dict[str, tuple[str, str]]:
    """`{code: (answer, note)}` from a posted form (fields `answer_<code>`, `note_<code>`)."""
    return {
        i["code"]: (
            str(data.get(answer_field(i["code"]), "") or ""),
            str(data.get(note_field(i["code"]), "") or "").strip(),
        )
        for i in items
    }


def validate_answers(
    items: list[dict[str, Any]], answers: Mapping[str, tuple[str, str]]
) -> list[dict[str, str]]:
    """Field errors: every instruction needs an answer; a note is at most NOTE_MAX long."""
    errors = []
    for item in items:
        answer, note = answers.get(item["code"], ("", ""))
        if answer not in PreCareAnswer.values:
            errors.append(
                {
                    "field": answer_field(item["code"]),
                    "message": _("Answer this point: done, or that you could not follow it."),
                }
            )
        if len(note) > NOTE_MAX:
            errors.append(
                {
                    "field": note_field(item["code"]),
                    "message": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX},
                }
            )
    return errors


@transaction.atomic
def record_answers(
    *,
    patient: Any,
    appointment: Any,
    instruction_set: str,
    items: list[dict[str, Any]],
    answers: Mapping[str, tuple[str, str]],
) -> PreCareConfirmation:
    """Store the patient's answer to every instruction (422 naming each unanswered item's
    field; 409 once the appointment has started). Answering again replaces the answer."""
    if appointment.start < timezone.now():
        raise Conflict("too_late", _("This appointment has already started."))
    errors = validate_answers(items, answers)
    if errors:
        raise Invalid(
            "precare_unanswered",
            _("Answer every instruction: done, or that you could not follow it."),
            errors=errors,
        )
    stored = []
    for item in items:
        answer, note = answers[item["code"]]
        stored.append(
            {
                "code": item["code"],
                "text": item["text"],
                "answer": answer,
                "note": note if answer == PreCareAnswer.NOT_FOLLOWED else "",
            }
        )
    row, _created = PreCareConfirmation.objects.update_or_create(
        organization_id=patient.organization_id,
        appointment_id=appointment.pk,
        defaults={
            "patient": patient,
            "instruction_set": instruction_set,
            "items_offered": [i["code"] for i in items],
            "items_confirmed": [a["code"] for a in stored if a["answer"] == PreCareAnswer.DONE],
            "answers": stored,
        },
    )
    return row


def existing_answers(org_id: int, appointment_id: int) -> dict[str, tuple[str, str]]:
    """The stored answer of this appointment as `{code: (answer, note)}` (the form's initial)."""
    row = PreCareConfirmation.objects.filter(
        organization_id=org_id, appointment_id=appointment_id
    ).first()
    if row is None:
        return {}
    return {i.code: (i.answer, i.note) for i in stored_items(row)}


def form_items(
    items: list[dict[str, Any]],
    answers: Mapping[str, tuple[str, str]],
    errors: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """What the portal form shows per instruction: its text, both answers, the note and the
    message next to it when it was left unanswered."""
    errors = errors or {}
    out = []
    for item in items:
        code = item["code"]
        answer, note = answers.get(code, ("", ""))
        out.append(
            {
                "code": code,
                "text": item["text"],
                "answer": answer,
                "note": note,
                "answer_field": answer_field(code),
                "note_field": note_field(code),
                "error": errors.get(answer_field(code), ""),
                "note_error": errors.get(note_field(code), ""),
            }
        )
    return out
