"""Querysets of a fixed shape, compiled to SQL once per process and run with new values.

Django compiles a queryset to SQL on every run. For the lookups every request makes (the bearer
token with its membership, user, organization and location; a staff session's membership)
that costs several times the query itself: on the 2-core machine of docs/benchmarks.md the
token's four-table lookup took 2.0 ms of CPU through the ORM and 0.3 ms as the same SQL run
and turned into the same objects. A `CompiledQuery` keeps the SQL and how its rows become
objects, and runs the same statement through the same connection on every call, so execute
wrappers (Server-Timing, query-count assertions) see it as before; on PostgreSQL the statement
is prepared on each connection that runs it (mesocare.lib.db.prepared), which spares the
server's planning as well.

    LOOKUP = CompiledQuery(
        lambda org, pk: Room.objects.select_related("location").filter(organization_id=org, pk=pk),
        org=int,
        pk=int,
    )
    room = LOOKUP.first(org=actor.org_id, pk=room_id)

Each parameter is declared `int` or `str`: the queryset is built once with a marker value of
that type in each place, and each call puts its values where the markers are. Rows become
objects as Django's `ModelIterable` makes them (`from_db`, the select_related populators, the
database's converters); querysets with prefetches, annotations or `values()` are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, models, router
from django.db.models.query import ModelIterable, get_related_populators

from mesocare.lib.db.prepared import statement_cursor

M = TypeVar("M", bound=models.Model)

# Marker values: within a 32-bit column's range (the ORM refuses a value past it) and held by
# no query of mesocare.
_INT_MARKER = 2_147_000_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, list[int]]
    init_list: list[str]
    fields: slice
    populators: list[Any]
    converters: list[tuple[int, list[Any], Any]]


class CompiledQuery(Generic[M]):
    def __init__(self, build: Callable[..., models.QuerySet[M]], **kinds: type) -> None:
        for name, kind in kinds.items():
            if kind not in (int, str):
                raise TypeError(f"parameter {name!r}: declare it int or str, not {kind!r}")
        self._build = build
        self._kinds = kinds
        self._model: type[M] | None = None
        self._compiled: dict[str, _Compiled] = {}

    def _markers(self) -> dict[str, Any]:
        return {
            name: (_INT_MARKER + n if kind is int else f"\x00compiled-query:{name}\x00")
            for n, (name, kind) in enumerate(self._kinds.items())
        }

    def _compile(self, alias: str | None) -> tuple[str, _Compiled]:
        markers = self._markers()
        queryset = self._build(**markers)
        if alias is not None:
            queryset = queryset.using(alias)
        if (
            queryset._iterable_class is not ModelIterable
            or any(
                getattr(queryset, a)
                for a in ("_prefetch_related_lookups", "_known_related_objects")
            )
            or queryset.query.annotation_select
        ):
            raise ValueError("a CompiledQuery builds model objects only (no values, prefetch)")
        alias = queryset.db
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = {name: [i for i, p in enumerate(params) if p == m] for name, m in markers.items()}
        for name, found in slots.items():
            if not found:
                raise ValueError(f"parameter {name!r} is not a value of the query")
        select, klass_info = compiler.select, compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        columns = [s[0] for s in select[: compiler.col_count]]
        self._model = klass_info["model"]
        compiled = _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            init_list=[s[0].target.attname for s in select[first:last]],
            fields=slice(first, last),
            # the stubs follow a newer Django, whose populators also take a fetch mode
            populators=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
            converters=[
                (pos, convs, expression)
                for pos, (convs, expression) in compiler.get_converters(columns).items()
            ],
        )
        self._compiled[alias] = compiled
        return alias, compiled

    def fetch(self, **values: Any) -> list[M]:
        alias = router.db_for_read(self._model) if self._model is not None else None
        compiled = self._compiled.get(alias or "")
        if compiled is None or alias is None:
            alias, compiled = self._compile(alias)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            value = values[name]
            if self._kinds[name] is str and not isinstance(value, str):
                raise TypeError(f"parameter {name!r} must be a str, not {value!r}")
            value = self._kinds[name](value)  # int() as the ORM's integer fields do
            for position in positions:
                params[position] = value
        connection = connections[alias]
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        assert self._model is not None
        objects = []
        for raw in rows:
            row = list(raw)
            for pos, convs, expression in compiled.converters:
                for convert in convs:
                    row[pos] = convert(row[pos], expression, connection)
            obj = self._model.from_db(alias, compiled.init_list, row[compiled.fields])
            for populator in compiled.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects

    def first(self, **values: Any) -> M | None:
        found = self.fetch(**values)
        return found[0] if found else None
