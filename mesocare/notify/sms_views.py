"""Webhooks the SMS provider calls: inbound texts (STOP / START) and delivery receipts.

Twilio's requests are checked with `X-Twilio-Signature` over the public URL (`SITE_URL` + path
and query, never the request's Host header) and the POST parameters; an unsigned or wrongly
signed request gets 403 and changes nothing."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mesocare.notify.alerts import raise_alert
from mesocare.notify.choices import AlertKind, AlertSeverity, MessageChannel
from mesocare.notify.models import OutboxMessage, SmsReceipt
from mesocare.notify.sms import handle_inbound
from mesocare.notify.sms_providers import setting, twilio_signature

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
FAILED_STATUSES = ("failed", "undelivered")
KNOWN_STATUSES = {"accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed",
                  "read", "canceled", "scheduled"}  # fmt: skip


def _twilio_verified(request: HttpRequest) -> dict[str, str] | None:
    token = setting("SMS_TWILIO_AUTH_TOKEN")
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not given:
        return None
    params = {key: request.POST.get(key, "") for key in request.POST}
    url = settings.SITE_URL + request.get_full_path()
    expected = twilio_signature(token, url, params)
    return params if hmac.compare_digest(expected, given) else None


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    params = _twilio_verified(request)
    if params is None:
        return HttpResponse(status=403)
    handle_inbound(params.get("From", ""), params.get("Body", ""), provider="twilio")
    return HttpResponse(TWIML_EMPTY, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    params = _twilio_verified(request)
    if params is None:
        return HttpResponse(status=403)
    status = params.get("MessageStatus", "").lower()
    sid = params.get("MessageSid", "")
    if status not in KNOWN_STATUSES or not sid:
        return HttpResponse(status=400)
    message = (
        OutboxMessage.objects.filter(
            idempotency_key=request.GET.get("key", ""), channel=MessageChannel.SMS, provider_ref=sid
        )
        .select_related("patient")
        .first()
    )
    if message is None:
        return HttpResponse(status=404)
    record_receipt(message, sid, status, params.get("ErrorCode", ""))
    return HttpResponse(status=204)


@transaction.atomic
def record_receipt(message: OutboxMessage, provider_ref: str, status: str, error_code: str) -> None:
    """Store a delivery receipt once per status; a failed delivery raises a staff alert."""
    _receipt, created = SmsReceipt.objects.get_or_create(
        organization_id=message.organization_id,
        message=message,
        status=status,
        defaults={"provider_ref": provider_ref, "error_code": error_code[:16]},
    )
    if created and status in FAILED_STATUSES:
        raise_alert(
            message.organization_id,
            kind=AlertKind.DELIVERY,
            severity=AlertSeverity.WARNING,
            patient_id=message.patient_id,
            message=_("An SMS to %(patient)s was not delivered (%(status)s, error %(code)s).")
            % {
                "patient": message.patient.full_name,
                "status": status,
                "code": error_code or "-",
            },
            details={"message": message.pk, "provider_ref": provider_ref},
            source_ref=f"sms:{message.pk}:{status}",
        )
