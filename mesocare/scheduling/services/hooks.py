"""Seams to other domains: the safety check before booking and check-in, and the outbox for
waitlist offers. Each is looked up when called, so scheduling works before they exist."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesocare.clinics.actor import Actor
    from mesocare.clinics.models import Location
    from mesocare.patients.models import Patient
    from mesocare.plans.models import TreatmentPlan
    from mesocare.scheduling.models import WaitlistEntry

log = logging.getLogger(__name__)


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def require_safe_to_treat(
    actor: Actor,
    patient: Patient,
    moment: str,
    *,
    on: dt.date,
    location: Location,
    plan: TreatmentPlan | None = None,
    override_reason: str | None = None,
    channel: str = "",
) -> None:
    """`mesocare.safety.services.require_safe` with the plan's protocol, products and baseline
    assessment (so label-population findings such as `outside_label_population` are judged
    here as at plan creation); raises its `Conflict("safety_block", findings=...)`. Call it
    before the booking transaction so the stored check (whose id the 409 names) survives the
    refusal."""
    require_safe = _optional("mesocare.safety.services", "require_safe")
    if require_safe is None:  # the safety domain is not installed: nothing to check
        return
    kwargs: dict[str, Any] = {"on": on, "location": location, "channel": channel}
    if plan is not None:
        protocol = plan.protocol
        kwargs["protocol"] = protocol
        kwargs["items"] = [
            (link.product,) for link in protocol.product_links.select_related("product")
        ]
        kwargs["baseline"] = plan.baseline_assessment
    if override_reason:
        kwargs["override_reason"] = override_reason
    require_safe(actor, patient, moment, **kwargs)


def enqueue_waitlist_offer(actor: Actor | None, entry: WaitlistEntry) -> bool:
    """Hand a waitlist offer to the outbox when the notify domain provides one (`actor` is
    None when the worker passes on an expired offer).

    Returns whether a message was queued; the offer itself is always recorded on the entry."""
    enqueue = _optional("mesocare.notify.services", "enqueue_waitlist_offer")
    if enqueue is None:
        return False
    enqueue(actor, entry)
    return True
