"""The audit trail as a person reads it: one renderer for the change sets stored on audit events.

An event stores ``{field: [old, new]}`` (or ``{key: value}`` for facts that are not fields)
exactly as it was recorded, in codes and UTC. A reader gets the field's label (the model's
verbose name), choice codes as their labels, dates and times on the location's clock with its
zone (`mesocare.lib.local_time`), amounts as money, yes/no for flags, and the names of the
rows a foreign key points at (one query per kind of row on the page, in this organization).
The stored JSON itself is never changed: the CSV export keeps it as recorded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from mesocare.core.scales import all_scales
from mesocare.lib.local_time import format_date, format_datetime
from mesocare.web.labels import object_type_name, scale_name

EMPTY = "—"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_IN_TEXT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
CODE_IN_TEXT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Scale ids ("hexsel-css") in stored summaries, longest first.
_SCALE_IDS = sorted((s.id for s in all_scales()), key=len, reverse=True)
SCALE_IN_TEXT = (
    re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, _SCALE_IDS)) + r")(?![\w-])")
    if _SCALE_IDS
    else None
)
# Amount fields: decimal fields of the billing app, and these keys wherever they appear.
MONEY_KEYS = frozenset({"amount", "gross_total", "net_total", "vat_total", "price", "deposit"})
# Keys services record that are not fields of the audited model.
KEY_LABELS: dict[str, Any] = {
    "copied_from": gettext_lazy("copied from"),
    "codes": gettext_lazy("overridden rules"),
    "findings": gettext_lazy("findings"),
    "check": gettext_lazy("safety check"),
    "patients": gettext_lazy("patients"),
    "working_hours": gettext_lazy("working hours"),
    "failed_sign_ins_cleared": gettext_lazy("failed sign-ins cleared"),
    "sms_opt_out": gettext_lazy("SMS opt-out"),
    "recall_reason": gettext_lazy("recall reason"),
    "quantity_ml": gettext_lazy("quantity (mL)"),
    "reason": gettext_lazy("reason"),
}
CHANNELS: dict[str, Any] = {
    "web": gettext_lazy("Staff pages"),
    "api": gettext_lazy("API"),
    "fhir": gettext_lazy("FHIR"),
    "online": gettext_lazy("Online booking"),
    "portal": gettext_lazy("Patient portal"),
    "sms": gettext_lazy("SMS"),
    "ical": gettext_lazy("Calendar feed"),
    "import": gettext_lazy("Import"),
    "notify": gettext_lazy("Messages"),
    "system": gettext_lazy("System"),
    "cli": gettext_lazy("Command line"),
}


@dataclass(frozen=True)
class Change:
    """One line of a change set: ``label: old → new`` (``old`` None for a recorded value)."""

    label: str
    new: str
    old: str | None = None


def channel_name(channel: str) -> str:
    return str(CHANNELS.get(channel, channel.replace("_", " "))) if channel else ""


def humanize(code: str) -> str:
    """A code no label is known for, read as words ("card_terminal" → "card terminal")."""
    return code.replace("_", " ").replace("-", " ")


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        try:
            field = model._meta.get_field(key.removesuffix("_id"))
        except FieldDoesNotExist:
            return None
    return field if isinstance(field, models.Field) else None


def _name(obj: models.Model) -> str:
    """How a person names a referenced row (a body zone in their language)."""
    if obj._meta.label_lower == "catalog.zone":
        return pgettext("body zone", str(obj.name))  # type: ignore[attr-defined]
    return str(obj)


def _pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and not any(isinstance(v, (list, dict)) for v in value)
    )


class ChangeRenderer:
    """Renders the change sets of a page of events; build it with every event of the page
    so foreign keys resolve in one query per related model."""

    def __init__(self, events: Iterable[Any], org_id: int, where: Any = None) -> None:
        self.org_id = org_id
        self.where = where
        self.names: dict[tuple[type[models.Model], str], str] = {}
        # {(related model, the field a key points at ("id", "code")): values on the page}
        wanted: dict[tuple[type[models.Model], str], set[str]] = defaultdict(set)
        for event in events:
            model = _model(event.object_type)
            changes = event.changes if isinstance(event.changes, Mapping) else {}
            for key, value in changes.items():
                field = _field(model, key)
                if field is None or not field.many_to_one or field.related_model is None:
                    continue
                target = field.target_field.attname  # type: ignore[attr-defined]
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, (int, str)) and str(item):
                        wanted[(field.related_model, target)].add(str(item))  # type: ignore[index]
        for (related, target), values in wanted.items():
            qs = related._default_manager.filter(**{f"{target}__in": values})
            if any(f.name == "organization" for f in related._meta.get_fields()):
                qs = qs.filter(organization_id=org_id)
            for obj in qs:
                self.names[(related, str(getattr(obj, target)))] = _name(obj)

    def render(self, event: Any) -> list[Change]:
        changes = event.changes
        if not isinstance(changes, Mapping):
            return [Change(_("changes"), self.value(None, changes))] if changes else []
        model = _model(event.object_type)
        out = []
        for key, value in changes.items():
            field = _field(model, key)
            label = self.label(field, key)
            if _pair(value):
                out.append(
                    Change(
                        label, self.value(field, value[1], key), self.value(field, value[0], key)
                    )
                )
            else:
                out.append(Change(label, self.value(field, value, key)))
        return out

    @staticmethod
    def label(field: models.Field[Any, Any] | None, key: str) -> str:
        if field is not None and field.verbose_name:
            return capfirst(str(field.verbose_name))
        if key in KEY_LABELS:
            return capfirst(str(KEY_LABELS[key]))
        return capfirst(humanize(key))

    def value(self, field: models.Field[Any, Any] | None, value: Any, key: str = "") -> str:
        if value is None or value == "" or value == []:
            return EMPTY
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list):
            return ", ".join(self.value(field, v, key) for v in value)
        if isinstance(value, dict):
            return "; ".join(
                f"{self.label(None, str(k))}: {self.value(None, v, str(k))}"
                for k, v in value.items()
            )
        if field is not None and field.choices:
            choices = {str(k): v for k, v in field.flatchoices}
            return str(choices.get(str(value), humanize(str(value))))
        if field is not None and field.many_to_one and field.related_model is not None:
            name = self.names.get((field.related_model, str(value)))  # type: ignore[arg-type]
            return name or (f"#{value}" if str(value).isdigit() else humanize(str(value)))
        if self._is_money(field, key):
            money = self.money(value)
            if money:
                return money
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (int, float)):
            return number_format(value, use_l10n=True)
        return str(value)

    @staticmethod
    def _is_money(field: models.Field[Any, Any] | None, key: str) -> bool:
        if key in MONEY_KEYS:
            return True
        return (
            isinstance(field, models.DecimalField)
            and field.model._meta.app_label == "billing"
            and field.decimal_places == 2
        )

    @staticmethod
    def money(value: Any) -> str:
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return ""
        return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)

    def text(self, value: str) -> str:
        """A stored string: an ISO date or date-time is read on the location's clock."""
        if ISO_DATETIME.match(value):
            moment = parse_datetime(value.replace(" ", "T", 1))
            if moment is not None:
                return format_datetime(moment, self.where)
        if ISO_DATE.match(value):
            day = parse_date(value)
            if day is not None:
                return format_date(day)
        if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", value):
            return humanize(value)
        return value


