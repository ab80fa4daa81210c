"""Dashboard cards: a registry other areas append to.

A card is a template included on `/` when the actor holds `perm` (or always when `perm` is
None). `context` computes the card's data; keep it to a query or two, the dashboard is the
landing page. Register e.g.:

    DASHBOARD_CARDS.append(Card("today", "web/scheduling/_card_today.html", Perm.PATIENT_VIEW,
                                context=today_card_context))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.patients.models import Patient


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


def organization_card(actor: Actor) -> dict[str, Any]:
    from mesocare.clinics.models import Location, Membership, Room

    org = actor.org_id
    return {
        "location_count": Location.objects.for_org(org).filter(is_active=True).count(),
        "room_count": Room.objects.for_org(org).filter(is_active=True).count(),
        "staff_count": Membership.objects.for_org(org).filter(is_active=True).count(),
    }


DASHBOARD_CARDS: list[Card] = [
    Card("patients", "web/dashboard/_card_patients.html", Perm.PATIENT_VIEW, patients_card),
    Card(
        "organization",
        "web/dashboard/_card_organization.html",
        Perm.ORG_MANAGE,
        organization_card,
    ),
]


def cards_for(actor: Actor) -> list[ShownCard]:
    return [
        ShownCard(card.key, card.template, card.context(actor))
        for card in DASHBOARD_CARDS
        if card.perm is None or actor.can(card.perm)
    ]
