"""What a patient is told about money before confirming an online booking: the deposit a course
session asks for (from the till's price list and deposit rules, exactly as booking will ask it)
and the clinic's current cancellation policy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mesocare.billing.models import CancellationPolicy
from mesocare.billing.services.deposits import session_deposit
from mesocare.billing.services.prices import current_policy
from mesocare.plans.models import TreatmentPlan


@dataclass(frozen=True)
class Terms:
    deposit_each: Decimal | None  # per booked session; None: nothing to pay in advance
    currency: str
    policy: CancellationPolicy | None  # the version in force; None: the clinic set none

    def deposit_for(self, sessions: int) -> Decimal | None:
        return None if self.deposit_each is None else self.deposit_each * sessions


def course_terms(plan: TreatmentPlan) -> Terms:
    """The deposit each further session of this course asks for, and the policy."""
    due = session_deposit(plan.organization_id, plan.patient_id, plan.protocol_id)
    policy = current_policy(plan.organization_id)
    if due is None:
        return Terms(deposit_each=None, currency="", policy=policy)
    item, amount = due
    return Terms(deposit_each=amount, currency=item.currency, policy=policy)


def visit_terms(org_id: int) -> Terms:
    """A consultation asks no deposit (deposits belong to course sessions); the policy holds."""
    return Terms(deposit_each=None, currency="", policy=current_policy(org_id))
