"""Safety checks against the database, overrides, and the call other domains make.

For booking, check-in, charting and plans (every function takes the actor first):

``run_check(actor, patient, moment, *, on=None, protocol=None, items=(), body_areas=(),
previous_sessions=(), location=None, channel="", store=True) -> CheckResult``
    Build the facts, evaluate the clinic's rule set and (``store=True``) save a
    ``SafetyCheck``. Never raises because of findings.

``require_safe(actor, patient, moment, *, <same keywords>, override_reason=None,
override_check=None) -> CheckResult``
    ``run_check``, then: no block → returns (warnings never block). Blocks → raises
    ``Conflict("safety_block", "<summary>", findings=[...], check=<id>, overridable=bool)``
    (409 problem+json) unless an override applies:

    - ``override_reason`` (≥ 10 characters) by an actor with ``safety.override``
      (practitioner, admin; reception → 403) when every block is overridable: a
      ``SafetyOverride`` is stored and audited, and the result is returned;
    - ``override_check``: the id of a stored check already overridden through
      ``POST /api/v1/safety/checks/{id}/override``; honoured when it is for the same
      patient, moment and date and its overridden codes cover every current block.

``check_plan(actor, patient, protocol, *, on=None, baseline=None, override_reason=None)``
    ``require_safe`` at ``"booking"`` with the protocol's products and no volumes: allergy,
    pregnancy, teratogen, condition, consent and label-population rules fire; dose rules
    cannot.

A check given a ``protocol`` and no ``items`` checks the protocol's products (as plan
creation does): a protocol alone never gives an all-clear for products it did not look at.
``baseline`` (an ``assessments.Assessment``) tells the label-population rule which grade
the plan treats.

Medications: an actor who may not read clinical history (``clinical.view``; reception)
gets findings whose messages say "a recorded medication" instead of naming the medication
or its class; the stored check keeps what that actor was shown.

``items`` are ``PlannedProduct(product, lot=None, volume_ml=None, points=None, syringe=None,
body_area=None)`` or plain tuples in that order; ``product`` is a catalog ``Product``,
``lot`` any object with ``pk, lot_number, expiry, recalled`` (``inventory.ProductLot``);
``volume_ml=None`` means "not known yet" (0 mL). ``previous_sessions`` are
``core.safety.PreviousSession`` with ``product_ids``/``protocol_id`` as ``str(pk)``.
"today" is the local date of ``location`` (else of the organization's only location,
else the server's).

Transactions: the check is saved in the caller's transaction. If ``require_safe`` raises
inside the caller's ``transaction.atomic``, that row rolls back with the caller's work, so
the ``check`` id in the 409 is only durable when ``require_safe`` runs before the caller's
atomic block. Passing ``override_reason`` in the same call needs no stored id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Product, Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org, require_in_org
from mesocare.core.safety import (
    Check,
    Finding,
    PlannedItem,
    PreviousSession,
    Report,
    Treatment,
    evaluate,
)
from mesocare.errors import Conflict, Invalid
from mesocare.patients.models import Patient
from mesocare.safety.choices import Moment
from mesocare.safety.facts import (
    LotLike,
    lot_facts,
    patient_facts,
    product_facts,
    product_queryset,
    to_json,
)
from mesocare.safety.models import OVERRIDE_REASON_MIN_LENGTH, SafetyCheck, SafetyOverride
from mesocare.safety.rulesets import ruleset_for

__all__ = [
    "CheckResult",
    "PlannedProduct",
    "check_plan",
    "finding_json",
    "local_today",
    "record_override",
    "require_safe",
    "run_check",
]


class PlannedProduct(NamedTuple):
    product: Product
    lot: LotLike | None = None
    volume_ml: Decimal | None = None
    points: int | None = None
    syringe: int | None = None
    body_area: str | None = None


@dataclasses.dataclass(frozen=True)
class CheckResult:
    check: SafetyCheck | None
    report: Report
    override: SafetyOverride | None = None

    @property
    def blocked(self) -> bool:
        return self.report.blocked

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [finding_json(f) for f in self.report.findings]


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "rule": finding.rule,
        "source": finding.source,
        "overridable": finding.overridable,
        "context": to_json(finding.context),
    }


def local_today(actor: Actor, location: Location | None = None) -> dt.date:
    """The treatment date that "today" means: in the location's timezone."""
    if location is None:
        locations = list(Location.objects.for_org(actor.org_id).filter(is_active=True)[:2])
        location = locations[0] if len(locations) == 1 else None
    if location is None:
        return timezone.localdate()
    return timezone.localdate(timezone=location.tz)


