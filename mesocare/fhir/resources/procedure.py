"""Procedure: a signed treatment session — zones treated, and per injection its technique,
depth, points and volume in the `injection` extension this server defines
(``<base>/StructureDefinition/injection``). Unsigned sessions are not a record yet and are
not served."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from django.db.models import Prefetch, Q

from mesocare.catalog.models import Protocol, Zone
from mesocare.charting.models import InjectionRecord, TreatmentSession
from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import CS_INDICATION, CS_TECHNIQUE, CS_ZONE, SD_INJECTION
from mesocare.fhir.registry import (
    Child,
    Include,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import UCUM, compact, number, quantity, ref, when
from mesocare.fhir.search import date_filter, reference_pk, token_filter


def course_of(planned_session_plan_id: int | None, appointment_plan_id: int | None) -> int | None:
    """The course a session belongs to: its planned session's, else its appointment's."""
    if planned_session_plan_id is not None:
        return int(planned_session_plan_id)
    if appointment_plan_id is not None:
        return int(appointment_plan_id)
    return None


def plan_id(session: TreatmentSession) -> int | None:
    """The course of a session (model instance, with planned session and appointment)."""
    return course_of(
        session.planned_session.plan_id if session.planned_session is not None else None,
        session.appointment.plan_id if session.appointment is not None else None,
    )


COLUMNS = (
    "planned_session__plan_id",
    "appointment__plan_id",
    "protocol__name",
    "protocol__indication__code",
    "protocol__indication__name",
    "notes",
    "pain_vas",
    "patient_id",
    "started_at",
    "signed_at",
    "practitioner_id",
    "location_id",
)
INJECTIONS = Child(
    "injections",
    InjectionRecord,
    "session_id",
    ("zone_id", "zone__name", "technique", "depth_mm", "points", "total_volume_ml"),
    order_by=("n",),
)


def _injection(injection: Any, ctx: MappingContext) -> dict[str, Any]:
    parts = [
        {
            "url": "zone",
            "valueCoding": {
                "system": ctx.canonical(f"CodeSystem/{CS_ZONE}"),
                "code": injection.zone_id,
                "display": injection.zone__name,
            },
        },
        {
            "url": "technique",
            "valueCoding": {
                "system": ctx.canonical(f"CodeSystem/{CS_TECHNIQUE}"),
                "code": injection.technique,
                "display": ctx.label(InjectionRecord, "technique", injection.technique),
            },
        },
        {"url": "depth", "valueQuantity": quantity(injection.depth_mm, "mm")},
        {"url": "points", "valuePositiveInt": injection.points},
        {"url": "volume", "valueQuantity": quantity(injection.total_volume_ml, "mL")},
    ]
    return {"url": ctx.canonical(f"StructureDefinition/{SD_INJECTION}"), "extension": parts}


def build(session: Any, ctx: MappingContext) -> dict[str, Any]:
    """``session``: a row of COLUMNS with its INJECTIONS (see `mesocare.fhir.registry`)."""
    injections = session.injections
    zones: dict[str, str] = {}
    for injection in injections:
        zones.setdefault(injection.zone_id, injection.zone__name)
    plan = course_of(session.planned_session__plan_id, session.appointment__plan_id)
    protocol = session.protocol__name
    reason = []
    if protocol is not None:
        reason.append(
            {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_INDICATION}"),
                        "code": session.protocol__indication__code,
                        "display": session.protocol__indication__name,
                    }
                ],
                "text": session.protocol__indication__name,
            }
        )
    note = [{"text": session.notes}] if session.notes else []
    if session.pain_vas is not None:
        note.append({"text": f"Pain during the session (VAS 0–10): {number(session.pain_vas)}"})
    return compact(
        {
            "extension": [_injection(i, ctx) for i in injections],
            "basedOn": [ref("CarePlan", plan)] if plan is not None else [],
            "status": "completed",
            "code": {"text": f"Mesotherapy: {protocol}" if protocol is not None else "Mesotherapy"},
            "subject": ref("Patient", session.patient_id),
            "encounter": ref("Encounter", session.pk),
            "performedPeriod": {"start": when(session.started_at), "end": when(session.signed_at)},
            "performer": [{"actor": ref("Practitioner", session.practitioner_id)}],
            "location": ref("Location", session.location_id),
            "reasonCode": reason,
            "bodySite": [
                {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_ZONE}"),
                            "code": code,
                            "display": name,
                        }
                    ],
                    "text": name,
                }
                for code, name in zones.items()
            ],
            "note": note,
        }
    )


def _table(model: Any, path: str) -> str:
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return str(model._meta.db_table)


def _protocols(ctx: MappingContext) -> tuple[dict[int, str], dict[int, str]]:
    """The JSON text of the ``code`` and of the ``reasonCode`` `build` writes for each protocol
    the organization may use, by protocol pk."""
    found = Protocol.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=ctx.org_id)
    ).values_list("pk", "name", "indication__code", "indication__name")
    system = ctx.canonical(f"CodeSystem/{CS_INDICATION}")
    codes, reasons = {}, {}
    for pk, name, code, indication in found:
        codes[pk] = orjson.dumps({"text": f"Mesotherapy: {name}"}).decode()
        coding = {"system": system, "code": code, "display": indication}
        reasons[pk] = orjson.dumps([{"coding": [coding], "text": indication}]).decode()
    return codes, reasons


def _pain_notes() -> dict[str, str]:
    """The JSON text of the pain ``note`` `build` writes, by the text of every value the column
    holds (one decimal, 0 to 10)."""
    notes = {}
    for tenths in range(101):
        pain = Decimal(tenths).scaleb(-1)
        text = f"Pain during the session (VAS 0–10): {number(pain)}"
        notes[str(pain)] = orjson.dumps({"text": text}).decode()
    return notes


def _quantity(value: str, unit: str) -> str:
    return q.obj(
        {
            "value": q.Json(q.number(value)),
            "unit": q.const(unit),
            "system": q.const(UCUM),
            "code": q.const(unit),
        }
    )


def _codings(ctx: MappingContext) -> tuple[dict[str, Any], str]:
    """The zones' ``valueCoding`` by zone code, and the ``valueCoding`` of the technique of an
    injection ``i`` (JSON built once per export and looked up)."""
    zone_system = ctx.canonical(f"CodeSystem/{CS_ZONE}")
    zones = {
        code: {"system": zone_system, "code": code, "display": name}
        for code, name in Zone.objects.values_list("code", "name")
    }
    technique_system = ctx.canonical(f"CodeSystem/{CS_TECHNIQUE}")
    labels = ctx.labels(InjectionRecord, "technique")
    techniques = {
        code: {"system": technique_system, "code": code, "display": label}
        for code, label in labels.items()
    }
    unlabelled = q.obj(
        {
            "system": q.const(technique_system),
            "code": q.Json(q.string("i.technique")),
            "display": q.Json(q.string("i.technique")),
        }
    )
    return zones, f"COALESCE({q.lookup_json(techniques, 'i.technique')}, {unlabelled})"


def _extension(ctx: MappingContext) -> str:
    """`_injection` in SQL, of an injection ``i``."""
    zones, technique = _codings(ctx)
    parts = q.arr(
        q.obj(
            {
                "url": q.const("zone"),
                "valueCoding": q.Json(q.lookup_json(zones, "i.zone_code")),
            }
        ),
        q.obj({"url": q.const("technique"), "valueCoding": q.Json(technique)}),
        q.obj({"url": q.const("depth"), "valueQuantity": _quantity("i.depth_mm", "mm")}),
        q.obj({"url": q.const("points"), "valuePositiveInt": q.Json(q.raw("i.points"))}),
        q.obj({"url": q.const("volume"), "valueQuantity": _quantity("i.total_volume_ml", "mL")}),
    )
    return q.obj(
        {"url": q.const(ctx.canonical(f"StructureDefinition/{SD_INJECTION}")), "extension": parts}
    )


def _site(ctx: MappingContext) -> str:
    """A ``bodySite`` of `build`, of the zone of an injection ``i``."""
    zones, _technique = _codings(ctx)
    sites = {
        code: {"coding": [coding], "text": coding["display"]} for code, coding in zones.items()
    }
    return q.Json(q.lookup_json(sites, "i.zone_code"))


def sql_joins(ctx: MappingContext) -> str:
    """What `sql` reads besides the session (`mesocare.fhir.sqllines`): its injections, read
    once and aggregated once per session into the extensions and the zones treated (each zone
    once, where it was first injected), and its course."""
    session = f'"{TreatmentSession._meta.db_table}"'
    injections = InjectionRecord._meta.db_table
    first = "i.n = min(i.n) OVER (PARTITION BY i.session_id, i.zone_code)"
    return (
        "LEFT JOIN (SELECT x.session_id, string_agg(x.extension, ',' ORDER BY x.n) AS extensions, "
        "string_agg(x.site, ',' ORDER BY x.n) FILTER (WHERE x.first) AS sites "
        f"FROM (SELECT i.session_id, i.n, {_extension(ctx)} AS extension, "
        f"{_site(ctx)} AS site, {first} AS first "
        f'FROM "{injections}" i WHERE i.session_id IN (SELECT pk FROM fhir_rows)) x '
        f"GROUP BY x.session_id) injections ON injections.session_id = {session}.id "
        f'LEFT JOIN "{_table(TreatmentSession, "planned_session")}" ps '
        f"ON ps.id = {session}.planned_session_id "
        f'LEFT JOIN "{_table(TreatmentSession, "appointment")}" ap '
        f"ON ap.id = {session}.appointment_id"
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`); reads the joins of `sql_joins`."""

    def c(name: str) -> str:
        return q.col("charting_treatmentsession", name)

    codes, reasons = _protocols(ctx)
    pain = q.lookup(_pain_notes(), c("pain_vas"))
    notes = f"""'[{{"text":' || {q.string(c("notes"))} || '}}'"""
    note = (
        f"CASE WHEN {c('notes')} <> '' THEN {notes} || COALESCE(',' || {pain}, '') || ']' "
        f"WHEN {c('pain_vas')} IS NOT NULL THEN '[' || {pain} || ']' END"
    )
    return q.resource(
        "Procedure",
        c("id"),
        {
            "extension": "('[' || injections.extensions || ']')",
            "basedOn": q.when(
                "COALESCE(ps.plan_id, ap.plan_id) IS NOT NULL",
                q.arr(q.ref("CarePlan", "COALESCE(ps.plan_id, ap.plan_id)")),
            ),
            "status": q.const("completed"),
            "code": q.Json(
                f"COALESCE({q.lookup(codes, c('protocol_id'))}, "
                f"{q.sql_text(orjson.dumps({'text': 'Mesotherapy'}).decode())})"
            ),
            "subject": q.ref("Patient", c("patient_id")),
            "encounter": q.ref("Encounter", c("id")),
            "performedPeriod": q.obj(
                {"start": q.Json(q.instant(c("started_at"))), "end": q.instant(c("signed_at"))}
            ),
            "performer": q.arr(
                q.obj({"actor": q.Json(q.ref("Practitioner", c("practitioner_id")))})
            ),
            "location": q.ref("Location", c("location_id")),
            "reasonCode": q.lookup(reasons, c("protocol_id")),
            "bodySite": "('[' || injections.sites || ']')",
            "note": note,
        },
    )


