"""The demo clinic at work: stock at both locations, ten patients in courses of treatment with
their history, today's calendar, patient messages and alerts.

`load_clinic_day` is called by `mesocare.demo.data.load_demo`, inside its transaction. The
story is replayed in order through the apps' services: consent, baseline assessment, plan,
booking, check-in, charting from lots, side effects, signing, re-assessment and review,
completion, measurements and photos, patient check-ins, and delivery by the outbox worker.
Two things the services cannot do for a story that happened in the past are done in the
"History" section below, each commented: booking a session whose start has passed (the
booking service refuses any start before now and has no clock parameter), and moving the
time stamps services take from the clock (signing, stock movements, plan events) back to
when the story has them happen. A clinic product with a low-stock threshold is also created
there: the catalog has no service for an organization's own products.

Idempotent: a course is keyed by a marker in its baseline assessment's notes, a lot by its
lot number at its location, today's consultation by a marker in the appointment notes, a
patient check-in by its session. Deterministic: one seeded generator; days and times are
relative to today in each location's timezone (sessions fall on today's weekday, every week
or two, so the clinic's weekly hours always have room for them).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from mesocare.assessments.models import Assessment
from mesocare.assessments.services import record_assessment
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Product, ProductIngredient, Protocol
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services.injections import (
    ComponentIn,
    InjectionIn,
    add_side_effect,
    chart_injection,
)
from mesocare.charting.services.sessions import open_from_appointment, sign_session, update_session
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room, WorkingHours
from mesocare.demo.busy_week import fill_week
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.inventory.services.recall import recall_lot
from mesocare.inventory.services.stock import receive_stock
from mesocare.notify.channels import (
    KEY_HEADER,
    DeliveryError,
    JournalEmailBackend,
    JournalSmsBackend,
    Outgoing,
)
from mesocare.notify.choices import MessageKind, MessageStatus
from mesocare.notify.links import CheckInLink
from mesocare.notify.models import OutboxMessage
from mesocare.notify.schedules import schedule_booking_messages
from mesocare.notify.worker import deliver_due
from mesocare.outcomes.services import add_measurement, upload_photo
from mesocare.patients.models import Patient
from mesocare.patients.services import records
from mesocare.plans.models import PlanEvent, PlannedSession, TreatmentPlan
from mesocare.plans.services import change_status, create_plan, review_plan
from mesocare.portal.grading import CheckInAnswers
from mesocare.portal.models import CheckInResponse
from mesocare.portal.services import submit_check_in
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import book_appointment, check_in
from mesocare.scheduling.services.booking import Candidate, find_conflicts, guarded_write
from mesocare.scheduling.services.courses import SessionChoice, book_course, gap_conflicts

log = logging.getLogger(__name__)

MARK = "demo:clinic-day"
SEED = 20261127
# Hours of the day a session may start at, in the order the demo fills a day: spread out, so
# that whenever the demo is loaded today has sessions done, perhaps one under way, and some
# still to come.
SLOT_HOURS = (10, 12, 15, 17, 9, 11, 14, 16)
# A booking as late as this before its start still counts as "to come" (the load takes time).
BOOKING_MARGIN = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Zone:
    code: str
    points: int
    volume_ml: Decimal
    # product code → its share of the syringe (the shares of a zone add up to 1)
    mix: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class Charting:
    technique: str
    depth_mm: Decimal
    zones: tuple[Zone, ...]


def _mix(*codes: str) -> tuple[tuple[str, Decimal], ...]:
    share = Decimal(1) / len(codes)
    return tuple((code, share) for code in codes)


def _zones(codes: Sequence[str], points: int, volume: str, *products: str) -> tuple[Zone, ...]:
    return tuple(Zone(code, points, Decimal(volume), _mix(*products)) for code in codes)


CELLULITE = ("caffeine_20", "l_carnitine_200", "artichoke_extract", "organic_silicon")
# How each protocol is charted, inside its ranges (technique, depth, volume per point and
# per session), per zone.
CHARTING: dict[str, Charting] = {
    "cellulite_cocktail_nappage": Charting(
        "nappage", Decimal(3), _zones(("thigh_lateral_l", "thigh_lateral_r"), 40, "4", *CELLULITE)
    ),
    "acne_active_ha_silicon": Charting(
        "nappage",
        Decimal("1.5"),
        _zones(
            ("forehead", "malar_l", "malar_r"), 30, "1", "hyaluronic_acid_10", "organic_silicon"
        ),
    ),
    "rejuvenation_face_ha": Charting(
        "papule",
        Decimal(1),
        _zones(("forehead", "malar_l", "malar_r", "perioral"), 30, "0.6", "hyaluronic_acid_10"),
    ),
    "rejuvenation_face_polyrevitalising": Charting(
        "nappage",
        Decimal("1.5"),
        _zones(("forehead", "malar_l", "malar_r"), 40, "0.8", "polyrevitalising_cocktail"),
    ),
    "submental_fat_deoxycholic_acid": Charting(
        "point_by_point", Decimal(5), _zones(("submental",), 20, "4", "deoxycholic_acid_10")
    ),
    "hair_male_dutasteride": Charting(
        "nappage",
        Decimal(2),
        _zones(("scalp_frontal", "scalp_vertex"), 40, "1", "dutasteride_0_05pct"),
    ),
    "hair_female_minoxidil": Charting(
        "nappage",
        Decimal(2),
        _zones(("scalp_frontal", "scalp_vertex"), 40, "1", "minoxidil_0_5pct"),
    ),
}


@dataclass(frozen=True)
class Course:
    key: str
    location: int  # 0 Milano (Europe/Rome), 1 New York (America/New_York)
    protocol: str
    sex: str
    baseline: dict[str, Any]
    days: tuple[int, ...]  # the day of each session relative to today, session 1 first
    reviews: dict[int, dict[str, Any]] = field(default_factory=dict)  # after session n
    complete_after: int | None = None
    unsigned: int | None = None  # this session stays unsigned (the practitioner's to-do)
    side_effects: dict[int, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    # circumference at a landmark: (landmark, distance from the reference, baseline value)
    measure: tuple[str, Decimal | None, Decimal] | None = None
    photo_zone: str = ""
    recalled_lot_at: int | None = None  # this session uses the lot recalled afterwards


def _hexsel(a: int, b: int, c: int, d: int, e: int) -> dict[str, int]:
    keys = ("number_of_depressions", "depth_of_depressions", "morphology", "laxity")
    return {**dict(zip(keys, (a, b, c, d), strict=True)), "nurnberger_muller": e}


def _gags(forehead: int, right: int, left: int, nose: int, chin: int) -> dict[str, int]:
    return {
        "forehead": forehead,
        "right_cheek": right,
        "left_cheek": left,
        "nose": nose,
        "chin": chin,
        "chest_upper_back": 0,
    }


def _weeks(*weeks: int) -> tuple[int, ...]:
    return tuple(7 * w for w in weeks)


COURSES: tuple[Course, ...] = (
    # Milano — Dr Marco Bellini
    Course(
        "cellulite-milano", 0, "cellulite_cocktail_nappage", "female", _hexsel(2, 2, 2, 1, 1),
        _weeks(-4, -3, -2, -1, 0, 1), reviews={4: _hexsel(2, 1, 1, 1, 1)},
        side_effects={2: (("bruising", 1),)},
        measure=("thigh_left", Decimal(15), Decimal("61.5")), photo_zone="thigh_lateral_l",
    ),
    Course(
        "acne-milano", 0, "acne_active_ha_silicon", "female", _gags(3, 3, 3, 2, 2),
        _weeks(-5, -3, -1, 1, 3, 5), reviews={2: _gags(2, 3, 3, 2, 2)}, unsigned=3,
        side_effects={1: (("erythema", 1),)},
    ),
    Course(
        "face-ha-milano", 0, "rejuvenation_face_ha", "female", {"type": 4},
        _weeks(-4, -2, 0, 2), reviews={2: {"type": 3}}, photo_zone="malar_l", recalled_lot_at=1,
    ),
    Course(
        "submental-milano", 0, "submental_fat_deoxycholic_acid", "female", {"grade": 3},
        _weeks(-10, -5, 0, 5, 10, 15), reviews={2: {"grade": 3}},
        side_effects={1: (("swelling", 2), ("bruising", 1)), 2: (("swelling", 2),)},
        measure=("submental", None, Decimal("39.5")),
    ),
    Course(
        "cellulite-lapsed", 0, "cellulite_cocktail_nappage", "female", _hexsel(1, 1, 1, 1, 1),
        _weeks(-16, -15, -14, -13), reviews={4: _hexsel(1, 1, 0, 1, 0)}, complete_after=4,
    ),
    # New York — Dr Sarah Okafor
    Course(
        "hair-male-ny", 1, "hair_male_dutasteride", "male", {"stage": "III"},
        _weeks(-4, -2, 0, 2, 4, 6, 8), photo_zone="scalp_vertex",
    ),
    Course(
        "hair-female-ny", 1, "hair_female_minoxidil", "female", {"grade": 2},
        _weeks(-2, -1, 0, 1, 2, 3, 4, 5, 6, 7),
    ),
    Course(
        "face-poly-ny", 1, "rejuvenation_face_polyrevitalising", "female", {"type": 3},
        _weeks(-4, -2, 0, 2, 4), reviews={2: {"type": 2}}, side_effects={1: (("bruising", 1),)},
    ),
    Course(
        "cellulite-ny", 1, "cellulite_cocktail_nappage", "female", _hexsel(3, 2, 3, 2, 2),
        _weeks(-2, -1, 0, 1, 2, 3, 4, 5), side_effects={2: (("bruising", 2), ("pain", 1))},
        measure=("thigh_right", Decimal(15), Decimal("64.0")),
    ),
    Course(
        "face-ha-completed-ny", 1, "rejuvenation_face_ha", "female", {"type": 2},
        _weeks(-14, -12, -10, -8), reviews={4: {"type": 1}}, complete_after=4,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class LotSpec:
    location: int
    product: str
    lot_number: str
    expiry_days: int  # from today
    quantity_ml: str
    unit_cost: str


MAIN_LOTS: tuple[tuple[int, str, str], ...] = (
    (0, "caffeine_20", "100"),
    (0, "l_carnitine_200", "100"),
    (0, "artichoke_extract", "100"),
    (0, "organic_silicon", "100"),
    (0, "hyaluronic_acid_10", "60"),
    (0, "deoxycholic_acid_10", "40"),
    (0, "polyrevitalising_cocktail", "30"),
    (1, "caffeine_20", "100"),
    (1, "l_carnitine_200", "100"),
    (1, "artichoke_extract", "100"),
    (1, "organic_silicon", "100"),
    (1, "hyaluronic_acid_10", "60"),
    (1, "dutasteride_0_05pct", "60"),
    (1, "minoxidil_0_5pct", "60"),
    (1, "polyrevitalising_cocktail", "60"),
)
NEAR_EXPIRY: tuple[tuple[int, str, int, str], ...] = (
    (0, "caffeine_20", 18, "20"),
    (1, "minoxidil_0_5pct", 25, "10"),
    (1, "polyrevitalising_cocktail", 9, "6"),
)
RECALLED = (0, "hyaluronic_acid_10", "10")
RECALL_REASON = "Supplier notice: possible particulate matter in this lot (demo)."
LOW_STOCK_PRODUCT = "demo_saline_10ml"
RECEIVED_DAYS_AGO = 130
SUPPLIERS = ("Farmaceutici Dott. Ciccarelli", "MesoPharm Distribution", "Dermal Supply Co.")


@dataclass
class Cast:
    """Who does what: reception books and checks in, practitioners treat, the admin stocks."""

    admin: Actor
    desk: Actor
    practitioners: list[Actor]
    locations: list[Location]
    rooms: dict[tuple[int, str], Room]
    now: dt.datetime

    def today(self, location: int) -> dt.date:
        return timezone.localtime(self.now, self.locations[location].tz).date()

    def at(self, location: int, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.locations[location].tz)


@dataclass
class ClinicDayResult:
    courses_created: int = 0
    lots_created: int = 0
    consultations_created: int = 0
    week_appointments_created: int = 0
    check_ins_created: int = 0
    messages_delivered: int = 0


def load_clinic_day(
    admin: Actor,
    memberships: dict[str, Membership],
    locations: Sequence[Location],
    *,
    now: dt.datetime | None = None,
) -> ClinicDayResult:
    """Build what is missing of the demo's clinic life (nothing on a second load)."""
    now = now or timezone.now()
    org_id = admin.org_id
    rooms = {
        (i, room.kind): room
        for i, location in enumerate(locations)
        for room in Room.objects.for_org(org_id).filter(location=location, is_active=True)
    }
    cast = Cast(
        admin=admin,
        desk=Actor(membership=memberships["desk"], reason="demo"),
        practitioners=[
            Actor(membership=memberships["practitioner"], reason="demo"),
            Actor(membership=memberships["practitioner2"], reason="demo"),
        ],
        locations=list(locations),
        rooms=rooms,
        now=now,
    )
    rng = random.Random(SEED)
    result = ClinicDayResult()
    lots = _stock(cast, rng, result)
    slots = Slots(cast)
    done = set(
        Assessment.objects.for_org(org_id)
        .filter(notes__startswith=MARK)
        .values_list("notes", flat=True)
    )
    patients = _candidates(org_id)
    used = set(
        Assessment.objects.for_org(org_id)
        .filter(notes__startswith=MARK)
        .values_list("patient_id", flat=True)
    )
    for course in COURSES:
        if _course_mark(course) in done:
            continue
        patient = _pick(patients, used, course.sex)
        used.add(patient.pk)
        _run_course(cast, course, patient, lots, slots, rng)
        result.courses_created += 1
    if result.courses_created:
        _recall(cast, lots)
    result.consultations_created = _consultations(cast, patients, used, slots)
    result.week_appointments_created = fill_week(
        cast.desk, cast.practitioners, cast.locations, [p for p in patients if p.pk not in used]
    )
    result.check_ins_created = _patient_check_ins(cast)
    result.messages_delivered = _deliver(cast)
    return result


