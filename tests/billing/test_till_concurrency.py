"""The till under concurrency on PostgreSQL: 16 issuers at once get gapless invoice numbers,
and a package is consumed exactly once per session however the signing races. (SQLite
serializes every writer, so the races need a real server; skipped there.)"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from mesocare.billing.models import Invoice, InvoiceCounter, PackageConsumption
from mesocare.billing.services import invoicing
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import sessions
from mesocare.errors import DomainError

pytestmark = pytest.mark.django_db(transaction=True)

ISSUERS = 16
PER_ISSUER = 4


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer, so there is no race")


def run_at_once(work: Callable[[int], str], n: int) -> Counter[str]:
    """Run `work(i)` in `n` threads, each on its own connection, released together."""
    outcomes: Counter[str] = Counter()
    guard = threading.Lock()
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
        except DomainError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with guard:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_sixteen_concurrent_issuers_get_gapless_numbers(postgres_only: None, till: Any) -> None:
    clinic = till.clinic
    actor = clinic.actor("reception")

    def issue(i: int) -> str:
        for _ in range(PER_ISSUER):
            invoicing.issue_retail_invoice(
                actor,
                patient_id=clinic.patient.pk,
                location_id=clinic.location.pk,
                items=[ItemRequest(till.product.pk, Decimal(1))],
            )
        return "issued"

    assert run_at_once(issue, ISSUERS) == {"issued": ISSUERS}
    numbers = sorted(
        Invoice.objects.filter(organization=clinic.org).values_list("number", flat=True)
    )
    assert numbers == list(range(1, ISSUERS * PER_ISSUER + 1))
    counter = InvoiceCounter.objects.get(organization=clinic.org, series="A")
    assert counter.next_number == ISSUERS * PER_ISSUER + 1


def test_the_same_session_signed_concurrently_consumes_one_package_session(
    postgres_only: None, till: Any
) -> None:
    package = till.sell()
    session = till.session()
    actor = till.clinic.actor("practitioner")

    def sign(i: int) -> str:
        sessions.sign_session(actor, TreatmentSession.objects.get(pk=session.pk))
        return "signed"

    outcomes = run_at_once(sign, 8)
    assert outcomes["signed"] == 1
    assert outcomes["session_signed"] == 7
    package.refresh_from_db()
    assert package.sessions_used == 1
    assert PackageConsumption.objects.filter(session=session).count() == 1


def test_more_concurrent_signings_than_sessions_left_never_overdraw(
    postgres_only: None, till: Any
) -> None:
    package = till.sell()  # 6 sessions
    clinic = till.clinic
    patient = clinic.patient
    many = [till.session(patient) for _ in range(9)]
    actor = clinic.actor("practitioner")

    def sign(i: int) -> str:
        sessions.sign_session(actor, TreatmentSession.objects.get(pk=many[i].pk))
        return "signed"

    assert run_at_once(sign, len(many)) == {"signed": len(many)}
    package.refresh_from_db()
    assert package.sessions_used == package.sessions_total == 6
    assert package.status == "used_up"
    assert PackageConsumption.objects.filter(package=package).count() == 6
