"""Step 8 in Chromium: a lot is recalled (with its confirmation); the recipients list names
the patient who received it; the CSV export downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.charting.models import CocktailComponent
from mesocare.inventory.models import ProductLot


def run(e2e: Any, day: Day) -> None:
    session = day.ensure_session()
    lot = day.ensure_lots()["caffeine"]

    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "admin@alpha.test", PASSWORD))
    e2e.step("stock", lambda: page.goto("/stock"))
    e2e.step("lot", lambda: page.get_by_role("link", name="CAF-1").click())
    recall = page.get_by_role("region", name="Recall this lot")
    recall.get_by_label("Recall reason (supplier or regulator notice)").fill(
        "Supplier notice 2026-117: particles in vials"
    )
    # The destructive action needs its confirmation: without it nothing happens.
    e2e.step("recall unconfirmed", lambda: recall.get_by_role("button", name="Recall").click())
    expect(page.get_by_role("alert").first).to_be_visible()
    assert not ProductLot.objects.get(pk=lot.pk).recalled
    recall = page.get_by_role("region", name="Recall this lot")
    recall.get_by_label("Recall reason (supplier or regulator notice)").fill(
        "Supplier notice 2026-117: particles in vials"
    )
    recall.get_by_label("Block this lot for every further use.").check()
    e2e.step("recall", lambda: recall.get_by_role("button", name="Recall").click())
    expect(page.get_by_role("status").first).to_have_text("Lot CAF-1 recalled.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("recalled")

    injections = CocktailComponent.objects.filter(lot=lot).count()  # 1 alone, 3 in the day
    assert injections >= 1
    expect(page.get_by_role("main")).to_contain_text(f"1 patient · {injections} injections")
    rows = page.get_by_role("row").filter(has_text="Marta Verdi")
    expect(rows).to_have_count(injections)
    expect(rows.first).to_contain_text("marta.verdi@example.org")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "recall-recipients")

    with page.expect_download() as info:
        e2e.step("csv", lambda: page.get_by_role("link", name="Export CSV").click())
    download = info.value
    assert re.search(r"\.csv$", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == injections
    assert all(any("Marta" in value for value in row.values()) for row in exported)
    assert str(session.pk) in " ".join(v for row in exported for v in row.values())


def test_a_recalled_lot_names_its_recipient_and_exports_csv(e2e: Any, day: Day) -> None:
    run(e2e, day)
