"""The bulky rows of a chain's histories, made inside PostgreSQL from the rows COPY wrote.

Injections, the lots they used, the outbox and the audit trail follow from the appointments
and sessions by fixed rules, so they are made with INSERT … SELECT (no Python per row, no
text to parse), several statements at a time on their own connections. Their random choices
(an injection's volume, a failed delivery, which visit a read of the record falls on) come
from a hash of the row's id and the seed, so a seed gives the same chain every time.

Ids are laid out so no two rows share one: per appointment three messages and six audit
events (booked, status change, session opened and signed, the plan created and activated
with its first visit), then per patient a check-in message and forty audit slots (the record
created, then reads up to the patient's forty events).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mesocare.demo.scale.copy import TableCopy
from mesocare.demo.scale.history import AUDIT_PER_PATIENT, INJECTIONS_PER_SESSION
from mesocare.demo.scale.setup import Loc, Proto

PAIN = ["1.0", "2.0", "2.5", "3.0", "3.5", "4.0", "5.0"]

FIELDS: dict[str, list[str]] = {
    "plan_event": ["id", "organization_id", "plan_id", "kind", "from_status", "to_status",
                   "outcome", "at", "by_id"],
    "session": ["id", "organization_id", "patient_id", "practitioner_id", "location_id",
                "appointment_id", "planned_session_id", "protocol_id", "protocol_version_id",
                "started_at", "signed_at", "signed_by_id", "pain_vas", "created_by_id",
                "updated_at"],
    "injection": ["id", "organization_id", "session_id", "n", "zone_id", "technique",
                  "depth_mm", "points", "volume_per_point_ml", "total_volume_ml",
                  "needle_kind", "needle_gauge", "created_at", "created_by_id"],
    "component": ["id", "organization_id", "injection_id", "lot_id", "volume_ml", "session_id",
                  "injection_n", "zone_id"],
    "message": ["id", "organization_id", "patient_id", "kind", "channel", "template",
                "payload", "due_at", "status", "attempts", "last_error", "next_attempt_at",
                "last_attempt_at", "sent_at", "provider_ref", "idempotency_key", "timezone",
                "appointment_id", "plan_id", "session_id", "created_at", "updated_at"],
    "audit": ["id", "organization_id", "actor_id", "actor_label", "action", "object_type",
              "object_id", "patient_id", "summary", "channel", "at"],
}  # fmt: skip

# The most rows of each table one patient has (the largest tables' indexes are built first).
PER_PATIENT = {
    "session": 5,
    "plan_event": 5,
    "injection": 5 * INJECTIONS_PER_SESSION,
    "component": 5 * INJECTIONS_PER_SESSION,
    "message": 16,
    "audit": AUDIT_PER_PATIENT,
}

TEMP_TABLES = """
CREATE TEMP TABLE s_loc (id bigint PRIMARY KEY, tz text, payload jsonb);
CREATE TEMP TABLE s_lane (membership bigint PRIMARY KEY, user_id bigint, email text);
CREATE TEMP TABLE s_desk (user_id bigint PRIMARY KEY, email text, lane_user bigint,
                          lane_email text);
CREATE TEMP TABLE s_proto (id bigint PRIMARY KEY, name text, code text, technique text,
                           zones text[], products bigint[], depth numeric[], points int[],
                           vpp numeric[], total numeric[]);
CREATE TEMP TABLE s_lot (location_id bigint, product_id bigint, month date, lot_id bigint,
                         PRIMARY KEY (location_id, product_id, month));
"""


@dataclass
class Ranges:
    """First and last id of each table's rows written by COPY, and the first free ids of the
    tables made here. A session's id follows from its appointment's, a plan event's from its
    plan's, so the tables made from sessions can be made side by side."""

    patient: tuple[int, int]
    plan: tuple[int, int]
    appointment: tuple[int, int]
    session: int
    plan_event: int
    injection: int
    component: int
    message: int
    audit: int


def _u(key: str, salt: int) -> str:
    """SQL for a uniform number in [0, 1) drawn from `key` (a bigint expression)."""
    return f"((hashint8extended({key}, {salt}) & 4294967295)::float8 / 4294967296.0)"


