from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from mesocare.errors import Invalid


def full_clean_or_invalid(
    instance: models.Model, exclude: list[str] | None = None, *, constraints: bool = True
) -> None:
    """Run model validation; turn Django's ValidationError into a field-level Invalid.
    `constraints=False` skips the model's constraints (a query each) where the caller has
    already validated what they check."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints)
    except ValidationError as exc:
        errors = [
            {"field": "" if field == "__all__" else field, "message": str(message)}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        raise Invalid("invalid", errors[0]["message"], errors=errors) from None
