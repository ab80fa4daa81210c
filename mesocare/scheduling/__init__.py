"""Appointments, course booking, availability and iCalendar feeds (uses core.scheduling)."""
