"""Turn an outbox row into subject, text, HTML, SMS text and attachments.

Rendering happens at send time from the stored payload, so a corrected template applies to
messages still waiting, and portal links are signed when sent (their lifetime starts then).
Templates: `notify/<template>.subject.txt`, `.txt`, `.html`, `.sms.txt`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.utils import translation

from mesocare.lib.local_time import format_pattern
from mesocare.notify.ics import appointment_ics
from mesocare.notify.links import stored_link_url


class Speaker(Protocol):
    @property
    def language(self) -> str: ...


class Renderable(Protocol):
    """What rendering reads of a message: an `OutboxMessage`, or a row the worker claimed."""

    @property
    def kind(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def payload(self) -> Any: ...
    @property
    def timezone(self) -> str: ...
    @property
    def appointment_id(self) -> int | None: ...
    @property
    def patient_id(self) -> int | None: ...
    @property
    def patient(self) -> Speaker | None: ...


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


def message_context(message: Renderable) -> dict[str, Any]:
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


def message_language(message: Renderable) -> str:
    """The patient's language of messages, read at send time; else the clinic's."""
    patient = message.patient if message.patient_id is not None else None
    return (patient.language if patient is not None else "") or settings.LANGUAGE_CODE


class Renderer:
    """Renders messages in the active language, looking each template up once: the worker
    keeps one for a batch, which renders the same few templates again and again."""

    def __init__(self) -> None:
        self.engine = Engine.get_default()
        self.templates: dict[str, Template] = {}

    def text(self, name: str, context: Context) -> str:
        """A plain-text template rendered as text: no HTML escaping ("St John's wort", not
        "St John&#x27;s wort"); subject, body and SMS are not HTML."""
        template = self.templates.get(name)
        if template is None:
            template = self.templates[name] = self.engine.get_template(name)
        return template.render(context)

    def render(self, message: Renderable, channel: str | None = None) -> Rendered:
        """Every part of the message; with `channel`, only the parts that channel sends (an
        SMS needs its subject and SMS text, an email everything but the SMS text): the worker
        renders no template it will not send."""
        base = f"notify/{message.template}"
        email = channel in (None, "email")
        sms = channel in (None, "sms")
        values = message_context(message)
        context = Context(values, autoescape=False)
        subject = " ".join(self.text(f"{base}.subject.txt", context).split())
        text = self.text(f"{base}.txt", context).strip() + "\n" if email else ""
        html = render_to_string(f"{base}.html", values) if email else ""
        sms_text = " ".join(self.text(f"{base}.sms.txt", context).split()) if sms else ""
        attachments = []
        if email and message.payload.get("ics"):
            attachments.append(("appointment.ics", appointment_ics(message), "text/calendar"))
        return Rendered(subject, text, html, sms_text, attachments)


def render_message(message: Renderable, *, channel: str | None = None) -> Rendered:
    """The message's parts (all of them, or `channel`'s: `Renderer.render`) in its patient's
    language."""
    with translation.override(message_language(message)):
        return Renderer().render(message, channel)
