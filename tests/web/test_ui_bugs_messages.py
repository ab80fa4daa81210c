"""Issue 18, bug 5: plain-text messages are text, not HTML-escaped, and the time sits in the
sentence ("09:00 CET, Milano Centro", not "09:00\\n, Milano Centro"). Service test: messages are
rendered by the worker, not in a browser."""

from __future__ import annotations

import re

import pytest

from mesocare.notify.models import OutboxMessage
from mesocare.notify.rendering import render_message


def message(template: str) -> OutboxMessage:
    return OutboxMessage(
        kind=template,
        channel="email",
        template=template,
        timezone="Europe/Rome",
        payload={
            "patient_name": "Anna D'Angelo",
            "clinic": "Clinica St John's",
            "location": "Milano Centro",
            "address": "Via Dante 1",
            "phone": "+39 02 1234",
            "starts_at": "2026-01-12T08:00:00+00:00",
            "ends_at": "2026-01-12T08:45:00+00:00",
            "instructions": {
                "name": "Before your session",
                "items": [{"text": "Stop St John's wort & fish oil <7 days>"}],
            },
        },
    )


@pytest.mark.parametrize("template", ["booking_confirmation", "pre_care", "reminder"])
def test_text_and_sms_bodies_carry_no_html_entities(template: str) -> None:
    rendered = render_message(message(template))
    for body in (rendered.subject, rendered.text, rendered.sms):
        assert "&#x27;" not in body and "&amp;" not in body and "&lt;" not in body
        assert not re.search(r"&#?\w+;", body), body
    assert "Stop St John's wort & fish oil <7 days>" in rendered.text
    assert "Anna D'Angelo" in rendered.text
    # the HTML body is still escaped
    assert "&lt;7 days&gt;" in rendered.html


@pytest.mark.parametrize("template", ["booking_confirmation", "pre_care", "reminder"])
def test_the_time_sits_in_its_sentence_in_the_location_zone(template: str) -> None:
    rendered = render_message(message(template))
    assert "Monday 12 January 2026, 09:00 CET" in rendered.text
    assert "09:00 CET\n," not in rendered.text and "09:00 CET\n." not in rendered.text
    assert " ," not in rendered.sms and " ." not in rendered.sms
    assert "09:00 CET" in rendered.sms
    if template == "booking_confirmation":
        assert "09:00 CET, Milano Centro" in rendered.sms
