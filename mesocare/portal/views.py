"""The patient portal: pages opened from signed links, no login. Each page shows its own form
and nothing else (no names of staff, no other appointments)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.notify.links import (
    CheckInLink,
    LinkError,
    LinkPayload,
    PreCareLink,
    RecallLink,
    read_token,
)
from mesocare.portal import precare as precare_answers
from mesocare.portal import services
from mesocare.portal.forms import CheckInForm
from mesocare.portal.grading import CheckInAnswers

View = Callable[..., HttpResponse]


def link_error(request: HttpRequest, reason: str) -> HttpResponse:
    status = 410 if reason == "expired" else 404
    return _private(render(request, "portal/link_error.html", {"reason": reason}, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: never sent on as a referrer, never indexed (never cached:
    # NoStoreMiddleware covers every portal page).
    # "same-origin", not "no-referrer": with no-referrer browsers send `Origin: null` on the
    # page's own form posts, which Django's CSRF check refuses (403 on every submission).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def signed(kind: type[LinkPayload]) -> Callable[[View], View]:
    """The view gets the link's typed payload; a forged, expired or foreign link never
    reaches it."""

    def decorate(view: View) -> View:
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                link = read_token(kind, token)
                return _private(view(request, link))
            except LinkError as exc:
                return link_error(request, exc.reason)
            except NotFound:
                return link_error(request, "invalid")

        return wrapper

    return decorate


@signed(PreCareLink)
def precare(request: HttpRequest, link: PreCareLink) -> HttpResponse:
    """Each instruction answered: done, or "I could not follow this" with a note (issue 18)."""
    patient, appointment, items, _confirmed = services.precare_form(link)
    answers = precare_answers.existing_answers(patient.organization_id, appointment.pk)
    context: dict[str, Any] = {"clinic": patient.organization.name, "appointment": appointment}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        answers = precare_answers.answers_from_post(items, request.POST)
        try:
            precare_answers.record_answers(
                patient=patient,
                appointment=appointment,
                instruction_set=link.instruction_set,
                items=items,
                answers=answers,
            )
        except (Conflict, Invalid) as exc:
            context["error"] = exc.message
            errors = {e["field"]: e["message"] for e in exc.errors}
            status = exc.status
        else:
            return render(request, "portal/done.html", {**context, "what": "precare"})
    context["items"] = precare_answers.form_items(items, answers, errors)
    return render(request, "portal/precare.html", context, status=status)


@signed(CheckInLink)
def checkin(request: HttpRequest, link: CheckInLink) -> HttpResponse:
    patient, session, existing = services.check_in_form(link)
    clinic = patient.organization.name
    if existing is not None:
        return render(request, "portal/done.html", {"clinic": clinic, "what": "checkin_again"})
    form = CheckInForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        answers = CheckInAnswers(
            **{k: cd[k] for k in CheckInAnswers.__dataclass_fields__}  # type: ignore[attr-defined]
        )
        photo = cd["photo"].read() if cd.get("photo") else None
        try:
            response = services.submit_check_in(link, answers, notes=cd["notes"], photo=photo)
        except Invalid as exc:
            form.add_error("photo" if exc.errors else None, exc.message)
        except Conflict:
            return render(request, "portal/done.html", {"clinic": clinic, "what": "checkin_again"})
        else:
            return render(
                request,
                "portal/done.html",
                {"clinic": clinic, "what": "checkin", "urgent": response.alert_id is not None},
            )
    status = 422 if request.method == "POST" else 200
    return render(
        request, "portal/checkin.html", {"clinic": clinic, "form": form, "when": link.when},
        status=status,
    )  # fmt: skip


@signed(RecallLink)
def recall(request: HttpRequest, link: RecallLink) -> HttpResponse:
    patient = services.patient_of(link)
    clinic = patient.organization.name
    if request.method == "POST":
        services.request_booking(link)
        return render(request, "portal/done.html", {"clinic": clinic, "what": "recall"})
    return render(request, "portal/recall.html", {"clinic": clinic})
