"""Charting an injection over the API reads what the safety check and the stock need once:
a fixed number of statements, whatever the session already holds."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Token, session, lock; zone, lots, the session's injections (4); previous sessions; the
# safety facts (patient, allergies, weight, conditions, consent, medications, products 5,
# rule settings); check and its audit event; injection, component, stock movement (6) and
# audit event; the answer's injections (4) and weight. Was 59 before the session was read
# once for the write and once for the answer.
INJECTION_POST_QUERIES = 42


def test_an_injection_post_costs_the_same_statements_on_the_second_and_the_sixth(
    chart: Any,
) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}/injections"
    counts = []
    for n in range(1, 7):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(path, chart.injection(chart.caffeine, "1"))
        assert response.status_code == 201, response.content
        assert response.json()["n"] == n and response.json()["amended"] == {}
        counts.append(len(queries))
    assert counts[1] == counts[5] <= INJECTION_POST_QUERIES, counts
