"""Provenance: who signed each treatment session, and each later amendment (who, when, why)."""

from __future__ import annotations

from typing import Any

from mesocare.charting.models import Amendment, TreatmentSession
from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, practitioner_ref, ref, when
from mesocare.fhir.search import date_filter

DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"


def _agent(ctx: MappingContext, user_id: int | None, role: str, display: str) -> dict[str, Any]:
    who = practitioner_ref(ctx, user_id) or {"display": "former staff member"}
    return {
        "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": role, "display": display}]},
        "who": who,
    }


def build_signature(session: Any, ctx: MappingContext) -> dict[str, Any]:
    """``session``: a row of ``pk``, ``signed_at``, ``signed_by_id``."""
    agent = _agent(ctx, session.signed_by_id, "author", "Author")
    return compact(
        {
            "target": [ref("Procedure", session.pk)],
            "recorded": when(session.signed_at),
            "activity": {
                "coding": [{"system": DATA_OPERATION, "code": "CREATE", "display": "create"}],
                "text": "Signed",
            },
            "agent": [agent],
            "signature": [
                {
                    "type": [
                        {
                            "system": SIGNATURE_TYPE,
                            "code": "1.2.840.10065.1.12.1.1",
                            "display": "Author's Signature",
                        }
                    ],
                    "when": when(session.signed_at),
                    "who": agent["who"],
                }
            ],
        }
    )


def build_amendment(amendment: Any, ctx: MappingContext) -> dict[str, Any]:
    """``amendment``: a row of ``pk``, ``at``, ``session_id``, ``reason``, ``by_id``."""
    return compact(
        {
            "target": [ref("Procedure", amendment.session_id)],
            "recorded": when(amendment.at),
            "reason": [{"text": amendment.reason}],
            "activity": {
                "coding": [{"system": DATA_OPERATION, "code": "UPDATE", "display": "revise"}],
                "text": "Amended",
            },
            "agent": [_agent(ctx, amendment.by_id, "author", "Author")],
        }
    )


def _agent_sql(ctx: MappingContext, user_id: str) -> tuple[str, str]:
    """`_agent` in SQL: (the agent, its ``who``)."""
    who = q.Json(
        f"COALESCE({q.practitioner(ctx.membership_by_user, user_id)}, "
        f"{q.const({'display': 'former staff member'})})"
    )
    role = {"system": PARTICIPANT_TYPE, "code": "author", "display": "Author"}
    return q.obj({"type": q.const({"coding": [role]}), "who": who}), who


def _activity_sql(code: str, display: str, text: str) -> str:
    coding = {"system": DATA_OPERATION, "code": code, "display": display}
    return q.const({"coding": [coding], "text": text})


def sql_signature(ctx: MappingContext) -> str:
    """`build_signature` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("charting_treatmentsession", name)

    agent, who = _agent_sql(ctx, c("signed_by_id"))
    signature_type = {
        "system": SIGNATURE_TYPE,
        "code": "1.2.840.10065.1.12.1.1",
        "display": "Author's Signature",
    }
    return q.resource(
        "Provenance",
        f"'signature-' || {c('id')}",
        {
            "target": q.arr(q.ref("Procedure", c("id"))),
            "recorded": q.instant(c("signed_at")),
            "activity": _activity_sql("CREATE", "create", "Signed"),
            "agent": q.arr(agent),
            "signature": q.arr(
                q.obj(
                    {
                        "type": q.const([signature_type]),
                        "when": q.instant(c("signed_at")),
                        "who": who,
                    }
                )
            ),
        },
    )


def sql_amendment(ctx: MappingContext) -> str:
    """`build_amendment` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("charting_amendment", name)

    agent, _who = _agent_sql(ctx, c("by_id"))
    return q.resource(
        "Provenance",
        f"'amendment-' || {c('id')}",
        {
            "target": q.arr(q.ref("Procedure", c("session_id"))),
            "recorded": q.instant(c("at")),
            "reason": q.arr(q.obj({"text": q.Json(q.string(c("reason")))})),
            "activity": _activity_sql("UPDATE", "revise", "Amended"),
            "agent": q.arr(agent),
        },
    )


def _signed(qs: Any, ctx: MappingContext) -> Any:
    return qs.filter(signed_at__isnull=False)


PROVENANCE = register(
    ResourceType(
        name="Provenance",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                TreatmentSession,
                build_signature,
                id_prefix="signature",
                last_updated="signed_at",
                scope=_signed,
                columns=("signed_by_id",),
                sql=sql_signature,
                filters={"recorded": date_filter("signed_at")},
            ),
            Source(
                Amendment,
                build_amendment,
                id_prefix="amendment",
                last_updated="at",
                patient_path="session__patient",
                select=("session",),
                columns=("session_id", "reason", "by_id"),
                sql=sql_amendment,
                filters={"recorded": date_filter("at")},
            ),
        ),
        params=(SearchParam("recorded", "date", "When the signature or amendment was made."),),
    )
)
