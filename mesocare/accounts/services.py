"""A user's own account: interface language and API tokens (audited)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.accounts.models import ApiToken
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.errors import Conflict, Invalid, NotFound


@transaction.atomic
def set_language(actor: Actor, language: str) -> None:
    """'' follows the browser; otherwise one of settings.LANGUAGES."""
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise Invalid.field("language", _("Unknown language."))
    user = actor.user
    if user.language == language:
        return
    before = user.language
    user.language = language
    user.save(update_fields=["language"])
    record(actor, AuditAction.UPDATE, user, changes={"language": [before, language]})


def tokens_of(actor: Actor) -> list[ApiToken]:
    """The actor's own tokens in this organization, newest first."""
    return list(ApiToken.objects.filter(membership=actor.membership).order_by("-created_at"))


@transaction.atomic
def issue_token(actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new bearer token acting as this membership; the raw token is returned only here."""
    token, raw = ApiToken.issue(actor.membership, name.strip())
    record(actor, AuditAction.CREATE, token, summary=f"API token {token.name or token.pk}")
    return token, raw


@transaction.atomic
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    token = (
        ApiToken.objects.select_for_update()
        .filter(membership=actor.membership, pk=token_id)
        .first()
    )
    if token is None:
        raise NotFound("not_found", _("No such token."))
    if token.revoked_at is not None:
        raise Conflict("already_revoked", _("This token was already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        actor,
        AuditAction.UPDATE,
        token,
        summary=f"API token {token.name or token.pk} revoked",
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )
    return token
