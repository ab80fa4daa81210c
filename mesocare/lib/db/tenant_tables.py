"""Which models are tenant models, as the schema editor and the key conversion see them.

A tenant model holds one organization's rows: it has a non-null `organization` foreign key to
the organization's table (`clinics_organization`). Its primary key is `(id, organization_id)`
on PostgreSQL and every foreign key from one tenant model to another is
`(x_id, organization_id) -> (id, organization_id)`, so that a row cannot point into another
organization and the schema can be distributed by `organization_id` (Citus). Django keeps `id`
as the model's primary key: the key's second column is the database's business only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist

ORGANIZATION_TABLE = "clinics_organization"
ORGANIZATION_COLUMN = "organization_id"

# Tables whose keys their own migrations declare: the audit log is partitioned by month and
# its primary key is (id, organization_id, at).
KEYS_DECLARED_ELSEWHERE = frozenset({"audit_auditevent"})


def is_tenant(model: Any) -> bool:
    """Whether the (possibly historical) model is an organization's table with composite keys."""
    meta = model._meta
    if meta.db_table in KEYS_DECLARED_ELSEWHERE or not meta.managed or meta.proxy:
        return False
    try:
        field = meta.get_field("organization")
    except FieldDoesNotExist:
        return False
    return bool(
        field.concrete
        and field.column == ORGANIZATION_COLUMN
        and not field.null
        and field.is_relation
        and field.related_model._meta.db_table == ORGANIZATION_TABLE
    )
