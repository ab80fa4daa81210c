"""SMART Backend Services (SMART App Launch 2.0.0, "Backend Services" and "Client
Authentication: Asymmetric"): a registered backend client proves who it is with a JWT signed by
its private key (RS384 or ES384) and gets a short-lived bearer token for ``system/*.read``.

Token request (RFC 6749 client credentials, RFC 7523 client assertion)::

    POST /fhir/R4/auth/token
    grant_type=client_credentials&scope=system/*.read
    &client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
    &client_assertion=<JWT>

The assertion must have iss = sub = the client id, aud = this token URL, exp at most five
minutes ahead, and a jti never used before by the client. Errors are RFC 6749 §5.2 JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import in_org
from mesocare.errors import Invalid
from mesocare.fhir.bulk.models import SmartAccessToken, SmartClient, UsedAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
SUPPORTED_SCOPES = ("system/*.read", "system/*.rs")
MAX_ASSERTION_LIFETIME = dt.timedelta(minutes=5)
CLOCK_SKEW = dt.timedelta(seconds=30)
TOKEN_LIFETIME = dt.timedelta(minutes=5)
TOKEN_PATH = "/fhir/R4/auth/token"


def token_url() -> str:
    return f"{settings.SITE_URL}{TOKEN_PATH}"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# -- registration ---------------------------------------------------------------------------


def parse_jwks(text_or_data: str | dict[str, Any]) -> dict[str, Any]:
    """A JWKS of public RS384/ES384 keys, each with a `kid`; Invalid otherwise."""
    try:
        data = json.loads(text_or_data) if isinstance(text_or_data, str) else text_or_data
    except ValueError:
        raise Invalid.field("jwks", _("The key set is not JSON.")) from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise Invalid.field("jwks", _('Give a JSON Web Key Set: {"keys": [...]}.'))
    clean = []
    for key in keys:
        if not isinstance(key, dict) or not key.get("kid"):
            raise Invalid.field("jwks", _("Every key needs a key id (kid)."))
        if "d" in key:
            raise Invalid.field("jwks", _("This is a private key; register only the public key."))
        algorithm = key.get("alg") or ("RS384" if key.get("kty") == "RSA" else "ES384")
        if algorithm not in ALGORITHMS:
            raise Invalid.field("jwks", _("Keys must be for RS384 or ES384."))
        try:
            jwt.PyJWK(key, algorithm)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            raise Invalid.field(
                "jwks", _("Key %s is not a valid RS384 or ES384 public key.") % key["kid"]
            ) from None
        clean.append({**key, "alg": algorithm})
    return {"keys": clean}


@transaction.atomic
def register_client(
    actor: Actor,
    *,
    name: str,
    jwks: str | dict[str, Any],
    reads_as: Membership | None = None,
    scopes: str = "system/*.read",
) -> SmartClient:
    """Register a backend client; it reads with the permissions of `reads_as` (default: the
    registering admin), within `scopes` (space-separated, of SUPPORTED_SCOPES)."""
    actor.require(Perm.ORG_MANAGE)
    name = name.strip()
    if not name:
        raise Invalid.field("name", _("Name the client (the software or service)."))
    wanted = scopes.split()
    if not wanted or any(scope not in SUPPORTED_SCOPES for scope in wanted):
        raise Invalid.field("scopes", _("Choose the scopes the client may ask for."))
    membership = reads_as or actor.membership
    if not in_org(actor, membership) or not membership.is_active:
        raise Invalid.field("reads_as", _("Choose an active member of this organization."))
    client = SmartClient.objects.create(
        organization_id=actor.org_id,
        name=name[:200],
        client_id=secrets.token_urlsafe(18),
        jwks=parse_jwks(jwks),
        scopes=" ".join(dict.fromkeys(wanted)),
        membership=membership,
    )
    record(actor, AuditAction.CREATE, client, summary=f"SMART backend client {name[:100]}")
    return client


@transaction.atomic
def deactivate_client(actor: Actor, client: SmartClient) -> None:
    actor.require(Perm.ORG_MANAGE)
    SmartClient.objects.for_org(actor.org_id).filter(pk=client.pk).update(is_active=False)
    SmartAccessToken.objects.filter(client=client).delete()
    record(actor, AuditAction.UPDATE, client, summary="SMART backend client deactivated")


# -- tokens ---------------------------------------------------------------------------------


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scope: str
    expires_in: int


def _client_key(client: SmartClient, header: dict[str, Any]) -> jwt.PyJWK:
    keys = client.jwks.get("keys", [])
    kid = header.get("kid")
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    elif len(keys) != 1:
        keys = []
    keys = [k for k in keys if k.get("alg") == header.get("alg")]
    if not keys:
        raise OAuthError(
            "invalid_client", "No registered key matches the assertion's kid and alg.", 401
        )
    return jwt.PyJWK(keys[0], header["alg"])


def issue_token(form: dict[str, str], *, ip: str | None = None) -> IssuedToken:
    """Check a client-credentials token request; a bearer token or an OAuthError."""
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials.")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_client", "client_assertion is not a JWT.", 401) from None
    if header.get("alg") not in ALGORITHMS:
        raise OAuthError("invalid_client", "The assertion must be signed with RS384 or ES384.", 401)
    client_id = unverified.get("iss")
    client = (
        SmartClient.objects.filter(client_id=client_id, is_active=True)
        .select_related("membership__user", "membership__organization")
        .first()
        if isinstance(client_id, str)
        else None
    )
    if client is None or not client.membership.is_active:
        raise OAuthError("invalid_client", "Unknown or inactive client.", 401)
    try:
        claims = jwt.decode(
            assertion,
            _client_key(client, header),
            algorithms=[header["alg"]],
            audience=token_url(),
            issuer=client.client_id,
            leeway=CLOCK_SKEW,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_client", f"The assertion was refused: {exc}.", 401) from None
    now = timezone.now()
    expires = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
    if claims["sub"] != client.client_id:
        raise OAuthError("invalid_client", "sub must be the client id.", 401)
    if expires > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
        raise OAuthError("invalid_client", "exp must be at most five minutes ahead.", 401)
    wanted = form.get("scope", "").split()
    allowed = set(client.scopes.split()) & set(SUPPORTED_SCOPES)
    granted = [s for s in wanted if s in allowed]
    if not wanted or not granted:
        raise OAuthError("invalid_scope", f"Request one of: {' '.join(sorted(allowed))}.")
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        UsedAssertion.objects.filter(expires_at__lt=now - CLOCK_SKEW).delete()
        SmartAccessToken.objects.filter(expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(
                    organization_id=client.organization_id,
                    client=client,
                    jti=str(claims["jti"])[:255],
                    expires_at=expires,
                )
        except IntegrityError:
            raise OAuthError(
                "invalid_client", "This assertion (jti) was used before.", 401
            ) from None
        SmartAccessToken.objects.create(
            organization_id=client.organization_id,
            client=client,
            token_hash=_hash(raw),
            scope=" ".join(granted),
            expires_at=now + TOKEN_LIFETIME,
        )
        record(
            client_actor(client, ip),
            AuditAction.LOGIN,
            client,
            summary=f"SMART access token issued to {client.name[:100]} ({' '.join(granted)})",
            channel="fhir",
        )
    return IssuedToken(raw, " ".join(granted), int(TOKEN_LIFETIME.total_seconds()))


def client_actor(client: SmartClient, ip: str | None = None) -> Actor:
    return Actor(membership=client.membership, ip=ip, reason=f"SMART client {client.name}")


def actor_for_token(raw: str, ip: str | None = None) -> Actor | None:
    """The actor of a SMART access token, or None when it is unknown or expired."""
    token = (
        SmartAccessToken.objects.filter(
            token_hash=_hash(raw),
            expires_at__gt=timezone.now(),
            client__is_active=True,
            client__membership__is_active=True,
        )
        .select_related("client__membership__user", "client__membership__organization")
        .first()
    )
    return None if token is None else client_actor(token.client, ip)


# -- views ----------------------------------------------------------------------------------


def _oauth_json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
def token_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _oauth_json(
            {"error": "invalid_request", "error_description": "Use POST."}, status=405
        )
        response["Allow"] = "POST"
        return response
    form = {key: request.POST.get(key, "") for key in request.POST}
    try:
        issued = issue_token(form, ip=request.META.get("REMOTE_ADDR"))
    except OAuthError as exc:
        return _oauth_json({"error": exc.error, "error_description": exc.description}, exc.status)
    return _oauth_json(
        {
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
    )


@require_GET
def smart_configuration(request: HttpRequest) -> HttpResponse:
    """`.well-known/smart-configuration`: what this server's SMART support is."""
    return JsonResponse(
        {
            "token_endpoint": token_url(),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "scopes_supported": list(SUPPORTED_SCOPES),
            "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
        }
    )
