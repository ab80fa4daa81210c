"""The audit log's filters, shared by the page and its CSV export.

The log holds millions of rows per organization, so every filter is written to use an index:
dates become a range on `at` (not `at::date`, which no index answers), and the object types
offered are read with a skip scan of the (organization, object type) index, one index probe per
type and monthly partition, instead of a DISTINCT over every event, and kept in the cache for
a few minutes (the scan costs 10-15 ms at 40 million events in 42 partitions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Membership
from mesocare.lib.db.prepared import statement_cursor
from mesocare.web.forms.widgets import DateInput
from mesocare.web.labels import object_type_name


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any")), *AuditAction.choices]
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    patient = forms.IntegerField(label=_("Patient ID"), required=False, min_value=1)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id
        people = (
            Membership.objects.for_org(org_id)
            .select_related("user")
            .order_by("user__email")
            .values_list("user_id", "user__email")
        )
        self.fields["actor"].choices = [("", _("Anyone")), *people]  # type: ignore[attr-defined]
        types = offered_object_types(
            org_id, self.data.get("object_type") if self.is_bound else None
        )
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *sorted(((t, object_type_name(t)) for t in types if t), key=lambda c: c[1]),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Must not be before the start date."))
        return data

    def filter(self, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("actor"):
            qs = qs.filter(actor_id=data["actor"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type=data["object_type"])
        if data.get("patient"):
            qs = qs.filter(patient_id=data["patient"])
        if data.get("date_from"):
            qs = qs.filter(at__gte=_midnight(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(at__lt=_midnight(data["date_to"] + dt.timedelta(days=1)))
        return qs

    def summary(self) -> str:
        if not self.is_bound or not self.is_valid():
            return "all"
        parts = [f"{k}={v}" for k, v in self.cleaned_data.items() if v not in (None, "")]
        return ", ".join(parts) or "all"


def _midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` on the clock the page shows (the current time zone)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


# How long the list of object types an organization's log holds is reused (per organization,
# in the cache): the list only grows when a kind of record is audited for the first time.
OBJECT_TYPES_TTL = 300


def offered_object_types(org_id: int, asked: str | None = None) -> list[str]:
    """The organization's object types for the filter, read at most once per
    `OBJECT_TYPES_TTL` seconds; read again at once when a filter asks for a type the list
    read before does not hold (a kind audited for the first time since)."""
    key = f"audit:object-types:{org_id}"
    types: list[str] | None = cache.get(key)
    if types is None or (asked and asked not in types):
        types = object_types(org_id)
        cache.set(key, types, OBJECT_TYPES_TTL)
    return types


def object_types(org_id: int) -> list[str]:
    """The object types in the organization's log, sorted: a recursive skip scan (each step is
    the smallest type above the last one, one probe of the (organization, object type)
    index), so the cost follows the number of types, not of events. Each step plans every
    monthly partition (about 15 ms of planning at 42 months on a loaded machine, for a few of
    execution), so the statement, whose text never changes, goes through a cursor PostgreSQL
    keeps it prepared on, and after a few runs reuses its generic plan (the same plan)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"""
        WITH RECURSIVE types(t) AS (
            SELECT MIN(object_type) FROM {table} WHERE organization_id = %s
            UNION ALL
            SELECT (SELECT MIN(object_type) FROM {table}
                    WHERE organization_id = %s AND object_type > types.t)
            FROM types WHERE types.t IS NOT NULL
        )
        SELECT t FROM types WHERE t IS NOT NULL
    """  # noqa: S608 - the table name is the model's, the values are parameters
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, [org_id, org_id])
        return [row[0] for row in cursor.fetchall()]
