"""Signed, expiring links into the patient portal: no login, one purpose per link. The
messages domain signs them when it sends; the portal reads them.

A token is `TimestampSigner(salt="mesocare.portal.<purpose>").sign_object(data)`: the salt
keeps a check-in token from opening a pre-care form, the timestamp bounds its life, and the
data names the organization, patient and object, so a token can only ever reveal the one form
it was made for (views re-check that the object belongs to that patient).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

# purpose → (URL name, maximum age)
PURPOSES: dict[str, tuple[str, dt.timedelta]] = {
    "precare": ("portal:precare", dt.timedelta(days=21)),
    "checkin": ("portal:checkin", dt.timedelta(days=14)),
    "recall": ("portal:recall", dt.timedelta(days=90)),
}


class LinkError(Exception):
    """The token is forged, for another purpose, or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "expired"


def _signer(purpose: str) -> signing.TimestampSigner:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return signing.TimestampSigner(salt=f"mesocare.portal.{purpose}")


def make_token(purpose: str, data: dict[str, Any]) -> str:
    return _signer(purpose).sign_object(data, compress=True)


def read_token(purpose: str, token: str) -> dict[str, Any]:
    max_age = PURPOSES[purpose][1] if purpose in PURPOSES else dt.timedelta(0)
    try:
        data = _signer(purpose).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except (signing.BadSignature, ValueError):
        raise LinkError("invalid") from None
    if not isinstance(data, dict):
        raise LinkError("invalid")
    return data


def portal_url(purpose: str, data: dict[str, Any]) -> str:
    url_name = PURPOSES[purpose][0]
    return settings.SITE_URL + reverse(url_name, args=[make_token(purpose, data)])
