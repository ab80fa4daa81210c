"""Regression (found by the browser journey): the Book course wizard showed proposed times in
UTC, so a lunchtime course (12:00-14:00 in Rome) read as 11:00."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client


def test_the_wizard_shows_proposed_times_in_the_locations_timezone(sched: Any, plan: Any) -> None:
    client = Client()
    client.force_login(sched.user("reception"))
    r = client.get(
        f"/plans/{plan.pk}/book",
        {
            "location": sched.location.pk,
            "earliest": "2030-03-25",
            "window_start": "12:00",
            "window_end": "14:00",
            "same_practitioner": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    tz = sched.location.tz
    sessions = r.context["proposals"][0]["sessions"]
    shown = re.findall(r"<strong>(\d\d:\d\d)</strong>", r.content.decode())
    assert shown[: len(sessions)] == [f"{s['start'].astimezone(tz):%H:%M}" for s in sessions]
    assert all("12:00" <= t < "14:00" for t in shown)
