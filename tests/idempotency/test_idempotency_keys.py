"""`Idempotency-Key` on create endpoints: a retry gets the first answer and creates nothing more;
the key is the actor's own, bound to one request body, and forgotten after 24 hours."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from PIL import Image

from mesocare.idempotency.models import IdempotencyKey
from mesocare.outcomes.models import Photo
from mesocare.patients.models import Patient

NEW_PATIENT = {
    "given_name": "Ada",
    "family_name": "Bianchi",
    "birth_date": "1985-03-04",
    "sex_at_birth": "female",
}


def _post(api: Any, body: Any, key: str | None = "retry-1", path: str = "patients") -> Any:
    headers = dict(api.headers)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.client.post(
        f"/api/v1/{path}", data=json.dumps(body), content_type="application/json", **headers
    )


def _adas() -> int:
    return Patient.objects.filter(given_name="Ada").count()


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(
    clinic: Any,
) -> None:
    api = clinic.api("reception")
    first = _post(api, NEW_PATIENT)
    retry = _post(api, NEW_PATIENT)
    assert first.status_code == 201
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry["Idempotent-Replayed"] == "true"
    assert _adas() == 1


@pytest.mark.django_db
def test_without_a_key_every_post_creates(clinic: Any) -> None:
    api = clinic.api("reception")
    _post(api, NEW_PATIENT, key=None)
    _post(api, NEW_PATIENT, key=None)
    assert _adas() == 2


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_422(clinic: Any) -> None:
    api = clinic.api("reception")
    _post(api, NEW_PATIENT)
    response = _post(api, {**NEW_PATIENT, "given_name": "Adele"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Patient.objects.filter(given_name="Adele").count() == 0


@pytest.mark.django_db
def test_keys_belong_to_one_actor(clinic: Any, other_clinic: Any) -> None:
    _post(clinic.api("reception"), NEW_PATIENT)
    _post(clinic.api("admin"), NEW_PATIENT)
    _post(other_clinic.api("reception"), NEW_PATIENT)
    assert _adas() == 3


@pytest.mark.django_db
def test_a_key_expires_after_24_hours(clinic: Any) -> None:
    api = clinic.api("reception")
    _post(api, NEW_PATIENT)
    IdempotencyKey.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert _post(api, NEW_PATIENT).status_code == 201
    assert _adas() == 2
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(clinic: Any) -> None:
    api = clinic.api("reception")
    assert _post(api, {**NEW_PATIENT, "birth_date": "2999-01-01"}).status_code == 422
    assert _post(api, NEW_PATIENT).status_code == 201
    assert _adas() == 1


@pytest.mark.django_db
def test_an_unusable_key_is_422_naming_the_header(clinic: Any) -> None:
    response = _post(clinic.api("reception"), NEW_PATIENT, key="k" * 256)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _adas() == 0


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_for_the_same_actor_and_key(clinic: Any) -> None:
    _post(clinic.api("reception"), NEW_PATIENT)
    duplicate = IdempotencyKey.objects.get()
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save(force_insert=True)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_with_one_key_create_one_patient(clinic: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL property (SQLite serializes them)")
    api = clinic.api("reception")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/patients",
                data=json.dumps(NEW_PATIENT),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="same",
                **api.headers,
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert _adas() == 1
    assert sorted(statuses) in ([201, 201], [201, 409])


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_retried_upload_with_the_same_key_stores_one_photo(
    clinic: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    api = clinic.api("practitioner")
    data = _jpeg()

    def upload() -> Any:
        form = {"body_zone": "abdomen_ul", "view": "front"}
        form["file"] = SimpleUploadedFile("p.jpg", data, "image/jpeg")
        return api.client.post(
            f"/api/v1/patients/{clinic.patient.pk}/photos",
            form,
            HTTP_IDEMPOTENCY_KEY="upload-1",
            **api.headers,
        )

    first, retry = upload(), upload()
    assert first.status_code == 201, first.content
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert Photo.objects.filter(patient=clinic.patient).count() == 1
