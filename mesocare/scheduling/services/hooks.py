"""Seams to other domains: the safety check before booking and check-in (a direct call: a
failing check fails the booking, it is never skipped), and waitlist offers announced through
`mesocare.scheduling.signals.waitlist_offer_made` for the outbox to pick up."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mesocare.safety.services import require_safe
from mesocare.scheduling import signals

if TYPE_CHECKING:
    from mesocare.clinics.actor import Actor
    from mesocare.clinics.models import Location
    from mesocare.patients.models import Patient
    from mesocare.plans.models import TreatmentPlan
    from mesocare.scheduling.models import WaitlistEntry


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
    """Announce a waitlist offer (`actor` is None when the worker passes on an expired offer).

    Returns whether a receiver queued a message; the offer itself is always recorded on the
    entry."""
    responses = signals.waitlist_offer_made.send(sender=type(entry), actor=actor, entry=entry)
    return any(bool(result) for _receiver, result in responses)
