"""The state of one clinic day shared by the browser steps, and the set-up of each step's
preconditions through the services (so that every step test also runs on its own).

`Day.ensure_*` builds what a step needs unless an earlier step (in the whole-day test) already
made it in the browser; each returns the object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

PASSWORD = "correct horse battery staple"
SEVERE = {  # Hexsel CSS 3+2+2+2+2 = 11: severe → 8 sessions
    "number_of_depressions": 3,
    "depth_of_depressions": 2,
    "morphology": 2,
    "laxity": 2,
    "nurnberger_muller": 2,
}
CLINIC_PROTOCOL = "Cellulite cocktail (clinic)"


@dataclass
class Day:
    clinic: Any
    today: dt.date = field(default_factory=timezone.localdate)
    patient: Any = None
    protocol: Any = None
    plan: Any = None
    body_room: Any = None
    lots: dict[str, Any] = field(default_factory=dict)
    session: Any = None

    def actor(self, role: str) -> Any:
        return self.clinic.actor(role)

    # --- people and catalog -------------------------------------------------------------------

    def new_patient(
        self,
        given: str,
        family: str,
        *,
        kg: str = "64.5",
        indication: str = "cellulite",
        **fields: Any,
    ) -> Any:
        """A registered patient with a complete intake (weight, pregnancy status, allergies
        asked: none known, consent)."""
        from mesocare.patients.services import records
        from mesocare.patients.services.registry import register_patient

        reception = self.actor("reception")
        patient = register_patient(
            reception,
            given_name=given,
            family_name=family,
            birth_date=dt.date(1988, 4, 12),
            sex_at_birth="female",
            email=f"{given.lower()}.{family.lower()}@example.org",
            phone="+39 333 765 4321",
            preferred_channel="email",
            pregnancy_status="not_pregnant",
            breastfeeding=False,
            **fields,
        )
        records.record_weight(reception, patient, kg=Decimal(kg), measured_on=self.today)
        records.record_no_known_allergies(reception, patient)
        records.add_consent(
            reception,
            patient,
            kind="treatment",
            version="2026.1",
            signed_on=self.today,
            indication=indication,
            signed_by=patient.full_name,
        )
        return patient

    def ensure_patient(self) -> Any:
        if self.patient is None:
            self.patient = self.new_patient("Marta", "Verdi")
        return self.patient

    def ensure_protocol(self) -> Any:
        """The clinic's own copy of the curated cellulite cocktail: weekly, 8 sessions when
        severe, the response judged from session 2 (the clinic reviews early)."""
        if self.protocol is None:
            from mesocare.catalog.models import Protocol
            from mesocare.catalog.services import copy_protocol

            source = Protocol.objects.get(
                organization__isnull=True, code="cellulite_cocktail_nappage"
            )
            self.protocol = copy_protocol(
                self.actor("admin"),
                source,
                {"name": CLINIC_PROTOCOL, "response_check_session": 2},
                reason="response check at session 2",
            )
        return self.protocol

    # --- plan and course ----------------------------------------------------------------------

    def assess(self, patient: Any, items: dict[str, int], **kw: Any) -> Any:
        from mesocare.assessments.services import record_assessment

        return record_assessment(
            self.actor("practitioner"), patient, scale_id="hexsel-css", items=items, **kw
        )

    def ensure_plan(self) -> Any:
        """Baseline 11 (severe) and the proposed plan: 8 weekly sessions, accepted."""
        if self.plan is None:
            from mesocare.plans.services import change_status, create_plan

            patient = self.ensure_patient()
            baseline = self.assess(
                patient, SEVERE, assessed_at=timezone.now() - dt.timedelta(hours=1)
            )
            plan = create_plan(
                self.actor("practitioner"),
                patient,
                protocol=self.ensure_protocol(),
                baseline=baseline,
            )
            self.plan = change_status(self.actor("practitioner"), plan, "activate")
        return self.plan

    def ensure_schedule(self) -> Any:
        """Opening hours (Mon-Sat 8-20), the practitioner's hours (9-13, 14-19) and a body
        room: what the Book course wizard needs to place a course."""
        if self.body_room is None:
            from mesocare.clinics.models import OpeningHours, Room, WorkingHours

            clinic = self.clinic
            for weekday in range(6):
                OpeningHours.objects.create(
                    location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
                )
                for opens, closes in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(19))):
                    WorkingHours.objects.create(
                        organization=clinic.org,
                        membership=clinic.members["practitioner"],
                        location=clinic.location,
                        weekday=weekday,
                        opens=opens,
                        closes=closes,
                    )
            self.body_room = Room.objects.create(
                organization=clinic.org, location=clinic.location, name="Body 1", kind="body"
            )
        return self.body_room

    def plan_for(self, patient: Any, items: dict[str, int] = SEVERE) -> Any:
        """Another patient's accepted plan on the clinic protocol (no browser)."""
        from mesocare.plans.services import change_status, create_plan

        baseline = self.assess(patient, items, assessed_at=timezone.now() - dt.timedelta(hours=1))
        plan = create_plan(
            self.actor("practitioner"), patient, protocol=self.ensure_protocol(), baseline=baseline
        )
        return change_status(self.actor("practitioner"), plan, "activate")

    def ensure_course(self) -> list[Any]:
        """The whole course booked at lunchtime with the practitioner (the wizard's best)."""
        from mesocare.clinics.models import Membership, Room
        from mesocare.scheduling.models import Appointment
        from mesocare.scheduling.services import courses

        plan = self.ensure_plan()
        if not Appointment.objects.filter(plan=plan).exists():
            self.ensure_schedule()
            reception = self.actor("reception")
            options = courses.propose_course(
                reception,
                plan,
                self.clinic.location,
                self.today,
                practitioner=self.clinic.members["practitioner"],
                window=(dt.time(12), dt.time(14)),
                alternatives=1,
            )
            choices = [
                courses.SessionChoice(
                    s.index,
                    s.start,
                    Membership.objects.get(pk=s.practitioner_id),
                    Room.objects.select_related("location").get(pk=s.room_id),
                )
                for s in options.proposals[0].sessions
            ]
            courses.book_course(reception, plan, choices)
        return list(Appointment.objects.filter(plan=plan).order_by("course_index"))

    def portal_path(self, kind: str, **related: Any) -> str:
        """The signed link in the patient's message of this kind, as the patient gets it."""
        import re

        from mesocare.notify.models import OutboxMessage
        from mesocare.notify.rendering import render_message

        message = OutboxMessage.objects.filter(kind=kind, **related).order_by("due_at").first()
        assert message is not None, f"no {kind} message"
        text = render_message(message).text
        found = re.search(r"/p/[a-z-]+/[^\s\"<>]+", text)
        assert found, f"no portal link in the {kind} message:\n{text}"
        return found.group(0)

    def ensure_lots(self) -> dict[str, Any]:
        """Lots at the clinic's location: caffeine 2% (CAF-1, 50 mL) and lidocaine 1%
        (LIDO-1, 100 mL), received through the stock service."""
        if not self.lots:
            from mesocare.catalog.models import Product
            from mesocare.inventory.services import stock

            for key, code, number, ml in (
                ("caffeine", "caffeine_20", "CAF-1", "50"),
                ("lidocaine", "lidocaine_1pct", "LIDO-1", "100"),
            ):
                self.lots[key] = stock.receive_stock(
                    self.actor("admin"),
                    product=Product.objects.get(organization__isnull=True, code=code),
                    location=self.clinic.location,
                    lot_number=number,
                    expiry=self.today + dt.timedelta(days=365),
                    quantity_ml=Decimal(ml),
                )
        return self.lots

    def treat(self, appointment: Any) -> Any:
        """Check in, chart one zone (caffeine 3 mL) and sign: a session as step 5 leaves it."""
        from mesocare.charting.services import injections, sessions
        from mesocare.scheduling.services import appointments

        lots = self.ensure_lots()
        appointments.check_in(
            self.actor("reception"), appointment, reason=self.early_reason(appointment)
        )
        doctor = self.actor("practitioner")
        session = sessions.open_from_appointment(doctor, appointment)
        injections.chart_injection(
            doctor,
            session,
            injections.InjectionIn(
                zone="thigh_posterior_l",
                technique="nappage",
                depth_mm=Decimal(3),
                points=40,
                total_volume_ml=Decimal(3),
                components=(injections.ComponentIn(lots["caffeine"].pk, Decimal(3)),),
            ),
        )
        return sessions.sign_session(doctor, session)

    def early_reason(self, appointment: Any) -> str | None:
        """The course starts on the first free lunchtime, today or later: a check-in before the
        appointment's day gives a reason (issue 18, bug 8)."""
        tz = appointment.location.tz
        if appointment.start.astimezone(tz).date() == timezone.now().astimezone(tz).date():
            return None
        return "The patient came in early."

    def ensure_session(self) -> Any:
        if self.session is None:
            self.session = self.treat(self.ensure_course()[0])
        return self.session

    def a_week_passes(self) -> None:
        """Session 1 moves a week into the past (the next session keeps the protocol's
        minimum interval). A direct update: signed sessions refuse save() by design."""
        from django.db.models import F

        from mesocare.charting.models import TreatmentSession

        week = dt.timedelta(days=7)
        TreatmentSession.objects.filter(patient=self.ensure_patient()).update(
            started_at=F("started_at") - week, signed_at=F("signed_at") - week
        )