def _pick(key: str, salt: int, n: str) -> str:
    """SQL for an integer in [0, n) drawn from `key`."""
    return f"((hashint8extended({key}, {salt}) & 2147483647) % ({n}))"


def _local(ts: str) -> str:
    """SQL for `ts` as local ISO 8601 text at the location (`l.tz`), its offset `z.off`."""
    return f"overlay(({ts} AT TIME ZONE l.tz)::text PLACING 'T' FROM 11) || z.off"


# A location's UTC offset at `a.start`, as text ("+01:00"); OFFSET 0 computes it once a row.
OFFSET = """CROSS JOIN LATERAL (
    SELECT CASE WHEN d < interval '0' THEN '-' || to_char(-d, 'HH24:MI')
                ELSE '+' || to_char(d, 'HH24:MI') END AS off
    FROM (SELECT (a.start AT TIME ZONE l.tz) - (a.start AT TIME ZONE 'UTC') AS d OFFSET 0) dd
) z"""


def _status(due: str, key: str, salt: int, now: str, cancelled: str) -> str:
    """SQL joining `st.status` of a message due at `due`: pending when still to come, else
    sent (one in a hundred failed)."""
    return f"""CROSS JOIN LATERAL (SELECT CASE WHEN {cancelled} THEN 'cancelled'
        WHEN {due} > {now} THEN 'pending' WHEN {_u(key, salt)} < 0.01 THEN 'failed'
        ELSE 'sent' END AS status OFFSET 0) st"""


