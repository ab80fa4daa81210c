"""Two API schemas with the same class name share one entry of the OpenAPI document's
components, so one of them is described wrongly. Every schema name is unique."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

from ninja import Schema

import mesocare.api


def test_every_api_schema_name_is_unique() -> None:
    by_name: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.iter_modules(mesocare.api.__path__, "mesocare.api."):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Schema) and obj.__module__ == module.__name__:
                by_name[name].add(module.__name__)
    clashes = {name: sorted(mods) for name, mods in by_name.items() if len(mods) > 1}
    assert clashes == {}
