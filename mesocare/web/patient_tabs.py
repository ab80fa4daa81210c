"""The tabs of the patient page, declared in full here and in this order.

A tab's view is named in `url_name` and takes the patient's id as the `patient_id` keyword
(`path("patients/<int:patient_id>/plans", ..., name="patient-plans")`). The patient layout shows
the tabs the actor's role may see. To add a tab, add its line to `PATIENT_TABS` (nothing else
registers tabs, so the list below is the page, whatever order modules are imported in).

Tab views open the patient with `mesocare.web.patient_page.open_patient_page` (an audited read)
and render a template that extends `web/patients/_layout.html`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url_name: str
    perm: Perm


@dataclass(frozen=True)
class ShownTab:
    key: str
    label: str | Promise
    url: str


PATIENT_TABS: tuple[Tab, ...] = (
    Tab("overview", _("Overview"), "web:patient-detail", Perm.PATIENT_VIEW),
    Tab("allergies", _("Allergies"), "web:patient-allergies", Perm.ALLERGY_VIEW),
    Tab("assessments", _("Assessments"), "web:patient-assessments", Perm.CLINICAL_VIEW),
    Tab("plans", _("Plans"), "web:patient-plans", Perm.CLINICAL_VIEW),
    Tab("audit", _("Audit"), "web:patient-audit", Perm.AUDIT_VIEW),
    Tab("account", _("Account"), "web:patient-account", Perm.BILLING_VIEW),
    Tab("sessions", _("Sessions"), "web:patient-sessions", Perm.CLINICAL_VIEW),
    Tab("outcomes", _("Outcomes"), "web:patient-outcomes", Perm.CLINICAL_VIEW),
    Tab("safety", _("Safety"), "web:patient-safety", Perm.CLINICAL_VIEW),
    Tab("appointments", _("Appointments"), "web:patient-appointments", Perm.SCHEDULE_VIEW),
)


def visible_tabs(actor: Actor, patient_id: int) -> list[ShownTab]:
    shown = []
    for tab in PATIENT_TABS:
        if not actor.can(tab.perm):
            continue
        try:
            url = reverse(tab.url_name, kwargs={"patient_id": patient_id})
        except NoReverseMatch:
            continue
        shown.append(ShownTab(tab.key, tab.label, url))
    return shown
