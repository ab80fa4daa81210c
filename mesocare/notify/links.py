"""Signed, expiring links into the patient portal: no login, one purpose per link. The
messages domain signs them when it sends; the portal reads them.

Each purpose has a typed payload (`PreCareLink`, `CheckInLink`, `RecallLink`) naming the
organization, patient and object, so a token can only ever reveal the one form it was made for
(views re-check that the object belongs to that patient). A token is
`TimestampSigner(salt="mesocare.portal.<purpose>").sign_object(values)`: the salt keeps a
check-in token from opening a pre-care form, the timestamp bounds its life, and `values` are
the payload's fields in declared order (a JSON list: the shortest text in an SMS).

Tokens signed before the payloads were typed carry a dict with one-letter keys (`LEGACY`); they
open for the rest of their life, and outbox messages stored with such a dict still render.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, overload

from django.conf import settings
from django.core import signing
from django.urls import reverse

P = TypeVar("P", bound="LinkPayload")


class LinkError(Exception):
    """The token is forged, for another purpose, malformed or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "expired"


@dataclass(frozen=True, kw_only=True)
class LinkPayload:
    """What a link names: always the organization and the patient, then the purpose's object."""

    purpose: ClassVar[str]
    url_name: ClassVar[str]
    max_age: ClassVar[dt.timedelta]
    # field → key in tokens signed before the payloads were typed
    LEGACY: ClassVar[dict[str, str]]

    organization: int
    patient: int

    def values(self) -> list[Any]:
        return [getattr(self, f.name) for f in dataclasses.fields(self)]

    @classmethod
    def from_values(cls: type[P], values: Any) -> P:
        """The payload from a token's signed values: the list of fields, or a legacy dict."""
        names = [f.name for f in dataclasses.fields(cls)]
        if isinstance(values, dict):
            values = [values.get(cls.LEGACY[name]) for name in names]
        if not isinstance(values, list) or len(values) != len(names):
            raise LinkError("invalid")
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        parsed: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if kinds[name] == "int":
                if isinstance(value, bool) or not isinstance(value, (int, str)):
                    raise LinkError("invalid")
                try:
                    parsed[name] = int(value)
                except ValueError:
                    raise LinkError("invalid") from None
            else:
                parsed[name] = "" if value is None else str(value)
        return cls(**parsed)

    def message_link(self, name: str) -> dict[str, Any]:
        """The link as an outbox message stores it (signed when the message is rendered)."""
        return {"name": name, "purpose": self.purpose, "data": self.values()}


@dataclass(frozen=True, kw_only=True)
class PreCareLink(LinkPayload):
    """The pre-care instructions of one appointment, to tick before it."""

    purpose: ClassVar[str] = "precare"
    url_name: ClassVar[str] = "portal:precare"
    max_age: ClassVar[dt.timedelta] = dt.timedelta(days=21)
    LEGACY: ClassVar[dict[str, str]] = {
        "organization": "o",
        "patient": "p",
        "appointment": "a",
        "instruction_set": "s",
    }

    appointment: int
    instruction_set: str


@dataclass(frozen=True, kw_only=True)
class CheckInLink(LinkPayload):
    """The side-effect check-in `when` ("24h" or "72h") after one treatment session."""

    purpose: ClassVar[str] = "checkin"
    url_name: ClassVar[str] = "portal:checkin"
    max_age: ClassVar[dt.timedelta] = dt.timedelta(days=14)
    LEGACY: ClassVar[dict[str, str]] = {
        "organization": "o",
        "patient": "p",
        "session": "s",
        "when": "k",
    }

    session: int
    when: str


@dataclass(frozen=True, kw_only=True)
class RecallLink(LinkPayload):
    """A maintenance recall of one plan: the patient asks to be called back."""

    purpose: ClassVar[str] = "recall"
    url_name: ClassVar[str] = "portal:recall"
    max_age: ClassVar[dt.timedelta] = dt.timedelta(days=90)
    LEGACY: ClassVar[dict[str, str]] = {"organization": "o", "patient": "p", "plan": "pl"}

    plan: int


PAYLOADS: dict[str, type[LinkPayload]] = {
    kind.purpose: kind for kind in (PreCareLink, CheckInLink, RecallLink)
}
# purpose → (URL name, maximum age)
PURPOSES: dict[str, tuple[str, dt.timedelta]] = {
    purpose: (kind.url_name, kind.max_age) for purpose, kind in PAYLOADS.items()
}


def payload_type(purpose: str) -> type[LinkPayload]:
    try:
        return PAYLOADS[purpose]
    except KeyError:
        raise ValueError(f"unknown link purpose {purpose!r}") from None


def _signer(purpose: str) -> signing.TimestampSigner:
    payload_type(purpose)
    return signing.TimestampSigner(salt=f"mesocare.portal.{purpose}")


def make_token(payload: LinkPayload) -> str:
    return _signer(payload.purpose).sign_object(payload.values(), compress=True)


@overload
def read_token(purpose: type[P], token: str) -> P: ...
@overload
def read_token(purpose: str, token: str) -> LinkPayload: ...
def read_token(purpose: str | type[LinkPayload], token: str) -> LinkPayload:
    """The typed payload of a token made for `purpose` (a purpose's name or its payload type:
    `read_token(PreCareLink, token)` is a `PreCareLink`)."""
    if not isinstance(purpose, str):
        purpose = purpose.purpose
    kind = payload_type(purpose)
    try:
        values = _signer(purpose).unsign_object(token, max_age=kind.max_age)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except (signing.BadSignature, ValueError):
        raise LinkError("invalid") from None
    return kind.from_values(values)


def portal_url(payload: LinkPayload) -> str:
    return settings.SITE_URL + reverse(payload.url_name, args=[make_token(payload)])


def stored_link_url(purpose: str, data: Any) -> str:
    """The URL of a link as an outbox message stores it (`LinkPayload.message_link`; messages
    stored before the payloads were typed hold the legacy dict)."""
    return portal_url(payload_type(purpose).from_values(data))
