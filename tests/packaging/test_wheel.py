"""The wheel: its top-level import names, its entry points, and the demo city inside it.

Built from the checkout's tracked files only (as a clean clone would build it) with the venv's
setuptools, no package index; installed with ``pip --target`` into a folder of its own and run
from another working directory, so nothing can come from the checkout.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"curbside", "ingest", "api", "simulators"}
SCRIPTS = {
    "curbside-ingest": "ingest.__main__:main",
    "curbside-api": "api.__main__:main",
    "curbside-simulators": "simulators.__main__:main",
    "curbside-alerts": "curbside.evaluator.__main__:main",
    "curbside-access": "curbside.cli.access:main",
    "curbside-provisioning": "curbside.cli.provisioning:main",
    "curbside-recorder": "curbside.recorder.__main__:main",
    "curbside-records": "curbside.adapters.records.__main__:main",
    "curbside-handoff": "curbside.handoff.__main__:main",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for rel in filter(None, tracked):
        if (ROOT / rel).is_file():  # deleted but not yet committed: not in a clone either
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out), str(source)],
        check=True,
    )  # fmt: skip
    (built,) = out.glob("curbside-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    return target


def test_the_wheel_installs_exactly_the_four_top_level_names(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {n.split("/")[0].removesuffix(".py") for n in names if ".dist-info/" not in n}
    assert top == TOP_LEVEL
    dist_info = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    with zipfile.ZipFile(wheel) as archive:
        listed = set(archive.read(dist_info).decode().split())
    assert listed == TOP_LEVEL


def test_the_wheel_ships_the_demo_city_and_the_dashboard(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "curbside/city/demo-city.yaml" in names
    assert "api/dashboard/index.html" in names
    # The record store's migrations ship inside the package: an installed recorder applies them.
    assert "curbside/adapters/records/migrations/env.py" in names
    assert "curbside/adapters/records/migrations/script.py.mako" in names
    assert "curbside/adapters/records/migrations/versions/0003_day_totals.py" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/"))]


def test_the_wheel_declares_an_entry_point_per_process_and_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    assert dict(parser["console_scripts"]) == SCRIPTS


def _run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    # -I ignores PYTHONPATH and the working directory; the installed folder goes in by hand,
    # first, so the checkout's editable install cannot answer instead.
    return subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {args[0]}",
         *args[1:]],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_an_installed_service_finds_the_demo_city_from_any_directory(
    installed: Path, tmp_path: Path
) -> None:
    code = (
        "import curbside; from curbside.config.settings import load_settings;"
        "from curbside.city.registry import load_city;"
        "s = load_settings(); c = load_city(s.city_file);"
        "print(curbside.__file__); print(s.city_file);"
        "print(sum(len(z.spaces) for z in c.parking_zones),"
        "      sum(len(d.bins) for d in c.sanitation_districts))"
    )
    done = _run_installed(installed, tmp_path, code)
    assert done.returncode == 0, done.stderr
    package, city_file, counts = done.stdout.splitlines()
    assert Path(package).is_relative_to(installed)
    assert Path(city_file).is_relative_to(installed)
    spaces, bins = map(int, counts.split())
    # The demo county (curbside/city/demo.py): about 1,000 spaces in 10 zones, 500 bins.
    assert spaces > 900
    assert bins == 500


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_entry_point_answers_help(installed: Path, tmp_path: Path, script: str) -> None:
    module, function = SCRIPTS[script].split(":")
    code = f"import sys; from {module} import {function} as main; sys.exit(main(['--help']))"
    done = _run_installed(installed, tmp_path, code)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