class Statements:
    """The INSERT … SELECT statements, in chunks of patients. Each subquery that ends in
    OFFSET 0 is there to compute its columns once a row, not once for every use above it."""

    def __init__(
        self, writers: dict[str, TableCopy], types: dict[str, dict[str, str]],
        literal: Callable[[Any], str], ranges: Ranges, now: dt.datetime, seed: int,
        chunks: int,
    ) -> None:  # fmt: skip
        self.writers = writers
        self.types = types
        self.lit = literal
        self.r = ranges
        self.now = f"{literal(now)}::timestamptz"
        self.seed = seed * 100
        self.chunks = max(1, chunks)

    def _insert(self, name: str, exprs: list[str], body: str) -> str:
        tc = self.writers[name]
        if len(exprs) != len(tc.fields):
            raise ValueError(f"{name}: {len(exprs)} expressions for {len(tc.fields)} fields")
        types = self.types[tc.table]
        consts = [
            f"{self.lit(v)}::{types[c]}"
            for c, v in zip(tc.columns[len(exprs) :], tc.consts, strict=True)
        ]
        cols = ", ".join(f'"{c}"' for c in tc.columns)
        return f'INSERT INTO "{tc.table}" ({cols}) SELECT {", ".join(exprs + consts)} {body}'

    def _split(self, first: int, last: int) -> list[tuple[int, int]]:
        step = max(1, -(-(last - first + 1) // self.chunks))
        return [(lo, min(last, lo + step - 1)) for lo in range(first, last + 1, step)]

    def phases(self) -> list[list[tuple[str, str]]]:
        """(table name, statement) pairs in chunks of patients, the most rows first: the
        sessions and plan events, then what follows from the sessions."""
        chunks = self._split(*self.r.patient)
        first = [("session", self.sessions), ("plan_event", self.plan_events)]
        then = [("audit", self.patient_audit), ("message", self.appointment_messages),
                ("audit", self.appointment_audit), ("injection", self.injections),
                ("component", self.components), ("message", self.session_messages)]  # fmt: skip
        return [
            [(name, make(lo, hi)) for name, make in makers for lo, hi in chunks]
            for makers in (first, then)
        ]

    def sessions(self, lo: int, hi: int) -> str:
        """A signed session for every completed appointment, charted by its practitioner."""
        a0 = self.r.appointment[0]
        sid = f"({self.r.session} + a.id - {a0})"
        pain = "(ARRAY[" + ", ".join(PAIN) + "]::numeric[])"
        return self._insert(
            "session",
            [sid, "a.organization_id", "a.patient_id", "a.practitioner_id", "a.location_id",
             "a.id", "a.planned_session_id", "t.protocol_id", "t.protocol_version_id",
             "a.start + interval '2 minutes'", "a.start + interval '25 minutes'", "ln.user_id",
             f"{pain}[1 + {_pick(sid, self.seed + 6, str(len(PAIN)))}]", "ln.user_id",
             "a.start + interval '25 minutes'"],
            f"""FROM scheduling_appointment a
                JOIN s_lane ln ON ln.membership = a.practitioner_id
                JOIN plans_treatmentplan t ON t.id = a.plan_id
                 AND t.patient_id BETWEEN {lo} AND {hi}
                WHERE a.status = 'completed' AND a.patient_id BETWEEN {lo} AND {hi}
                  AND a.id >= {a0}""",
        )  # fmt: skip

    def plan_events(self, lo: int, hi: int) -> str:
        """A plan created, activated with its course booked, and completed when it is."""
        return self._insert(
            "plan_event",
            [f"{self.r.plan_event} + 3 * (t.id - {self.r.plan[0]}) + e.k",
             "t.organization_id", "t.id", "e.kind", "e.from_status", "e.to_status",
             "e.outcome", "e.at", "t.created_by_id"],
            f"""FROM plans_treatmentplan t
                CROSS JOIN LATERAL (VALUES
                    (0, 'created', '', 'proposed', '', t.created_at),
                    (1, 'activated', 'proposed', 'active', '', t.created_at + interval '1 minute'),
                    (2, 'completed', 'active', 'completed', 'complete',
                     CASE WHEN t.status = 'completed' THEN t.status_changed_at END)
                ) e(k, kind, from_status, to_status, outcome, at)
                WHERE t.patient_id BETWEEN {lo} AND {hi} AND t.id >= {self.r.plan[0]}
                  AND e.at IS NOT NULL""",
        )  # fmt: skip

    def _message(self, mid: str, kind: str, template: str) -> list[str]:
        """Columns of a message from `x` (org, pid, channel, tz, payload, appointment_id,
        plan_id, session_id), due at `m.due` with idempotency key `m.key`."""
        sent = "st.status = 'sent'"
        last = (
            "CASE st.status WHEN 'failed' THEN m.due + interval '1 hour' "
            "WHEN 'sent' THEN m.due + interval '3 seconds' END"
        )
        created = f"least(m.due, {self.now})"
        return [
            mid, "x.org", "x.pid", kind, "x.channel", template, "x.payload", "m.due",
            "st.status", "CASE st.status WHEN 'failed' THEN 5 WHEN 'sent' THEN 1 ELSE 0 END",
            "CASE WHEN st.status = 'failed' THEN '550 mailbox unavailable' ELSE '' END",
            "CASE WHEN st.status = 'pending' THEN m.due END", last,
            f"CASE WHEN {sent} THEN m.due + interval '3 seconds' END",
            f"CASE WHEN {sent} THEN x.channel || '-' || {mid} ELSE '' END",
            "m.key", "x.tz", "x.appointment_id", "m.plan_id", "x.session_id", created,
            f"coalesce({last}, {created})",
        ]  # fmt: skip

    def _injection_id(self) -> tuple[str, str]:
        """SQL of (injection id, index of its charted volume in the protocol's choices)."""
        iid = f"({self.r.injection} + {INJECTIONS_PER_SESSION} * (s.id - {self.r.session}) + j)"
        return iid, f"1 + {_pick(iid, self.seed + 1, 'cardinality(pr.total)')}"

    @staticmethod
    def _zone() -> str:
        """SQL of the zone of a session's injection j (its components carry a copy)."""
        return "pr.zones[1 + (j + s.patient_id) % cardinality(pr.zones)]"

    def injections(self, lo: int, hi: int) -> str:
        iid, c = self._injection_id()
        return self._insert(
            "injection",
            [iid, "s.organization_id", "s.id", "j + 1", self._zone(), "pr.technique",
             f"pr.depth[{c}]", f"pr.points[{c}]", f"pr.vpp[{c}]", f"pr.total[{c}]",
             "'needle'", "30", "s.started_at + (3 + 3 * j) * interval '1 minute'",
             "s.signed_by_id"],
            f"""FROM charting_treatmentsession s JOIN s_proto pr ON pr.id = s.protocol_id
                CROSS JOIN generate_series(0, {INJECTIONS_PER_SESSION - 1}) j
                WHERE s.patient_id BETWEEN {lo} AND {hi} AND s.id >= {self.r.session}""",
        )  # fmt: skip

    def components(self, lo: int, hi: int) -> str:
        """One lot per injection: the location's lot of the product for the visit's month;
        with copies of its injection's session, number and zone."""
        iid, c = self._injection_id()
        return self._insert(
            "component",
            [f"{self.r.component} + {iid} - {self.r.injection}", "s.organization_id", iid,
             "lot.lot_id", f"pr.total[{c}]", "s.id", "j + 1", self._zone()],
            f"""FROM charting_treatmentsession s JOIN s_proto pr ON pr.id = s.protocol_id
                JOIN s_loc l ON l.id = s.location_id
                CROSS JOIN generate_series(0, {INJECTIONS_PER_SESSION - 1}) j
                JOIN s_lot lot ON lot.location_id = s.location_id
                 AND lot.product_id = pr.products[1 + j % cardinality(pr.products)]
                 AND lot.month = date_trunc('month', s.started_at AT TIME ZONE l.tz)::date
                WHERE s.patient_id BETWEEN {lo} AND {hi} AND s.id >= {self.r.session}""",
        )  # fmt: skip

    def appointment_messages(self, lo: int, hi: int) -> str:
        """The booking confirmation and the reminder of every appointment."""
        a0 = self.r.appointment[0]
        mid = f"({self.r.message} + 3 * (x.appointment_id - {a0}) + m.k)"
        cancelled = "m.k = 1 AND x.status = 'cancelled' AND m.due > coalesce(x.changed, x.start)"
        return self._insert(
            "message",
            self._message(mid, "m.kind", "m.kind"),
            f"""FROM (
                    SELECT a.id AS appointment_id, NULL::bigint AS session_id, a.start,
                           a.status, a.status_changed_at AS changed, a.created_at,
                           p.organization_id AS org, p.id AS pid,
                           p.preferred_channel AS channel, l.tz,
                           l.payload || jsonb_build_object('title', pr.name,
                               'starts_at', {_local("a.start")}, 'ends_at',
                               {_local('a."end"')}, 'patient_name', p.given_name) AS payload
                    FROM scheduling_appointment a
                    JOIN patients_patient p ON p.id = a.patient_id
                    JOIN s_loc l ON l.id = a.location_id
                    JOIN plans_treatmentplan t ON t.id = a.plan_id
                    JOIN s_proto pr ON pr.id = t.protocol_id
                    {OFFSET}
                    WHERE a.patient_id BETWEEN {lo} AND {hi} AND a.id >= {a0}
                      AND p.id BETWEEN {lo} AND {hi} AND t.patient_id BETWEEN {lo} AND {hi}
                    OFFSET 0
                ) x
                CROSS JOIN LATERAL (VALUES
                    (0, 'booking_confirmation', x.created_at),
                    (1, 'reminder', x.start - interval '1 day')
                ) m0(k, kind, due)
                CROSS JOIN LATERAL (SELECT m0.k, m0.kind, m0.due, NULL::bigint AS plan_id,
                    'appointment:' || x.appointment_id || ':' || m0.kind || ':'
                    || extract(epoch FROM x.start)::bigint AS key) m
                {_status("m.due", mid, self.seed + 2, self.now, cancelled)}""",
        )  # fmt: skip

    def session_messages(self, lo: int, hi: int) -> str:
        """Aftercare for every signed session; a check-in after each patient's last one."""
        r = self.r
        a0, s0 = r.appointment[0], r.session
        per_patient = r.message + 3 * (r.appointment[1] - a0 + 1)
        mid = (
            f"(CASE WHEN m.kind = 'aftercare' THEN {r.message} + 3 * (x.visit - {a0}) + 2 "
            f"ELSE {per_patient} + x.pid - {r.patient[0]} END)"
        )
        return self._insert(
            "message",
            self._message(
                mid, "m.kind", "CASE WHEN m.kind = 'aftercare' THEN 'aftercare' ELSE 'check_in' END"
            ),
            f"""FROM (
                    SELECT NULL::bigint AS appointment_id, s.id AS session_id, s.signed_at,
                           s.appointment_id AS visit, p.organization_id AS org, p.id AS pid,
                           p.preferred_channel AS channel, l.tz, a.plan_id,
                           l.payload || jsonb_build_object('patient_name', p.given_name)
                               AS payload
                    FROM charting_treatmentsession s
                    JOIN patients_patient p ON p.id = s.patient_id
                    JOIN s_loc l ON l.id = s.location_id
                    LEFT JOIN (
                        SELECT max(id) AS id FROM charting_treatmentsession
                        WHERE patient_id BETWEEN {lo} AND {hi} AND id >= {s0}
                        GROUP BY patient_id
                    ) last ON last.id = s.id
                    LEFT JOIN scheduling_appointment a
                      ON last.id IS NOT NULL AND a.id = s.appointment_id
                     AND a.patient_id BETWEEN {lo} AND {hi}
                    WHERE s.patient_id BETWEEN {lo} AND {hi} AND s.id >= {s0}
                      AND p.id BETWEEN {lo} AND {hi}
                    OFFSET 0
                ) x
                CROSS JOIN LATERAL (VALUES
                    ('aftercare', x.signed_at, NULL::bigint),
                    ('check_in_24h', x.signed_at + interval '1 day', x.plan_id)
                ) m0(kind, due, plan_id)
                CROSS JOIN LATERAL (SELECT m0.kind, m0.due, m0.plan_id,
                    'session:' || x.session_id || ':' || m0.kind AS key) m
                {_status("m.due", mid, self.seed + 2, self.now, "false")}
                WHERE m.kind = 'aftercare' OR x.plan_id IS NOT NULL""",
        )  # fmt: skip

    def appointment_audit(self, lo: int, hi: int) -> str:
        """Per appointment: booked, its status change, the session opened and signed, and
        with the first visit of a plan the plan created and activated."""
        a0 = self.r.appointment[0]
        eid = f"({self.r.audit} + 6 * (a.id - {a0}) + e.k)"
        return self._insert(
            "audit",
            [eid, "a.organization_id", "e.actor", "e.label", "e.action", "e.type",
             "e.object_id", "a.patient_id", "e.summary", "'web'", "e.at"],
            f"""FROM (
                    SELECT a.*, {_local("a.start")} AS local_start
                    FROM scheduling_appointment a
                    JOIN s_loc l ON l.id = a.location_id
                    {OFFSET}
                    WHERE a.patient_id BETWEEN {lo} AND {hi} AND a.id >= {a0}
                    OFFSET 0
                ) a
                JOIN s_lane ln ON ln.membership = a.practitioner_id
                JOIN s_desk d ON d.user_id = a.created_by_id
                LEFT JOIN charting_treatmentsession s
                  ON a.status = 'completed' AND s.appointment_id = a.id
                 AND s.patient_id BETWEEN {lo} AND {hi}
                LEFT JOIN plans_treatmentplan t ON a.course_index = 1 AND t.id = a.plan_id
                 AND t.patient_id BETWEEN {lo} AND {hi}
                LEFT JOIN s_proto pr ON pr.id = t.protocol_id
                CROSS JOIN LATERAL (VALUES
                    (0, d.user_id, d.email, 'create', 'scheduling.appointment', a.id::text,
                     'booked appointment at ' || a.local_start, a.created_at),
                    (1, CASE WHEN a.status = 'completed' THEN ln.user_id ELSE d.user_id END,
                     CASE WHEN a.status = 'completed' THEN ln.email ELSE d.email END,
                     'update', 'scheduling.appointment', a.id::text,
                     'appointment booked → ' || a.status, a.status_changed_at),
                    (2, ln.user_id, ln.email, 'create', 'charting.treatmentsession',
                     s.id::text, 'opened treatment session ' || s.id, s.started_at),
                    (3, ln.user_id, ln.email, 'update', 'charting.treatmentsession',
                     s.id::text, 'signed treatment session ' || s.id, s.signed_at),
                    (4, t.created_by_id, ln.email, 'create', 'plans.treatmentplan', t.id::text,
                     'plan: ' || pr.code || ' v1, ' || t.sessions_planned || ' sessions',
                     t.created_at),
                    (5, t.created_by_id, ln.email, 'update', 'plans.treatmentplan', t.id::text,
                     'plan ' || t.id || ' active: its course is booked',
                     t.created_at + interval '1 minute')
                ) e(k, actor, label, action, type, object_id, summary, at)
                WHERE e.at IS NOT NULL AND (e.k <> 1 OR a.status <> 'booked')""",
        )  # fmt: skip

    def patient_audit(self, lo: int, hi: int) -> str:
        """The record created, then reads on visit days up to the patient's forty events: the
        desk at arrival or the practitioner in the room, at a visit already made (at the
        registration when none is)."""
        r = self.r
        per_patient = r.audit + 6 * (r.appointment[1] - r.appointment[0] + 1)
        eid = f"({per_patient} + {AUDIT_PER_PATIENT} * (v.pid - {r.patient[0]}) + g.k)"
        visit = f"v.a0 + {_pick(eid, self.seed + 3, 'greatest(v.seen, 1)')}"
        by_desk = f"g.k = 0 OR {_u(eid, self.seed + 4)} < 0.5"
        start = "coalesce(a.start, v.created_at)"
        at = (
            f"least(CASE WHEN g.k = 0 THEN v.created_at WHEN {by_desk} THEN {start} - "
            f"(60 + floor({_u(eid, self.seed + 5)} * 1741)) * interval '1 second' "
            f"ELSE {start} + (30 + floor({_u(eid, self.seed + 5)} * 1471)) "
            f"* interval '1 second' END, {self.now})"
        )
        return self._insert(
            "audit",
            [eid, "v.org",
             f"CASE WHEN {by_desk} THEN d.user_id ELSE coalesce(ln.user_id, d.lane_user) END",
             f"CASE WHEN {by_desk} THEN d.email ELSE coalesce(ln.email, d.lane_email) END",
             "CASE WHEN g.k = 0 THEN 'create' ELSE 'read' END", "'patients.patient'",
             "v.pid::text", "v.pid", "v.name", "'web'", at],
            f"""FROM (
                    SELECT p.id AS pid, p.organization_id AS org, p.created_at,
                           p.given_name || ' ' || p.family_name AS name,
                           p.allergy_status_by_id AS desk, c.a0, coalesce(c.seen, 0) AS seen,
                           1 + coalesce(c.fixed, 0) AS fixed
                    FROM patients_patient p
                    LEFT JOIN (
                        SELECT patient_id, min(id) AS a0,
                               count(*) FILTER (WHERE start < {self.now}) AS seen,
                               count(*) + count(*) FILTER (WHERE status <> 'booked')
                               + 2 * count(*) FILTER (WHERE status = 'completed')
                               + 2 * count(*) FILTER (WHERE course_index = 1) AS fixed
                        FROM scheduling_appointment
                        WHERE patient_id BETWEEN {lo} AND {hi} AND id >= {r.appointment[0]}
                        GROUP BY patient_id
                    ) c ON c.patient_id = p.id
                    WHERE p.id BETWEEN {lo} AND {hi}
                ) v
                JOIN s_desk d ON d.user_id = v.desk
                CROSS JOIN LATERAL generate_series(0, {AUDIT_PER_PATIENT} - v.fixed) g(k)
                LEFT JOIN scheduling_appointment a ON g.k > 0 AND v.seen > 0 AND a.id = {visit}
                 AND a.patient_id BETWEEN {lo} AND {hi}
                LEFT JOIN s_lane ln ON ln.membership = a.practitioner_id""",
        )  # fmt: skip


def _prepare(conn: Any, locs: list[Loc], protocols: list[Proto], months: list[dt.date]) -> None:
    """Session settings for a bulk load, and the chain's few lookup rows as temp tables."""
    from psycopg.types.json import Jsonb

    conn.execute("SET synchronous_commit = off")
    conn.execute("SET work_mem = '256MB'")
    conn.execute("SET jit = off")  # compiling these statements costs more than it saves
    try:
        conn.execute("SET session_replication_role = replica")
    except Exception:  # noqa: BLE001 - not a superuser: the foreign key checks run
        conn.rollback()
    conn.execute(TEMP_TABLES)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO s_loc VALUES (%s, %s, %s)",
            [(loc.id, loc.tz, Jsonb({"clinic": loc.org_name, "location": loc.name,
                                     "phone": loc.phone, "address": loc.address}))
             for loc in locs],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO s_lane VALUES (%s, %s, %s)",
            [(lane.membership_id, lane.user_id, lane.email) for loc in locs for lane in loc.lanes],
        )
        cur.executemany(
            "INSERT INTO s_desk VALUES (%s, %s, %s, %s)",
            [(loc.reception_user_id, loc.reception_email, loc.lanes[0].user_id,
              loc.lanes[0].email) for loc in locs],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO s_proto VALUES (%s, %s, %s, %s, %s, %s, %s::numeric[], %s, "
            "%s::numeric[], %s::numeric[])",
            [(p.id, p.name, p.code, p.technique, p.zones, p.products,
              [i[0] for i in p.injections], [i[1] for i in p.injections],
              [i[2] for i in p.injections], [i[3] for i in p.injections]) for p in protocols],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO s_lot VALUES (%s, %s, %s, %s)",
            [(loc.id, product, months[m], lot) for loc in locs
             for (product, m), lot in loc.lots.items()],
        )  # fmt: skip
        cur.execute("ANALYZE s_loc; ANALYZE s_lane; ANALYZE s_desk; ANALYZE s_proto; ANALYZE s_lot")
    conn.commit()


def column_types(dsn: str, tables: list[str]) -> dict[str, dict[str, str]]:
    import psycopg

    out: dict[str, dict[str, str]] = {}
    with psycopg.connect(dsn) as conn:
        for table, column, type_ in conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped",
            [tables],
        ):
            out.setdefault(table, {})[column] = type_
    return out


def run(
    dsn: str, phases: list[list[tuple[str, str]]], *, tables: dict[str, str], parallel: int,
    locs: list[Loc],
    protocols: list[Proto], months: list[dt.date], echo: Callable[[str], None],
) -> dict[str, int]:  # fmt: skip
    """Run each phase's statements on `parallel` connections, one phase after the other,
    then ANALYZE what the phase made (the next phase's plans need its row counts); returns
    the rows made per table name."""
    import psycopg

    counts: dict[str, int] = {}
    for statements in phases:
        _run_phase(dsn, statements, parallel, locs, protocols, months, echo, counts)
        with psycopg.connect(dsn, autocommit=True) as conn:
            for name in dict.fromkeys(name for name, _s in statements):
                conn.execute(f'ANALYZE "{tables[name]}"')  # type: ignore[arg-type]
    return counts


def _run_phase(
    dsn: str, statements: list[tuple[str, str]], parallel: int, locs: list[Loc],
    protocols: list[Proto], months: list[dt.date], echo: Callable[[str], None],
    counts: dict[str, int],
) -> None:  # fmt: skip
    import psycopg

    todo: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    for item in statements:
        todo.put(item)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with psycopg.connect(dsn) as conn:
                _prepare(conn, locs, protocols, months)
                while not errors:
                    try:
                        name, statement = todo.get_nowait()
                    except queue.Empty:
                        return
                    started = time.perf_counter()
                    rows = conn.execute(statement).rowcount  # type: ignore[arg-type]
                    conn.commit()
                    seconds = time.perf_counter() - started
                    with lock:
                        counts[name] = counts.get(name, 0) + rows
                    echo(f"  {name:<10} {rows:>12,} rows in {seconds:5.0f} s")
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(max(1, parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
