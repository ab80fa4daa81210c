"""The .ics (RFC 5545) attachment of a booking confirmation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from mesocare.notify.rendering import Renderable


def appointment_ics(message: Renderable) -> bytes:
    """One event per appointment: the confirmation of one appointment, or of a course (its
    payload lists `sessions`, each with its appointment's id and times)."""
    payload = message.payload
    cal = Calendar()
    cal.add("prodid", "-//mesocare//notify//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    sessions = payload.get("sessions") or [
        {
            "appointment": message.appointment_id,
            "starts_at": payload["starts_at"],
            "ends_at": payload["ends_at"],
            "sequence": payload.get("sequence", 0),
            "location": payload.get("location", ""),
            "address": payload.get("address", ""),
        }
    ]
    stamp = dt.datetime.now(dt.UTC)
    for session in sessions:
        event = Event()
        # One UID per appointment: a moved appointment updates the same calendar entry.
        event.add("uid", f"appointment-{session['appointment']}@mesocare")
        event.add("sequence", int(session.get("sequence", 0)))
        event.add("dtstamp", stamp)
        event.add("dtstart", dt.datetime.fromisoformat(session["starts_at"]))
        event.add("dtend", dt.datetime.fromisoformat(session["ends_at"]))
        event.add("summary", f"{payload.get('clinic', '')}: {payload.get('title', 'Appointment')}")
        if session.get("address"):
            event.add("location", f"{session.get('location', '')}, {session['address']}")
        cal.add_component(event)
    return bytes(cal.to_ical())
