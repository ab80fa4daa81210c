"""The demo clinic: organization, locations, rooms, staff and ~60 patients with varied
histories. Idempotent: every object is looked up by a natural key before it is created."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mesocare.accounts.models import User
from mesocare.booking.demo import load_online_booking
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Organization, Room, WorkingHours
from mesocare.clinics.services import save_location, save_room, set_working_hours
from mesocare.demo.business import load_business
from mesocare.demo.clinic_day import ClinicDayResult, load_clinic_day
from mesocare.demo.legal import load_legal_details
from mesocare.demo.names import FAMILY, GIVEN_FEMALE, GIVEN_MALE
from mesocare.demo.till import load_till
from mesocare.patients.models import Patient
from mesocare.patients.services import records
from mesocare.patients.services.registry import register_patient

ORG_NAME = "Demo Mesotherapy Clinic"
ORG_SLUG = "demo"
DOMAIN = "demo.mesocare.test"
STAFF = [
    ("admin", "admin", "Alessandra Conti", "Clinic director"),
    ("practitioner", "practitioner", "Dr Marco Bellini", "Aesthetic physician"),
    ("practitioner2", "practitioner", "Dr Sarah Okafor", "Aesthetic physician"),
    ("practitioner3", "practitioner", "Dr Giulia Ferrante", "Dermatologist"),
    ("practitioner4", "practitioner", "Dr Daniel Reyes", "Aesthetic physician"),
    ("desk", "reception", "Paola Greco", "Front desk"),
    ("audit", "auditor", "Ian Morris", "Compliance"),
]
LOCATIONS = [
    ("Milano Centro", "Europe/Rome", "Via Dante 12, 20121 Milano, Italy", "+39 02 1234 5678"),
    (
        "New York Midtown",
        "America/New_York",
        "245 W 45th St, New York, NY 10036",
        "+1 212 555 0100",
    ),
]
ROOMS = [("Facial 1", "facial"), ("Body 1", "body"), ("General", "general")]
# The demo clinic also opens on weekend mornings, so `make demo` shows a working day (today's
# calendar, sessions every week or two on today's weekday) whatever the day.
WEEKEND_HOURS = [(d, dt.time(9), dt.time(13)) for d in (5, 6)]
WEEKDAY_HOURS = [(d, dt.time(9), dt.time(19)) for d in range(5)] + WEEKEND_HOURS
PRACTITIONER_HOURS = [
    (d, start, end)
    for d in range(5)
    for start, end in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18)))
] + WEEKEND_HOURS
PATIENT_COUNT = 60


@dataclass
class DemoResult:
    organization: Organization
    password: str
    password_generated: bool
    created_patients: int
    clinic_day: ClinicDayResult


def demo_password() -> tuple[str, bool]:
    from os import environ

    if environ.get("MESOCARE_DEMO_PASSWORD"):
        return environ["MESOCARE_DEMO_PASSWORD"], False
    path = Path(settings.VAR_DIR) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip(), True


def _user(local: str, full_name: str, password: str) -> User:
    user = User.objects.filter(email=f"{local}@{DOMAIN}").first()
    if user is None:
        user = User.objects.create_user(f"{local}@{DOMAIN}", password, full_name=full_name)
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def load_demo(today: dt.date | None = None) -> DemoResult:
    today = today or timezone.localdate()
    password, generated = demo_password()
    org, _ = Organization.objects.get_or_create(slug=ORG_SLUG, defaults={"name": ORG_NAME})
    memberships: dict[str, Membership] = {}
    for local, role, full_name, title in STAFF:
        user = _user(local, full_name, password)
        memberships[local], _ = Membership.objects.get_or_create(
            user=user, organization=org, defaults={"role": role, "title": title}
        )
    admin = Actor(membership=memberships["admin"])
    locations = []
    for name, tz, address, phone in LOCATIONS:
        location = Location.objects.for_org(org).filter(name=name).first()
        if location is None:
            location = save_location(
                admin, name=name, timezone=tz, address=address, phone=phone,
                opening_hours=WEEKDAY_HOURS,
            )  # fmt: skip
        elif not location.opening_hours.filter(weekday=6).exists():  # a demo from before weekends
            save_location(admin, location, opening_hours=WEEKDAY_HOURS)
        locations.append(location)
        for room_name, kind in ROOMS:
            if not Room.objects.for_org(org).filter(location=location, name=room_name).exists():
                save_room(admin, location=location, name=room_name, kind=kind)
    # Two practitioners at each location: a busy clinic's week on the calendar.
    for local, location in (
        ("practitioner", locations[0]),
        ("practitioner2", locations[1]),
        ("practitioner3", locations[0]),
        ("practitioner4", locations[1]),
    ):
        membership = memberships[local]
        hours = WorkingHours.objects.filter(membership=membership, location=location)
        if not hours.filter(weekday=6).exists():
            set_working_hours(admin, membership, location, PRACTITIONER_HOURS)
        if membership.default_location_id is None:
            membership.default_location = location
            membership.save(update_fields=["default_location"])
    created = _load_patients(admin, org, today)
    clinic_day = load_clinic_day(admin, memberships, locations)
    load_online_booking(admin)
    load_till(memberships, locations)
    load_business(memberships, locations)
    load_legal_details(admin)
    return DemoResult(org, password, generated, created, clinic_day)


def _load_patients(actor: Actor, org: Organization, today: dt.date) -> int:
    rng = random.Random(20261126)
    created = 0
    for n in range(PATIENT_COUNT):
        female = n % 5 != 4
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = rng.choice(FAMILY)
        age_days = rng.randint(19 * 365, 68 * 365)
        email = f"patient{n:03d}@example.org"
        if Patient.objects.for_org(org).filter(email=email).exists():
            continue
        patient = register_patient(
            actor,
            given_name=given,
            family_name=family,
            birth_date=today - dt.timedelta(days=age_days),
            sex_at_birth="female" if female else "male",
            email=email,
            phone=f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            preferred_channel="sms" if n % 3 == 0 else "email",
        )
        _history(actor, patient, n, female, rng, today)
        created += 1
    return created


def _history(
    actor: Actor, patient: Patient, n: int, female: bool, rng: random.Random, today: dt.date
) -> None:
    weight = Decimal(rng.randint(480, 950)) / 10 if female else Decimal(rng.randint(650, 1050)) / 10
    if n % 7 != 6:  # some patients have no recent weight, so dose checks have something to flag
        records.record_weight(actor, patient, kg=weight, measured_on=today - dt.timedelta(days=n))
    if female and patient.age_on(today) <= 50:
        status = "pregnant" if n % 17 == 3 else "not_pregnant"
        patient.pregnancy_status, patient.pregnancy_status_on = (
            status,
            today - dt.timedelta(days=n % 40),
        )
        patient.breastfeeding, patient.breastfeeding_on = n % 19 == 5, patient.pregnancy_status_on
        patient.save()
    if n % 6 == 1:
        records.add_allergy(actor, patient, substance="Soy", reaction="hives", severity="moderate")
    if n % 11 == 2:
        records.add_allergy(
            actor, patient, substance="lidocaine", reaction="swelling", severity="severe"
        )
    if n % 13 == 4:
        records.add_allergy(
            actor, patient, substance="Penicillin", reaction="rash", severity="mild"
        )
    if patient.allergy_status == "unknown" and n % 10 != 9:
        # Asked at intake: none known. A few patients were never asked (a safety warning).
        records.record_no_known_allergies(actor, patient)
    if n % 8 == 2:
        records.add_medication(actor, patient, name="Apixaban 5 mg", drug_class="anticoagulant")
    if n % 9 == 3:
        records.add_medication(actor, patient, name="Aspirin 100 mg", drug_class="antiplatelet")
    if n % 10 == 7:
        records.add_medication(actor, patient, name="Levothyroxine", drug_class="other")
    for every, code in ((12, "keloid_scarring"), (14, "autoimmune_disease"), (15, "diabetes"),
                        (23, "thromboembolic_history"), (29, "bleeding_disorder")):  # fmt: skip
        if n % every == every - 1:
            records.add_condition(actor, patient, code=code)
    if n % 4 != 3:
        signed_on = today - dt.timedelta(days=rng.randint(0, 200))
        records.add_consent(
            actor, patient, kind="general", version="2026-1",
            signed_on=signed_on, signed_by=patient.full_name,
        )  # fmt: skip
        if n % 5 == 0:
            # Teaching and marketing use of photos is a photography consent's answer.
            records.add_consent(
                actor, patient, kind="photo", version="2026-1", signed_on=signed_on,
                signed_by=patient.full_name, photo_use="clinical_and_marketing",
            )  # fmt: skip
