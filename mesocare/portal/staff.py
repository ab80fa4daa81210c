"""What staff do with a patient's portal access: see who can sign in to the record, send a
sign-in link, give a guardian access to a minor's record, remove an access, and switch an
account off or on. Every change is audited as the staff member's. The patient comes from
`patients.services.registry.get_patient` (scoped to the actor's organization, audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import NotFound
from mesocare.patients.models import Patient
from mesocare.portal import accounts
from mesocare.portal.choices import AccessRelation
from mesocare.portal.models import PortalAccess, PortalAccount, PortalTotp


@dataclass(frozen=True)
class AccessRow:
    access: PortalAccess
    has_second_factor: bool

    @property
    def account(self) -> PortalAccount:
        return self.access.account

    @property
    def is_guardian(self) -> bool:
        return self.access.relation == AccessRelation.GUARDIAN


def accesses_of(actor: Actor, patient: Patient) -> list[AccessRow]:
    """Every portal account that opens this patient's record (2 queries)."""
    actor.require(Perm.PATIENT_VIEW)
    rows = list(
        PortalAccess.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .select_related("account")
        .order_by("relation", "account__email")
    )
    enrolled = set(
        PortalTotp.objects.filter(
            account_id__in=[r.account_id for r in rows], confirmed=True
        ).values_list("account_id", flat=True)
    )
    return [AccessRow(r, r.account_id in enrolled) for r in rows]


def _access(actor: Actor, patient: Patient, access_id: int) -> PortalAccess:
    access = (
        PortalAccess.objects.for_org(actor.org_id)
        .filter(pk=access_id, patient=patient)
        .select_related("account")
        .first()
    )
    if access is None:
        raise NotFound("portal_access", _("This portal access does not exist."))
    return access


@transaction.atomic
def send_sign_in_link(actor: Actor, patient: Patient) -> PortalAccount:
    """Open the patient's own account if needed and email them a sign-in link."""
    actor.require(Perm.PATIENT_EDIT)
    account = accounts.ensure_account(patient)
    accounts.request_magic_link(account.email, actor.ip)
    record(
        actor,
        AuditAction.UPDATE,
        account,
        patient_id=patient.pk,
        summary="portal sign-in link sent",
        channel="web",
    )
    return account


@transaction.atomic
def give_guardian_access(actor: Actor, minor: Patient, email: str) -> PortalAccess:
    """A guardian's account opens the minor's record (needs a guardian consent on file)."""
    actor.require(Perm.PATIENT_EDIT)
    access = accounts.grant_guardian_access(minor, email)
    record(
        actor,
        AuditAction.CREATE,
        access,
        patient_id=minor.pk,
        summary=f"guardian portal access for {access.account.email}",
        channel="web",
    )
    return access


@transaction.atomic
def remove_access(actor: Actor, patient: Patient, access_id: int) -> None:
    actor.require(Perm.PATIENT_EDIT)
    access = _access(actor, patient, access_id)
    record(
        actor,
        AuditAction.DELETE,
        access,
        patient_id=patient.pk,
        summary=f"portal access of {access.account.email} removed",
        changes={"relation": [access.relation, None]},
        channel="web",
    )
    access.delete()


@transaction.atomic
def set_account_active(actor: Actor, patient: Patient, access_id: int, active: bool) -> None:
    """Switch the account off (it can no longer sign in, and its open sessions end at their
    next request) or back on."""
    actor.require(Perm.PATIENT_EDIT)
    account = _access(actor, patient, access_id).account
    if account.is_active == active:
        return
    PortalAccount.objects.filter(pk=account.pk).update(is_active=active)
    record(
        actor,
        AuditAction.UPDATE,
        account,
        patient_id=patient.pk,
        summary=f"portal account {'reactivated' if active else 'deactivated'}",
        changes={"is_active": [account.is_active, active]},
        channel="web",
    )