def _based_on(raw: str) -> Q:
    pk = reference_pk(raw, "CarePlan")
    return Q(planned_session__plan_id=pk) | Q(planned_session__isnull=True, appointment__plan_id=pk)


def _signed(qs: Any, ctx: MappingContext) -> Any:
    return qs.filter(signed_at__isnull=False)


def _plan_ids(session: TreatmentSession) -> list[str]:
    plan = plan_id(session)
    return [str(plan)] if plan is not None else []


PROCEDURE = register(
    ResourceType(
        name="Procedure",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                TreatmentSession,
                build,
                last_updated="signed_at",
                scope=_signed,
                select=("planned_session", "appointment", "protocol__indication"),
                prefetch=(
                    Prefetch(
                        "injections",
                        queryset=InjectionRecord.objects.select_related("zone").order_by("n"),
                    ),
                ),
                columns=COLUMNS,
                sql=sql,
                sql_joins=sql_joins,
                children=(INJECTIONS,),
                filters={
                    "date": date_filter("started_at"),
                    "status": token_filter({"completed": Q()}),
                    "based-on": _based_on,
                },
            ),
        ),
        params=(
            SearchParam("date", "date", "When the session took place."),
            SearchParam("status", "token", "completed (only signed sessions are served)"),
            SearchParam("based-on", "reference", "The course (CarePlan/<id>)."),
        ),
        includes=(Include("based-on", "CarePlan", _plan_ids),),
    )
)
