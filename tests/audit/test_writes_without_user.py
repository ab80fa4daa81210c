"""Entries no staff user made (the system, a patient, a portal account, an inbound SMS) are
written by one helper in mesocare/audit/services.py, nowhere else."""

from __future__ import annotations

import pathlib

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.portal.accounts import audit as portal_audit
from mesocare.portal.models import PortalAccount

pytestmark = pytest.mark.django_db


def test_a_portal_accounts_entry_names_the_account_and_keeps_the_ip(clinic):
    account = PortalAccount.objects.create(organization=clinic.org, email="giulia@example.org")
    portal_audit(account, "update", "x" * 300, ip="203.0.113.9", changes={"totp": True})
    event = AuditEvent.objects.get()
    assert event.actor is None and event.actor_label == "portal:giulia@example.org"
    assert (event.ip, event.channel) == ("203.0.113.9", "portal")
    assert (event.object_type, event.object_id) == ("portal.portalaccount", str(account.pk))
    assert event.changes == {"totp": True} and len(event.summary) == 255


def test_audit_events_are_created_only_in_the_audit_services():
    root = pathlib.Path(__file__).resolve().parents[2] / "mesocare"
    writers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and "AuditEvent.objects.create" in path.read_text()
    )
    assert writers == ["audit/services.py"]
