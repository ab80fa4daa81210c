"""Django's PostgreSQL backend for tenant tables with composite keys
(`mesocare.lib.db.tenant_tables`). Settings use it as the ENGINE for a postgres:// URL.

Two changes: the schema editor keeps tenant keys composite in every migration, and a GROUP BY
over a tenant model lists its selected columns instead of its id alone — PostgreSQL lets a
query group by the primary key only when the key is all of it, and a tenant table's key is
`(id, organization_id)`."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, features

from mesocare.lib.db.postgresql.schema import TenantSchemaEditor
from mesocare.lib.db.tenant_tables import KEYS_DECLARED_ELSEWHERE, is_tenant


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        composite = is_tenant(model) or model._meta.db_table in KEYS_DECLARED_ELSEWHERE
        return bool(super().allows_group_by_selected_pks_on_model(model)) and not composite


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = TenantSchemaEditor
    features_class = DatabaseFeatures
