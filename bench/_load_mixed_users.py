"""The users of `load_mixed.py` (a locustfile; locust runs it in its own process).

Each simulated member of staff waits 0.5-2.5 s between requests (a person at a desk clicks
every second or two) and, in proportion: searches patients at the desk, opens the calendar's
day, opens a patient's page, books an appointment, charts (a walk-in session and one
injection), and requests the benchmark's hello-world view, so that the reference sees the
same server under the same load. What they act on comes from the JSON file named by
``LOAD_MIXED_CONFIG`` (written by `load_mixed.py`). A 409 is a correct answer for a booking
(the slot was taken) and for charting (the safety check refused): it is counted apart under
its own name and code, not as an error."""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

CONFIG: dict[str, Any] = json.loads(open(os.environ["LOAD_MIXED_CONFIG"]).read())  # noqa: SIM115


class Staff(HttpUser):
    wait_time = between(0.5, 2.5)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.api = {
            "Authorization": f"Bearer {CONFIG['token']}",
            "X-Forwarded-Proto": "https",
            "Accept": "application/json",
        }
        self.web = {
            "Cookie": f"{CONFIG['session_cookie']}={CONFIG['session_key']}",
            "X-Forwarded-Proto": "https",
        }

    def _expect(self, name: str, response: Any, ok: tuple[int, ...], refused: int = 0) -> None:
        if response.status_code in ok:
            response.success()
        elif refused and response.status_code == refused:
            response.success()
            try:
                code = response.json().get("code", "")
            except ValueError:
                code = ""
            self.environment.events.request.fire(  # a correct refusal, counted apart
                request_type="INFO",
                name=f"{name}: {refused} {code}",
                response_time=0,
                response_length=0,
                exception=None,
                context={},
            )
        else:
            response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(4)
    def desk_search(self) -> None:
        q = self.rng.choice(CONFIG["search_terms"])
        with self.client.get(
            f"/api/v1/patients?q={q}", headers=self.api, name="desk search", catch_response=True
        ) as r:
            self._expect("desk search", r, (200,))

    @task(2)
    def calendar_day(self) -> None:
        day = self.rng.choice(CONFIG["days"])
        url = f"/calendar?location={CONFIG['location']}&date={day}"
        with self.client.get(url, headers=self.web, name="calendar day", catch_response=True) as r:
            self._expect("calendar day", r, (200,))

    @task(2)
    def patient_page(self) -> None:
        patient = self.rng.choice(CONFIG["patients"])
        with self.client.get(
            f"/patients/{patient}", headers=self.web, name="patient page", catch_response=True
        ) as r:
            self._expect("patient page", r, (200,))

    @task(1)
    def booking(self) -> None:
        body = {
            "patient": self.rng.choice(CONFIG["patients"]),
            "practitioner": self.rng.choice(CONFIG["practitioners"]),
            "room": self.rng.choice(CONFIG["rooms"]),
            "start": self.rng.choice(CONFIG["slots"]),
            "duration_min": 30,
        }
        with self.client.post(
            "/api/v1/appointments",
            json=body,
            headers=self.api,
            name="booking POST",
            catch_response=True,
        ) as r:
            self._expect("booking POST", r, (201,), refused=409)

    @task(1)
    def charting(self) -> None:
        chart = self.rng.choice(CONFIG["charting"])
        body = {
            "patient": self.rng.choice(chart["patients"]),
            "location": CONFIG["location"],
            "practitioner": self.rng.choice(CONFIG["practitioners"]),
            "protocol": chart["protocol"],
        }
        with self.client.post(
            "/api/v1/sessions",
            json=body,
            headers=self.api,
            name="charting POST (open session)",
            catch_response=True,
        ) as r:
            self._expect("charting POST (open session)", r, (201,))
            if r.status_code != 201:
                return
            session = r.json()["id"]
        with self.client.post(
            f"/api/v1/sessions/{session}/injections",
            json=chart["injection"],
            headers=self.api,
            name="charting POST (injection)",
            catch_response=True,
        ) as r:
            self._expect("charting POST (injection)", r, (201,), refused=409)

    @task(1)
    def hello(self) -> None:
        with self.client.get(
            "/bench/hello", headers=self.web, name="hello-world view", catch_response=True
        ) as r:
            self._expect("hello-world view", r, (200,))
