"""Reading the catalog, and a clinic's own protocols: copy a default, edit the copy, version it.

Curated defaults (``organization`` null) are read-only. Every change to a clinic protocol bumps
``version`` and stores a ``ProtocolVersion`` snapshot; plans point at the version they were made
from, so editing a protocol never changes a plan already made.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import (
    Indication,
    Ingredient,
    InstructionSet,
    Product,
    ProductIngredient,
    Protocol,
    ProtocolProduct,
    ProtocolVersion,
)
from mesocare.catalog.snapshots import snapshot_protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.core.planning import NO_SCALE, CourseRules, PlanningError
from mesocare.core.scales import UnknownScaleError, get_scale
from mesocare.errors import Forbidden, Invalid, NotFound
from mesocare.lib.text import normalize_search
from mesocare.lib.validation import full_clean_or_invalid

# Fields a clinic may change on its own protocol (flat model names), plus "products".
EDITABLE_FIELDS = frozenset(
    {
        "code", "name", "technique", "depth_mm_min", "depth_mm_max", "volume_per_point_ml_min",
        "volume_per_point_ml_max", "volume_per_session_ml_min", "volume_per_session_ml_max",
        "scale", "sessions_by_band", "interval_min_days", "interval_target_days",
        "interval_max_days", "interval_min_months", "max_baseline_total", "response_check_session",
        "responder_min_improvement", "target_band",
        "maintenance_interval_days", "session_duration_min", "room_kind", "pre_care", "aftercare",
        "evidence_level", "notes", "citations", "is_active", "products",
    }
)  # fmt: skip
NULLABLE_FIELDS = frozenset(
    {
        "responder_min_improvement",
        "maintenance_interval_days",
        "interval_min_months",
        "max_baseline_total",
        "pre_care",
        "aftercare",
    }
)
BLANK_WHEN_NULL = frozenset({"scale", "target_band", "notes"})
RANGES = (
    ("depth_mm_min", "depth_mm_max"),
    ("volume_per_point_ml_min", "volume_per_point_ml_max"),
    ("volume_per_session_ml_min", "volume_per_session_ml_max"),
)


# ---- reading -------------------------------------------------------------------------------


def visible(actor: Actor) -> Q:
    """Rows an organization sees: the curated defaults and its own."""
    return Q(organization__isnull=True) | Q(organization_id=actor.org_id)


def protocols_queryset(actor: Actor) -> QuerySet[Protocol]:
    return (
        Protocol.objects.filter(visible(actor))
        .select_related("indication", "pre_care", "aftercare")
        .prefetch_related(
            Prefetch(
                "product_links", ProtocolProduct.objects.select_related("product").order_by("id")
            )
        )
    )


def list_protocols(
    actor: Actor, *, indication: str | int | None = None, include_inactive: bool = False
) -> QuerySet[Protocol]:
    qs = protocols_queryset(actor)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if indication not in (None, ""):
        key = str(indication)
        qs = qs.filter(indication_id=int(key)) if key.isdigit() else qs.filter(indication__code=key)
    return qs


def get_protocol(actor: Actor, pk: Any) -> Protocol:
    """A default or one of the organization's protocols; another organization's is 404."""
    try:
        return protocols_queryset(actor).get(pk=int(pk))
    except (Protocol.DoesNotExist, ValueError, TypeError):
        raise NotFound("not_found", _("No protocol with id %(id)s.") % {"id": pk}) from None


def list_indications(actor: Actor) -> QuerySet[Indication]:
    return Indication.objects.prefetch_related(
        Prefetch(
            "protocols",
            Protocol.objects.filter(visible(actor), is_active=True).order_by("name", "id"),
            to_attr="visible_protocols",
        )
    )


def get_indication(actor: Actor, code: str) -> Indication:
    found = list_indications(actor).filter(code=code).first()
    if found is None:
        raise NotFound("not_found", _("No indication %(code)s.") % {"code": code})
    return found


def indication_citations(indication: Indication) -> list[dict[str, Any]]:
    """The sources behind an indication: the distinct citations of its curated protocols."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for protocol in getattr(indication, "visible_protocols", []):
        if not protocol.is_default:
            continue
        for citation in protocol.citations:
            if citation.get("text") not in seen:
                seen.add(citation.get("text"))
                out.append(citation)
    return out


def search_products(actor: Actor, q: str = "") -> QuerySet[Product]:
    qs = Product.objects.filter(visible(actor)).prefetch_related(
        Prefetch("components", ProductIngredient.objects.select_related("ingredient")),
        "incompatible_with",
    )
    for word in normalize_search(q).split():
        qs = qs.filter(name_norm__contains=word)
    return qs


