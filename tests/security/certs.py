"""Certificates made by the tests themselves with the openssl command (a CA, a server)."""

from __future__ import annotations

import subprocess
from pathlib import Path

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed CA in ``folder``: ``<name>.crt`` and ``<name>.key``; returns the cert."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", *EC, "-days", "2", "-subj", f"/CN={name}",
        "-keyout", f"{name}.key", "-out", f"{name}.crt",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.crt"


def make_server_cert(folder: Path, ca: Path, host: str) -> tuple[Path, Path]:
    """A server certificate for ``host`` (an IP address) signed by ``ca``: (cert, key)."""
    _openssl("req", "-new", *EC, "-subj", f"/CN={host}", "-keyout", "server.key",
             "-out", "server.csr", cwd=folder)  # fmt: skip
    (folder / "server.ext").write_text(
        f"subjectAltName=IP:{host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", str(ca), "-CAkey", str(ca.with_suffix(".key")),
        "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt",
        cwd=folder,
    )  # fmt: skip
    return folder / "server.crt", folder / "server.key"