def _course_mark(course: Course) -> str:
    return f"{MARK}:{course.key}"


# --- patients ---------------------------------------------------------------------------------


def _candidates(org_id: int) -> list[Patient]:
    """Demo patients nothing blocks: no allergy, not pregnant or breastfeeding, no bleeding
    disorder (the safety check would stop their treatment, rightly)."""
    return list(
        Patient.objects.for_org(org_id)
        .filter(email__endswith="@example.org", is_active=True)
        .exclude(breastfeeding=True)
        .exclude(pregnancy_status="pregnant")
        .exclude(allergies__isnull=False)
        .exclude(conditions__code__in=["bleeding_disorder", "cancer_treatment", "active_infection"])
        .distinct()
        .order_by("email")
    )


def _pick(patients: list[Patient], used: set[int], sex: str) -> Patient:
    for patient in patients:
        if patient.pk not in used and patient.sex_at_birth == sex:
            return patient
    raise RuntimeError(f"the demo has no {sex} patient left for a course")


# --- stock ------------------------------------------------------------------------------------


def _lot_number(rng: random.Random, product: str) -> str:
    prefix = "".join(part[0] for part in product.split("_") if part[0].isalpha()).upper()[:3]
    return f"{prefix}{rng.randint(10, 99)}{rng.choice('ABCDEFGHJK')}{rng.randint(1000, 9999)}"


