"""FHIR search: parameter parsing, filters, stable paging and ``_include``.

Supported syntax (https://hl7.org/fhir/R4/search.html): several values of one parameter
separated by commas are OR-ed, a repeated parameter is AND-ed; a parameter with a modifier
(``name:modifier``) or any parameter the type does not declare is refused with 400. Dates take
the prefixes ``eq`` (default), ``ne``, ``gt``, ``ge``, ``lt``, ``le`` and the precisions year,
month, day and time; a date without a time zone is read in UTC. Paging is by primary key
(stable under inserts): ``next`` links carry a ``_cursor``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from mesocare.fhir.outcome import bad_request
from mesocare.fhir.registry import (
    Filter,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    get_type,
)

DEFAULT_COUNT = 50
MAX_COUNT = 200

ID_PARAM = SearchParam("_id", "token", "The resource's logical id.")
LAST_UPDATED_PARAM = SearchParam(
    "_lastUpdated", "date", "When the resource last changed (meta.lastUpdated)."
)
PATIENT_PARAM = SearchParam("patient", "reference", "The patient the resource is about.")
SUBJECT_PARAM = SearchParam("subject", "reference", "The patient the resource is about.")
# Result parameters: not filters, always accepted.
RESULT_PARAMS = frozenset({"_count", "_include", "_format", "_cursor"})


def common_params(rtype: ResourceType) -> tuple[SearchParam, ...]:
    params: tuple[SearchParam, ...] = (ID_PARAM, LAST_UPDATED_PARAM)
    if rtype.patient_data and rtype.name != "Patient":
        params += (PATIENT_PARAM, SUBJECT_PARAM)
    return params


def all_params(rtype: ResourceType) -> tuple[SearchParam, ...]:
    return common_params(rtype) + rtype.params


# --- values -------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(?P<prefix>eq|ne|gt|ge|lt|le)?(?P<value>\d{4}(-\d{2}(-\d{2})?)?)$")
_DATETIME_RE = re.compile(r"^(?P<prefix>eq|ne|gt|ge|lt|le)?(?P<value>\d{4}-\d{2}-\d{2}T.+)$")


def parse_date_range(raw: str) -> tuple[str, dt.datetime, dt.datetime]:
    """A date search value → (prefix, start, end): the half-open UTC range it denotes."""
    match = _DATE_RE.match(raw) or _DATETIME_RE.match(raw)
    if match is None:
        raise bad_request(
            _("Cannot read the date %(value)s (use e.g. ge2026-01-31).") % {"value": raw}
        )
    prefix = match.group("prefix") or "eq"
    value = match.group("value")
    try:
        if "T" in value:
            parsed = parse_datetime(value)
            if parsed is None:
                raise ValueError(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            precision = dt.timedelta(seconds=1) if parsed.microsecond == 0 else dt.timedelta(0)
            return prefix, parsed, parsed + (precision or dt.timedelta(microseconds=1))
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 1:
            start = dt.datetime(parts[0], 1, 1, tzinfo=dt.UTC)
            end = dt.datetime(parts[0] + 1, 1, 1, tzinfo=dt.UTC)
        elif len(parts) == 2:
            start = dt.datetime(parts[0], parts[1], 1, tzinfo=dt.UTC)
            year, month = (parts[0] + 1, 1) if parts[1] == 12 else (parts[0], parts[1] + 1)
            end = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        else:
            start = dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.UTC)
            end = start + dt.timedelta(days=1)
    except (ValueError, OverflowError):
        raise bad_request(_("%(value)s is not a valid date.") % {"value": raw}) from None
    if not (1900 <= start.year <= 2199):
        raise bad_request(_("%(value)s is outside the years 1900–2199.") % {"value": raw})
    return prefix, start, end


def date_filter(path: str, *, date_only: bool = False) -> Filter:
    """``date``-type filter on a DateTimeField (or a DateField with ``date_only``)."""

    def build(raw: str) -> Q:
        prefix, start, end = parse_date_range(raw)
        lo: Any = start.date() if date_only else start
        hi: Any = end.date() if date_only else end
        if date_only and hi == lo:
            hi = lo + dt.timedelta(days=1)
        if prefix == "eq":
            return Q(**{f"{path}__gte": lo, f"{path}__lt": hi})
        if prefix == "ne":
            return ~Q(**{f"{path}__gte": lo, f"{path}__lt": hi})
        if prefix == "gt":
            return Q(**{f"{path}__gte": hi})
        if prefix == "ge":
            return Q(**{f"{path}__gte": lo})
        if prefix == "lt":
            return Q(**{f"{path}__lt": lo})
        return Q(**{f"{path}__lt": hi})  # le

    return build


def split_token(raw: str) -> tuple[str | None, str]:
    if "|" in raw:
        system, _sep, code = raw.partition("|")
        return system, code
    return None, raw


def token_filter(codes: dict[str, Q], *, system: str | None = None) -> Filter:
    """``token``-type filter over a fixed set of codes (statuses, categories)."""

    def build(raw: str) -> Q:
        token_system, code = split_token(raw)
        if token_system and system and token_system != system:
            return Q(pk__in=[])
        if code not in codes:
            raise bad_request(
                _("Unknown code %(code)s; known: %(known)s.")
                % {"code": code, "known": ", ".join(sorted(codes))}
            )
        return codes[code]

    return build


def code_filter(systems: dict[str, str]) -> Filter:
    """``token`` filter on a code field per code system: {system URL: model field}."""

    def build(raw: str) -> Q:
        token_system, code = split_token(raw)
        if not code:
            raise bad_request(_("A code search needs a code (system|code or code)."))
        if token_system:
            path = systems.get(token_system)
            return Q(**{path: code}) if path else Q(pk__in=[])
        return reduce(or_, (Q(**{path: code}) for path in systems.values()))

    return build


def local_code_filter(local: dict[str, str], standard: dict[str, str] | None = None) -> Filter:
    """``token`` filter on codes of the code systems this server publishes ({code system id:
    model path}; a system URL matches by its ending ``/CodeSystem/<id>``) and of standard
    systems ({system URL: model path}). A bare code matches in any of them."""

    def build(raw: str) -> Q:
        token_system, code = split_token(raw)
        if not code:
            raise bad_request(_("A code search needs a code (system|code or code)."))
        if token_system is None:
            paths = [*local.values(), *(standard or {}).values()]
            return reduce(or_, (Q(**{p: code}) for p in paths))
        for cs_id, path in local.items():
            if token_system.endswith(f"/CodeSystem/{cs_id}"):
                return Q(**{path: code})
        if standard and token_system in standard:
            return Q(**{standard[token_system]: code})
        return Q(pk__in=[])

    return build


def reference_filter(path: str, target: str) -> Filter:
    def build(raw: str) -> Q:
        return Q(**{path: reference_pk(raw, target)})

    return build


def reference_pk(raw: str, target: str) -> int:
    """``Patient/12``, ``12`` or an absolute URL ending in ``Patient/12`` → 12."""
    value = raw.rstrip("/")
    if "/" in value:
        parts = value.split("/")
        if parts[-2] != target:
            raise bad_request(
                _("%(value)s is not a reference to a %(type)s.") % {"value": raw, "type": target}
            )
        value = parts[-1]
    if not value.isdigit() or len(value) > 18:
        raise bad_request(_("%(value)s is not a %(type)s id.") % {"value": raw, "type": target})
    return int(value)


# --- a parsed search ------------------------------------------------------------------------


@dataclass
class ParsedSearch:
    filters: list[tuple[str, list[str]]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    includes: list[str] = field(default_factory=list)
    cursor: tuple[int, int] | None = None


def parse(rtype: ResourceType, query: Any) -> ParsedSearch:
    """Check every parameter against what the type declares; 400 for anything else."""
    known = {p.name for p in all_params(rtype)}
    include_names = {f"{rtype.name}:{inc.param}" for inc in rtype.includes}
    parsed = ParsedSearch()
    for name in query:
        values = query.getlist(name)
        if name == "_count":
            raw = values[-1]
            if not raw.isdigit() or int(raw) < 1:
                raise bad_request(_("_count must be a whole number from 1."))
            parsed.count = min(int(raw), MAX_COUNT)
        elif name == "_include":
            for value in values:
                if value not in include_names:
                    supported = ", ".join(sorted(include_names)) or "-"
                    raise bad_request(
                        _("_include=%(value)s is not supported for %(type)s (supported: %(ok)s).")
                        % {"value": value, "type": rtype.name, "ok": supported}
                    )
                parsed.includes.append(value)
        elif name == "_cursor":
            head, _sep, tail = values[-1].partition(".")
            if not (head.isdigit() and tail.isdigit()) or len(tail) > 18:
                raise bad_request(_("_cursor is not one this server gave."))
            parsed.cursor = (int(head), int(tail))
        elif name == "_format":
            continue
        elif name not in known:
            raise bad_request(
                _(
                    "The search parameter %(name)s is not supported for %(type)s "
                    "(see the CapabilityStatement at metadata)."
                )
                % {"name": name, "type": rtype.name}
            )
        else:
            for value in values:
                if value == "":
                    raise bad_request(
                        _("The search parameter %(name)s has no value.") % {"name": name}
                    )
                parsed.filters.append((name, value.split(",")))
    return parsed


def _q_for(source: Source, name: str, value: str) -> Q | None:
    """The Q of one value for one source; None when the source cannot hold a match."""
    if name == "_id":
        pk = source.pk_of(value)
        return Q(pk=pk) if pk is not None else None
    if name == "_lastUpdated":
        return date_filter(source.last_updated)(value)
    if name in ("patient", "subject"):
        if source.patient_path is None:
            return None
        return Q(**{source.patient_path: reference_pk(value, "Patient")})
    build = source.filters.get(name)
    return build(value) if build is not None else None


def filtered(source: Source, parsed: ParsedSearch, base: QuerySet[Any]) -> QuerySet[Any] | None:
    qs = base
    for name, values in parsed.filters:
        alternatives = [q for q in (_q_for(source, name, v) for v in values) if q is not None]
        if not alternatives:
            return None
        qs = qs.filter(reduce(or_, alternatives))
    return qs


@dataclass
class Page:
    rows: list[tuple[Source, Any]]
    total: int
    next_cursor: str | None
    included: list[tuple[Source, Any]]


def run(rtype: ResourceType, parsed: ParsedSearch, ctx: MappingContext) -> Page:
    """One page of matches, in (source, pk) order, plus the ``_include``d resources."""
    querysets: list[tuple[int, Source, QuerySet[Any]]] = []
    for index, source in enumerate(rtype.sources):
        qs = filtered(source, parsed, source.queryset(ctx))
        if qs is not None:
            querysets.append((index, source, qs))
    total = sum(qs.count() for _index, _source, qs in querysets)
    rows: list[tuple[Source, Any]] = []
    positions: list[tuple[int, int]] = []
    for index, source, qs in querysets:
        if parsed.cursor is not None:
            if index < parsed.cursor[0]:
                continue
            if index == parsed.cursor[0]:
                qs = qs.filter(pk__gt=parsed.cursor[1])
        wanted = parsed.count + 1 - len(rows)
        if wanted <= 0:
            break
        for obj in qs[:wanted]:
            rows.append((source, obj))
            positions.append((index, obj.pk))
    next_cursor = None
    if len(rows) > parsed.count:
        rows = rows[: parsed.count]
        last = positions[parsed.count - 1]
        next_cursor = f"{last[0]}.{last[1]}"
    return Page(rows, total, next_cursor, _included(rtype, parsed, rows, ctx))


def _included(
    rtype: ResourceType, parsed: ParsedSearch, rows: list[tuple[Source, Any]], ctx: MappingContext
) -> list[tuple[Source, Any]]:
    found: list[tuple[Source, Any]] = []
    for value in dict.fromkeys(parsed.includes):
        param = value.partition(":")[2]
        include = next(inc for inc in rtype.includes if inc.param == param)
        target = get_type(include.target)
        assert target is not None
        ids = dict.fromkeys(i for _, obj in rows for i in include.target_ids(obj))
        for source in target.sources:
            pks = [pk for pk in (source.pk_of(i) for i in ids) if pk is not None]
            if pks:
                # The target's own organization-scoped queryset: never another clinic's row.
                found.extend((source, obj) for obj in source.queryset(ctx).filter(pk__in=pks))
    return found


def page_url(base: str, type_name: str, query: Any, cursor: str | None = None) -> str:
    pairs: list[tuple[str, str]] = [
        (name, value) for name in query for value in query.getlist(name) if name != "_cursor"
    ]
    if cursor is not None:
        pairs.append(("_cursor", cursor))
    encoded = urlencode(pairs)
    return f"{base}/{type_name}" + (f"?{encoded}" if encoded else "")


def filtered_patient(parsed: ParsedSearch) -> int | None:
    """The one patient a search was filtered to (for the audit trail), if it names one."""
    for name, values in parsed.filters:
        if name in ("patient", "subject") and len(values) == 1:
            return reference_pk(values[0], "Patient")
    return None


def patient_ids_of(rows: Iterable[tuple[Source, Any]]) -> list[int | None]:
    return [source.patient_pk(obj) for source, obj in rows]
