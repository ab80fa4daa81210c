"""Issue 18, bug 3: the before/after link on the outcomes tab opens the comparison (it passed an
empty `before` and bounced back). Also: zones by name, not code, and the photo form preselects no
zone. Web test: the link and the page are server-rendered."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from mesocare.outcomes.services import store_photo

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def two_photos(clinic: Any, settings: Any, tmp_path: Any) -> list[Any]:
    settings.MEDIA_ROOT = tmp_path
    start = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
    return [
        store_photo(
            clinic.org.pk,
            clinic.patient,
            jpeg(),
            body_zone="thigh_posterior_l",
            view="back",
            taken_at=start + dt.timedelta(days=30 * n),
            uploaded_by=clinic.user("practitioner"),
        )
        for n in range(2)
    ]


def test_the_compare_link_opens_the_comparison(clinic: Any, two_photos: list[Any]) -> None:
    client = Client()
    client.force_login(clinic.user("practitioner"))
    tab = client.get(f"/patients/{clinic.patient.pk}/outcomes").content.decode()
    (link,) = re.findall(r'href="(/patients/\d+/photos/compare\?[^"]+)"', tab)
    link = link.replace("&amp;", "&")
    assert f"before={two_photos[0].pk}" in link and f"after={two_photos[1].pk}" in link
    page = client.get(link)
    assert page.status_code == 200, page.get("Location")
    html = page.content.decode()
    assert "Thigh" in html and "thigh_posterior_l" not in html


def test_photos_are_shown_by_zone_name_and_the_form_preselects_no_zone(
    clinic: Any, two_photos: list[Any]
) -> None:
    client = Client()
    client.force_login(clinic.user("practitioner"))
    html = client.get(f"/patients/{clinic.patient.pk}/outcomes").content.decode()
    assert "thigh_posterior_l" not in html.replace('value="thigh_posterior_l"', "")
    zone_select = html[html.index('name="body_zone"') :]
    zone_select = zone_select[: zone_select.index("</select>")]
    assert 'value="" selected' in zone_select or "selected" not in zone_select
    assert (
        "required"
        in html[html.index('name="body_zone"') - 200 : html.index('name="body_zone"') + 200]
    )
