"""Online booking, as staff (and integrations) see it: the services offered online and the
times the public booking pages offer (the scheduling engine's free slots minus live holds,
within each service's lead time and horizon)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.online_booking_schemas import OnlineServicesOut, OnlineSlotsOut, OnlineSlotsQuery
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.booking.services import setup
from mesocare.booking.services.slots import MAX_SEARCH_DAYS, find_slots
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Invalid

router = Router(tags=["online booking"])


@router.get("/online-booking/services", response={200: OnlineServicesOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def online_services(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    settings = setup.settings_of(actor.org_id)
    services = list(setup.list_services(actor))
    return {
        "enabled": settings.enabled,
        "public_url": request.build_absolute_uri(f"/book/{actor.organization.slug}/"),
        "services": [
            {
                **{name: getattr(s, name) for name in setup.SERVICE_FIELDS if name != "protocol"},
                "id": s.pk,
                "protocol": s.protocol_id,
                "cutoff_hours": setup.cutoff_hours(s, settings),
                "policy_text": setup.policy_text(s, settings),
            }
            for s in services
        ],
    }


@router.get("/online-booking/slots", response={200: OnlineSlotsOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def online_slots(request: HttpRequest, params: Query[OnlineSlotsQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    service = setup.get_service(actor, params.service)
    location = get_for_org(Location, actor.org_id, params.location)
    if params.date_to < params.date_from:
        raise Invalid.field("date_to", "Must not be before date_from.")
    if (params.date_to - params.date_from).days >= MAX_SEARCH_DAYS:
        raise Invalid.field("date_to", f"Ask for at most {MAX_SEARCH_DAYS} days at once.")
    slots = find_slots(actor.org_id, service, location, params.date_from, params.date_to)
    tz = location.tz
    return {
        "service": service.pk,
        "location": location.pk,
        "timezone": location.timezone,
        "slots": [
            {
                "start": s.start,
                "end": s.end,
                "local_start": s.start.astimezone(tz).isoformat(),
                "practitioner": s.practitioner_id,
                "room": s.room_id,
            }
            for s in slots
        ],
    }
