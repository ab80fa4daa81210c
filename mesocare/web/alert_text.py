"""Patient alerts in the reader's language.

An alert's `message` is written once, in the language of the request that raised it (often the
patient's portal, often English). The staff dashboard shows it again in the member's language
from what the alert is about: a check-in's findings (side effect, grade and the answers behind
it) and a recall's booking request. Other alerts show their stored message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from mesocare.notify.choices import AlertKind
from mesocare.notify.models import Alert
from mesocare.web.labels import side_effect_name

# The fixed phrases `mesocare.portal.grading` gives as a finding's reason.
REASONS = {
    "warmth": pgettext_lazy("check-in finding", "warmth"),
    "pus or discharge": pgettext_lazy("check-in finding", "pus or discharge"),
    "fever": pgettext_lazy("check-in finding", "fever"),
    "lumps under the skin": pgettext_lazy("check-in finding", "lumps under the skin"),
    "skin white, grey or mottled": pgettext_lazy("check-in finding", "skin white, grey or mottled"),
}
ANSWERS = {
    "bruising": pgettext_lazy("check-in finding", "bruising"),
    "swelling": pgettext_lazy("check-in finding", "swelling"),
    "redness": pgettext_lazy("check-in finding", "redness"),
}
LEVELS = {
    "mild": pgettext_lazy("check-in level", "mild"),
    "moderate": pgettext_lazy("check-in level", "moderate"),
    "severe": pgettext_lazy("check-in level", "severe"),
}
PAIN = re.compile(r"^pain (\d+)/10$")


def finding_reason(reason: str) -> str:
    """ "pain 7/10" → "dolore 7/10", "swelling: moderate" → "gonfiore: moderato"…; a reason
    this does not know is shown as it was stored."""
    if reason in REASONS:
        return str(REASONS[reason])
    pain = PAIN.match(reason)
    if pain:
        return _("pain %(vas)s/10") % {"vas": pain[1]}
    answer, _sep, level = reason.partition(": ")
    if answer in ANSWERS and level in LEVELS:
        return f"{ANSWERS[answer]}: {LEVELS[level]}"
    parts = reason.split(", ")
    if all(part in REASONS for part in parts):
        return ", ".join(str(REASONS[part]) for part in parts)
    return reason


def check_in_text(patient: str, findings: Iterable[dict[str, Any]]) -> str:
    summary = "; ".join(
        _("%(kind)s grade %(grade)s (%(reason)s)")
        % {
            "kind": side_effect_name(str(f.get("kind", ""))),
            "grade": f.get("grade"),
            "reason": finding_reason(str(f.get("reason", ""))),
        }
        for f in findings
    )
    return _("%(patient)s reported after the session: %(summary)s") % {
        "patient": patient,
        "summary": summary,
    }


def alert_texts(org_id: int, alerts: list[Alert]) -> list[tuple[Alert, str]]:
    """Each alert with the text to show (one query for the check-ins behind them)."""
    from mesocare.portal.models import CheckInResponse

    check_in_ids = [a.pk for a in alerts if a.kind == AlertKind.CHECK_IN]
    findings = (
        dict(
            CheckInResponse.objects.for_org(org_id)
            .filter(alert_id__in=check_in_ids)
            .values_list("alert_id", "findings")
        )
        if check_in_ids
        else {}
    )
    shown = []
    for alert in alerts:
        patient = alert.patient.full_name if alert.patient is not None else ""
        text = alert.message
        if alert.kind == AlertKind.CHECK_IN and findings.get(alert.pk) and patient:
            text = check_in_text(patient, findings[alert.pk])
        elif alert.kind == AlertKind.BOOKING_REQUEST and "plan" in alert.details and patient:
            text = _("%(patient)s asks for a maintenance appointment.") % {"patient": patient}
        shown.append((alert, text))
    return shown
