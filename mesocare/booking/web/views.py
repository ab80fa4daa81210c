"""The public booking pages at /book/<org-slug>/: no staff login. A visitor picks a location,
a service, a day and a time; the time is held for ten minutes while they give their details
and intake; then it is booked through the scheduling services (or they are asked to call).

Abuse checks: per-IP and per-identity rate limits, a honeypot field and a proof of work
(`static/mesocare/booking/pow.js`, no third-party service)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mesocare.booking.choices import IntakeOutcome, ServiceKind
from mesocare.booking.models import Hold, OnlineBookingSettings, OnlineService
from mesocare.booking.services import abuse
from mesocare.booking.services.intake import book_consultation
from mesocare.booking.services.setup import cutoff_hours, policy_text
from mesocare.booking.services.slots import (
    HoldExpired,
    PublicSlot,
    SlotTaken,
    bookable_range,
    find_slots,
    hash_token,
    one_per_start,
    open_hold,
    parse_slot_value,
    place_hold,
)
from mesocare.booking.services.terms import visit_terms
from mesocare.booking.web.forms import DetailsForm, SlotForm
from mesocare.clinics.middleware import client_ip
from mesocare.clinics.models import Location, Organization
from mesocare.errors import Invalid, NotFound

DAYS_SHOWN = 14


def _site(slug: str) -> tuple[Organization, OnlineBookingSettings]:
    settings = (
        OnlineBookingSettings.objects.select_related("organization")
        .filter(organization__slug=slug, enabled=True)
        .first()
    )
    if settings is None:
        raise Http404(_("Online booking is not open for this clinic."))
    return settings.organization, settings


def _locations(org: Organization) -> list[Location]:
    return list(Location.objects.for_org(org).filter(is_active=True).order_by("name", "id"))


def _services(org: Organization) -> list[OnlineService]:
    return list(
        OnlineService.objects.for_org(org)
        .filter(bookable_online=True, kind=ServiceKind.CONSULTATION)
        .order_by("name", "id")
    )


def _pick(items: list[Any], raw: str | None) -> Any:
    if len(items) == 1 and not raw:
        return items[0]
    try:
        pk = int(raw or "")
    except ValueError:
        return None
    return next((item for item in items if item.pk == pk), None)


def _identity(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"


def _too_many(request: HttpRequest, org: Organization) -> HttpResponse:
    return render(request, "booking/too_many.html", {"clinic": org.name}, status=429)


def _context(org: Organization, **extra: Any) -> dict[str, Any]:
    return {"clinic": org.name, "slug": org.slug, **extra}


@never_cache
def home(request: HttpRequest, slug: str) -> HttpResponse:
    org, _settings = _site(slug)
    locations, services = _locations(org), _services(org)
    return render(
        request,
        "booking/home.html",
        _context(org, locations=locations, services=services),
    )


def _days(service: OnlineService, location: Location, now: dt.datetime) -> list[dt.date]:
    earliest, latest = bookable_range(service, now)
    first = earliest.astimezone(location.tz).date()
    last = min(latest.astimezone(location.tz).date(), first + dt.timedelta(days=DAYS_SHOWN - 1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _slots_page(
    request: HttpRequest,
    org: Organization,
    service: OnlineService,
    location: Location,
    day: dt.date,
    *,
    slots: list[PublicSlot] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    days = _days(service, location, now)
    if slots is None:
        slots = one_per_start(find_slots(org.pk, service, location, day, day, now=now))
    challenge = abuse.new_challenge()
    return render(
        request,
        "booking/slots.html",
        _context(
            org,
            service=service,
            location=location,
            day=day,
            days=days,
            slots=slots,
            message=message,
            pow_bits=challenge.bits,
            pow_token=challenge.token,
            tz=location.timezone,
        ),
        status=status,
    )


@never_cache
def slots(request: HttpRequest, slug: str) -> HttpResponse:
    org, _settings = _site(slug)
    location = _pick(_locations(org), request.GET.get("location"))
    service = _pick(_services(org), request.GET.get("service"))
    if location is None or service is None:
        return redirect("booking:home", slug=slug)
    try:
        abuse.require_allowed(
            ("search_ip", client_ip(request)), ("search_identity", _identity(request))
        )
    except abuse.TooManyRequests:
        return _too_many(request, org)
    days = _days(service, location, timezone.now())
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = days[0] if days else timezone.localdate(timezone=location.tz)
    if days and not days[0] <= day <= days[-1] + dt.timedelta(days=400):
        day = days[0]
    return _slots_page(request, org, service, location, day)


def _work_done(form: forms.Form) -> bool:
    data = form.cleaned_data
    if data.get("website"):
        return False
    return abuse.verify_work(data.get("pow_token", ""), data.get("pow_nonce", ""))


@require_POST
@never_cache
def hold(request: HttpRequest, slug: str) -> HttpResponse:
    org, _settings = _site(slug)
    location = _pick(_locations(org), request.POST.get("location"))
    service = _pick(_services(org), request.POST.get("service"))
    if location is None or service is None:
        return redirect("booking:home", slug=slug)
    form = SlotForm(request.POST)
    try:
        abuse.require_allowed(("hold_ip", client_ip(request)))
    except abuse.TooManyRequests:
        return _too_many(request, org)
    today = timezone.localdate(timezone=location.tz)
    if not form.is_valid() or not _work_done(form):
        return _slots_page(
            request,
            org,
            service,
            location,
            today,
            message=_("Your browser did not finish its check. Please choose the time again."),
            status=400,
        )
    try:
        practitioner_id, room_id, start = parse_slot_value(form.cleaned_data["slot"])
        _hold, raw = place_hold(org.pk, service, location, practitioner_id, room_id, start)
    except SlotTaken as taken:
        return _slots_page(
            request,
            org,
            service,
            location,
            start.astimezone(location.tz).date(),
            slots=taken.context["next_slots"],
            message=taken.message,
        )
    except (Invalid, NotFound):
        return _slots_page(
            request, org, service, location, today, message=_("Choose one of the times shown.")
        )
    return redirect("booking:details", slug=slug, token=raw)


def _details_page(
    request: HttpRequest,
    org: Organization,
    settings: OnlineBookingSettings,
    held: Hold,
    token: str,
    form: DetailsForm,
    status: int = 200,
) -> HttpResponse:
    challenge = abuse.new_challenge()
    return render(
        request,
        "booking/details.html",
        _context(
            org,
            hold=held,
            token=token,
            form=form,
            policy=policy_text(held.service, settings),
            terms=visit_terms(org.pk),
            cutoff_hours=cutoff_hours(held.service, settings),
            pow_bits=challenge.bits,
            pow_token=challenge.token,
            tz=held.location.timezone,
        ),
        status=status,
    )


def _expired_page(request: HttpRequest, org: Organization, exc: HoldExpired) -> HttpResponse:
    held = (
        Hold.objects.for_org(org)
        .select_related("service", "location")
        .filter(
            token_hash=hash_token(request.resolver_match.kwargs.get("token", ""))  # type: ignore[union-attr]
        )
        .first()
    )
    assert held is not None  # open_hold found it before it said "expired"
    return _slots_page(
        request,
        org,
        held.service,
        held.location,
        timezone.localdate(timezone=held.location.tz),
        slots=exc.context["next_slots"],
        message=exc.message,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def details(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    org, settings = _site(slug)
    try:
        held = open_hold(org.pk, token)
    except HoldExpired as exc:
        return _expired_page(request, org, exc)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.method != "POST":
        return _details_page(request, org, settings, held, token, DetailsForm())
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _details_page(request, org, settings, held, token, form, status=422)
    if not _work_done(form):
        form.add_error(
            None, _("Your browser did not finish its check. Please send the form again.")
        )
        return _details_page(request, org, settings, held, token, form, status=400)
    try:
        abuse.require_allowed(
            ("book_ip", client_ip(request)), ("book_identity", form.cleaned_data["email"].lower())
        )
    except abuse.TooManyRequests:
        return _too_many(request, org)
    try:
        outcome = book_consultation(
            org, token, form.visitor(), form.answers(), ip=client_ip(request)
        )
    except HoldExpired as exc:
        return _expired_page(request, org, exc)
    except Invalid as exc:
        for error in exc.errors or [{"field": "", "message": exc.message}]:
            name = error.get("field", "")
            form.add_error(name if name in form.fields else None, error["message"])
        return _details_page(request, org, settings, held, token, form, status=422)
    if outcome.kind == IntakeOutcome.STOPPED:
        return render(
            request,
            "booking/call_us.html",
            _context(org, phone=outcome.phone, location=held.location),
        )
    if outcome.kind == IntakeOutcome.NOT_BOOKED:
        return _slots_page(
            request,
            org,
            held.service,
            held.location,
            held.start.astimezone(held.location.tz).date(),
            slots=outcome.next_slots,
            message=_("Sorry, this time was just taken. Here are the next free times."),
        )
    return redirect("booking:done", slug=slug, token=token)


@never_cache
def done(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    org, settings = _site(slug)
    held = (
        Hold.objects.for_org(org)
        .select_related("service", "location", "appointment")
        .filter(token_hash=hash_token(token), appointment__isnull=False)
        .first()
    )
    if held is None:
        raise Http404(_("This booking link is not valid."))
    return render(
        request,
        "booking/done.html",
        _context(
            org,
            hold=held,
            appointment=held.appointment,
            tz=held.location.timezone,
            policy=policy_text(held.service, settings),
            sign_in_url=reverse("portal:sign_in") if _has_portal_sign_in() else "",
        ),
    )


def _has_portal_sign_in() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("portal:sign_in")
    except NoReverseMatch:
        return False
    return True
