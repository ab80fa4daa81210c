"""A schema editor that keeps tenant tables' keys composite in every migration.

At the end of each migration after `clinics.0007_composite_tenant_keys` (which first made the
keys composite; the history before it runs as it always did), once Django's deferred keys are
created, it makes the keys of every tenant table composite (`mesocare.lib.db.composite_keys`):
a new tenant model, a table that just got its `organization_id`, a table made by a RunSQL all
end the migration with `(id, organization_id)` primary keys, unique fields widened with
organization_id and foreign keys carrying it. Inside a migration, a foreign key to a tenant
table whose primary key is already composite is created composite, and Django finds these keys
again by their first column when a later migration alters or removes the field. Constraints a
model declares (`Meta.constraints`) are created as declared: the model names `organization`
in them, and the schema test names any that does not."""

from __future__ import annotations

from typing import Any

from django.db.backends.ddl_references import Columns, Statement
from django.db.backends.postgresql.schema import DatabaseSchemaEditor

from mesocare.lib.db.composite_keys import make_keys_composite
from mesocare.lib.db.tenant_tables import ORGANIZATION_COLUMN, is_tenant

COMPOSITE_SINCE = ("clinics", "0007_composite_tenant_keys")

_PRIMARY_KEY_COLUMNS = """
SELECT a.attname FROM pg_constraint k
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)
WHERE k.conrelid = %s::regclass AND k.contype = 'p'"""


class TenantSchemaEditor(DatabaseSchemaEditor):
    # A column's key is added after the column (`_create_fk_sql`), never inline, so that it
    # can name two columns.
    sql_create_column_inline_fk = None  # type: ignore[assignment]

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        if exc_type is None and not self.collect_sql:
            for sql in self.deferred_sql:
                self.execute(sql)
            self.deferred_sql = []
            if self._keys_made_composite():
                make_keys_composite(self)
        return super().__exit__(exc_type, exc_value, traceback)

    def _keys_made_composite(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM django_migrations WHERE app = %s AND name = %s)",
                list(COMPOSITE_SINCE),
            )
            return bool(cursor.fetchone()[0])

    def _create_fk_sql(self, model: Any, field: Any, suffix: str) -> Statement:
        statement = super()._create_fk_sql(model, field, suffix)  # type: ignore[misc]
        target = field.target_field
        to_table = target.model._meta.db_table
        if (
            field.column != ORGANIZATION_COLUMN
            and is_tenant(model)
            and ORGANIZATION_COLUMN in self._primary_key_columns(to_table)
        ):
            table = model._meta.db_table
            statement.parts["column"] = Columns(
                table, [field.column, ORGANIZATION_COLUMN], self.quote_name
            )
            statement.parts["to_column"] = Columns(
                to_table, [target.column, ORGANIZATION_COLUMN], self.quote_name
            )
        return statement

    def _primary_key_columns(self, table: str) -> set[str]:
        if self.collect_sql:
            return set()
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [self.quote_name(table)])
            if not cursor.fetchone()[0]:
                return set()
            cursor.execute(_PRIMARY_KEY_COLUMNS, [self.quote_name(table)])
            return {row[0] for row in cursor.fetchall()}

    def _constraint_names(
        self, model: Any, column_names: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        names: list[str] = super()._constraint_names(model, column_names, *args, **kwargs)  # type: ignore[misc]
        # A tenant table's foreign key, primary key or unique field's key spans
        # organization_id as well.
        if (
            column_names is not None
            and len(column_names) == 1
            and column_names[0] != ORGANIZATION_COLUMN
            and any(kwargs.get(k) for k in ("foreign_key", "primary_key", "unique"))
        ):
            wider = [*column_names, ORGANIZATION_COLUMN]
            names += super()._constraint_names(model, wider, *args, **kwargs)  # type: ignore[misc]
        return names
