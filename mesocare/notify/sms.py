"""SMS: how long a text is (GSM-7 or UCS-2 segments), and the patient's STOP / START keywords.

Length (3GPP TS 23.038 and 23.040): a text that uses only the GSM 03.38 default alphabet and its
extension table is sent in GSM-7: 160 septets in one message, or 153 per part when concatenated
(the user data header takes 7); an extension character (`€ [ ] { } \\ ~ ^ |` and form feed)
costs two septets and is never split across parts. Any other character makes the whole text
UCS-2: 70 UTF-16 code units in one message, 67 per part, and a surrogate pair (most emoji) is
never split either. `sms_length` is a pure function.

Opt-out: an inbound text whose first word is a stop keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL,
END, QUIT, and the Italian STOP/BASTA/ANNULLA) records an opt-out for that number in every
organization that has a patient with it; START/UNSTOP/YES remove it. The outbox never chooses SMS
for an opted-out number, and the provider adapters refuse to send to one (permanently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from mesocare.lib.text import digits_only

log = logging.getLogger(__name__)

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "BASTA", "ANNULLA"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "SI", "SÌ"})


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # the capacity of each part for this text
    characters: int

    @property
    def remaining(self) -> int:
        """Units left in the last segment before another one is needed."""
        return self.segments * self.per_segment - self.units if self.segments else self.per_segment


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _unit_costs(text: str) -> tuple[str, list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(costs: list[int], capacity: int) -> int:
    """Parts needed when no character (escape pair, surrogate pair) may be split."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts += 1
            used = 0
        used += cost
    return parts


def sms_length(text: str) -> SmsLength:
    """The encoding, size and number of segments of an SMS text."""
    encoding, costs = _unit_costs(text)
    units = sum(costs)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    if units == 0:
        return SmsLength(encoding, 0, 0, single, 0)
    if units <= single:
        return SmsLength(encoding, units, 1, single, len(text))
    return SmsLength(encoding, units, _pack(costs, part), part, len(text))


# --- STOP / START ----------------------------------------------------------------------------


def keyword_of(body: str) -> str | None:
    """ "stop" or "start" when the text's first word is one of the keywords, else None."""
    words = body.strip().split()
    first = words[0].strip(".!").upper() if words else ""
    if first in STOP_WORDS:
        return "stop"
    if first in START_WORDS:
        return "start"
    return None


def is_opted_out(org_id: int | None, phone: str) -> bool:
    from mesocare.notify.models import SmsOptOut

    digits = digits_only(phone)
    if not digits:
        return False
    rows = SmsOptOut.objects.filter(phone_digits=digits)
    if org_id is not None:
        rows = rows.filter(organization_id=org_id)
    return rows.exists()


@transaction.atomic
def handle_inbound(from_phone: str, body: str, *, provider: str) -> str | None:
    """Apply a STOP or START keyword from `from_phone`. Returns the keyword applied, if any."""
    from mesocare.audit.choices import AuditAction
    from mesocare.audit.services import record_without_user
    from mesocare.notify.models import SmsOptOut
    from mesocare.patients.models import Patient

    keyword = keyword_of(body)
    digits = digits_only(from_phone)
    if keyword is None or not digits:
        return None
    patients = list(
        Patient.objects.filter(phone_digits=digits).values_list("organization_id", "pk")
    )
    for org_id, patient_id in patients:
        if keyword == "stop":
            _row, created = SmsOptOut.objects.get_or_create(
                organization_id=org_id,
                phone_digits=digits,
                defaults={"keyword": body.strip()[:32], "provider": provider},
            )
            changed = created
        else:
            changed = bool(
                SmsOptOut.objects.filter(organization_id=org_id, phone_digits=digits).delete()[0]
            )
        if changed:
            record_without_user(
                org_id,
                AuditAction.UPDATE,
                "patients.patient",
                str(patient_id),
                label=f"sms:{provider}",
                channel="sms",
                patient_id=patient_id,
                summary=f"SMS {'opt-out' if keyword == 'stop' else 'opt-in'} by inbound text",
                changes={"sms_opt_out": keyword == "stop"},
            )
    log.info("inbound SMS keyword %s for %d patient record(s)", keyword, len(patients))
    return keyword
