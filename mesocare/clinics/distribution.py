"""Which tables are an organization's and which are global, and the live PostgreSQL schema
described for the distribution rules of `mesocare.core.distribution`.

Every table not named in `GLOBAL_TABLES` is a tenant table: it is distributed by
`organization_id` and must follow the rules. A new table is therefore a tenant table until
someone lists it here with the reason it is global, and the schema test
(`tests/clinics/test_citus_ready.py`) names it if it breaks a rule.
"""

from __future__ import annotations

from typing import Any

from mesocare.core.distribution import ForeignKey, Key, Schema, Table

ORGANIZATION_TABLE = "clinics_organization"

REFERENCE = "reference table"
_LOCAL = "coordinator-local table"

# table -> (how it is placed past one database, why it is not one organization's)
GLOBAL_TABLES: dict[str, tuple[str, str]] = {
    ORGANIZATION_TABLE: (REFERENCE, "the organizations themselves; every tenant row points here"),
    "accounts_user": (REFERENCE, "a person signs in once and may belong to several organizations"),
    "accounts_user_groups": (REFERENCE, "Django's user-group links (users are global)"),
    "accounts_user_user_permissions": (REFERENCE, "Django's user-permission links"),
    "auth_group": (REFERENCE, "Django's groups"),
    "auth_group_permissions": (REFERENCE, "Django's group permissions"),
    "auth_permission": (REFERENCE, "Django's permission names"),
    "django_content_type": (REFERENCE, "Django's model names"),
    "django_migrations": (_LOCAL, "which migrations ran: the database's, not a clinic's"),
    "django_session": (_LOCAL, "sign-in sessions, looked up by their key before any org is known"),
    "django_tasks_database_dbtaskresult": (_LOCAL, "the worker's task queue, claimed across orgs"),
    "axes_accessattempt": (_LOCAL, "sign-in lockout by user name and address, before sign-in"),
    "axes_accessattemptexpiration": (_LOCAL, "sign-in lockout expiries"),
    "axes_accessfailurelog": (_LOCAL, "failed sign-ins, before an organization is known"),
    "axes_accesslog": (_LOCAL, "sign-ins, before an organization is known"),
    "otp_totp_totpdevice": (REFERENCE, "a user's second factor (users are global)"),
    "password_reset_resetrequest": (_LOCAL, "rate limits of password resets, by email digest"),
    "catalog_allergenfamily": (REFERENCE, "curated catalog shared by every clinic"),
    "catalog_ingredient": (REFERENCE, "curated catalog shared by every clinic"),
    "catalog_ingredient_allergen_families": (REFERENCE, "curated catalog"),
    "catalog_indication": (REFERENCE, "curated catalog shared by every clinic"),
    "catalog_instructionset": (REFERENCE, "curated catalog shared by every clinic"),
    "catalog_zone": (REFERENCE, "curated catalog shared by every clinic"),
    "catalog_product": (
        REFERENCE,
        "curated products (no organization) beside each clinic's own, read by every clinic",
    ),
    "catalog_product_incompatible_with": (REFERENCE, "pairs of catalog products"),
    "catalog_productingredient": (REFERENCE, "a catalog product's ingredients"),
    "catalog_protocol": (
        REFERENCE,
        "curated protocols (no organization) beside each clinic's copies, read by every clinic",
    ),
    "catalog_protocolproduct": (REFERENCE, "a catalog protocol's products"),
    "catalog_protocolversion": (REFERENCE, "a catalog protocol's frozen versions"),
}

_TABLES = """
SELECT c.relname, a.attname, NOT a.attnotnull
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"""

# Primary keys, unique and exclusion constraints, foreign keys; partitions are left out (a
# partitioned table's constraints are declared on the parent).
_CONSTRAINTS = """
SELECT c.relname, k.contype,
  ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
  t.relname,
  ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = k.confrelid
WHERE n.nspname = current_schema() AND k.contype IN ('p', 'u', 'x', 'f')
  AND NOT c.relispartition AND k.conparentid = 0"""

# Unique indexes that back no constraint (Django's conditional UniqueConstraint).
_UNIQUE_INDEXES = """
SELECT c.relname,
  ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, i)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n ORDER BY u.i)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND i.indisunique AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"""

_KINDS = {"p": "primary key", "u": "unique", "x": "exclusion"}


def describe(connection: Any) -> Schema:
    """The tables of the connected PostgreSQL schema, with their keys and foreign keys."""
    columns: dict[str, dict[str, bool]] = {}
    keys: dict[str, list[Key]] = {}
    fks: dict[str, list[ForeignKey]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_TABLES)
        for table, column, nullable in cursor.fetchall():
            columns.setdefault(table, {})[column] = nullable
        cursor.execute(_CONSTRAINTS)
        for table, kind, cols, target, target_cols in cursor.fetchall():
            if kind == "f":
                fk = ForeignKey(tuple(cols), target, tuple(target_cols))
                fks.setdefault(table, []).append(fk)
            else:
                keys.setdefault(table, []).append(Key(_KINDS[kind], tuple(cols)))
        cursor.execute(_UNIQUE_INDEXES)
        for table, cols in cursor.fetchall():
            keys.setdefault(table, []).append(Key("unique index", tuple(cols)))
    tables = {
        name: Table(
            name,
            cols,
            tuple(sorted(keys.get(name, []), key=repr)),
            tuple(sorted(fks.get(name, []), key=repr)),
        )
        for name, cols in columns.items()
    }
    return Schema(tables, ORGANIZATION_TABLE, frozenset(GLOBAL_TABLES))
