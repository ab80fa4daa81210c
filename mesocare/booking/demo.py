"""Online booking in the demo clinic: open, with two consultations bookable online."""

from __future__ import annotations

from mesocare.booking.choices import ServiceKind
from mesocare.booking.models import OnlineService
from mesocare.booking.services.setup import save_service, settings_of, update_settings
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor

POLICY = (
    "A deposit may be asked at the desk. Cancel or move your visit free of charge up to 24 hours "
    "before it; later, please call us."
)
SERVICES = [
    ("Body consultation (cellulite, localized fat)", "cellulite", "body", "€60"),
    ("Face consultation (skin ageing, acne scars)", "rejuvenation_face", "facial", "€60"),
]


def load_online_booking(admin: Actor) -> None:
    """Idempotent: switch online booking on and add the consultations that are missing."""
    if not settings_of(admin.org_id).enabled:
        update_settings(admin, enabled=True, policy_text=POLICY)
    for name, indication_prefix, room_kind, price in SERVICES:
        if OnlineService.objects.for_org(admin.org_id).filter(name=name).exists():
            continue
        protocol = (
            Protocol.objects.filter(
                organization__isnull=True,
                indication__code__startswith=indication_prefix,
                product_links__isnull=False,
            )
            .distinct()
            .order_by("id")
            .first()
        )
        save_service(
            admin,
            name=name,
            kind=ServiceKind.CONSULTATION,
            protocol=protocol,
            duration_min=30,
            price_text=price,
            lead_time_hours=2,
            room_kind=room_kind,
            description="A first visit: history, assessment and a treatment plan.",
            channel="cli",
        )
