"""The one registry of FHIR resource types: it drives the routes, the search parameters and the
CapabilityStatement, and it is the interface every consumer of the mappers uses (read and search
here, Bulk Data export and import elsewhere).

The interface (kept stable)
===========================
`REGISTRY[type_name] -> ResourceType` (``register()`` adds one; ``resource_types()`` lists them
in a fixed order). A `ResourceType` has

- ``name`` — the FHIR type (``"Patient"``), ``perm`` — the permission an actor needs to read it,
  ``patient_data`` — whether its rows are patient data (reads are audited per patient),
  ``profile`` — the base StructureDefinition it conforms to;
- ``params`` — its search parameters (`SearchParam`: ``name``, ``type``, ``documentation``);
  ``_id``, ``_lastUpdated``, ``_count`` and (for patient data) ``patient``/``subject`` are common
  to all and handled by `mesocare.fhir.search`;
- ``includes`` — the ``_include`` values it supports (`Include`: ``"Type:param"`` → target type
  and a function giving the target ids of a row);
- ``sources`` — one or more `Source`s. A source maps one model to this type. Several sources
  make one type when the domain keeps the data in several tables (Observation: assessments,
  weights, measurements, check-ins); their ids carry a prefix (``"weight-12"``) so that
  ``"<Type>/<id>"`` is unique.

A `Source` has

- ``queryset(ctx, since=None, patient_ids=None) -> QuerySet`` — every row of the organization
  ``ctx.org_id`` that becomes a resource, already with the ``select_related`` /
  ``prefetch_related`` that ``to_fhir`` needs, optionally only rows changed at or after ``since``
  (an aware datetime; compared with the row's ``meta.lastUpdated``) and only of the given patients
  (``patient_ids`` an iterable of patient pks). Iterate it with
  ``.iterator(chunk_size=…)``: Django runs the prefetches once per chunk, so a whole organization
  streams with bounded memory and a constant number of queries per chunk;
- ``to_fhir(obj, ctx) -> dict`` — the R4 JSON of one row (with ``id`` and
  ``meta.versionId``/``meta.lastUpdated``); it runs no query of its own beyond what the queryset
  prefetched and what `MappingContext` caches once per organization;
- ``fhir_id(pk) -> str`` and ``pk_of(fhir_id) -> int | None`` — the id mapping;
- ``patient_path`` — the model path of the patient (``"patient"``; ``None`` for non-patient data).

`ResourceType.iter_resources(ctx, since=None, patient_ids=None, chunk_size=500)` streams every
resource of the type as dicts, source after source, in a stable order (by primary key).

`MappingContext(org_id, base_url)` carries what mappers need besides the row: the organization,
the canonical base of the code systems and extensions this server defines (``canonical(path)``),
and per-organization caches (``membership_by_user``). `MappingContext.for_org(org_id)` builds one
without a request (for background jobs).

The fast path (bulk export)
===========================
A `Source` with ``columns`` reads its rows as tuples (``values_list`` of those column paths, no
model instances) and its ``build`` receives a named tuple whose fields are the columns (``pk``,
the ``last_updated`` path and each of ``columns``; ``"zone__name"`` is ``row.zone__name``) plus,
for each `Child`, a list of the child rows (one query per chunk of parents). Display labels of
choice fields come from ``ctx.label(Model, "field", code)`` (translated once per export, not per
row). The per-resource read API and search run the very same ``build`` on the same rows (one
``values_list`` query per page), so a resource reads the same whichever way it is fetched.
``iter_encoded`` streams the serialized JSON of every resource (orjson, serialized once: the
bytes that are hashed for ``meta.versionId`` are the bytes written).

`meta.versionId` is a digest of the resource's content (so it changes exactly when the resource
does) and the ETag is ``W/"<versionId>"``; `meta.lastUpdated` is the row's last change where the
model records one, else its creation time.
"""

from __future__ import annotations

