"""Dashboard cards, declared in full here and in this order.

A card is a template included on `/` when the actor holds `perm` (or always when `perm` is
None). `context` computes the card's data; keep it to a query or two, the dashboard is the
landing page. An area's card context lives with its views and is imported here; to add a
card, add its line to `DASHBOARD_CARDS` (nothing else registers cards, so the list below is the
page, whatever order modules are imported in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.patients.models import Patient
from mesocare.web.views.charting import unsigned_card
from mesocare.web.views.inventory import alerts_card as stock_alerts_card
from mesocare.web.views.messages import alerts_card, check_ins_card, delivery_card
from mesocare.web.views.today import today_card


@dataclass(frozen=True)
class Card:
    key: str
    template: str
    perm: Perm | None = None
    context: Callable[[Actor], dict[str, Any]] = field(default=lambda actor: {})


@dataclass(frozen=True)
class ShownCard:
    key: str
    template: str
    data: dict[str, Any]


def patients_card(actor: Actor) -> dict[str, Any]:
    patients = Patient.objects.for_org(actor.org_id).filter(is_active=True)
    return {
        "patient_count": patients.count(),
        "recent_patients": list(patients.order_by("-created_at", "-id")[:8]),
    }


def _active(model: type[models.Model]) -> Coalesce:
    """How many active rows of `model` the organization of the outer query has."""
    count = Subquery(
        model._default_manager.filter(organization_id=OuterRef("pk"), is_active=True)
        .order_by()
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=models.IntegerField(),
    )
    return Coalesce(count, 0)


def organization_card(actor: Actor) -> dict[str, Any]:
    """Active locations, rooms and staff, counted in one query."""
    from mesocare.clinics.models import Location, Membership, Organization, Room

    counts = (
        Organization.objects.filter(pk=actor.org_id)
        .values(
            location_count=_active(Location),
            room_count=_active(Room),
            staff_count=_active(Membership),
        )
        .get()
    )
    return dict(counts)


DASHBOARD_CARDS: tuple[Card, ...] = (
    Card("today", "web/scheduling/_card_today.html", Perm.SCHEDULE_VIEW, today_card),
    Card("message_delivery", "web/notify/_dashboard_card.html", Perm.ORG_MANAGE, delivery_card),
    Card("patient_alerts", "web/notify/_alerts_card.html", Perm.CLINICAL_VIEW, alerts_card),
    Card(
        "patient_check_ins", "web/notify/_check_ins_card.html", Perm.CLINICAL_VIEW, check_ins_card
    ),
    Card("patients", "web/dashboard/_card_patients.html", Perm.PATIENT_VIEW, patients_card),
    Card(
        "organization", "web/dashboard/_card_organization.html", Perm.ORG_MANAGE, organization_card
    ),
    Card(
        "unsigned_sessions", "web/charting/_card_unsigned.html", Perm.CLINICAL_EDIT, unsigned_card
    ),
    Card("stock_alerts", "web/inventory/_card_alerts.html", Perm.STOCK_VIEW, stock_alerts_card),
)


def cards_for(actor: Actor) -> list[ShownCard]:
    return [
        ShownCard(card.key, card.template, card.context(actor))
        for card in DASHBOARD_CARDS
        if card.perm is None or actor.can(card.perm)
    ]