def _planned_items(items: Iterable[Sequence[Any]]) -> tuple[PlannedItem, ...]:
    planned = [PlannedProduct(*item) for item in items]
    ids = {p.product.pk for p in planned}
    facts = {p.pk: product_facts(p) for p in product_queryset().filter(pk__in=ids)}
    out = []
    for index, item in enumerate(planned):
        lot = None
        if item.lot is not None:
            lot_product = getattr(item.lot, "product_id", None)
            if lot_product is not None and lot_product != item.product.pk:
                raise Invalid.field(
                    f"products.{index}.lot",
                    _("Lot %(lot)s is not a lot of %(product)s.")
                    % {"lot": item.lot.lot_number, "product": item.product.name},
                )
            lot = lot_facts(item.lot)
        volume = Decimal(item.volume_ml) if item.volume_ml is not None else Decimal(0)
        if not volume.is_finite() or volume < 0:
            raise Invalid.field(f"products.{index}.volume_ml", _("Volume must be 0 mL or more."))
        if item.points is not None and item.points <= 0:
            raise Invalid.field(f"products.{index}.points", _("Points must be positive."))
        out.append(
            PlannedItem(
                product=facts[item.product.pk],
                lot=lot,
                volume_ml=volume,
                points=item.points,
                syringe=item.syringe,
                body_area=item.body_area or None,
            )
        )
    return tuple(out)


def _treatment(
    protocol: Protocol | None,
    items: tuple[PlannedItem, ...],
    body_areas: Iterable[str],
    baseline: Assessment | None,
) -> Treatment:
    return Treatment(
        protocol_id=str(protocol.pk) if protocol is not None else None,
        protocol_name=protocol.name if protocol is not None else None,
        protocol_min_interval_days=protocol.interval_min_days if protocol is not None else None,
        protocol_min_interval_months=protocol.interval_min_months if protocol else None,
        indication=protocol.indication.code if protocol is not None else None,
        items=items,
        body_areas=frozenset(a for a in body_areas if a),
        severity_scale=baseline.scale_id if baseline is not None else None,
        severity_total=Decimal(baseline.total) if baseline is not None else None,
    )


def protocol_items(protocol: Protocol) -> list[tuple[Product]]:
    """The protocol's products as planned items without volumes (what plan creation checks)."""
    links = protocol.product_links.select_related("product").order_by("id")
    return [(link.product,) for link in links]


def _for_reader(actor: Actor, report: Report) -> Report:
    """Withhold medication names from an actor who may not read them."""
    if actor.can(Perm.CLINICAL_VIEW):
        return report
    return Report(tuple(f.without_medications() for f in report.findings))


def run_check(
    actor: Actor,
    patient: Patient,
    moment: str,
    *,
    on: dt.date | None = None,
    protocol: Protocol | None = None,
    items: Iterable[Sequence[Any]] = (),
    body_areas: Iterable[str] = (),
    previous_sessions: Iterable[PreviousSession] = (),
    location: Location | None = None,
    baseline: Assessment | None = None,
    channel: str = "",
    store: bool = True,
) -> CheckResult:
    """Evaluate the safety rules for ``patient``; see the module docstring."""
    actor.require(Perm.SAFETY_CHECK if store else Perm.PATIENT_VIEW)
    # Read the patient afresh: a caller's instance may predate an intake update.
    patient = get_for_org(Patient, actor.org_id, patient.pk)
    if moment not in Moment.values:
        raise Invalid.field("moment", _("Unknown moment: %s.") % moment)
    on = on or local_today(actor, location)
    planned = list(items)
    if protocol is not None and not planned:
        planned = list(protocol_items(protocol))
    check = Check(
        patient=patient_facts(patient, on),
        treatment=_treatment(protocol, _planned_items(planned), body_areas, baseline),
        previous_sessions=tuple(previous_sessions),
        moment=moment,  # type: ignore[arg-type]
        on=on,
    )
    report = _for_reader(actor, evaluate(check, ruleset_for(actor.org_id)))
    if not store:
        record(
            actor,
            AuditAction.READ,
            patient,
            patient_id=patient.pk,
            summary=f"safety preview ({moment})",
            channel=channel,
        )
        return CheckResult(None, report)
    stored = SafetyCheck.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        moment=moment,
        on=on,
        request=to_json(check),
        findings=[finding_json(f) for f in report.findings],
        blocked=report.blocked,
        overridable=report.overridable,
        created_by=actor.user,
    )
    verdict = "blocked" if report.blocked else "clear"
    record(
        actor,
        AuditAction.CREATE,
        stored,
        patient_id=patient.pk,
        summary=f"safety check {moment} {on}: {verdict} ({', '.join(report.codes) or '-'})",
        channel=channel,
    )
    return CheckResult(stored, report)


