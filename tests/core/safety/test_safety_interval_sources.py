"""Issue 18, bug 9: the minimum-interval block cites the rule that fired. A caffeine,
L-carnitine and artichoke course cites the catalog interval and the protocol (by name), never
the deoxycholic acid label; products blocked for the same reason make one finding."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.core.safety import evaluate
from mesocare.core.safety.facts import IngredientDose, ProductFacts
from mesocare.core.safety.rules_dose import (
    CATALOG_INTERVAL_SOURCE,
    KYBELLA_LABEL,
    PC_DC_SOURCE,
    PROTOCOL_INTERVAL_SOURCE,
)


def product(pid: str, name: str, code: str, days: int = 7) -> ProductFacts:
    return ProductFacts(
        pid, name, (IngredientDose(code, code, frozenset(), Decimal("20")),), min_interval_days=days
    )


CAFFEINE = product("caf", "Caffeine 2%", "caffeine")
CARNITINE = product("lcar", "L-carnitine 10%", "l_carnitine")
ARTICHOKE = product("art", "Artichoke extract", "cynara")


def interval_findings(make, previous, **treatment):
    plan = make.treatment(
        make.item(CAFFEINE), make.item(CARNITINE), make.item(ARTICHOKE), **treatment
    )
    check = make.check(treatment=plan, previous=previous)
    return [f for f in evaluate(check).findings if f.code == "interval_too_short"]


def test_a_lipolytic_cocktail_cites_the_catalog_not_the_deoxycholic_label(make) -> None:
    last = make.today - timedelta(days=3)
    previous = (make.session(last, CAFFEINE),)
    findings = interval_findings(make, previous)
    assert len(findings) == 1
    assert findings[0].source == CATALOG_INTERVAL_SOURCE
    assert "KYBELLA" not in findings[0].source and "Lipostabil" not in findings[0].source


def test_one_finding_names_every_product_blocked_for_the_same_reason(make) -> None:
    last = make.today - timedelta(days=3)
    session = make.session(last)
    session = type(session)(
        last, None, frozenset({"caf", "lcar", "art"}), frozenset({"abdomen"}), frozenset()
    )
    (finding,) = interval_findings(make, (session,))
    names = "Artichoke extract, Caffeine 2%, L-carnitine 10%"  # the products' order
    assert finding.context["product"] == names
    assert finding.message.startswith(names + ": ")


def test_the_protocol_interval_names_the_protocol_and_cites_it(make) -> None:
    last = make.today - timedelta(days=3)
    previous = (make.session(last, protocol_id="p1"),)
    findings = interval_findings(
        make,
        previous,
        protocol_id="p1",
        protocol_name="Cellulite, lipolytic cocktail",
        protocol_min_interval_days=14,
    )
    (finding,) = findings
    assert finding.source == PROTOCOL_INTERVAL_SOURCE
    assert finding.message.startswith("Cellulite, lipolytic cocktail:")
    assert "protocol p1" not in finding.message


def test_deoxycholic_acid_still_cites_its_label_and_pc_its_practice_source(make) -> None:
    last = make.today - timedelta(days=3)
    kybella = make.check(
        treatment=make.treatment(make.item(make.kybella, "4")),
        previous=(make.session(last, make.kybella),),
    )
    pc = make.check(
        treatment=make.treatment(make.item(make.pc, "4")),
        previous=(make.session(last, make.pc),),
    )
    for check, source in ((kybella, KYBELLA_LABEL), (pc, PC_DC_SOURCE)):
        (finding,) = [f for f in evaluate(check).findings if f.code == "interval_too_short"]
        assert finding.source == source


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gap=st.integers(min_value=0, max_value=30), days=st.integers(min_value=1, max_value=21))
def test_at_most_one_interval_finding_per_reason(make, gap: int, days: int) -> None:
    products = [product(f"p{i}", f"Product {i}", f"ing{i}", days) for i in range(3)]
    last = make.today - timedelta(days=gap)
    session = make.session(last)
    session = type(session)(
        last, None, frozenset(p.id for p in products), frozenset({"abdomen"}), frozenset()
    )
    plan = make.treatment(*(make.item(p) for p in products))
    findings = [
        f
        for f in evaluate(make.check(treatment=plan, previous=(session,))).findings
        if f.code == "interval_too_short"
    ]
    assert len(findings) == (1 if gap < days else 0)
    if findings:
        assert findings[0].source == CATALOG_INTERVAL_SOURCE
        assert date.fromisoformat(str(findings[0].context["earliest"])) == last + timedelta(
            days=days
        )
