"""The admin's SMS texts page: every message template as an SMS in English and Italian, with
its encoding and segment count."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mesocare.notify.sms import sms_length
from mesocare.web.views.sms_texts import sms_texts

pytestmark = pytest.mark.django_db


def test_every_template_in_both_languages_with_its_length(clinic: Any) -> None:
    rows = sms_texts(clinic.actor("admin"))
    templates = {r.template for r in rows}
    assert {"reminder", "check_in", "pre_care", "aftercare"} <= templates
    assert {r.language for r in rows} == {"en", "it"}
    for row in rows:
        assert row.text and "{{" not in row.text
        assert row.length == sms_length(row.text)
    check_in = [r for r in rows if r.template == "check_in"]
    assert all("/p/check-in/" in r.text for r in check_in)
    italian = next(r for r in rows if r.template == "reminder" and r.language == "it")
    english = next(r for r in rows if r.template == "reminder" and r.language == "en")
    assert italian.text != english.text


def test_the_page_is_for_admins(clinic: Any, django_assert_max_num_queries: Any) -> None:
    admin = Client()
    admin.force_login(clinic.user("admin"))
    with django_assert_max_num_queries(20):
        page = admin.get("/org/sms-texts")
    html = page.content.decode()
    assert page.status_code == 200
    assert "GSM-7" in html and "Segments" in html
    reception = Client()
    reception.force_login(clinic.user("reception"))
    assert reception.get("/org/sms-texts").status_code in (403, 404)
