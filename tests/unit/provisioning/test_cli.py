"""``python -m curbside.cli.provisioning`` on a broker folder of its own (no broker runs there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.adapters.provisioning.passwords import verify_password
from curbside.adapters.provisioning.store import BrokerFiles, load_accounts
from curbside.cli.provisioning import main


def _run(capsys: pytest.CaptureFixture[str], broker: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--broker-dir", str(broker), "--no-reload", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_and_revoke_devices(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path, "device", "add", "Z01-001", "D1-B001")
    assert code == 0, err
    issued = dict(line.split("\t") for line in out.splitlines())
    assert set(issued) == {"Z01-001", "D1-B001"}
    files = BrokerFiles(tmp_path)
    accounts = load_accounts(files)
    for name, password in issued.items():
        assert verify_password(password, accounts[name].password_hash)
        assert password not in files.accounts.read_text()
    passwd = files.passwd.read_text()
    assert {line.split(":", 1)[0] for line in passwd.splitlines()} == set(issued)
    assert "user Z01-001\ntopic write parking/Z01/Z01-001/status\n" in files.acl.read_text()
    assert oct(files.passwd.stat().st_mode & 0o777) == "0o600"

    code, out, _ = _run(capsys, tmp_path, "device", "list")
    assert code == 0
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == ["D1-B001", "Z01-001"]

    code, _, err = _run(capsys, tmp_path, "device", "revoke", "Z01-001")
    assert code == 0, err
    assert set(load_accounts(files)) == {"D1-B001"}
    assert "Z01-001" not in files.passwd.read_text()
    assert "Z01-001" not in files.acl.read_text()


def test_unknown_devices_and_repeats_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, tmp_path, "device", "add", "Z01-001", "NOPE-1")
    assert (code, out) == (1, "")
    assert "not in the city registry: NOPE-1" in err
    assert load_accounts(BrokerFiles(tmp_path)) == {}

    assert _run(capsys, tmp_path, "device", "add", "Z01-001")[0] == 0
    code, _, err = _run(capsys, tmp_path, "device", "add", "Z01-001")
    assert code == 1 and "already provisioned" in err
    code, out, _ = _run(capsys, tmp_path, "device", "add", "--rotate", "Z01-001")
    assert code == 0 and out.startswith("Z01-001\t")


def test_services_and_gateways(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _run(capsys, tmp_path, "service", "add", "ingest")[0] == 0
    assert _run(capsys, tmp_path, "gateway", "add", "gw-1", "--zone", "Z01")[0] == 0
    code, out, _ = _run(capsys, tmp_path, "list")
    assert code == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert rows["curbside-ingest"][1:3] == ["service", "ingest"]
    assert rows["gw-1"][1:3] == ["gateway", "gateway"]
    code, _, err = _run(capsys, tmp_path, "device", "revoke", "gw-1")
    assert code == 1 and "is a gateway, not a device" in err
    assert _run(capsys, tmp_path, "revoke", "gw-1")[0] == 0
    assert set(load_accounts(BrokerFiles(tmp_path))) == {"curbside-ingest"}
