"""The signed-in patient of the portal, kept in Django's session beside (never instead of) a
staff login.

The session holds one small dict under `SESSION_KEY`: the account, the organization, the
patient whose record is open (the account's own, or a minor it is guardian of), when and how it
signed in, and whether a second factor is still owed. Every request re-reads the account and its
access row, so a revoked access or a deactivated account ends the session at the next click.

Use `current_portal_patient(request)` (None when nobody is signed in) or the `portal_view`
decorator (redirects to the sign-in page) in views; `sign_in` / `sign_out` change it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

if TYPE_CHECKING:
    from mesocare.clinics.models import Organization
    from mesocare.patients.models import Patient
    from mesocare.portal.models import PortalAccess, PortalAccount

SESSION_KEY = "mesocare.portal"
_CACHE_ATTR = "_mesocare_portal"


@dataclass
class PortalSession:
    """Who is signed in to the portal, for this request."""

    account: PortalAccount
    access: PortalAccess
    accesses: list[PortalAccess] = field(default_factory=list)
    method: str = ""

    @property
    def patient(self) -> Patient:
        return self.access.patient

    @property
    def organization(self) -> Organization:
        return self.account.organization

    @property
    def org_id(self) -> int:
        return self.account.organization_id

    @property
    def is_guardian(self) -> bool:
        return self.access.relation == "guardian"


def _stored(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return data if isinstance(data, dict) else None


def _load(request: HttpRequest) -> PortalSession | None:
    from mesocare.portal.models import PortalAccess

    data = _stored(request)
    if not data or data.get("pending_2fa"):
        return None
    account_id, org_id, patient_id = data.get("account"), data.get("org"), data.get("patient")
    if not (
        isinstance(account_id, int) and isinstance(org_id, int) and isinstance(patient_id, int)
    ):
        return None
    accesses = list(
        PortalAccess.objects.for_org(org_id)
        .filter(account_id=account_id, account__is_active=True, patient__is_active=True)
        .select_related("account__organization", "patient")
        .order_by("relation", "id")
    )
    chosen = next((a for a in accesses if a.patient_id == patient_id), None)
    if chosen is None:
        return None
    return PortalSession(
        account=chosen.account, access=chosen, accesses=accesses, method=data.get("method", "")
    )


def current_portal_session(request: HttpRequest) -> PortalSession | None:
    """The signed-in portal session of this request, or None (cached per request)."""
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, _load(request))
    found: PortalSession | None = getattr(request, _CACHE_ATTR)
    return found


def current_portal_patient(request: HttpRequest) -> Patient | None:
    """The patient whose record the signed-in portal account has open, or None.

    For a guardian this is the minor they chose; for everyone else their own record. Only a
    fully signed-in account counts (a second factor still owed gives None)."""
    session = current_portal_session(request)
    return session.patient if session else None


def sign_in(
    request: HttpRequest,
    account: PortalAccount,
    *,
    method: str,
    patient_id: int | None = None,
    second_factor_done: bool = False,
) -> bool:
    """Start a portal session for `account`. Returns True when it is complete, False when the
    account has a confirmed second factor that must still be entered (`complete_second_factor`).

    The session key is rotated (no session fixation); a staff login in the same browser stays."""
    from mesocare.portal.models import PortalAccess

    accesses = list(
        PortalAccess.objects.for_org(account.organization_id)
        .filter(account=account)
        .order_by("relation", "id")
        .values_list("patient_id", flat=True)
    )
    chosen = patient_id if patient_id in accesses else (accesses[0] if accesses else None)
    if chosen is None:
        return False
    pending = _needs_second_factor(account) and not second_factor_done
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        "account": account.pk,
        "org": account.organization_id,
        "patient": chosen,
        "method": method,
        "at": timezone.now().isoformat(),
        "pending_2fa": pending,
    }
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)
    return not pending


def pending_second_factor_account_id(request: HttpRequest) -> int | None:
    data = _stored(request)
    if data and data.get("pending_2fa") and isinstance(data.get("account"), int):
        return int(data["account"])
    return None


def complete_second_factor(request: HttpRequest) -> None:
    """The owed second factor was entered: the session becomes a full sign-in."""
    data = _stored(request)
    if not data:
        return
    request.session.cycle_key()
    request.session[SESSION_KEY] = {**data, "pending_2fa": False}
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)


def switch_patient(request: HttpRequest, patient_id: int) -> bool:
    """Open another record the account may open (a guardian's minor). False when it may not."""
    session = current_portal_session(request)
    if session is None or patient_id not in {a.patient_id for a in session.accesses}:
        return False
    data = _stored(request) or {}
    request.session[SESSION_KEY] = {**data, "patient": patient_id}
    delattr(request, _CACHE_ATTR)
    return True


def sign_out(request: HttpRequest) -> None:
    """End the portal session only (a staff login in the same browser is kept)."""
    if hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
        request.session.cycle_key()
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)


def _needs_second_factor(account: PortalAccount) -> bool:
    from mesocare.portal.models import PortalTotp

    if account._state.fields_cache.get("totp", False) is not False:  # select_related'ed
        device = account._state.fields_cache["totp"]
        return bool(device is not None and device.confirmed)
    return PortalTotp.objects.filter(account=account, confirmed=True).exists()


def sign_in_url(next_path: str = "") -> str:
    url = reverse("portal:sign_in")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """A page for a signed-in patient: calls `view(request, session, ...)`, or redirects to the
    portal's sign-in page (coming back here afterwards)."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = current_portal_session(request)
        if session is None:
            if pending_second_factor_account_id(request) is not None:
                return HttpResponseRedirect(
                    reverse("portal:second_factor")
                    + "?"
                    + urlencode({"next": request.get_full_path()})
                )
            return HttpResponseRedirect(sign_in_url(request.get_full_path()))
        response = view(request, session, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper
