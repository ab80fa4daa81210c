"""The distribution rules on described schemas: each break is named with its table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.distribution import (
    ForeignKey,
    Key,
    Schema,
    Table,
    distribution_plan,
    violations,
)

ORG = "clinics_organization"
TO_ORG = ForeignKey(("organization_id",), ORG, ("id",))


def schema(*tables: Table, global_tables: frozenset[str] = frozenset()) -> Schema:
    everything = (Table(ORG, {"id": False}, (Key("primary key", ("id",)),)), *tables)
    return Schema({t.name: t for t in everything}, ORG, global_tables)


def patient(**changes: object) -> Table:
    fields: dict[str, object] = {
        "name": "patients_patient",
        "columns": {"id": False, "organization_id": False},
        "keys": (Key("primary key", ("id", "organization_id")),),
        "foreign_keys": (TO_ORG,),
    }
    fields.update(changes)
    return Table(**fields)  # type: ignore[arg-type]


def test_a_compliant_tenant_table_has_no_break():
    assert violations(schema(patient())) == []


def test_a_child_without_organization_is_named():
    child = Table("clinics_openinghours", {"id": False, "location_id": False})
    assert violations(schema(child)) == ["clinics_openinghours: no organization_id column"]


def test_a_nullable_organization_and_a_missing_key_to_it_are_named():
    found = violations(
        schema(patient(columns={"id": False, "organization_id": True}, foreign_keys=()))
    )
    assert found == [
        "patients_patient: organization_id is not a foreign key to the organization",
        "patients_patient: organization_id is nullable",
    ]


def test_a_primary_key_or_unique_index_without_organization_is_named():
    keys = (Key("primary key", ("id",)), Key("unique index", ("appointment_id",)))
    assert violations(schema(patient(keys=keys))) == [
        "patients_patient: primary key (id) lacks organization_id",
        "patients_patient: unique index (appointment_id) lacks organization_id",
    ]


def test_a_foreign_key_between_tenants_must_carry_the_organization():
    columns = {"id": False, "organization_id": False, "patient_id": False}
    single = ForeignKey(("patient_id",), "patients_patient", ("id",))
    composite = ForeignKey(
        ("patient_id", "organization_id"), "patients_patient", ("id", "organization_id")
    )
    crossed = ForeignKey(  # organization_id mapped onto the wrong column
        ("organization_id", "patient_id"), "patients_patient", ("id", "organization_id")
    )
    keys = (Key("primary key", ("id", "organization_id")),)
    for fk, expected in ((single, 1), (composite, 0), (crossed, 1)):
        plan = Table("plans_plan", columns, keys, (TO_ORG, fk))
        assert len(violations(schema(patient(), plan))) == expected, fk


def test_a_key_to_a_global_table_is_fine_but_a_global_table_must_not_point_at_a_tenant():
    user = Table(
        "accounts_user",
        {"id": False, "patient_id": True},
        (Key("primary key", ("id",)),),
        (ForeignKey(("patient_id",), "patients_patient", ("id",)),),
    )
    token = patient(
        name="accounts_token",
        columns={"id": False, "organization_id": False, "user_id": False},
        foreign_keys=(TO_ORG, ForeignKey(("user_id",), "accounts_user", ("id",))),
    )
    assert violations(
        schema(patient(), user, token, global_tables=frozenset({"accounts_user"}))
    ) == ["accounts_user: global table references tenant table patients_patient (patient_id)"]


def test_an_unlisted_table_is_a_tenant_table():
    session = Table(
        "django_session", {"session_key": False}, (Key("primary key", ("session_key",)),)
    )
    assert violations(schema(session)) == ["django_session: no organization_id column"] + [
        "django_session: primary key (session_key) lacks organization_id"
    ]
    assert violations(schema(session, global_tables=frozenset({"django_session"}))) == []


names = st.text("abcdefghij_", min_size=1, max_size=8).map(lambda s: f"c_{s}")


@given(st.lists(st.lists(names, min_size=1, max_size=3, unique=True), max_size=5))
def test_every_key_without_the_organization_is_one_break_and_adding_it_fixes_it(key_columns):
    columns = {c: False for cols in key_columns for c in cols} | {"organization_id": False}
    bare = tuple(Key("unique", tuple(cols)) for cols in key_columns)
    assert len(violations(schema(patient(columns=columns, keys=bare)))) == len(key_columns)
    fixed = tuple(Key(k.kind, (*k.columns, "organization_id")) for k in bare)
    assert violations(schema(patient(columns=columns, keys=fixed))) == []


@given(st.sets(names, max_size=6))
def test_breaks_are_sorted_and_each_names_its_table(tables):
    described = [Table(name, {"id": False}) for name in tables]
    found = violations(schema(*described))
    assert found == sorted(found)
    assert {v.split(":")[0] for v in found} == set(tables)


def test_the_plan_puts_reference_tables_first_and_each_table_after_its_targets():
    plan_table = patient(
        name="plans_plan",
        columns={"id": False, "organization_id": False, "patient_id": False},
        foreign_keys=(
            TO_ORG,
            ForeignKey(
                ("patient_id", "organization_id"), "patients_patient", ("id", "organization_id")
            ),
        ),
    )
    session = Table("django_session", {"session_key": False})
    plan = distribution_plan(
        schema(plan_table, patient(), session, global_tables=frozenset({"django_session"})),
        reference=[],
    )
    assert plan == [
        "SELECT create_reference_table('clinics_organization');",
        "SELECT create_distributed_table('patients_patient', 'organization_id');",
        "SELECT create_distributed_table('plans_plan', 'organization_id', "
        "colocate_with => 'patients_patient');",
    ]


@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_every_tenant_table_is_distributed_once_after_the_tables_it_points_at(edges):
    names = [f"t{i}" for i in range(8)]
    targets: dict[str, set[str]] = {n: set() for n in names}
    for a, b in edges:
        if a > b:  # keys without cycles, as a schema's (self-keys aside)
            targets[names[a]].add(names[b])
    tables = [
        Table(
            n,
            {"id": False, "organization_id": False},
            foreign_keys=tuple(ForeignKey(("x",), t, ("id",)) for t in sorted(targets[n])),
        )
        for n in names
    ]
    plan = distribution_plan(schema(*tables), reference=[])
    order = [s.split("'")[1] for s in plan if "create_distributed_table" in s]
    assert sorted(order) == names
    for n in names:
        assert all(order.index(t) < order.index(n) for t in targets[n])
