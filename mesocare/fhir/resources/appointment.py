"""Appointment: bookings (a course's sessions are the activities of its CarePlan)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, ref, when
from mesocare.fhir.search import date_filter, reference_filter, token_filter
from mesocare.scheduling.models import Appointment

# mesocare status → http://hl7.org/fhir/R4/valueset-appointmentstatus.html
STATUS = {
    "booked": "booked",
    "checked_in": "checked-in",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
STATUS_FILTER = {fhir: Q(status=ours) for ours, fhir in STATUS.items()}


COLUMNS = (
    "patient_id",
    "practitioner_id",
    "location_id",
    "plan_id",
    "course_index",
    "status",
    "cancel_reason",
    "start",
    "end",
    "created_at",
    "notes",
)


def build(appointment: Any, ctx: MappingContext) -> dict[str, Any]:
    """``appointment``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    participants = [
        {
            "actor": ref("Patient", appointment.patient_id),
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": ref("Practitioner", appointment.practitioner_id),
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": ref("Location", appointment.location_id),
            "required": "required",
            "status": "accepted",
        },
    ]
    description = None
    if appointment.plan_id is not None:
        description = f"Session {appointment.course_index} of a course"
    return compact(
        {
            "status": STATUS[appointment.status],
            "cancelationReason": {"text": appointment.cancel_reason}
            if appointment.cancel_reason
            else None,
            "description": description,
            "start": when(appointment.start),
            "end": when(appointment.end),
            "minutesDuration": Appointment.duration_min.fget(appointment),  # type: ignore[attr-defined]
            "created": when(appointment.created_at),
            "comment": appointment.notes,
            "participant": participants,
        }
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("scheduling_appointment", name)

    def participant(type_name: str, column: str) -> str:
        return q.obj(
            {
                "actor": q.Json(q.ref(type_name, c(column))),
                "required": q.const("required"),
                "status": q.const("accepted"),
            }
        )

    minutes = f"floor(extract(epoch FROM {c('end')} - {c('start')}) / 60)::bigint"
    return q.resource(
        "Appointment",
        c("id"),
        {
            "status": q.string(q.lookup(STATUS, c("status"))),
            "cancelationReason": q.when(
                f"{c('cancel_reason')} <> ''", q.obj({"text": q.string(c("cancel_reason"))})
            ),
            "description": q.when(
                f"{c('plan_id')} IS NOT NULL",
                q.string(
                    f"'Session ' || COALESCE({c('course_index')}::text, 'None') || ' of a course'"
                ),
            ),
            "start": q.instant(c("start")),
            "end": q.instant(c("end")),
            "minutesDuration": q.raw(minutes),
            "created": q.instant(c("created_at")),
            "comment": q.text(c("notes")),
            "participant": q.arr(
                participant("Patient", "patient_id"),
                participant("Practitioner", "practitioner_id"),
                participant("Location", "location_id"),
            ),
        },
    )


APPOINTMENT = register(
    ResourceType(
        name="Appointment",
        perm=Perm.SCHEDULE_VIEW,
        sources=(
            Source(
                Appointment,
                build,
                last_updated="updated_at",
                columns=COLUMNS,
                sql=sql,
                filters={
                    "date": date_filter("start"),
                    "status": token_filter(STATUS_FILTER),
                    "practitioner": reference_filter("practitioner_id", "Practitioner"),
                    "location": reference_filter("location_id", "Location"),
                },
            ),
        ),
        params=(
            SearchParam("date", "date", "When the appointment starts."),
            SearchParam("status", "token", " | ".join(STATUS.values())),
            SearchParam("practitioner", "reference", "The practitioner (Practitioner/<id>)."),
            SearchParam("location", "reference", "The location (Location/<id>)."),
        ),
    )
)