import hashlib
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Model, Q, QuerySet

from mesocare.clinics.permissions import Perm
from mesocare.fhir.sqllines import BLOCK_LINES, copy_blocks, rows_query

FHIR_BASE_PATH = "/fhir/R4"
SearchType = Literal["token", "date", "reference", "string", "number", "quantity", "uri"]
# A filter turns ONE search value (one item of a comma-separated list) into a Q of the source's
# model; it raises `mesocare.fhir.outcome.FhirError` (400) for a value it cannot read.
Filter = Callable[[str], Q]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: SearchType
    documentation: str


@dataclass
class MappingContext:
    org_id: int
    base_url: str
    _memberships: dict[int, int] | None = field(default=None, repr=False)
    _labels: dict[tuple[Any, str], dict[Any, str]] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def for_org(cls, org_id: int) -> MappingContext:
        return cls(org_id=org_id, base_url=f"{settings.SITE_URL}{FHIR_BASE_PATH}")

    def canonical(self, path: str) -> str:
        """The canonical URL of something this server defines (``"CodeSystem/scale-item"``)."""
        return f"{self.base_url}/{path}"

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """A lookup table built once per context (per export, per request)."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def label(self, model: type[Model], field_name: str, code: Any) -> str:
        """The display label of a choice field's value (what ``get_<field>_display()`` gives),
        translated once per context and field instead of once per row."""
        key = (model, field_name)
        labels = self._labels.get(key)
        if labels is None:
            choices = model._meta.get_field(field_name).flatchoices  # type: ignore[union-attr]
            labels = self._labels[key] = {value: str(text) for value, text in choices}
        return labels.get(code, str(code) if code is not None else "")

    def labels(self, model: type[Model], field_name: str) -> dict[Any, str]:
        """Every display label of a choice field (code → label), as `label` gives them."""
        self.label(model, field_name, None)
        return self._labels[(model, field_name)]

    @property
    def membership_by_user(self) -> dict[int, int]:
        """user pk → membership pk in this organization (one query, then cached)."""
        if self._memberships is None:
            from mesocare.clinics.models import Membership

            self._memberships = dict(
                Membership.objects.for_org(self.org_id).values_list("user_id", "id")
            )
        return self._memberships


def _json_default(value: Any) -> Any:
    return str(value)


def dumps(value: Any) -> bytes:
    """The JSON of a resource as the server writes it (UTF-8, compact, keys in build order)."""
    return orjson.dumps(value, default=_json_default)


def version_of(resource: dict[str, Any]) -> str:
    body = {k: v for k, v in resource.items() if k != "meta"}
    return hashlib.sha256(dumps(body)).hexdigest()[:16]


def _with_meta(raw: bytes, updated: datetime) -> tuple[bytes, str]:
    """Serialized resource without meta → (serialized with meta, versionId), no re-encoding."""
    return with_meta(raw, instant(updated).encode())


def with_meta(raw: bytes, updated: bytes) -> tuple[bytes, str]:
    """`_with_meta` with the change time already as `instant` writes it."""
    version = hashlib.sha256(raw).hexdigest()[:16]
    meta = b',"meta":{"versionId":"%s","lastUpdated":"%s"}}' % (version.encode(), updated)
    return raw[:-1] + meta, version


@dataclass(frozen=True)
class Child:
    """Rows of a related model that a fast-path build needs: ``row.<name>`` is the list of
    ``columns`` tuples (named) of the rows whose ``fk`` is the parent, ordered by ``order_by``."""

    name: str
    model: type[Model]
    fk: str
    columns: tuple[str, ...]
    order_by: tuple[str, ...] = ("pk",)

    def row_type(self) -> Any:
        return namedtuple(f"{self.model.__name__}Row", self.columns)  # type: ignore[misc]


def instant(value: datetime) -> str:
    return value.isoformat()


@dataclass
class Source:
    """One model mapped to a FHIR type (see the module docstring)."""

    model: type[Model]
    build: Callable[[Any, MappingContext], dict[str, Any]]
    last_updated: str
    patient_path: str | None = "patient"
    id_prefix: str = ""
    select: tuple[str, ...] = ()
    prefetch: tuple[Any, ...] = ()
    scope: Callable[[QuerySet[Any], MappingContext], QuerySet[Any]] | None = None
    # Computed columns (e.g. the change time ``last_updated`` names when no one column holds it).
    annotations: dict[str, Any] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    # The fast path (see the module docstring): the columns ``build`` reads, and child rows.
    columns: tuple[str, ...] = ()
    children: tuple[Child, ...] = ()
    # The in-database path (PostgreSQL bulk export): the SQL text of a resource's JSON without
    # ``meta`` (`mesocare.fhir.sqljson`), byte for byte what ``build`` serializes to.
    sql: Callable[[MappingContext], str] | None = None
    # The joins ``sql`` reads besides the source's table (`mesocare.fhir.sqllines`).
    sql_joins: Callable[[MappingContext], str] | None = None
    # The change time read from ``sql_joins`` instead of the ``last_updated`` annotation (whose
    # subqueries run once per row), the same value.
    sql_updated: Callable[[MappingContext], str] | None = None
    resource_type: str = ""
    _row_type: Any = field(default=None, repr=False)

    @property
    def fast(self) -> bool:
        return bool(self.columns)

    def _fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(("pk", self.last_updated, *self.columns)))

    def row_type(self) -> Any:
        if self._row_type is None:
            names = self._fields() + tuple(child.name for child in self.children)
            self._row_type = namedtuple(f"{self.model.__name__}Row", names)  # type: ignore[misc]
        return self._row_type

    def fhir_id(self, pk: int) -> str:
        return f"{self.id_prefix}-{pk}" if self.id_prefix else str(pk)

    def pk_of(self, fhir_id: str) -> int | None:
        raw = fhir_id
        if self.id_prefix:
            head, sep, raw = fhir_id.rpartition("-")
            if not sep or head != self.id_prefix:
                return None
        if not raw.isdigit() or len(raw) > 18:
            return None
        return int(raw)

    def queryset(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
    ) -> QuerySet[Any]:
        return self._filtered(ctx, since, patient_ids, related=True)

    def _filtered(
        self,
        ctx: MappingContext,
        since: datetime | None,
        patient_ids: Iterable[int] | None,
        related: bool,
    ) -> QuerySet[Any]:
        manager: Any = self.model._default_manager
        if hasattr(manager, "for_org"):
            qs = manager.for_org(ctx.org_id)
        else:  # the Organization itself
            qs = manager.filter(pk=ctx.org_id)
        if self.scope is not None:
            qs = self.scope(qs, ctx)
        if self.annotations:
            qs = qs.annotate(**self.annotations)
        if self.select and related:
            qs = qs.select_related(*self.select)
        if self.prefetch and related:
            qs = qs.prefetch_related(*self.prefetch)
        if since is not None:
            qs = qs.filter(**{f"{self.last_updated}__gte": since})
        if patient_ids is not None:
            if self.patient_path is None:
                return qs.none()
            qs = qs.filter(**{f"{self.patient_path}__in": list(patient_ids)})
        return qs.order_by("pk")

    def rows(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
        pks: Iterable[int] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[Any]:
        """The fast path's rows (named tuples, children attached), by primary key."""
        qs = self._filtered(ctx, since, patient_ids, related=False)
        if pks is not None:
            qs = qs.filter(pk__in=list(pks))
        row_type = self.row_type()
        make = row_type._make
        cursor = qs.values_list(*self._fields()).iterator(chunk_size=chunk_size)
        if not self.children:
            yield from map(make, cursor)
            return
        batch: list[tuple[Any, ...]] = []
        for values in cursor:
            batch.append(values)
            if len(batch) == chunk_size:
                yield from self._with_children(batch, make)
                batch = []
        if batch:
            yield from self._with_children(batch, make)

    def blocks_in_database(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
    ) -> Iterator[tuple[int, bytes]]:
        """The serialized resources written by PostgreSQL (``sql``) for the same rows as `rows`
        (same organization, ``since``, patients and scope) and streamed by ``COPY`` in blocks
        (`mesocare.fhir.sqllines`); Python appends ``meta``."""
        assert self.sql is not None
        qs = self._filtered(ctx, since, patient_ids, related=False)
        joins = self.sql_joins(ctx) if self.sql_joins is not None else None
        updated = self.sql_updated(ctx) if self.sql_updated is not None else None
        query = rows_query(qs, self.last_updated, self.sql(ctx), joins, updated)
        for count, rows in copy_blocks(*query):
            yield count, b"\n".join([with_meta(body, updated)[0] for body, updated in rows])

    def _with_children(self, batch: list[tuple[Any, ...]], make: Any) -> Iterator[Any]:
        parent_pks = [values[0] for values in batch]
        kids: list[dict[Any, list[Any]]] = []
        for child in self.children:
            child_make = child.row_type()._make
            grouped: dict[Any, list[Any]] = {}
            found = (
                child.model._default_manager.filter(**{f"{child.fk}__in": parent_pks})
                .order_by(child.fk, *child.order_by)
                .values_list(child.fk, *child.columns)
            )
            for values in found.iterator(chunk_size=5000):
                grouped.setdefault(values[0], []).append(child_make(values[1:]))
            kids.append(grouped)
        for values in batch:
            yield make(values + tuple(group.get(values[0], []) for group in kids))

    def _body(self, item: Any, ctx: MappingContext) -> dict[str, Any]:
        resource: dict[str, Any] = {"resourceType": self.resource_type, "id": self.fhir_id(item.pk)}
        resource.update(self.build(item, ctx))
        return resource

    def _updated(self, item: Any) -> datetime:
        if self.fast:
            return getattr(item, self.last_updated)  # type: ignore[no-any-return]
        return _path_value(item, self.last_updated)  # type: ignore[no-any-return]

    def encode(self, item: Any, ctx: MappingContext) -> bytes:
        """The resource's JSON (with meta) from a row of `rows` (fast path) or a model
        instance of `queryset`, serialized once."""
        raw, _version = _with_meta(dumps(self._body(item, ctx)), self._updated(item))
        return raw

    def _resource(self, item: Any, ctx: MappingContext) -> dict[str, Any]:
        resource = self._body(item, ctx)
        _raw, version = _with_meta(dumps(resource), self._updated(item))
        resource["meta"] = {"versionId": version, "lastUpdated": instant(self._updated(item))}
        return resource

    def render(self, objs: list[Any], ctx: MappingContext) -> list[dict[str, Any]]:
        """The resources of model instances found by `queryset` (read, search), in order.
        A fast-path source maps the same rows the export reads (one query for the list)."""
        if not self.fast:
            return [self._resource(obj, ctx) for obj in objs]
        by_pk = {row.pk: row for row in self.rows(ctx, pks=[obj.pk for obj in objs])}
        return [self._resource(by_pk[obj.pk], ctx) for obj in objs]

    def to_fhir(self, obj: Any, ctx: MappingContext) -> dict[str, Any]:
        return self.render([obj], ctx)[0]

    def patient_pk(self, obj: Any) -> int | None:
        if self.patient_path is None:
            return None
        if self.patient_path == "pk":
            return int(obj.pk)
        value = _path_value(obj, f"{self.patient_path}_id")
        return int(value) if value is not None else None


