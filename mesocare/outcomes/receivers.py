from __future__ import annotations

from typing import Any

from mesocare.patients.choices import ConsentKind


def on_consent_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Withdrawing (or narrowing) the photo consent makes earlier photos clinical-only."""
    if instance.kind == ConsentKind.PHOTO:
        from mesocare.outcomes.services import restrict_photos_to_consent

        restrict_photos_to_consent(instance.patient, on=instance.withdrawn_on)