def search_ingredients(q: str = "") -> list[Ingredient]:
    """Name or synonym search; the ingredient list is small and global, so it filters in memory."""
    words = normalize_search(q).split()
    found = []
    for ingredient in Ingredient.objects.prefetch_related("allergen_families"):
        haystack = " ".join(
            [ingredient.name_norm, *(normalize_search(s) for s in ingredient.synonyms)]
        )
        if all(word in haystack for word in words):
            found.append(ingredient)
    return found


def ingredient_products(actor: Actor, ingredients: list[Ingredient]) -> dict[int, list[Product]]:
    """Products visible to the organization that contain each ingredient (citations live there)."""
    by_ingredient: dict[int, list[Product]] = {i.pk: [] for i in ingredients}
    links = ProductIngredient.objects.filter(
        ingredient__in=ingredients, product__in=Product.objects.filter(visible(actor))
    ).select_related("product")
    for link in links:
        by_ingredient[link.ingredient_id].append(link.product)
    return by_ingredient


# ---- course rules --------------------------------------------------------------------------


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def course_rules(values: Protocol | Mapping[str, Any]) -> CourseRules:
    """The planning rules of a protocol, or of a ``ProtocolVersion.snapshot``."""

    def get(key: str) -> Any:
        return values.get(key) if isinstance(values, Mapping) else getattr(values, key)

    return CourseRules(
        scale_id=get("scale") or NO_SCALE,
        sessions_by_band=dict(get("sessions_by_band") or {}),
        interval_min_days=get("interval_min_days"),
        interval_target_days=get("interval_target_days"),
        interval_max_days=get("interval_max_days"),
        interval_min_months=get("interval_min_months") or None,
        max_baseline_total=_decimal_or_none(get("max_baseline_total")),
        response_check_session=get("response_check_session"),
        maintenance_interval_days=get("maintenance_interval_days"),
        responder_min_improvement=_decimal_or_none(get("responder_min_improvement")),
        target_band=get("target_band") or None,
    )


def current_version(protocol: Protocol) -> ProtocolVersion:
    """The snapshot of the protocol as it is now (made if the loader or a copy left none)."""
    found = ProtocolVersion.objects.filter(protocol=protocol, version=protocol.version).first()
    if found is None:
        found = ProtocolVersion.objects.create(
            protocol=protocol, version=protocol.version, snapshot=snapshot_protocol(protocol)
        )
    return found


# ---- a clinic's own protocols --------------------------------------------------------------


@transaction.atomic
def copy_protocol(
    actor: Actor,
    source: Protocol,
    changes: Mapping[str, Any] | None = None,
    *,
    reason: str = "",
    channel: str = "api",
) -> Protocol:
    """Copy a default (or the clinic's own protocol) into the clinic, with optional changes."""
    actor.require(Perm.CATALOG_MANAGE)
    changes = dict(changes or {})
    products = changes.pop("products", None)
    source_links = list(source.product_links.all())
    copy = Protocol.objects.get(pk=source.pk)
    copy.pk = None
    copy.organization_id = actor.org_id
    copy.copied_from = source
    copy.version = 1
    copy.is_active = True
    copy.code = changes.pop("code", None) or _free_code(actor, source.code)
    _apply(copy, changes)
    _validate(actor, copy)
    copy.save()
    if products is None:
        ProtocolProduct.objects.bulk_create(
            ProtocolProduct(protocol=copy, product_id=link.product_id, role=link.role)
            for link in source_links
        )
    else:
        _set_products(actor, copy, products)
    note = f"copy of {source.code} v{source.version}"
    ProtocolVersion.objects.create(
        protocol=copy,
        version=1,
        snapshot=snapshot_protocol(copy),
        created_by=actor.user,
        reason=f"{note}: {reason}"[:255] if reason else note,
    )
    record(
        actor,
        AuditAction.CREATE,
        copy,
        summary=f"{copy.name} ({note})",
        changes={"copied_from": source.pk, **{k: v for k, v in changes.items()}},
        channel=channel,
    )
    return copy