def _path_value(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Include:
    """``_include=<Type>:<param>``: the resources a row references through ``param``."""

    param: str
    target: str
    target_ids: Callable[[Any], list[str]]


@dataclass
class ResourceType:
    name: str
    perm: Perm
    sources: tuple[Source, ...]
    params: tuple[SearchParam, ...] = ()
    includes: tuple[Include, ...] = ()
    patient_data: bool = True
    # False for types derived from others (Group): served, but not written by an export.
    exported: bool = True
    profile: str = ""
    documentation: str = ""

    def __post_init__(self) -> None:
        for source in self.sources:
            source.resource_type = self.name
        if not self.profile:
            self.profile = f"http://hl7.org/fhir/StructureDefinition/{self.name}"

    def source_of(self, fhir_id: str) -> tuple[Source, int] | None:
        for source in self.sources:
            pk = source.pk_of(fhir_id)
            if pk is not None:
                return source, pk
        return None

    def iter_resources(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
        chunk_size: int = 500,
    ) -> Iterator[dict[str, Any]]:
        for raw in self.iter_encoded(ctx, since, patient_ids, chunk_size):
            yield orjson.loads(raw)

    def iter_encoded(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
        chunk_size: int = 5000,
        in_database: bool | None = None,
    ) -> Iterator[bytes]:
        """Every resource of the type as serialized JSON, source after source, by primary key
        (what `iter_blocks` writes, one resource at a time)."""
        for _count, block in self.iter_blocks(ctx, since, patient_ids, chunk_size, in_database):
            yield from block.split(b"\n")

    def iter_blocks(
        self,
        ctx: MappingContext,
        since: datetime | None = None,
        patient_ids: Iterable[int] | None = None,
        chunk_size: int = 5000,
        in_database: bool | None = None,
    ) -> Iterator[tuple[int, bytes]]:
        """Every resource of the type as serialized JSON, source after source, by primary key,
        in blocks: (number of resources, their lines joined by newlines). This is the bulk
        export's path: tuples, not model instances, for fast-path sources; on PostgreSQL
        (``in_database`` None) a source with ``sql`` is built by the database."""
        ids = list(patient_ids) if patient_ids is not None else None
        if in_database is None:
            in_database = connection.vendor == "postgresql"
        for source in self.sources:
            if in_database and source.sql is not None:
                yield from source.blocks_in_database(ctx, since, ids)
                continue
            if source.fast:
                items: Iterable[Any] = source.rows(ctx, since, ids, chunk_size=chunk_size)
            else:
                qs = source.queryset(ctx, since=since, patient_ids=ids)
                items = qs.iterator(chunk_size=min(chunk_size, 2000))
            encode = source.encode
            block: list[bytes] = []
            for item in items:
                block.append(encode(item, ctx))
                if len(block) == BLOCK_LINES:
                    yield len(block), b"\n".join(block)
                    block = []
            if block:
                yield len(block), b"\n".join(block)


# Bulk Data Access IG 2.0.0 kick-off operations this server serves (`mesocare.fhir.bulk.urls`):
# level → (the resource type it is on, or None at system level; its OperationDefinition).
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
EXPORT_OPERATIONS: dict[str, tuple[str | None, str]] = {
    "system": (None, f"{BULK_DATA}/OperationDefinition/export"),
    "patient": ("Patient", f"{BULK_DATA}/OperationDefinition/patient-export"),
    "group": ("Group", f"{BULK_DATA}/OperationDefinition/group-export"),
}

REGISTRY: dict[str, ResourceType] = {}


def register(resource_type: ResourceType) -> ResourceType:
    if resource_type.name in REGISTRY:
        raise ValueError(f"FHIR type {resource_type.name} registered twice")
    REGISTRY[resource_type.name] = resource_type
    return resource_type


def resource_types() -> list[ResourceType]:
    """Every registered type, in the order the mapping modules registered them."""
    import mesocare.fhir.resources  # noqa: F401  (registers every type)

    return list(REGISTRY.values())


def get_type(name: str) -> ResourceType | None:
    import mesocare.fhir.resources  # noqa: F401

    return REGISTRY.get(name)
