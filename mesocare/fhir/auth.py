"""Who is asking: the actor of a FHIR request (bearer token or browser session)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from mesocare.api.auth import BearerTokenAuth, SessionActorAuth
from mesocare.clinics.actor import Actor
from mesocare.errors import DomainError
from mesocare.fhir.outcome import FhirError
from mesocare.fhir.smart import actor_for_token


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def fhir_actor(request: HttpRequest) -> Actor:
    """The actor of a FHIR request, or a 401 FhirError.

    A ``Authorization: Bearer`` header must carry a valid API token (made with
    ``mesocare token create`` or in the account page) or a SMART Backend Services access token
    (``/fhir/R4/auth/token``); without one, the browser session is
    used (with the same second-factor rule as the REST API). Other token types plug in here."""
    token = bearer_token(request)
    if token is not None:
        actor = BearerTokenAuth().authenticate(request, token)
        if actor is None:
            actor = actor_for_token(token, request.META.get("REMOTE_ADDR"))
        if actor is None:
            raise FhirError(401, _("The bearer token is not valid."), code="login")
        return actor
    try:
        session_actor = SessionActorAuth().authenticate(request, None)
    except DomainError as exc:
        raise FhirError(401, exc.message, code="login") from None
    if session_actor is None:
        raise FhirError(401, _("Authentication required: send a bearer token."), code="login")
    assert isinstance(session_actor, Actor)
    return session_actor
