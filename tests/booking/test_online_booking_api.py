"""GET /api/v1/online-booking/services and /slots: what the public pages offer, for staff and
integrations; scoped to the caller's organization, bounded queries, problem+json on bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.booking.services.slots import place_hold


def test_services_list_what_is_offered_with_the_effective_cutoff(
    online: Any, django_assert_max_num_queries: Any
) -> None:
    api = online.api("reception")
    with django_assert_max_num_queries(8):
        body = api.get("online-booking/services").json()
    assert body["enabled"] is True and body["public_url"].endswith("/book/alpha/")
    (service,) = body["services"]
    assert service["name"] == "First consultation" and service["price_text"] == "€60"
    assert service["cutoff_hours"] == 24  # the clinic's default
    assert service["policy_text"] == "Cancel up to 24 hours before at no cost."


def test_slots_are_local_times_and_leave_out_held_ones(
    online: Any, django_assert_max_num_queries: Any
) -> None:
    api = online.api("reception")
    query = {
        "service": online.service.pk,
        "location": online.location.pk,
        "date_from": online.monday.isoformat(),
        "date_to": online.monday.isoformat(),
    }
    with django_assert_max_num_queries(10):
        body = api.get("online-booking/slots", **query).json()
    assert body["timezone"] == "Europe/Rome"
    first = body["slots"][0]
    assert first["local_start"].startswith(f"{online.monday.isoformat()}T09:00:00+0")
    start = dt.datetime.fromisoformat(first["start"])
    place_hold(
        online.org.pk, online.service, online.location, first["practitioner"], first["room"], start
    )
    after = api.get("online-booking/slots", **query).json()["slots"]
    assert not any(
        s["start"] == first["start"] and s["practitioner"] == first["practitioner"] for s in after
    )


def test_bad_ranges_and_other_organizations_services_are_problems(
    online: Any, other_clinic: Any
) -> None:
    api = online.api("reception")
    query = {
        "service": online.service.pk,
        "location": online.location.pk,
        "date_from": "2030-03-10",
        "date_to": "2030-03-01",
    }
    response = api.get("online-booking/slots", **query)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "date_to"
    stranger = other_clinic.api("admin")
    query["date_to"] = "2030-03-11"
    assert stranger.get("online-booking/slots", **query).status_code == 404
    assert stranger.get("online-booking/services").json()["services"] == []
