"""FHIR test fixtures; the helpers in fhir_helpers.py are importable from every FHIR test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fhir_helpers import Fhir, fhir_for  # noqa: E402


@pytest.fixture
def fhir(clinic: Any) -> Fhir:
    return fhir_for(clinic.members["admin"])
