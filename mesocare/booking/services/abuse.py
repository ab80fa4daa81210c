"""Abuse checks of the public booking pages: fixed-window rate limits in Django's cache (one
Redis for every server process when ``REDIS_URL`` is set; per process otherwise) and a
proof-of-work challenge that needs no third-party service.

Proof of work (after Back, "Hashcash — a denial of service counter-measure", 2002): the
server signs a random challenge with a time stamp; the browser finds a nonce such that
SHA-256(challenge + ":" + nonce) starts with ``bits`` zero bits (about 2^bits hashes, well
under a second on a phone for the default) and sends it with the form. The server checks the
signature, the age, the hash (one hash) and that the challenge was not used before.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from mesocare.errors import DomainError

# scope: (requests allowed, window in seconds); override with MESOCARE_ONLINE_BOOKING_LIMITS.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "search_ip": (120, 60),
    "search_identity": (60, 60),
    "hold_ip": (30, 600),
    "book_ip": (20, 3600),
    "book_identity": (5, 3600),
}
POW_SALT = "mesocare.booking.pow"
POW_MAX_AGE_S = 30 * 60
DEFAULT_POW_BITS = 14


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


def limit_of(scope: str) -> tuple[int, int]:
    overrides = getattr(settings, "MESOCARE_ONLINE_BOOKING_LIMITS", {}) or {}
    return tuple(overrides.get(scope, DEFAULT_LIMITS[scope]))  # type: ignore[return-value]


def _key(scope: str, who: str) -> str:
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]
    return f"booking:rate:{scope}:{digest}"


def allow(scope: str, who: str) -> bool:
    """Count one request of ``who`` in ``scope``; False once the window's budget is spent."""
    allowed, window = limit_of(scope)
    key = _key(scope, who)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return bool(count <= allowed)


def require_allowed(*checks: tuple[str, str | None]) -> None:
    """Raise `TooManyRequests` when any (scope, who) is over its budget (a None ``who`` is not
    counted)."""
    for scope, who in checks:
        if who and not allow(scope, who):
            raise TooManyRequests(
                "too_many_requests",
                _("Too many requests from here. Please wait a few minutes and try again."),
            )


# --- proof of work --------------------------------------------------------------------------


def pow_bits() -> int:
    return int(getattr(settings, "MESOCARE_ONLINE_BOOKING_POW_BITS", DEFAULT_POW_BITS))


@dataclass(frozen=True)
class Challenge:
    token: str  # signed, carried in the form
    bits: int


def new_challenge() -> Challenge:
    bits = pow_bits()
    token = signing.TimestampSigner(salt=POW_SALT).sign(f"{secrets.token_hex(12)}.{bits}")
    return Challenge(token, bits)


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        count += 8 - byte.bit_length()
        break
    return count


def solves(token: str, nonce: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{token}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def verify_work(token: str, nonce: str) -> bool:
    """Whether ``nonce`` solves the challenge ``token`` (signed by us, not too old, not used
    before); a used challenge is remembered until it would have expired anyway."""
    if not token or not nonce or len(nonce) > 32 or len(token) > 200:
        return False
    try:
        value = signing.TimestampSigner(salt=POW_SALT).unsign(token, max_age=POW_MAX_AGE_S)
    except signing.BadSignature:
        return False
    try:
        bits = int(value.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return False
    if not solves(token, nonce, bits):
        return False
    return bool(
        cache.add(f"booking:pow:{hashlib.sha256(token.encode()).hexdigest()}", 1, POW_MAX_AGE_S)
    )


def solve(token: str, bits: int) -> str:
    """The nonce the browser script would find (tests, the bench, command-line clients)."""
    n = 0
    while not solves(token, str(n), bits):
        n += 1
    return str(n)
