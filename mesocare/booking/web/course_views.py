"""The returning patient's pages (signed in to the portal): book the rest of the course from
the engine's proposals in a time-of-day window, all or nothing; move one session within the
plan's interval rules up to the cut-off."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mesocare.booking.services import abuse, course
from mesocare.booking.services.setup import settings_of
from mesocare.booking.services.slots import parse_slot_value
from mesocare.booking.services.terms import course_terms, visit_terms
from mesocare.booking.web.views import _site
from mesocare.clinics.models import Location, Organization
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.portal.session import current_portal_session
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment


def _patient(request: HttpRequest, org: Organization) -> Patient | None:
    session = current_portal_session(request)
    if session is None or session.org_id != org.pk:
        return None
    return session.patient


def _sign_in(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('portal:sign_in')}?{urlencode({'next': request.get_full_path()})}")


def _context(org: Organization, **extra: Any) -> dict[str, Any]:
    return {"clinic": org.name, "slug": org.slug, **extra}


def _course_page(
    request: HttpRequest,
    org: Organization,
    patient: Patient,
    *,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    settings = settings_of(org)
    plan = course.open_plan(patient)
    locations = list(Location.objects.for_org(org).filter(is_active=True).order_by("name", "id"))
    window = request.GET.get("window", "lunch")
    window = window if window in course.WINDOWS else "any"
    location = next(
        (loc for loc in locations if str(loc.pk) == request.GET.get("location")),
        locations[0] if locations else None,
    )
    appointments = list(
        Appointment.objects.for_org(org)
        .filter(patient=patient, plan=plan, status__in=ACTIVE_STATUSES)
        .select_related("location")
        .order_by("course_index")
        if plan is not None
        else []
    )
    proposals: list[dict[str, Any]] = []
    infeasible = False
    terms = course_terms(plan) if plan is not None else visit_terms(org.pk)
    if plan is not None and location is not None:
        abuse.require_allowed(("search_identity", f"patient:{patient.pk}"))
        options = course.propose_online(org, patient, plan, location, window, now=now)
        infeasible = not options.proposals
        proposals = [
            {
                "sessions": p.sessions,
                "signed": course.sign_proposal(plan, p.sessions),
                "deposit": terms.deposit_for(len(p.sessions)),
            }
            for p in options.proposals
        ]
    return render(
        request,
        "booking/course.html",
        _context(
            org,
            patient=patient,
            plan=plan,
            appointments=[(a, course.movable(a, settings, now)) for a in appointments],
            proposals=proposals,
            infeasible=infeasible,
            windows=[(key, label) for key, (label, _w) in course.WINDOWS.items()],
            window=window,
            locations=locations,
            location=location,
            tz=location.timezone if location else "UTC",
            cutoff_hours=settings.cutoff_hours,
            terms=terms,
            message=message,
        ),
        status=status,
    )


@never_cache
def course_page(request: HttpRequest, slug: str) -> HttpResponse:
    org, _settings = _site(slug)
    patient = _patient(request, org)
    if patient is None:
        return _sign_in(request)
    try:
        return _course_page(request, org, patient)
    except abuse.TooManyRequests:
        return render(request, "booking/too_many.html", _context(org), status=429)


@require_POST
@never_cache
def course_book(request: HttpRequest, slug: str) -> HttpResponse:
    org, _settings = _site(slug)
    patient = _patient(request, org)
    if patient is None:
        return _sign_in(request)
    try:
        abuse.require_allowed(("book_identity", f"patient:{patient.pk}"))
        booked = course.book_rest_online(org, patient, request.POST.get("proposal", ""))
    except abuse.TooManyRequests:
        return render(request, "booking/too_many.html", _context(org), status=429)
    except Conflict as exc:
        if exc.code == "safety_block":
            location = Location.objects.for_org(org).filter(is_active=True).first()
            return render(
                request,
                "booking/call_us.html",
                _context(org, phone=location.phone if location else "", location=location),
            )
        message = (
            exc.message
            if exc.code == "call_the_desk"
            else _("Sorry, some of these times were just taken. Here are new ones.")
        )
        return _course_page(request, org, patient, message=message)
    except (Invalid, NotFound) as exc:
        return _course_page(request, org, patient, message=exc.message)
    first = booked.appointments[0]
    terms = course_terms(first.plan) if first.plan is not None else visit_terms(org.pk)
    context = _context(
        org,
        appointments=booked.appointments,
        tz=first.location.timezone,
        terms=terms,
        deposit=terms.deposit_for(len(booked.appointments)),
    )
    return render(request, "booking/course_done.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def course_move(request: HttpRequest, slug: str, appointment_id: int) -> HttpResponse:
    org, _settings = _site(slug)
    patient = _patient(request, org)
    if patient is None:
        return _sign_in(request)
    message = ""
    try:
        if request.method == "POST":
            _practitioner, room, start = parse_slot_value(request.POST.get("slot", ""))
            course.move_online(org, patient, appointment_id, room, start)
            return redirect(f"{reverse('booking:course', args=[slug])}?moved=1")
    except Conflict as exc:
        if exc.code == "call_the_desk":
            return _course_page(request, org, patient, message=exc.message, status=409)
        message = exc.message
    except Invalid as exc:
        message = exc.message
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        appointment, options = course.move_options(org, patient, appointment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        return _course_page(request, org, patient, message=exc.message, status=409)
    return render(
        request,
        "booking/course_move.html",
        _context(
            org,
            appointment=appointment,
            slots=options,
            message=message,
            tz=appointment.location.timezone,
        ),
    )
