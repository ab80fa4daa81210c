"""Turn an outbox row into subject, text, HTML, SMS text and attachments.

Rendering happens at send time from the stored payload, so a corrected template applies to
messages still waiting, and portal links are signed when sent (their lifetime starts then).
Templates: `notify/<template>.subject.txt`, `.txt`, `.html`, `.sms.txt`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation

from mesocare.lib.local_time import format_pattern
from mesocare.notify.ics import appointment_ics
from mesocare.notify.links import stored_link_url

if TYPE_CHECKING:
    from mesocare.notify.models import OutboxMessage


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    sms: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def _parse(value: Any, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value)).astimezone(tz)


def message_context(message: OutboxMessage) -> dict[str, Any]:
    payload = dict(message.payload)
    tz = zoneinfo.ZoneInfo(message.timezone or "UTC")
    context: dict[str, Any] = {
        **payload,
        "kind": message.kind,
        "starts_at_local": _parse(payload.get("starts_at"), tz),
        "ends_at_local": _parse(payload.get("ends_at"), tz),
        "tz": tz,
        "site_url": settings.SITE_URL,
    }
    context["when"] = (
        format_pattern(context["starts_at_local"], tz, "l j F Y, H:i")
        if context["starts_at_local"]
        else ""
    )
    context["sessions"] = [
        {
            **session,
            "when": format_pattern(
                dt.datetime.fromisoformat(session["starts_at"]),
                session.get("timezone") or tz,
                "l j F Y, H:i",
            ),
            "short": format_pattern(
                dt.datetime.fromisoformat(session["starts_at"]),
                session.get("timezone") or tz,
                "j/n H:i",
            ),
        }
        for session in payload.get("sessions", [])
    ]
    for link in payload.get("links", []):
        context[link["name"]] = stored_link_url(link["purpose"], link["data"])
    return context


def render_text(name: str, context: dict[str, Any]) -> str:
    """A plain-text template rendered as text: no HTML escaping ("St John's wort", not
    "St John&#x27;s wort"); subject, body and SMS are not HTML."""
    return Engine.get_default().get_template(name).render(Context(context, autoescape=False))


def message_language(message: OutboxMessage) -> str:
    """The patient's language of messages, read at send time; else the clinic's."""
    language = message.patient.language if message.patient_id is not None else ""
    return language or settings.LANGUAGE_CODE


def render_message(message: OutboxMessage, *, channel: str | None = None) -> Rendered:
    """Every part of the message; with `channel`, only the parts that channel sends (an SMS
    needs its subject and SMS text, an email everything but the SMS text): the worker renders
    no template it will not send."""
    base = f"notify/{message.template}"
    email = channel in (None, "email")
    sms = channel in (None, "sms")
    with translation.override(message_language(message)):
        context = message_context(message)
        subject = " ".join(render_text(f"{base}.subject.txt", context).split())
        text = render_text(f"{base}.txt", context).strip() + "\n" if email else ""
        html = render_to_string(f"{base}.html", context) if email else ""
        sms_text = " ".join(render_text(f"{base}.sms.txt", context).split()) if sms else ""
    attachments = []
    if email and message.payload.get("ics"):
        attachments.append(("appointment.ics", appointment_ics(message), "text/calendar"))
    return Rendered(subject, text, html, sms_text, attachments)
