"""Active appointments that meet a span of time, asked so that an index answers.

On PostgreSQL the question is put exactly as the exclusion constraints' GiST indexes are
built (`tstzrange(start, end) && span`, partial on the active statuses), so the index of the
practitioner, of the room or of the patient finds the few appointments around the span
however long the history is; a pair of comparisons `start < hi AND end > lo` could only bound
`start` and would read the whole past. Elsewhere it is those two comparisons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.postgres.fields import DateTimeRangeField
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import F, Func, QuerySet

from mesocare.scheduling.choices import ACTIVE_STATUSES


class _Span(Func):
    function = "tstzrange"
    output_field = DateTimeRangeField()


def active_meeting(qs: QuerySet[Any], lo: dt.datetime, hi: dt.datetime) -> QuerySet[Any]:
    """The active appointments of ``qs`` that overlap ``[lo, hi)``."""
    qs = qs.filter(status__in=ACTIVE_STATUSES)
    if connection.vendor == "postgresql":
        return qs.alias(span=_Span(F("start"), F("end"))).filter(
            span__overlap=DateTimeTZRange(lo, hi, "[)")
        )
    return qs.filter(start__lt=hi, end__gt=lo)
