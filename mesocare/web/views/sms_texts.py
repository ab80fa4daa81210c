"""The text messages patients receive, as SMS, in each language, with their length: encoding
(GSM-7 or UCS-2) and segments, so an admin sees which texts cost more than one message."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import formats, timezone, translation

from mesocare.catalog.models import InstructionSet
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.notify.choices import MessageKind
from mesocare.notify.links import CheckInLink, PreCareLink, RecallLink, portal_url
from mesocare.notify.outbox import KIND_TEMPLATES
from mesocare.notify.schedules import instructions_payload
from mesocare.notify.sms import SmsLength, sms_length
from mesocare.web.views.base import staff_view

LANGUAGES = ("en", "it")
SAMPLE_ID = 123456  # ids in sample links as long as a busy clinic's


@dataclass
class SmsText:
    kind: str
    template: str
    language: str
    text: str
    length: SmsLength


def _sample_context(actor: Actor) -> dict[str, Any]:
    location = Location.objects.for_org(actor.org_id).filter(is_active=True).order_by("id").first()
    tz = zoneinfo.ZoneInfo(location.timezone if location else "UTC")
    start = (timezone.now() + dt.timedelta(days=7)).astimezone(tz).replace(hour=9, minute=30)
    ids = {"organization": actor.org_id, "patient": SAMPLE_ID}
    aftercare = InstructionSet.objects.filter(code__icontains="aftercare").order_by("id").first()
    return {
        "clinic": actor.organization.name,
        "location": location.name if location else "",
        "phone": location.phone if location else "",
        "when_at": start,
        "checkin_url": portal_url(CheckInLink(**ids, session=SAMPLE_ID, when="24h")),
        "precare_url": portal_url(
            PreCareLink(**ids, appointment=SAMPLE_ID, instruction_set="pre_care_general")
        ),
        "recall_url": portal_url(RecallLink(**ids, plan=SAMPLE_ID)),
        "instructions": instructions_payload(aftercare),
        "body": "",
        "site_url": settings.SITE_URL,
    }


def sms_texts(actor: Actor) -> list[SmsText]:
    context = _sample_context(actor)
    rows: list[SmsText] = []
    seen: set[str] = set()
    for kind in MessageKind:
        template = KIND_TEMPLATES.get(kind.value)
        if template is None or template in seen or template == "notice":
            continue  # a notice's text is written by staff each time
        seen.add(template)
        for language in LANGUAGES:
            with translation.override(language):
                when = formats.date_format(context["when_at"], "D j M, H:i")
                label = str(kind.label)
                text = " ".join(
                    render_to_string(
                        f"notify/{template}.sms.txt", {**context, "when": when}
                    ).split()
                )
            rows.append(SmsText(label, template, language, text, sms_length(text)))
    return rows


@staff_view(Perm.ORG_MANAGE)
def sms_texts_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/org/sms_texts.html", {"rows": sms_texts(actor)})


urlpatterns = [path("org/sms-texts", sms_texts_page, name="sms-texts")]
