"""The audit trail reads as text: field labels, choice labels, local times, money and names
instead of the stored codes, UTC timestamps and ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.audit.services import record
from mesocare.web.audit_changes import ChangeRenderer, channel_name

pytestmark = pytest.mark.django_db


def _event(clinic: Any, object_type: str, changes: dict[str, Any]) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=clinic.org,
        actor_label="admin",
        action=AuditAction.UPDATE,
        object_type=object_type,
        changes=changes,
    )


def _lines(clinic: Any, object_type: str, changes: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    event = _event(clinic, object_type, changes)
    with timezone.override("Europe/Rome"):
        rendered = ChangeRenderer([event], clinic.org.pk).render(event)
    return {c.label: (c.old, c.new) for c in rendered}


def test_choice_codes_read_as_their_labels_under_the_field_label(clinic: Any) -> None:
    lines = _lines(
        clinic, "patients.patient", {"allergy_status": ["unknown", "no_known_allergies"]}
    )
    assert lines == {"Allergy status": ("Not asked", "No known allergies")}
    lines = _lines(clinic, "billing.payment", {"method": [None, "card_terminal"]})
    assert lines == {"Method": ("—", "Card terminal")}


def test_stored_utc_times_read_on_the_location_clock_with_its_zone(clinic: Any) -> None:
    lines = _lines(
        clinic,
        "scheduling.appointment",
        {"start": ["2026-01-12T08:00:00+00:00", "2026-01-12 09:30:00+00:00"]},
    )
    [(old, new)] = lines.values()
    assert old.endswith("09:00 CET") and new.endswith("10:30 CET")
    assert "2026-01-12" not in old + new


def test_amounts_are_money_and_flags_are_yes_or_no(clinic: Any) -> None:
    lines = _lines(
        clinic, "billing.invoice", {"gross_total": [None, "120.5"], "kind": [None, "invoice"]}
    )
    assert lines["Total"] == ("—", "120.50")
    lines = _lines(clinic, "patients.allergy", {"is_active": [True, False]})
    assert list(lines.values()) == [("yes", "no")]


def test_a_foreign_key_reads_as_the_name_of_the_row(clinic: Any) -> None:
    user = clinic.user("practitioner")
    lines = _lines(clinic, "patients.patient", {"allergy_status_by": [None, user.pk]})
    assert lines == {"Allergy status recorded by": ("—", str(user))}


def test_keys_that_are_not_fields_read_as_words(clinic: Any) -> None:
    lines = _lines(clinic, "clinics.membership", {"failed_sign_ins_cleared": 3})
    assert lines == {"Failed sign-ins cleared": (None, "3")}
    assert channel_name("web") == "Staff pages"


def test_the_audit_pages_show_the_rendered_change_set(
    web: Callable[[str], Any], clinic: Any
) -> None:
    record(
        clinic.actor("admin"),
        AuditAction.UPDATE,
        clinic.patient,
        patient_id=clinic.patient.pk,
        changes={"allergy_status": ["unknown", "no_known_allergies"]},
        channel="web",
    )
    for url in ("/audit", f"/patients/{clinic.patient.pk}/audit"):
        html = web("auditor").get(url).content.decode()
        assert "Allergy status" in html
        assert "Not asked → No known allergies" in html
        assert "no_known_allergies" not in html
        assert "Staff pages" in html


def test_names_cost_one_query_per_kind_of_row_not_per_event(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    admin = clinic.actor("admin")
    for role in ("admin", "practitioner", "reception", "auditor") * 10:
        record(
            admin,
            AuditAction.UPDATE,
            clinic.patient,
            patient_id=clinic.patient.pk,
            changes={"allergy_status_by": [None, clinic.user(role).pk], "notes": ["", "x"]},
        )
    client = web("admin")
    with django_assert_max_num_queries(13):
        html = client.get("/audit").content.decode()
    assert str(clinic.user("reception")) in html
    with django_assert_max_num_queries(17):
        client.get(f"/patients/{clinic.patient.pk}/audit")


def test_summaries_read_stored_times_locally_and_codes_as_words() -> None:
    from mesocare.web.audit_changes import summary_text

    text = summary_text(
        "booked appointment at 2026-01-12T08:00:00+00:00 (demo history); method card_terminal",
        "Europe/Rome",
    )
    assert "2026-01-12T" not in text and "09:00 CET" in text
    assert "card terminal" in text


def test_a_key_pointing_at_a_code_reads_as_the_rows_name(clinic: Any) -> None:
    from mesocare.catalog.models import Zone

    zone = Zone.objects.get(code="thigh_lateral_r")
    lines = _lines(clinic, "charting.injectionrecord", {"zone": [None, "thigh_lateral_r"]})
    assert list(lines.values()) == [("—", zone.name)]


def test_scale_ids_in_summaries_read_as_scale_names() -> None:
    from mesocare.core.scales import get_scale
    from mesocare.web.audit_changes import summary_text

    text = summary_text("hexsel-css 6 (moderate)")
    assert text.startswith(str(get_scale("hexsel-css").name))
    assert "hexsel-css" not in text