@dataclass
class Lots:
    main: dict[tuple[int, str], ProductLot] = field(default_factory=dict)
    recalled: ProductLot | None = None


def _stock(cast: Cast, rng: random.Random, result: ClinicDayResult) -> Lots:
    """Lots of the products the courses use at both locations (received months ago, one
    kind of each near its expiry), a lot to be recalled, and the clinic's saline running low."""
    specs = [
        LotSpec(loc, code, _lot_number(rng, code), 300 + rng.randint(0, 200), qty, "")
        for loc, code, qty in MAIN_LOTS
    ]
    near = [
        LotSpec(loc, code, _lot_number(rng, code), days, qty, "")
        for loc, code, days, qty in NEAR_EXPIRY
    ]
    loc, code, qty = RECALLED
    recalled = LotSpec(loc, code, _lot_number(rng, code), 240, qty, "")
    products = {p.code: p for p in Product.objects.filter(organization__isnull=True)}
    products[LOW_STOCK_PRODUCT] = _clinic_product(cast)
    low = LotSpec(0, LOW_STOCK_PRODUCT, _lot_number(rng, "sodium_chloride"), 500, "30", "")
    lots = Lots()
    existing = {
        (lot.location_id, lot.lot_number): lot
        for lot in ProductLot.objects.for_org(cast.admin.org_id).select_related("product")
    }
    for spec in [*specs, *near, recalled, low]:
        location = cast.locations[spec.location]
        lot = existing.get((location.pk, spec.lot_number))
        if lot is None:
            lot = receive_stock(
                cast.desk,
                product=products[spec.product],
                location=location,
                lot_number=spec.lot_number,
                expiry=cast.today(spec.location) + dt.timedelta(days=spec.expiry_days),
                quantity_ml=Decimal(spec.quantity_ml),
                supplier=rng.choice(SUPPLIERS),
                unit_cost=Decimal(rng.randint(8, 60)),
            )
            received = cast.now - dt.timedelta(days=RECEIVED_DAYS_AGO - rng.randint(0, 20))
            _backdate_receipt(lot, received)
            result.lots_created += 1
        if spec is recalled:
            lots.recalled = lot
        elif spec in specs:
            lots.main[(spec.location, spec.product)] = lot
    return lots


