"""The rules a schema follows to be distributed by organization (Citus), checked on a
description of its tables.

A *tenant* table holds one organization's rows; in a distributed database its rows are spread
over shards by `organization_id` (the distribution column), and every tenant table is
colocated with the others, so the rows of one organization sit on one shard. A *global* table
(users, the catalog, sessions, Django's own) is copied to every node whole (a reference table).
The engine only accepts, and only keeps single-shard, a schema where:

(a) every tenant table has an `organization_id` column, NOT NULL, a foreign key to the
    organization (itself a reference table);
(b) every primary key, unique constraint, unique index and exclusion constraint of a tenant
    table includes `organization_id` (uniqueness is enforced shard by shard);
(c) every foreign key from a tenant table to another tenant table carries `organization_id` on
    both sides (`(x_id, organization_id) -> (id, organization_id)`), so a row never points into
    another organization, that is, another shard; and a global table never points at a tenant
    table (a reference table cannot reference a distributed one).

Pure functions, no Django: the schema test describes the live PostgreSQL schema with these
dataclasses and asks `violations` what breaks the rules, naming each table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

DISTRIBUTION_COLUMN = "organization_id"


@dataclass(frozen=True)
class Key:
    """A primary key, unique constraint, unique index or exclusion constraint."""

    kind: str  # "primary key", "unique", "unique index", "exclusion"
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: Mapping[str, bool]  # column name -> nullable
    keys: tuple[Key, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()


@dataclass(frozen=True)
class Schema:
    tables: Mapping[str, Table]
    organization: str  # the organization's table
    global_tables: frozenset[str] = field(default_factory=frozenset)

    def is_tenant(self, name: str) -> bool:
        return name != self.organization and name not in self.global_tables


def _cols(columns: Iterable[str]) -> str:
    return ", ".join(columns)


def _carries_organization(fk: ForeignKey) -> bool:
    """Whether the key maps organization_id onto the target's organization_id."""
    pairs = dict(zip(fk.columns, fk.target_columns, strict=True))
    return pairs.get(DISTRIBUTION_COLUMN) == DISTRIBUTION_COLUMN


def table_violations(schema: Schema, table: Table) -> list[str]:
    """What in this table breaks the rules, one sentence each, naming the table."""
    name = table.name
    if not schema.is_tenant(name):
        return [
            f"{name}: global table references tenant table {fk.target} ({_cols(fk.columns)})"
            for fk in table.foreign_keys
            if fk.target in schema.tables and schema.is_tenant(fk.target)
        ]
    found: list[str] = []
    if DISTRIBUTION_COLUMN not in table.columns:
        found.append(f"{name}: no {DISTRIBUTION_COLUMN} column")
    else:
        if table.columns[DISTRIBUTION_COLUMN]:
            found.append(f"{name}: {DISTRIBUTION_COLUMN} is nullable")
        if not any(
            fk.columns == (DISTRIBUTION_COLUMN,) and fk.target == schema.organization
            for fk in table.foreign_keys
        ):
            found.append(f"{name}: {DISTRIBUTION_COLUMN} is not a foreign key to the organization")
    for key in table.keys:
        if DISTRIBUTION_COLUMN not in key.columns:
            found.append(f"{name}: {key.kind} ({_cols(key.columns)}) lacks {DISTRIBUTION_COLUMN}")
    for fk in table.foreign_keys:
        if schema.is_tenant(fk.target) and not _carries_organization(fk):
            found.append(
                f"{name}: foreign key ({_cols(fk.columns)}) -> {fk.target} "
                f"does not carry {DISTRIBUTION_COLUMN}"
            )
    return found


def violations(schema: Schema) -> list[str]:
    """Every break of the rules in the schema, sorted; empty when it can be distributed."""
    found: list[str] = []
    for table in schema.tables.values():
        found.extend(table_violations(schema, table))
    return sorted(found)


def _in_key_order(names: Iterable[str], schema: Schema) -> list[str]:
    """The tables, each after every table it points at (among themselves), stable by name."""
    pending = sorted(set(names))
    placed: list[str] = []
    done: set[str] = set()
    while pending:
        ready = [
            name
            for name in pending
            if all(
                fk.target == name or fk.target in done or fk.target not in pending
                for fk in schema.tables[name].foreign_keys
            )
        ]
        if not ready:  # a cycle of keys: the rest in name order (Citus checks them at the end)
            ready = pending[:1]
        placed.extend(ready)
        done.update(ready)
        pending = [name for name in pending if name not in done]
    return placed


def distribution_plan(schema: Schema, reference: Iterable[str]) -> list[str]:
    """The Citus statements that distribute the schema: the reference tables, then every tenant
    table by organization_id, colocated with the first; each table after those it points at.
    Global tables that are not reference tables stay on the coordinator."""
    present = set(schema.tables)
    refs = _in_key_order((set(reference) | {schema.organization}) & present, schema)
    tenants = _in_key_order((t for t in present if schema.is_tenant(t)), schema)
    statements = [f"SELECT create_reference_table('{name}');" for name in refs]
    for i, name in enumerate(tenants):
        colocate = "" if i == 0 else f", colocate_with => '{tenants[0]}'"
        statements.append(
            f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}'{colocate});"
        )
    return statements
