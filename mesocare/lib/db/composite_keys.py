"""Make a PostgreSQL schema's tenant keys composite, in place (`tenant_tables`).

A tenant table here is one with a NOT NULL `organization_id` column (the audit log's table
aside: its migration declares its keys). For each of them the primary key becomes
`(id, organization_id)`, a unique constraint Django made for a `unique=True` field or a
one-to-one key (named `..._key` or `..._uniq`) becomes `(column, organization_id)` under the
same name, and every foreign key from one tenant table to another becomes
`(x_id, organization_id) -> (id, organization_id)`, DEFERRABLE INITIALLY DEFERRED like Django's.
Re-adding a foreign key checks every row: a row that points into another organization stops
the migration, naming the key.

What is already composite is left alone, so this runs at the end of every migration
(`mesocare.lib.db.postgresql`'s schema editor) and once from `clinics.0007` for a database
migrated before it. A table that a non-tenant table still points at by `id` keeps its primary
key until that table gets its `organization_id` too (the schema test names both meanwhile).
"""

from __future__ import annotations

from typing import Any

from mesocare.lib.db.tenant_tables import KEYS_DECLARED_ELSEWHERE, ORGANIZATION_COLUMN

_TENANT_TABLES = """
SELECT c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnotnull"""

# Keys on one column other than organization_id: primary keys, unique constraints, foreign keys.
_SINGLE_COLUMN_KEYS = """
SELECT k.conname, k.contype, c.relname, a.attname, t.relname, ta.attname,
  k.confdeltype, k.confupdtype
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
LEFT JOIN pg_class t ON t.oid = k.confrelid
LEFT JOIN pg_attribute ta ON ta.attrelid = k.confrelid AND ta.attnum = k.confkey[1]
WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'f')
  AND cardinality(k.conkey) = 1 AND a.attname <> %s AND NOT c.relispartition
ORDER BY c.relname, k.conname"""


def make_keys_composite(schema_editor: Any) -> int:
    """Convert what can be converted; the number of keys changed (0: nothing to do)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_TENANT_TABLES, [ORGANIZATION_COLUMN])
        tenants = {row[0] for row in cursor.fetchall()} - KEYS_DECLARED_ELSEWHERE
        cursor.execute(_SINGLE_COLUMN_KEYS, [ORGANIZATION_COLUMN])
        keys = cursor.fetchall()
    single_pk = {table for _n, kind, table, *_rest in keys if kind == "p" and table in tenants}
    # A table some other table points at by id alone keeps its key for now.
    blocked = {
        target
        for _n, kind, table, _c, target, *_rest in keys
        if kind == "f" and target in single_pk and table not in tenants
    }
    converting = single_pk - blocked
    composite_targets = (tenants - single_pk) | converting
    foreign = [
        key for key in keys if key[1] == "f" and key[2] in tenants and key[4] in composite_targets
    ]
    uniques = [
        key
        for key in keys
        if key[1] == "u" and key[2] in tenants and key[0].endswith(("_key", "_uniq"))
    ]
    primary = [key for key in keys if key[1] == "p" and key[2] in converting]
    if not (foreign or uniques or primary):
        return 0
    quote = schema_editor.quote_name
    org = quote(ORGANIZATION_COLUMN)
    # Rows written earlier in this transaction are checked now: a table with pending checks
    # cannot be altered.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _k, table, _c, _t, _tc, on_delete, on_update in foreign:
        if (on_delete, on_update) != ("a", "a"):  # Django's keys take no database action
            raise ValueError(f"{table}: foreign key {name} has a database action; convert it")
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, kind, table, column, *_rest in uniques + primary:
        key = "PRIMARY KEY" if kind == "p" else "UNIQUE"
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}, "
            f"ADD CONSTRAINT {quote(name)} {key} ({quote(column)}, {org})"
        )
    for name, _k, table, column, target, target_column, _d, _u in foreign:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
            f"FOREIGN KEY ({quote(column)}, {org}) "
            f"REFERENCES {quote(target)} ({quote(target_column)}, {org}) "
            "DEFERRABLE INITIALLY DEFERRED"
        )
    return len(foreign) + len(uniques) + len(primary)
