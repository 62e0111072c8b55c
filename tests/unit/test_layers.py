"""The product's layers, lowest first; a module imports only its own layer or lower ones.

vocabulary -> city -> domain -> config and adapters -> read models -> processes; and the
product never imports tests/ or tools/. The layers are read from the import statements (ast),
so a move that breaks the order fails here, not in a reviewer's head.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("curbside", "ingest", "api", "simulators")
NEVER = ("tests", "tools")

# Longest prefix wins.
LAYERS: dict[str, int] = {
    "curbside.vocabulary": 0,
    "curbside.city": 1,
    "curbside.domain": 2,
    "curbside.config": 3,
    "curbside.adapters": 3,
    "curbside.readmodels": 4,
    "curbside.evaluator": 5,
    "curbside.cli": 5,
    "curbside.recorder": 5,
    "curbside.handoff": 5,
    "ingest": 5,
    "api": 5,
    "simulators": 5,
}

# Today's upward imports, importer -> imported; each one is a debt, and the test fails when an
# entry is no longer needed, so the list only shrinks.
ALLOWED_UPWARD: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int | None:
    best = max(
        (p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None
    )
    return LAYERS[best] if best is not None else None


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (functions and TYPE_CHECKING too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            # `from pkg import submodule` imports the submodule
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def edges() -> set[tuple[str, str]]:
    """(importer, imported) for every import between product modules, or into tests/tools."""
    known = {module_name(p) for top in PRODUCT for p in (ROOT / top).rglob("*.py")}
    found: set[tuple[str, str]] = set()
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            importer = module_name(path)
            for imported in imports(path):
                if imported in known or imported.split(".")[0] in NEVER:
                    found.add((importer, imported))
    return found


def upward(found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    bad = set()
    for importer, imported in found:
        if imported.split(".")[0] in NEVER:
            bad.add((importer, imported))
            continue
        mine, theirs = layer(importer), layer(imported)
        assert mine is not None, f"{importer} is in no layer: add it to LAYERS"
        assert theirs is not None, f"{imported} is in no layer: add it to LAYERS"
        if theirs > mine:
            bad.add((importer, imported))
    return bad


def test_no_import_runs_upward() -> None:
    bad = upward(edges()) - ALLOWED_UPWARD
    assert not bad, "upward imports:\n" + "\n".join(f"  {a} -> {b}" for a, b in sorted(bad))


def test_the_allow_list_holds_only_imports_that_still_exist() -> None:
    stale = ALLOWED_UPWARD - upward(edges())
    assert not stale, f"no longer imported upward, remove from ALLOWED_UPWARD: {sorted(stale)}"


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("curbside.domain.parking.fees", "curbside.adapters.influx.client"),
        ("curbside.vocabulary.readings", "curbside.city.registry"),
        ("curbside.readmodels.alert_sources", "curbside.evaluator"),
        ("api.app", "tests.support"),
        ("curbside.city.registry", "tools.bench.stack"),
    ],
)
def test_the_rule_sees_an_upward_import(importer: str, imported: str) -> None:
    """The judge itself: an import from a lower layer to a higher one, or into tests/ or
    tools/, is reported."""
    assert upward({(importer, imported)}) == {(importer, imported)}


def test_downward_and_sideways_imports_pass() -> None:
    assert not upward(
        {
            ("api.app", "curbside.readmodels.live.state"),
            ("curbside.adapters.influx.latest", "curbside.config.settings"),
            ("curbside.domain.parking.fees", "curbside.vocabulary.tariff"),
        }
    )