@transaction.atomic
def update_protocol(
    actor: Actor,
    protocol: Protocol,
    changes: Mapping[str, Any],
    *,
    reason: str = "",
    channel: str = "api",
) -> Protocol:
    """Edit a clinic's own protocol; any real change bumps the version and keeps a snapshot."""
    actor.require(Perm.CATALOG_MANAGE)
    if protocol.is_default:
        raise Forbidden(
            "read_only_default",
            _("Curated default protocols are read-only: copy it and edit the copy."),
        )
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk, organization=actor.org_id)
    changes = dict(changes)
    products = changes.pop("products", None)
    if "code" in changes and changes["code"] != protocol.code:
        _check_code_free(actor, changes["code"], exclude=protocol.pk)
    before = snapshot_protocol(protocol)
    _apply(protocol, changes)
    _validate(actor, protocol)
    protocol.save()
    if products is not None:
        _set_products(actor, protocol, products)
    after = snapshot_protocol(protocol)
    changed = {
        k: [before.get(k), after[k]] for k in after if k != "version" and before.get(k) != after[k]
    }
    if not changed:
        return protocol
    protocol.version += 1
    protocol.save(update_fields=["version", "updated_at"])
    after["version"] = protocol.version
    ProtocolVersion.objects.create(
        protocol=protocol,
        version=protocol.version,
        snapshot=after,
        created_by=actor.user,
        reason=reason[:255],
    )
    record(
        actor,
        AuditAction.UPDATE,
        protocol,
        summary=f"{protocol.name} v{protocol.version}",
        changes=changed,
        channel=channel,
    )
    return protocol


def _free_code(actor: Actor, base: str) -> str:
    taken = set(
        Protocol.objects.filter(organization_id=actor.org_id, code__startswith=base).values_list(
            "code", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _check_code_free(actor: Actor, code: str, *, exclude: int) -> None:
    clash = Protocol.objects.filter(organization_id=actor.org_id, code=code).exclude(pk=exclude)
    if clash.exists():
        raise Invalid.field("code", _("Your clinic already has a protocol with this code."))


def _apply(protocol: Protocol, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("This field cannot be changed."))
    for key, value in changes.items():
        if value is None and key in BLANK_WHEN_NULL:
            value = ""
        if value is None and key not in NULLABLE_FIELDS:
            raise Invalid.field(key, _("This field may not be null."))
        if key in ("pre_care", "aftercare"):
            value = _instruction_set(key, value)
        setattr(protocol, key, value)


def _instruction_set(key: str, value: Any) -> InstructionSet | None:
    if value is None or isinstance(value, InstructionSet):
        return value
    kind = "pre_care" if key == "pre_care" else "aftercare"
    found = InstructionSet.objects.filter(code=str(value), kind=kind).first()
    if found is None:
        raise Invalid.field(
            key, _("No %(kind)s instruction set %(code)s.") % {"kind": kind, "code": value}
        )
    return found


def _validate(actor: Actor, protocol: Protocol) -> None:
    for low, high in RANGES:
        if getattr(protocol, low) > getattr(protocol, high):
            raise Invalid.field(low, _("The minimum must not exceed the maximum."))
    if not (
        protocol.interval_min_days <= protocol.interval_target_days <= protocol.interval_max_days
    ):
        raise Invalid.field(
            "interval_days", _("Intervals must satisfy minimum ≤ target ≤ maximum days.")
        )
    full_clean_or_invalid(
        protocol,
        exclude=["organization", "indication", "copied_from", "pre_care", "aftercare", "code"],
    )
    if not protocol.code:
        raise Invalid.field("code", _("A code is required."))
    if protocol.scale:
        try:
            get_scale(protocol.scale)
        except UnknownScaleError:
            raise Invalid.field(
                "scale", _("Unknown scale %(id)s.") % {"id": protocol.scale}
            ) from None
    if not isinstance(protocol.sessions_by_band, dict):
        raise Invalid.field("sessions_by_band", _("Give sessions per band as an object."))
    try:
        course_rules(protocol)
    except PlanningError as exc:
        raise Invalid.field(_rule_field(exc.message), exc.message, code="invalid_rules") from None


def _rule_field(message: str) -> str:
    for field in (
        "sessions_by_band", "target_band", "intervals", "response_check_session",
        "maintenance_interval_days", "responder_min_improvement",
    ):  # fmt: skip
        if message.startswith(field) or field in message.split(":")[0]:
            return "interval_days" if field == "intervals" else field
    return "sessions_by_band"


def _set_products(actor: Actor, protocol: Protocol, products: list[Mapping[str, Any]]) -> None:
    ids = [p["product"] for p in products]
    found = set(Product.objects.filter(visible(actor), pk__in=ids).values_list("pk", flat=True))
    missing = [pid for pid in ids if pid not in found]
    if missing:
        raise Invalid.field("products", _("No product with id %(id)s.") % {"id": missing[0]})
    protocol.product_links.all().delete()
    ProtocolProduct.objects.bulk_create(
        ProtocolProduct(protocol=protocol, product_id=p["product"], role=p.get("role") or "active")
        for p in products
    )
