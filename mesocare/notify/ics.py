"""The .ics (RFC 5545) attachment of a booking confirmation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from mesocare.notify.models import OutboxMessage


def appointment_ics(message: OutboxMessage) -> bytes:
    payload = message.payload
    cal = Calendar()
    cal.add("prodid", "-//mesocare//notify//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    # One UID per appointment: a moved appointment updates the same calendar entry.
    event.add("uid", f"appointment-{message.appointment_id}@mesocare")
    event.add("sequence", int(payload.get("sequence", 0)))
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", dt.datetime.fromisoformat(payload["starts_at"]))
    event.add("dtend", dt.datetime.fromisoformat(payload["ends_at"]))
    event.add("summary", f"{payload.get('clinic', '')}: {payload.get('title', 'Appointment')}")
    if payload.get("address"):
        event.add("location", f"{payload.get('location', '')}, {payload['address']}")
    cal.add_component(event)
    return bytes(cal.to_ical())
