"""Charting in the treatment room (tablet-first): the patient's "Sessions" tab, the session
page with its body map, injection form, running totals and dose limits, side effects,
signing and amendments, and the printable session summary (PDF)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.catalog.choices import Technique
from mesocare.charting.choices import NeedleKind, SideEffectKind, SideEffectSource
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import injections as charting
from mesocare.charting.services import sessions
from mesocare.charting.services.sessions import AMENDABLE
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict, DomainError
from mesocare.inventory.models import ProductLot
from mesocare.lib.local_time import format_date
from mesocare.scheduling.models import Appointment
from mesocare.web.bodymap import bodymap_views
from mesocare.web.labels import amended_field_name, amended_part_name, zone_names
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view


def unsigned_card(actor: Actor) -> dict[str, Any]:
    return {"overdue": list(sessions.overdue_unsigned(actor)[:20])}


MAX_COMPONENTS = 3


class WalkInForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label=gettext_lazy("Location")
    )
    protocol = forms.ModelChoiceField(
        queryset=sessions.Protocol.objects.none(), required=False, label=gettext_lazy("Protocol")
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.for_org(actor.org_id).filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["protocol"].queryset = sessions.visible_protocols(actor).filter(  # type: ignore[attr-defined]
            is_active=True
        )


def lot_label(lot: ProductLot) -> str:
    """A lot as the injection form offers it: product, lot number, expiry and what is left
    ("Aqualyx · lot L123 · expires 31/01/2027 · 12.5 mL left")."""
    return _("%(product)s · lot %(lot)s · expires %(expiry)s · %(ml)s mL left") % {
        "product": lot.product.name,
        "lot": lot.lot_number,
        "expiry": format_date(lot.expiry),
        "ml": number_format(lot.on_hand_ml.normalize()),
    }


class InjectionForm(forms.Form):
    zone = forms.CharField(widget=forms.HiddenInput)
    technique = forms.ChoiceField(choices=Technique.choices, label=gettext_lazy("Technique"))
    depth_mm = forms.DecimalField(
        label=gettext_lazy("Depth (mm)"),
        min_value=Decimal(0),
        max_value=Decimal(50),
        decimal_places=1,
    )
    points = forms.IntegerField(label=gettext_lazy("Points"), min_value=1, max_value=10000)
    volume_per_point_ml = forms.DecimalField(
        label=gettext_lazy("Volume per point (mL)"),
        required=False,
        min_value=Decimal("0.001"),
        decimal_places=3,
    )
    total_volume_ml = forms.DecimalField(
        label=gettext_lazy("Total volume (mL)"),
        help_text=gettext_lazy("Points × volume per point, when both are given."),
        required=False,
        min_value=Decimal("0.001"),
        decimal_places=3,
    )
    needle_kind = forms.ChoiceField(
        choices=NeedleKind.choices,
        initial=NeedleKind.NEEDLE,
        label=gettext_lazy("Needle or cannula"),
    )
    needle_gauge = forms.IntegerField(
        label=gettext_lazy("Gauge (G)"), required=False, min_value=14, max_value=34
    )
    needle_length_mm = forms.DecimalField(
        label=gettext_lazy("Length (mm)"),
        required=False,
        min_value=Decimal("0.1"),
        decimal_places=1,
    )
    out_of_range_reason = forms.CharField(
        label=gettext_lazy("Reason for values outside the protocol"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Safety override reason (practitioner)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, lots: list[ProductLot], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(lot.pk), lot_label(lot)) for lot in lots]
        for i in range(1, MAX_COMPONENTS + 1):
            self.fields[f"lot_{i}"] = forms.ChoiceField(
                choices=choices, required=i == 1, label=_("Product lot %d") % i
            )
            self.fields[f"volume_{i}"] = forms.DecimalField(
                label=_("Volume %d (mL)") % i,
                required=i == 1,
                min_value=Decimal("0.001"),
                decimal_places=3,
            )

    def clean(self) -> dict[str, Any]:
        """The total volume is points × volume per point when both are given (the page
        computes it as they are typed): an empty total takes it; a different one is refused
        by the charting service, beside the field."""
        data = super().clean() or {}
        if self.has_error("total_volume_ml"):
            return data
        computed = charting.volume_from_points(data.get("points"), data.get("volume_per_point_ml"))
        if data.get("total_volume_ml") is None:
            if computed is not None:
                data["total_volume_ml"] = computed
            elif not self.has_error("points"):
                self.add_error(
                    "total_volume_ml",
                    _("Give the total volume, or the volume per point to compute it."),
                )
        return data

    def component_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"lot_{i}"], self[f"volume_{i}"]) for i in range(1, MAX_COMPONENTS + 1)]

    def data_in(self) -> charting.InjectionIn:
        d = self.cleaned_data
        components = tuple(
            charting.ComponentIn(int(d[f"lot_{i}"]), d[f"volume_{i}"])
            for i in range(1, MAX_COMPONENTS + 1)
            if d.get(f"lot_{i}") and d.get(f"volume_{i}")
        )
        return charting.InjectionIn(
            zone=d["zone"],
            technique=d["technique"],
            depth_mm=d["depth_mm"],
            points=d["points"],
            total_volume_ml=d["total_volume_ml"],
            components=components,
            volume_per_point_ml=d.get("volume_per_point_ml"),
            needle_kind=d["needle_kind"],
            needle_gauge=d.get("needle_gauge"),
            needle_length_mm=d.get("needle_length_mm"),
            out_of_range_reason=d.get("out_of_range_reason") or "",
            override_reason=d.get("override_reason") or None,
        )


class SessionForm(forms.Form):
    pain_vas = forms.DecimalField(
        label=gettext_lazy("Pain during the session (VAS 0–10)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(10),
        decimal_places=1,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SideEffectForm(forms.Form):
    kind = forms.ChoiceField(choices=SideEffectKind.choices, label=gettext_lazy("Side effect"))
    grade = forms.TypedChoiceField(
        choices=sessions.SideEffect._meta.get_field("grade").choices,  # type: ignore[arg-type]
        coerce=int,
        label=gettext_lazy("Grade"),
    )
    action_taken = forms.CharField(label=gettext_lazy("Action taken"), required=False)
    source = forms.ChoiceField(
        choices=SideEffectSource.choices,
        initial=SideEffectSource.STAFF,
        label=gettext_lazy("Source"),
    )


def _amendable_fields() -> list[tuple[str, str]]:
    return [
        (f"{target}:{field}", f"{amended_part_name(target)} · {amended_field_name(field, target)}")
        for target, fields in AMENDABLE.items()
        for field in fields
    ]


class AmendmentForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))
    target_field = forms.ChoiceField(
        choices=[("", gettext_lazy("(no field: note only)"))],
        required=False,
        label=gettext_lazy("Field"),
    )
    n = forms.IntegerField(
        label=gettext_lazy("Injection # or side-effect id"), required=False, min_value=1
    )
    value = forms.CharField(label=gettext_lazy("Corrected value"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["target_field"]
        field.choices = [("", _("(no field: note only)")), *_amendable_fields()]


class SignForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm this record is complete and correct; it cannot be changed after signing."
        )
    )


class DiscardForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why discard it"),
        max_length=2000,
        required=False,
        widget=forms.TextInput({"placeholder": gettext_lazy("Opened by mistake.")}),
    )


def _initial(suggestion: dict[str, Any]) -> dict[str, Any]:
    initial = {
        k: suggestion[k]
        for k in (
            "zone",
            "technique",
            "depth_mm",
            "points",
            "volume_per_point_ml",
            "total_volume_ml",
            "needle_kind",
            "needle_gauge",
            "needle_length_mm",
        )
        if suggestion.get(k) not in (None, "")
    }
    for i, component in enumerate(suggestion["components"][:MAX_COMPONENTS], start=1):
        if component["lot"]:
            initial[f"lot_{i}"] = str(component["lot"])
        if component["volume_ml"]:
            initial[f"volume_{i}"] = component["volume_ml"]
    return initial


def _amended_map(session: TreatmentSession) -> dict[tuple[str, Any], dict[str, Any]]:
    out: dict[tuple[str, Any], dict[str, Any]] = {}
    for amendment in session.amendments.all():
        for change in amendment.changes:
            out.setdefault((change["target"], change.get("n")), {})[change["field"]] = change["new"]
    return out


def _render_session(
    request: HttpRequest,
    actor: Actor,
    session: TreatmentSession,
    *,
    injection_form: InjectionForm | None = None,
    findings: list[dict[str, Any]] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    names = zone_names()
    zone = request.GET.get("zone") or (injection_form.data.get("zone") if injection_form else None)
    zone = zone if zone in names else None
    suggestion = None
    if zone is not None and injection_form is None and session.signed_at is None:
        lots = charting.usable_lots(actor, session)
        suggestion = charting.suggest_injection(actor, session, zone, lots)
        injection_form = InjectionForm(lots, initial=_initial(suggestion))
    amended = _amended_map(session)
    injections = [
        (i, names.get(i.zone_id, i.zone_id), amended.get(("injection", i.n), {}))
        for i in session.injections.all()
    ]
    side_effects = [(s, amended.get(("side_effect", s.pk), {})) for s in session.side_effects.all()]
    done = {i.zone_id for i in session.injections.all()}
    context = {
        "session": session,
        "patient": session.patient,
        "totals": sessions.session_totals(session),
        "injections": injections,
        "side_effects": side_effects,
        "session_amended": amended.get(("session", None), {}),
        "bodymap": bodymap_views(names, done=done, selected=zone or ""),
        "zone_name": names[zone] if zone else "",
        "suggestion": suggestion,
        "injection_form": injection_form,
        "findings": findings or [],
        "session_form": extra.pop("session_form", None)
        or SessionForm(initial={"pain_vas": session.pain_vas, "notes": session.notes}),
        "side_effect_form": extra.pop("side_effect_form", None) or SideEffectForm(),
        "amendment_form": extra.pop("amendment_form", None) or AmendmentForm(),
        "sign_form": extra.pop("sign_form", None) or SignForm(),
        "discard_form": extra.pop("discard_form", None) or DiscardForm(),
        # An unsigned session with nothing charted may be discarded (opened by mistake).
        "can_discard": actor.can(Perm.CLINICAL_EDIT)
        and session.signed_at is None
        and not injections
        and not side_effects,
        "can_edit": actor.can(Perm.CLINICAL_EDIT),
        "can_sign": session.practitioner_id == actor.membership.pk,
        **extra,
    }
    return render(request, "web/charting/session.html", context, status=status)


def _load(actor: Actor, session_id: int, *, audit: bool = False) -> TreatmentSession:
    return sessions.get_session(actor, session_id, channel="web", audit=audit)


def _back(session: TreatmentSession, anchor: str = "") -> HttpResponse:
    return redirect(reverse("web:session", kwargs={"session_id": session.pk}) + anchor)


def _submit_session_form(
    request: HttpRequest,
    actor: Actor,
    session_id: int,
    form: Any,
    form_key: str,
    action: Any,
    success: str,
    anchor: str = "",
) -> HttpResponse:
    """Post one of the session page's forms: on success say so and go back to the session;
    otherwise show the page again with the errors beside the form's fields (422)."""
    session = _load(actor, session_id)
    if form.is_valid():
        try:
            action(session, form.cleaned_data)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, success)
            return _back(session, anchor)
    context = {form_key: form}
    return _render_session(request, actor, _load(actor, session_id), status=422, **context)


