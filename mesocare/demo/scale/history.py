"""One synthetic patient's history, as rows for COPY (the bulky rows that follow from it by
fixed rules are made in the database: see `derived`).

Each patient belongs to one location and has two courses (plans) of a curated protocol: three
sessions of the first, then, two to eight months later, the first two of the second. Each of
these five visits is an appointment in a free slot (`slots.SlotBook`); a visit in the past
was charted and signed (five injections, one lot each) unless the last one was missed or
cancelled; a visit to come is booked. Messages follow the visits (confirmation, reminder,
aftercare, a check-in after the last session) and so do the audit events (bookings, sessions
opened and signed, plans, and the reads of the patient's record on visit days).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from typing import Any

from mesocare.demo.names import FAMILY, GIVEN_FEMALE, GIVEN_MALE
from mesocare.demo.scale.setup import SLOT_MIN, WEEK, Loc, Proto
from mesocare.demo.scale.slots import SlotBook
from mesocare.lib.text import digits_only, family_tail, normalize_search

Row = tuple[Any, ...]
Out = dict[str, Callable[[Row], None]]

FIELDS: dict[str, list[str]] = {
    "patient": ["id", "organization_id", "given_name", "family_name", "given_norm",
                "family_norm", "family_tail", "birth_date", "sex_at_birth", "email", "phone",
                "phone_digits", "preferred_channel", "allergy_status", "allergy_status_by_id",
                "allergy_status_at", "created_at", "updated_at"],
    "plan": ["id", "organization_id", "patient_id", "protocol_id", "protocol_version_id",
             "status", "sessions_planned", "sessions_by_rule", "sessions_override_reason",
             "interval_min_days", "interval_target_days", "interval_max_days",
             "response_check_session", "maintenance_interval_days", "session_duration_min",
             "room_kind", "start_on", "sessions_done", "review_outcome", "reviewed_at",
             "completed_on", "maintenance_due_on", "status_changed_at", "status_changed_by_id",
             "created_by_id", "created_at"],
    "planned": ["id", "organization_id", "plan_id", "index", "earliest", "target", "latest"],
    "appointment": ["id", "organization_id", "location_id", "practitioner_id", "room_id",
                    "patient_id", "start", "end", "status", "plan_id", "planned_session_id",
                    "course_index", "cancel_reason", "status_changed_at", "created_by_id",
                    "created_at", "updated_at"],
}  # fmt: skip

INJECTIONS_PER_SESSION = 5
AUDIT_PER_PATIENT = 40
SLOT = dt.timedelta(minutes=SLOT_MIN)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MINUTES = [dt.timedelta(minutes=m) for m in range(24 * 60)]
CANCEL_REASONS = ["Unwell, called the desk", "Work commitment", "Travelling"]
_norm_cache: dict[str, tuple[str, str]] = {}


def _norm(name: str) -> tuple[str, str]:
    hit = _norm_cache.get(name)
    if hit is None:
        n = normalize_search(name)
        hit = _norm_cache[name] = (n, family_tail(n))
    return hit


class History:
    def __init__(
        self,
        *,
        rng: random.Random,
        now: dt.datetime,
        first_day: dt.date,
        days: int,
        protocols: list[Proto],
        next_ids: dict[str, int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.first_day = first_day
        self.days = days
        self.protocols = protocols
        self.ids = dict(next_ids)
        self.counts = {name: 0 for name in next_ids}
        self.rows = 0
        self.dates = [first_day + dt.timedelta(days=k) for k in range(days)]

    def _take_ids(self, name: str, n: int) -> int:
        first = self.ids[name]
        self.ids[name] = first + n
        self.counts[name] += n
        self.rows += n
        return first

    def location(self, loc: Loc, n: int, out: Out) -> Iterator[int]:
        """Write `n` patients of this location; yields how many were written, in steps."""
        from mesocare.demo.scale.chain import tz_offsets

        offsets = tz_offsets(loc.tz, self.first_day, self.days)
        day_utc = [
            dt.datetime.combine(d, dt.time(0), tzinfo=dt.UTC) - off
            for d, off in zip(self.dates, offsets, strict=True)
        ]
        book = SlotBook(len(loc.lanes), WEEK, self.first_day.weekday(), self.days, seed=loc.id)
        ctx = _LocContext(loc, day_utc)
        step = 0
        for _ in range(n):
            self._patient(ctx, book, out)
            step += 1
            if step == 250:
                yield step
                step = 0
        if step:
            yield step

    def _patient(self, ctx: _LocContext, book: SlotBook, out: Out) -> None:  # noqa: C901, PLR0912, PLR0915
        rng, now, loc = self.rng, self.now, ctx.loc
        r = rng.random

        def ri(a: int, b: int) -> int:  # random.randint without its argument checks
            return a + int(r() * (b - a + 1))

        org = loc.org_id
        pid = self._take_ids("patient", 1)
        female = r() < 0.8
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = rng.choice(FAMILY)
        if r() < 0.15:
            family = f"{family} {rng.choice(FAMILY)}"
        given_norm = _norm(given)[0]
        family_norm, tail = _norm(family)
        phone = f"+39 3{ri(10, 99)} {ri(1000000, 9999999)}"
        email = f"patient{pid}@example.org" if r() < 0.75 else ""
        channel = "email" if email and r() < 0.7 else "sms"
        pa, pb = rng.choice(self.protocols), rng.choice(self.protocols)
        ia, ib = pa.interval[1], pb.interval[1]
        gap = ri(60, 240)
        span = 2 * ia + gap + ib
        day = ri(0, max(0, self.days - 1 - span))
        plan_of = (0, 0, 0, 1, 1)
        course = (1, 2, 3, 1, 2)
        after = (ia, ia, gap, ib, 0)
        visits: list[tuple[int, int, int, dt.datetime]] = []  # (day, lane, minute, start)
        for k in range(5):
            got = book.take(day)
            if got is None:
                break
            d, lane_i, minute = got
            visits.append((d, lane_i, minute, ctx.day_utc[d] + MINUTES[minute]))
            day = d + after[k]
        # (No visits: a location booked to the end of the horizon; the patient registered.)
        visits_start = visits[0][3] if visits else now - dt.timedelta(days=ri(1, 900))
        created = min(
            visits_start - dt.timedelta(days=ri(3, 20), minutes=ri(0, 600)),
            now - HOUR,
        )
        desk = loc.reception_user_id
        lanes = loc.lanes
        out["patient"]((
            pid, org, given, family, given_norm, family_norm, tail,
            self.dates[-1] - dt.timedelta(days=ri(18 * 365, 75 * 365)),
            "female" if female else "male", email, phone, digits_only(phone), channel,
            "no_known_allergies" if r() < 0.85 else "unknown", desk, created, created, created,
        ))  # fmt: skip
        # Visits: status, booking time; sessions for the ones seen.
        n = len(visits)
        statuses: list[str] = []
        booked_at: list[dt.datetime] = []
        for k, (_d, _lane, _m, start) in enumerate(visits):
            lead = dt.timedelta(days=ri(2, 21), minutes=ri(0, 480))
            booked_at.append(max(created, min(start - lead, now - MINUTE)))
            if start + SLOT > now:
                statuses.append("booked")
            elif k == 4 and r() < 0.25:
                statuses.append("no_show" if r() < 0.5 else "cancelled")
            else:
                statuses.append("completed")

        # Plans and their planned sessions.
        plan_ids = [0, 0]
        planned_ids: list[list[int]] = [[], []]
        plans = (pa, pb)
        for p_i in (0, 1):
            mine = [k for k in range(n) if plan_of[k] == p_i]
            if not mine:
                continue
            proto = plans[p_i]
            plan_id = plan_ids[p_i] = self._take_ids("plan", 1)
            planned_n = 3 if p_i == 0 else proto.sessions
            done = sum(1 for k in mine if statuses[k] == "completed")
            first = visits[mine[0]]
            plan_created = booked_at[mine[0]] - MINUTE
            practitioner_user = lanes[first[1]].user_id
            completed = p_i == 0 and done == planned_n
            last_day = visits[mine[-1]][0]
            done_day = self.dates[last_day]
            signed_last = visits[mine[-1]][3] + 25 * MINUTE
            maint = (
                done_day + dt.timedelta(days=proto.maintenance_days)
                if completed and proto.maintenance_days
                else None
            )
            status = "completed" if completed else "active"
            out["plan"]((
                plan_id, org, pid, proto.id, proto.version_id, status, planned_n,
                proto.sessions,
                "" if planned_n == proto.sessions else "Course of three agreed with the patient",
                proto.interval[0], proto.interval[1], proto.interval[2],
                min(proto.response_check, planned_n),
                proto.maintenance_days, SLOT_MIN, proto.room_kind, self.dates[first[0]], done,
                "complete" if completed else "", signed_last if completed else None,
                done_day if completed else None, maint,
                signed_last if completed else plan_created + MINUTE, practitioner_user,
                practitioner_user, plan_created,
            ))  # fmt: skip
            first_ps = self._take_ids("planned", planned_n)
            planned_ids[p_i] = list(range(first_ps, first_ps + planned_n))
            mn, tg, mx = proto.interval
            target = self.dates[first[0]]
            for idx in range(planned_n):
                if idx < len(mine):
                    target = self.dates[visits[mine[idx]][0]]
                elif idx:
                    target = target + dt.timedelta(days=tg)
                out["planned"]((
                    first_ps + idx, org, plan_id, idx + 1,
                    target - dt.timedelta(days=tg - mn) if idx else target, target,
                    target + dt.timedelta(days=mx - tg) if idx else target,
                ))  # fmt: skip

        # Appointments.
        a0 = self._take_ids("appointment", n)
        for k, (_d, lane_i, _minute, start) in enumerate(visits):
            aid = a0 + k
            lane = lanes[lane_i]
            p_i = plan_of[k]
            status = statuses[k]
            end = start + SLOT
            ps_id = planned_ids[p_i][course[k] - 1]
            changed = (
                end
                if status == "completed"
                else (
                    start - HOUR * 3
                    if status == "cancelled"
                    else (end if status == "no_show" else None)
                )
            )
            booked = booked_at[k]
            out["appointment"]((
                aid, org, loc.id, lane.membership_id, lane.room_id, pid, start, end, status,
                plan_ids[p_i], ps_id, course[k],
                rng.choice(CANCEL_REASONS) if status == "cancelled" else "",
                changed, desk, booked, changed or booked,
            ))  # fmt: skip


class _LocContext:
    def __init__(self, loc: Loc, day_utc: list[dt.datetime]) -> None:
        self.loc = loc
        self.day_utc = day_utc


def per_patient_bounds(protocols: list[Proto]) -> dict[str, int]:
    """The most rows of each table one patient can have (for disjoint id ranges)."""
    visits = 5
    return {
        "patient": 1,
        "plan": 2,
        "planned": 3 + max(p.sessions for p in protocols),
        "appointment": visits,
    }