def _summary(report: Report) -> str:
    blocks = "; ".join(f"{f.code}: {f.message}" for f in report.blocks)
    if report.overridable:
        return _("Safety check blocked (a practitioner may override with a reason): %s") % blocks
    return _("Safety check blocked: %s") % blocks


def require_safe(
    actor: Actor,
    patient: Patient,
    moment: str,
    *,
    override_reason: str | None = None,
    override_check: int | None = None,
    **check_kwargs: Any,
) -> CheckResult:
    """``run_check`` that raises ``Conflict("safety_block")`` on an unoverridden block."""
    result = run_check(actor, patient, moment, **check_kwargs)
    report, check = result.report, result.check
    if not report.blocked:
        return result
    assert check is not None
    if override_reason is not None and report.overridable:
        return dataclasses.replace(result, override=record_override(actor, check, override_reason))
    if override_check is not None and report.overridable:
        previous = _covering_override(actor, check, override_check)
        if previous is not None:
            return dataclasses.replace(result, override=previous)
    raise Conflict(
        "safety_block",
        _summary(report),
        findings=result.findings,
        check=check.pk,
        overridable=report.overridable,
    )


def _covering_override(actor: Actor, check: SafetyCheck, check_id: int) -> SafetyOverride | None:
    override = (
        SafetyOverride.objects.for_org(actor.org_id)
        .filter(safety_check_id=check_id, patient_id=check.patient_id)
        .select_related("safety_check")
        .order_by("-at", "-id")
        .first()
    )
    if override is None:
        return None
    earlier = override.safety_check
    if (earlier.moment, earlier.on) != (check.moment, check.on):
        return None
    return override if set(check.block_codes) <= set(override.codes) else None


@transaction.atomic
def record_override(actor: Actor, check: SafetyCheck, reason: str) -> SafetyOverride:
    """A practitioner or admin proceeds despite the overridable blocks of ``check``."""
    actor.require(Perm.SAFETY_OVERRIDE)
    require_in_org(actor, check)
    reason = (reason or "").strip()
    if len(reason) < OVERRIDE_REASON_MIN_LENGTH:
        raise Invalid.field(
            "reason",
            _("Give a reason of at least %d characters.") % OVERRIDE_REASON_MIN_LENGTH,
        )
    if not check.blocked:
        raise Conflict("not_blocked", _("This safety check has no block to override."))
    if not check.overridable:
        codes = ", ".join(f["code"] for f in check.blocks if not f.get("overridable"))
        raise Conflict(
            "not_overridable",
            _("These blocks cannot be overridden: %s.") % codes,
            findings=check.blocks,
        )
    override = SafetyOverride.objects.create(
        organization_id=actor.org_id,
        safety_check=check,
        patient_id=check.patient_id,
        codes=check.block_codes,
        reason=reason,
        by=actor.user,
        role=actor.role,
    )
    record(
        dataclasses.replace(actor, reason=reason),
        AuditAction.OVERRIDE,
        override,
        patient_id=check.patient_id,
        summary=f"safety override of check {check.pk}: {', '.join(override.codes)}",
        changes={"check": check.pk, "codes": override.codes, "findings": check.blocks},
    )
    return override


def check_plan(
    actor: Actor,
    patient: Patient,
    protocol: Protocol,
    *,
    on: dt.date | None = None,
    baseline: Assessment | None = None,
    override_reason: str | None = None,
) -> CheckResult:
    """The check made when a treatment plan is created (moment ``booking``)."""
    return require_safe(
        actor,
        patient,
        Moment.BOOKING,
        on=on,
        protocol=protocol,
        items=protocol_items(protocol),
        baseline=baseline,
        override_reason=override_reason,
    )
