"""Fixtures of the business report tests: the till of tests/billing (prices, a 6-session
package offer, a cancellation policy), loaded from its conftest file; `make` comes from the
factories plugin (tests/factories.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def _load(name: str, relative: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_billing = _load("reports_billing_helpers", "../billing/conftest.py")
_load("reports_cases", "reports_cases.py")  # the worked examples, imported by the tests


@pytest.fixture
def till(clinic: Any) -> Any:
    return _billing.make_till(clinic)