def summary_text(summary: str, where: Any = None) -> str:
    """A stored summary with its ISO date-times read on the location's clock, and codes
    ("card_terminal") as words."""

    def local(match: re.Match[str]) -> str:
        moment = parse_datetime(match.group(0).replace(" ", "T", 1))
        return format_datetime(moment, where) if moment is not None else match.group(0)

    text = ISO_IN_TEXT.sub(local, summary)
    text = SCALE_IN_TEXT.sub(lambda m: scale_name(m.group(0)), text) if SCALE_IN_TEXT else text
    return CODE_IN_TEXT.sub(lambda m: humanize(m.group(0)), text)


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit table, every cell already text (the table is 50 rows a page: a
    filter or a tag per cell would cost more than the rest of the page)."""

    at_iso: str
    at: str
    actor: str
    action: str
    badge: str  # extra class of the action's badge: "" or " block" / " warn"
    object: str
    patient_id: int | None
    patient_name: str
    patient_url: str
    summary: str
    changes: list[Change]
    reason: str
    channel: str
    ip: str


BADGES = {"override": " block", "delete": " warn", "export": " warn"}


def rendered_rows(
    events: list[Any], org_id: int, names: Mapping[int, str] | None = None
) -> list[AuditRow]:
    """The audit table's rows; `names` gives the patient names to link (the audit log's)."""
    renderer = ChangeRenderer(events, org_id)
    names = names or {}
    zone = timezone.get_current_timezone()
    tab_urls: dict[int, str] = {}
    rows = []
    for e in events:
        name = names.get(e.patient_id or 0, "")
        if name and e.patient_id not in tab_urls:
            tab_urls[e.patient_id] = reverse("web:patient-audit", args=[e.patient_id])
        rows.append(
            AuditRow(
                at_iso=e.at.astimezone(zone).isoformat(),
                at=format_datetime(e.at, zone),
                actor=e.actor_label,
                action=e.get_action_display(),
                badge=BADGES.get(e.action, ""),
                object=object_type_name(e.object_type)
                + (f" #{e.object_id}" if e.object_id else ""),
                patient_id=e.patient_id,
                patient_name=name,
                patient_url=tab_urls[e.patient_id] if name else "",
                summary=summary_text(e.summary),
                changes=renderer.render(e),
                reason=e.reason,
                channel=channel_name(e.channel),
                ip=e.ip or "",
            )
        )
    return rows