@staff_view(Perm.CLINICAL_VIEW)
def patient_sessions(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "sessions")
    context["sessions"] = list(sessions.patient_sessions(actor, patient))
    context["walk_in_form"] = WalkInForm(actor) if actor.can(Perm.CLINICAL_EDIT) else None
    return render(request, "web/charting/patient_sessions.html", context)


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def session_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "sessions")
    form = WalkInForm(actor, request.POST)
    if form.is_valid():
        try:
            session = sessions.open_walk_in(
                actor,
                patient=patient,
                location=form.cleaned_data["location"],
                protocol=form.cleaned_data["protocol"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            return _back(session)
    context["sessions"] = list(sessions.patient_sessions(actor, patient))
    context["walk_in_form"] = form
    return render(request, "web/charting/patient_sessions.html", context, status=422)


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def appointment_session(request: HttpRequest, actor: Actor, appointment_id: int) -> HttpResponse:
    appointment = get_for_org(Appointment, actor.org_id, appointment_id)
    existing = (
        TreatmentSession.objects.for_org(actor.org_id).filter(appointment=appointment).first()
    )
    if existing is not None:
        return _back(existing)
    try:
        session = sessions.open_from_appointment(actor, appointment, channel="web")
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("web:patient-sessions", patient_id=appointment.patient_id)
    return _back(session)


@staff_view(Perm.CLINICAL_VIEW)
def session_page(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    return _render_session(request, actor, _load(actor, session_id, audit=True))


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def injection_add(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = _load(actor, session_id)
    form = InjectionForm(charting.usable_lots(actor, session), request.POST)
    findings = None
    if form.is_valid():
        try:
            injection = charting.chart_injection(actor, session, form.data_in(), channel="web")
        except DomainError as exc:
            findings = exc.context.get("findings")
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Injection #%d charted.") % injection.n)
            return _back(session, "#injections")
    return _render_session(
        request, actor, _load(actor, session_id), injection_form=form, findings=findings, status=422
    )


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def injection_delete(request: HttpRequest, actor: Actor, session_id: int, n: int) -> HttpResponse:
    session = _load(actor, session_id)
    try:
        charting.delete_injection(actor, session, n, channel="web")
        messages.success(request, _("Injection #%d deleted; its stock was put back.") % n)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(session, "#injections")


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def session_update(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    return _submit_session_form(
        request,
        actor,
        session_id,
        SessionForm(request.POST),
        "session_form",
        lambda session, data: sessions.update_session(actor, session, channel="web", **data),
        _("Session saved."),
    )


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def side_effect_add(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    return _submit_session_form(
        request,
        actor,
        session_id,
        SideEffectForm(request.POST),
        "side_effect_form",
        lambda session, data: charting.add_side_effect(actor, session, channel="web", **data),
        _("Side effect recorded."),
        "#side-effects",
    )


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def session_sign(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    return _submit_session_form(
        request,
        actor,
        session_id,
        SignForm(request.POST),
        "sign_form",
        lambda session, _data: sessions.sign_session(actor, session, channel="web"),
        _("Session signed."),
    )


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def session_discard(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    """Discard an empty session opened by mistake; its appointment is booked again."""
    # The row alone: the service checks what is charted (the page's prefetches are not needed).
    session = get_for_org(TreatmentSession, actor.org_id, session_id)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            sessions.discard_session(actor, session, form.cleaned_data["reason"], channel="web")
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Session discarded; the appointment is booked again.")
                if session.appointment_id
                else _("Session discarded."),
            )
            return redirect("web:patient-sessions", patient_id=session.patient_id)
    return _render_session(request, actor, _load(actor, session_id), status=422, discard_form=form)


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def amendment_add(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = _load(actor, session_id)
    form = AmendmentForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        changes = []
        if d["target_field"]:
            target, field = d["target_field"].split(":", 1)
            changes.append(sessions.Change(target, field, d["value"], d.get("n")))
        try:
            sessions.add_amendment(
                actor, session, reason=d["reason"], changes=changes, channel="web"
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Amendment added."))
            return _back(session, "#amendments")
    return _render_session(
        request, actor, _load(actor, session_id), amendment_form=form, status=422
    )


@staff_view(Perm.CLINICAL_VIEW)
def session_pdf(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = _load(actor, session_id)
    pdf = session_summary_pdf(request, session)
    from mesocare.audit.choices import AuditAction
    from mesocare.audit.services import record

    record(
        actor,
        AuditAction.EXPORT,
        session,
        patient_id=session.patient_id,
        summary=f"printed session summary {session.pk}",
        channel="web",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="session-{session.pk}.pdf"'
    return response


def session_summary_pdf(request: HttpRequest, session: TreatmentSession) -> bytes:
    """The printable session summary (weasyprint), as printed and as shared with the patient."""
    from weasyprint import HTML

    amended = _amended_map(session)
    html = render_to_string(
        "web/charting/summary_pdf.html",
        {
            "session": session,
            "totals": sessions.session_totals(session),
            "injections": [
                (i, amended.get(("injection", i.n), {})) for i in session.injections.all()
            ],
            "side_effects": list(session.side_effects.all()),
            "printed_at": timezone.now(),
        },
        request=request,
    )
    pdf: bytes = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    return pdf
