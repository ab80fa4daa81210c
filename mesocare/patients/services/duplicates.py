"""Possible duplicates of a patient about to be registered or imported.

A person is the same patient when the birth date agrees and either the name (accent- and
case-folded) or a contact (phone digits, email) agrees. Birth date alone is too common and
names alone collide across generations, so neither matches on its own."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from mesocare.lib.text import digits_only, normalize_search
from mesocare.patients.models import Patient

# Numbers are compared on their last nine digits, so '+39 333 1234567' and '333 1234567' agree.
PHONE_DIGITS = 9


def possible_duplicates(
    org_id: int,
    *,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    phone: str = "",
    email: str = "",
) -> QuerySet[Patient]:
    """The organization's patients (active or not) that may be this person, oldest first."""
    same_person = Q(
        given_norm=normalize_search(given_name), family_norm=normalize_search(family_name)
    )
    digits = digits_only(phone)
    if len(digits) >= PHONE_DIGITS:
        same_person |= Q(phone_digits__endswith=digits[-PHONE_DIGITS:])
    if email.strip():
        same_person |= Q(email__iexact=email.strip())
    return (
        Patient.objects.for_org(org_id)
        .filter(birth_date=birth_date)
        .filter(same_person)
        .order_by("id")
    )