# --- slots ------------------------------------------------------------------------------------


class Slots:
    """Free one-hour slots of each location's practitioner, from the working hours, minus
    what is already booked there (read once per location and day)."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for i, actor in enumerate(cast.practitioners):
            for row in WorkingHours.objects.filter(
                membership=actor.membership, location=cast.locations[i]
            ):
                self.hours[(i, row.weekday)].append((row.opens, row.closes))
        self.taken: dict[tuple[int, dt.date], set[dt.datetime]] = {}

    def _taken(self, location: int, day: dt.date) -> set[dt.datetime]:
        key = (location, day)
        if key not in self.taken:
            start = self.cast.at(location, day, 0)
            self.taken[key] = {
                a.start
                for a in Appointment.objects.for_org(self.cast.admin.org_id).filter(
                    location=self.cast.locations[location],
                    status__in=ACTIVE_STATUSES,
                    start__gte=start,
                    start__lt=start + dt.timedelta(days=1),
                )
            }
        return self.taken[key]

    def take(self, location: int, day: dt.date, minutes: int) -> dt.datetime | None:
        windows = self.hours[(location, day.weekday())]
        taken = self._taken(location, day)
        for hour in SLOT_HOURS:
            start = self.cast.at(location, day, hour)
            end = start + dt.timedelta(minutes=minutes)
            if start in taken or not any(
                self.cast.at(location, day, o.hour, o.minute) <= start
                and end <= self.cast.at(location, day, c.hour, c.minute)
                for o, c in windows
            ):
                continue
            taken.add(start)
            return start
        return None


# --- a course of treatment --------------------------------------------------------------------


def _run_course(
    cast: Cast, course: Course, patient: Patient, lots: Lots, slots: Slots, rng: random.Random
) -> None:
    practitioner = cast.practitioners[course.location]
    protocol = Protocol.objects.select_related("indication").get(
        code=course.protocol, organization__isnull=True
    )
    today = cast.today(course.location)
    days = [today + dt.timedelta(days=d) for d in course.days]
    consult = cast.at(course.location, days[0] - dt.timedelta(days=7), 9, 30)
    records.add_consent(
        practitioner, patient, kind="treatment", version="2026-1", signed_on=consult.date(),
        indication=protocol.indication.code, signed_by=patient.full_name,
    )  # fmt: skip
    baseline = record_assessment(
        practitioner,
        patient,
        scale_id=protocol.scale,
        items=course.baseline,
        assessed_at=consult,
        notes=_course_mark(course),
        channel="web",
    )
    plan = create_plan(
        practitioner, patient, protocol=protocol, baseline=baseline, start_on=days[0]
    )
    if plan.sessions_planned != len(days):
        raise RuntimeError(
            f"demo course {course.key}: {len(days)} days for {plan.sessions_planned} sessions"
        )
    _backdate_plan(plan, 0, consult)
    booked_at = consult + dt.timedelta(minutes=40)
    starts = []
    for index, day in enumerate(days, start=1):
        start = slots.take(course.location, day, plan.session_duration_min)
        if start is None:
            raise RuntimeError(f"demo course {course.key}: no free slot on {day} for {index}")
        starts.append(start)
    room = cast.rooms[(course.location, plan.room_kind)]
    member = practitioner.membership
    future = [
        SessionChoice(i, s, member, room)
        for i, s in enumerate(starts, 1)
        if s > cast.now + BOOKING_MARGIN
    ]
    since = _last_event_id(plan)
    if future:
        book_course(cast.desk, plan, future, channel="web")
    else:
        change_status(practitioner, plan, "activate", channel="web")
    _backdate_plan(plan, since, booked_at)
    past = [
        book_past(cast.desk, plan, i, s, member, room, booked_at)
        for i, s in enumerate(starts, 1)
        if s <= cast.now + BOOKING_MARGIN
    ]
    for appointment in past:
        _treat(cast, course, plan, appointment, lots, rng)


def _treat(
    cast: Cast,
    course: Course,
    plan: TreatmentPlan,
    appointment: Appointment,
    lots: Lots,
    rng: random.Random,
) -> None:
    """One session as it happened: check-in, charting from the lots, side effects, outcome
    measures, signing, and the review or completion that followed."""
    practitioner = cast.practitioners[course.location]
    index = appointment.course_index or 0
    start, end = appointment.start, appointment.end
    check_in(cast.desk, appointment, channel="web", now=start - dt.timedelta(minutes=5))
    _backdate_check_in(appointment, start - dt.timedelta(minutes=5))
    session = open_from_appointment(practitioner, appointment, channel="web")
    session = update_session(
        practitioner, session, started_at=start, pain_vas=Decimal(rng.randint(1, 4)),
        channel="web",
    )  # fmt: skip
    charting = CHARTING[course.protocol]
    over = end <= cast.now
    zones = charting.zones if over else charting.zones[:1]  # a session under way: started
    for zone in zones:
        components = []
        for product, share in zone.mix:
            lot = lots.main[(course.location, product)]
            recalled = lots.recalled
            if index == course.recalled_lot_at and recalled and recalled.product.code == product:
                lot = recalled
            components.append(
                ComponentIn(lot.pk, (zone.volume_ml * share).quantize(Decimal("0.001")))
            )
        chart_injection(
            practitioner,
            session,
            InjectionIn(
                zone=zone.code,
                technique=charting.technique,
                depth_mm=charting.depth_mm,
                points=zone.points,
                total_volume_ml=sum((c.volume_ml for c in components), Decimal(0)),
                components=tuple(components),
                needle_gauge=30 if charting.technique != "point_by_point" else 27,
                needle_length_mm=Decimal(4) if charting.depth_mm <= 4 else Decimal(13),
            ),
            channel="web",
        )
    _backdate_stock_use(session, start + dt.timedelta(minutes=10))
    for kind, grade in course.side_effects.get(index, ()):
        add_side_effect(
            practitioner, session, kind=kind, grade=grade, onset=start + dt.timedelta(minutes=20),
            action_taken="Cold compress; advised arnica gel." if grade > 1 else "Observed.",
            channel="web",
        )  # fmt: skip
    day = timezone.localtime(start, cast.locations[course.location].tz).date()
    if course.measure is not None and over and day < cast.today(course.location):
        landmark, distance, value = course.measure
        add_measurement(
            practitioner, plan.patient, kind="circumference", landmark=landmark,
            distance_cm=distance, value=value - Decimal("0.6") * (index - 1), measured_on=day,
            session_id=session.pk,
        )  # fmt: skip
    if course.photo_zone and over and index in (1, _last_past(course)):
        upload_photo(
            practitioner, plan.patient, _photo(course.key, index), body_zone=course.photo_zone,
            view="front", session_id=session.pk, taken_at=start + dt.timedelta(minutes=2),
            channel="web",
        )  # fmt: skip
    if not over or index == course.unsigned:
        return
    sign_session(practitioner, session, channel="web")
    _backdate_signing(session, appointment, end)
    if day >= cast.today(course.location):
        return  # reviews and completions are in the past only (the demo is deterministic)
    if index in course.reviews:
        since = _last_event_id(plan)
        review_plan(
            practitioner, plan, items=course.reviews[index], assessed_at=end,
            sessions_done=index, channel="web",
        )  # fmt: skip
        _backdate_plan(plan, since, end, reviewed=True)
    if index == course.complete_after:
        since = _last_event_id(plan)
        change_status(practitioner, plan, "complete", on=day, channel="web")
        _backdate_plan(plan, since, end + dt.timedelta(minutes=5))


def _last_past(course: Course) -> int:
    return max((i for i, d in enumerate(course.days, 1) if d < 0), default=1)


def _photo(key: str, index: int) -> bytes:
    """A generated stand-in for a clinical photo: a skin-toned field with a lighter patch
    that shrinks from one session to the next."""
    rng = random.Random(f"{key}:{index}")
    image = Image.new("RGB", (480, 360), (224, 180 + rng.randint(-8, 8), 160))
    draw = ImageDraw.Draw(image)
    radius = max(40, 120 - 12 * index)
    draw.ellipse((240 - radius, 180 - radius, 240 + radius, 180 + radius), fill=(236, 200, 184))
    draw.text((12, 12), f"demo {key} session {index}", fill=(90, 60, 50))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _recall(cast: Cast, lots: Lots) -> None:
    """The supplier recalls a lot after it was used: the lot page lists who received it."""
    lot = lots.recalled
    if lot is not None and not lot.recalled:
        recall_lot(cast.admin, lot, RECALL_REASON)


# --- today ------------------------------------------------------------------------------------


def _consultations(cast: Cast, patients: list[Patient], used: set[int], slots: Slots) -> int:
    """A first consultation at each location later today (whenever the demo is loaded, today
    gets one while the day has a free slot left): a single appointment, no plan yet."""
    created = 0
    free = [p for p in patients if p.pk not in used]
    for i, actor in enumerate(cast.practitioners):
        today = cast.today(i)
        note = f"{MARK}:consultation:{today.isoformat()}"
        location = cast.locations[i]
        if (
            Appointment.objects.for_org(cast.admin.org_id)
            .filter(location=location, notes=note)
            .exists()
        ):
            continue
        start = slots.take(i, today, 30)
        while start is not None and start <= cast.now + BOOKING_MARGIN:
            start = slots.take(i, today, 30)
        if start is None or not free:
            continue
        patient = free[(today.toordinal() + i) % len(free)]
        book_appointment(
            cast.desk, patient=patient, practitioner=actor.membership,
            room=cast.rooms[(i, "general")], start=start, duration_min=30, notes=note,
            channel="web",
        )  # fmt: skip
        created += 1
    return created


def _patient_check_ins(cast: Cast) -> int:
    """Two patients answer their 24 h check-in: one is fine, the latest reports fever and
    warmth (grade 3, a sign of infection), which puts an alert on the dashboard."""
    org_id = cast.admin.org_id
    if CheckInResponse.objects.for_org(org_id).exists():
        return 0  # the demo's patients have answered already
    signed = list(
        TreatmentSession.objects.for_org(org_id)
        .filter(signed_at__isnull=False, signed_at__lte=cast.now - dt.timedelta(hours=24))
        .filter(patient__assessments__notes__startswith=MARK)
        .distinct()
        .order_by("-signed_at", "-id")[:2]
    )
    if len(signed) < 2:
        return 0
    worrying, fine = signed
    answers = (
        (fine, CheckInAnswers(pain_vas=2, bruising="mild"), "A small bruise, otherwise fine."),
        (
            worrying,
            CheckInAnswers(
                pain_vas=7, swelling="moderate", redness="moderate", warmth=True, fever=True
            ),
            "Feverish since last night; the treated area is hot and red.",
        ),
    )
    for session, answer, notes in answers:
        link = CheckInLink(
            organization=org_id, patient=session.patient_id, session=session.pk, when="24h"
        )
        submit_check_in(link, answer, notes=notes)
    return len(answers)


# --- messages ---------------------------------------------------------------------------------

# The demo delivers its messages to the journal file (NOTIFY_JOURNAL_PATH), never to real
# addresses, and one of them bounces so the outbox shows a failure to retry.
_BOUNCING: set[str] = set()


class DemoEmailBackend(JournalEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            if message.extra_headers.get(KEY_HEADER) in _BOUNCING:
                raise ValueError(f"550 mailbox unavailable: {', '.join(message.to)}")
        return super().send_messages(email_messages)


class DemoSmsBackend(JournalSmsBackend):
    def send(self, out: Outgoing) -> str:
        if out.key in _BOUNCING:
            raise DeliveryError(f"number not in service: {out.to}", permanent=True)
        return super().send(out)


@contextmanager
def _demo_channels(bouncing: set[str]) -> Iterator[None]:
    """The demo's backends, with the worker's warning about the planned bounce kept quiet."""
    worker_log = logging.getLogger("mesocare.notify.worker")
    level = worker_log.level
    _BOUNCING.update(bouncing)
    worker_log.setLevel(logging.ERROR)
    try:
        with override_settings(
            EMAIL_BACKEND=f"{__name__}.DemoEmailBackend", SMS_BACKEND=f"{__name__}.DemoSmsBackend"
        ):
            yield
    finally:
        worker_log.setLevel(level)
        _BOUNCING.clear()


def _deliver(cast: Cast) -> int:
    """Run the outbox worker over the demo's story: each message that was due is delivered
    at the time it was due (the worker's `now`), so the outbox reads like a clinic's."""
    org_id = cast.admin.org_id
    now = timezone.now()  # the bookings made while loading are due now, after `cast.now`
    due = OutboxMessage.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
    if due.filter(~Q(organization_id=org_id)).exists():
        log.warning("other organizations have messages due: the demo does not deliver")
        return 0
    lapsed = (
        OutboxMessage.objects.for_org(org_id)
        .filter(kind=MessageKind.MAINTENANCE_RECALL, status=MessageStatus.PENDING)
        .filter(next_attempt_at__lte=now)
        .order_by("due_at", "id")
        .values_list("idempotency_key", flat=True)[:1]
    )
    times = sorted({t for t in due.values_list("next_attempt_at", flat=True) if t is not None})
    delivered = 0
    with _demo_channels(set(lapsed)):
        for moment in times:
            stats = deliver_due(batch_size=500, now=moment, worker_id="demo")
            delivered += stats.sent + stats.failed
    return delivered


# --- History: what the services cannot do for a story set in the past -----------------------


def book_past(
    actor: Actor,
    plan: TreatmentPlan,
    index: int,
    start: dt.datetime,
    practitioner: Membership,
    room: Room,
    booked_at: dt.datetime,
) -> Appointment:
    """Session ``index`` of the course, booked at ``booked_at`` for a start now past.

    `book_course` refuses a start before now (`in_past`) and takes no clock, so this does what
    it does with the clock at ``booked_at``: the same conflict check (`find_conflicts(now=)`:
    hours, overlaps, room kind, blocks), the plan's gap rules, the insert under
    `guarded_write`, the audit entry and the booking messages (`schedule_booking_messages(now=)`).
    """
    duration = dt.timedelta(minutes=plan.session_duration_min)
    candidate = Candidate(start, start + duration, practitioner, room, index)
    conflicts = find_conflicts(
        actor.org_id, plan.patient_id, [candidate], room_kind=plan.room_kind, now=booked_at
    )
    existing = (
        Appointment.objects.for_org(actor.org_id)
        .filter(plan=plan, status__in=ACTIVE_STATUSES)
        .select_related("location")
    )
    placed = {a.course_index: (a.start, a.location) for a in existing if a.course_index}
    placed[index] = (start, room.location)
    gap_conflicts(plan, placed, [index], conflicts)
    if conflicts:
        raise conflicts.error()
    with guarded_write() as cursor:
        cursor.index = index
        appointment = Appointment.objects.create(
            organization_id=actor.org_id,
            location=room.location,
            practitioner=practitioner,
            room=room,
            patient_id=plan.patient_id,
            start=start,
            end=start + duration,
            plan=plan,
            planned_session=PlannedSession.objects.filter(plan=plan, index=index).first(),
            course_index=index,
            created_by=actor.user,
        )
        Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
        record(
            actor,
            AuditAction.CREATE,
            appointment,
            patient_id=plan.patient_id,
            summary=f"booked session {index} of plan {plan.pk} at {start.isoformat()}"
            " (demo history)",
            channel="web",
        )
        schedule_booking_messages(appointment, now=booked_at)
    return appointment


def _last_event_id(plan: TreatmentPlan) -> int:
    return (
        PlanEvent.objects.filter(plan=plan).order_by("-id").values_list("id", flat=True).first()
        or 0
    )


def _backdate_plan(
    plan: TreatmentPlan, since: int, at: dt.datetime, *, reviewed: bool = False
) -> None:
    """Plan services stamp their events (and the plan) with the clock: move the stamps of the
    events after ``since`` to ``at``, when the story has them happen."""
    PlanEvent.objects.filter(plan=plan, pk__gt=since).update(at=at)
    stamps: dict[str, Any] = {}
    if since == 0:
        stamps["created_at"] = at
    current = TreatmentPlan.objects.filter(pk=plan.pk).values("status_changed_at").first()
    if current and current["status_changed_at"] is not None and current["status_changed_at"] > at:
        stamps["status_changed_at"] = at
    if reviewed:
        stamps["reviewed_at"] = at
    if stamps:
        TreatmentPlan.objects.filter(pk=plan.pk).update(**stamps)


def _backdate_receipt(lot: ProductLot, at: dt.datetime) -> None:
    """A delivery received months ago (`receive_stock` stamps the lot and its movement now)."""
    ProductLot.objects.filter(pk=lot.pk).update(received_at=at)
    StockMovement.objects.filter(lot=lot).update(at=at)


def _backdate_check_in(appointment: Appointment, at: dt.datetime) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(status_changed_at=at)


def _backdate_stock_use(session: TreatmentSession, at: dt.datetime) -> None:
    """The stock left the lots while the session was charted, not when the demo loaded."""
    StockMovement.objects.filter(injection_component__injection__session=session).update(at=at)


def _backdate_signing(session: TreatmentSession, appointment: Appointment, at: dt.datetime) -> None:
    """Signed at the end of the session. `sign_session` stamps the clock; the signed row is
    immutable to the models, so the stamp is moved with a queryset update, together with
    the appointment's completion and the aftercare messages the signing scheduled."""
    TreatmentSession.objects.filter(pk=session.pk).update(signed_at=at)
    Appointment.objects.filter(pk=appointment.pk).update(status_changed_at=at)
    for kind, after in (
        (MessageKind.AFTERCARE, dt.timedelta(0)),
        (MessageKind.CHECK_IN_24H, dt.timedelta(hours=24)),
        (MessageKind.CHECK_IN_72H, dt.timedelta(hours=72)),
    ):
        OutboxMessage.objects.filter(
            session_id=session.pk, kind=kind, status=MessageStatus.PENDING
        ).update(due_at=at + after, next_attempt_at=at + after)


def _clinic_product(cast: Cast) -> Product:
    """The clinic's own saline with a reorder threshold (curated products have none, and
    the catalog has no service for an organization's products): the low-stock alert."""
    org_id = cast.admin.org_id
    product = Product.objects.filter(organization_id=org_id, code=LOW_STOCK_PRODUCT).first()
    if product is not None:
        return product
    curated = Product.objects.get(organization__isnull=True, code="sodium_chloride_0_9pct")
    product = Product.objects.create(
        organization_id=org_id,
        code=LOW_STOCK_PRODUCT,
        name="Sodium chloride 0.9%, 10 mL vials (clinic stock)",
        form=curated.form,
        vial=curated.vial,
        default_unit_cost=Decimal("1.20"),
        low_stock_ml=Decimal(50),
        notes="Diluent kept by the clinic; reorder below 50 mL.",
    )
    ProductIngredient.objects.bulk_create(
        ProductIngredient(
            product=product, ingredient=c.ingredient, concentration=c.concentration, unit=c.unit
        )
        for c in curated.components.all()
    )
    record(cast.admin, AuditAction.CREATE, product, summary=f"product {product.code} (demo)")
    return product
