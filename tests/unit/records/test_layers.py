"""The record store's layering: records never import the API, the recorder or the reports,
and the pure rules never import the record store (docs/records.md; layout of issue 13)."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType

import api
import parking
import recorder
import records
import reports
import sanitation


def _imports(package: ModuleType) -> dict[str, set[str]]:
    """Every module of the package and the absolute names it imports."""
    found: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[info.name] = names
    return found


def _importing(package: ModuleType, forbidden: list[ModuleType]) -> list[str]:
    prefixes = [p.__name__ for p in forbidden]
    return sorted(
        f"{module} imports {name}"
        for module, names in _imports(package).items()
        for name in names
        if any(name == p or name.startswith(f"{p}.") for p in prefixes)
    )


def test_records_import_nothing_above_them() -> None:
    assert _importing(records, [api, recorder, reports]) == []


def test_the_rules_never_import_the_record_store_or_what_uses_it() -> None:
    for rules in (parking, sanitation):
        assert _importing(rules, [records, recorder, reports]) == []


def test_the_check_sees_an_import() -> None:
    # The recorder does import the record store: the check must notice that.
    assert _importing(recorder, [records]) != []
