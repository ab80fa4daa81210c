"""Regression (browser journey): the lot page's recall form and movement form both rendered
`id="id_reason"`, so the recall reason's label named the other form's field."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.test import Client
from django.utils import timezone

from mesocare.catalog.models import Product
from mesocare.inventory.services import stock


def test_every_id_on_the_lot_page_is_unique_and_the_recall_labels_point_inside(
    clinic: Any,
) -> None:
    lot = stock.receive_stock(
        clinic.actor("admin"),
        product=Product.objects.get(organization__isnull=True, code="caffeine_20"),
        location=clinic.location,
        lot_number="R1",
        expiry=timezone.localdate().replace(year=timezone.localdate().year + 1),
        quantity_ml=10,
    )
    client = Client()
    client.force_login(clinic.user("admin"))
    html = client.get(f"/stock/lots/{lot.pk}").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    recall = html[html.index('id="recall-h"') :]
    for target in re.findall(r'<label for="([^"]+)"', recall):
        assert f'id="{target}"' in recall
    # the posted names are unchanged
    done = client.post(f"/stock/lots/{lot.pk}/recall", {"reason": "notice", "confirm": "on"})
    assert done.status_code == 302
