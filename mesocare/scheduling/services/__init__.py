"""Scheduling services, one module per business process:

- `calendars`: engine calendars (working/opening hours, rooms, blocks, appointments) and free slots;
- `booking`: the conflict check and the guarded insert that every booking path goes through;
- `courses`: course proposals, all-or-nothing course booking, re-planning the rest of a course;
- `appointments`: single appointments (book, move, cancel, no-show, check-in, complete);
- `blocks`: time off of practitioners and rooms (the scheduler honours it everywhere);
- `waitlist`: waiters and the offer of a freed slot;
- `feeds`: iCalendar feeds per practitioner and per patient;
- `hooks`: the seams to the safety and notification domains.
"""
