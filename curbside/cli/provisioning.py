"""``python -m curbside.cli.provisioning``: add, list and revoke broker accounts, then reload the
broker (Mosquitto), or apply them through the management API (RabbitMQ, with
``CURBSIDE_MQTT_BROKER=rabbitmq``).

    python -m curbside.cli.provisioning device add Z01-001 Z01-002     # prints "user<TAB>password"
    once
    python -m curbside.cli.provisioning device add --zone Z01          # every space of zone Z01
    python -m curbside.cli.provisioning device list
    python -m curbside.cli.provisioning device revoke Z01-002
    python -m curbside.cli.provisioning gateway add field-gw-1 --district D1
    python -m curbside.cli.provisioning gateway add sim --all --trucks  # the demo's simulator
    python -m curbside.cli.provisioning service add ingest             # user name curbside-ingest
    python -m curbside.cli.provisioning list
    python -m curbside.cli.provisioning revoke field-gw-1

New passwords go to standard output, one ``user<TAB>password`` line each, and are stored only
hashed; everything else goes to standard error. See docs/security.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from curbside.adapters.mqtt.client import BrokerAccess, connack
from curbside.adapters.provisioning.accounts import Kind, ProvisioningError, service_rights
from curbside.adapters.provisioning.broker import apply_to_broker
from curbside.adapters.provisioning.changes import (
    Issued,
    add_devices,
    add_gateway,
    add_service,
    list_accounts,
    revoke,
)
from curbside.adapters.provisioning.devices import (
    Device,
    city_trucks,
    find_devices,
    select_devices,
)
from curbside.adapters.provisioning.store import BrokerFiles, broker_files
from curbside.city.registry import CityFileError, load_city
from curbside.config.settings import Settings, SettingsError, load_settings

SERVICE_PREFIX = "curbside-"
CONFIRM_TIMEOUT_S = 15.0


def build_parser() -> argparse.ArgumentParser:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m curbside.cli.provisioning", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--broker-dir",
        type=Path,
        help="the broker's folder (default $CURBSIDE_RUN_DIR/mosquitto-$CURBSIDE_MQTT_PORT, or"
        " rabbitmq-$CURBSIDE_RABBITMQ_PORT_BASE with CURBSIDE_MQTT_BROKER=rabbitmq)",
    )
    parser.add_argument("--city", type=Path, help="the city registry (default CURBSIDE_CITY_FILE)")
    parser.add_argument(
        "--no-reload", action="store_true", help="write the files but do not signal the broker"
    )
    what = parser.add_subparsers(dest="what", required=True)

    device = what.add_parser("device", help="devices: the registry's spaces, bins and trucks")
    device_action = device.add_subparsers(dest="action", required=True)
    add = device_action.add_parser("add", help="give devices their own passwords")
    _selection(add)
    _rotate(add)
    device_action.add_parser("list", help="the provisioned devices")
    gone = device_action.add_parser("revoke", help="remove devices' passwords and rights")
    gone.add_argument("ids", nargs="+", metavar="ID")

    gateway = what.add_parser("gateway", help="a gateway publishing for the devices behind it")
    gateway_action = gateway.add_subparsers(dest="action", required=True)
    gw_add = gateway_action.add_parser("add", help="provision a gateway")
    gw_add.add_argument("name", help="the gateway's user name")
    _selection(gw_add)
    _rotate(gw_add)

    service = what.add_parser("service", help="accounts of Curbside's own processes")
    service_action = service.add_subparsers(dest="action", required=True)
    sv_add = service_action.add_parser("add", help="provision a service account")
    sv_add.add_argument("role", choices=sorted(service_rights()))
    sv_add.add_argument("--name", help=f"user name (default {SERVICE_PREFIX}<role>)")
    _rotate(sv_add)

    what.add_parser("list", help="every account")
    revoke_any = what.add_parser("revoke", help="remove any accounts")
    revoke_any.add_argument("usernames", nargs="+", metavar="USER")
    return parser


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="registry ids of devices")
    parser.add_argument("--zone", action="append", default=[], help="every space of this zone")
    parser.add_argument(
        "--district", action="append", default=[], help="every bin of this district"
    )
    parser.add_argument("--all", action="store_true", help="every space and bin of the city")
    parser.add_argument(
        "--trucks",
        action="store_true",
        help="every truck of the city (each reads its own route, reports its own progress)",
    )


def _rotate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rotate", action="store_true", help="replace the password of an existing account"
    )


def _devices(args: argparse.Namespace, city_file: Path) -> list[Device]:
    if not (args.ids or args.zone or args.district or args.all or args.trucks):
        raise ProvisioningError("name devices by id, or give --zone, --district, --all or --trucks")
    city = load_city(city_file)
    chosen = find_devices(city, args.ids)
    if args.trucks:
        chosen += city_trucks(city)
    if args.all:
        chosen += select_devices(city)
    elif args.zone or args.district:
        chosen += select_devices(city, zones=args.zone, districts=args.district)
    unique = {d.id: d for d in chosen}
    return list(unique.values())


def _print_issued(issued: Sequence[Issued]) -> None:
    for item in issued:
        print(f"{item.username}\t{item.password}")


def _print_accounts(files: BrokerFiles, kind: Kind | None) -> None:
    for account in list_accounts(files, kind=kind):
        rights = account.rights
        extra = f" devices={len(account.devices)}" if account.devices else ""
        print(
            f"{account.username}\t{account.kind}\t{account.role}\t{account.created_at}"
            f"\twrite={len(rights.write)} read={len(rights.read)}{extra}"
        )


Outcome = tuple[str, list[Issued]]
"""A summary for standard error ("" if nothing changed) and the credentials issued."""


def _device_add(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    issued = add_devices(files, _devices(args, city), rotate=args.rotate)
    return f"provisioned {len(issued)} device(s)", issued


def _device_list(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    _print_accounts(files, "device")
    return "", []


def _device_revoke(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    revoke(files, args.ids, kind="device")
    return f"revoked {len(args.ids)} device(s)", []


def _gateway_add(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    devices = _devices(args, city)
    gateway = add_gateway(files, args.name, devices, rotate=args.rotate)
    return f"provisioned gateway {args.name} for {len(devices)} device(s)", [gateway]


def _service_add(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    name = args.name or f"{SERVICE_PREFIX}{args.role}"
    service = add_service(files, args.role, name, rotate=args.rotate)
    return f"provisioned service account {name} ({args.role})", [service]


def _list(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    _print_accounts(files, None)
    return "", []


def _revoke(args: argparse.Namespace, files: BrokerFiles, city: Path) -> Outcome:
    revoke(files, args.usernames)
    return f"revoked {len(args.usernames)} account(s)", []


COMMANDS: dict[
    tuple[str, str | None], Callable[[argparse.Namespace, BrokerFiles, Path], Outcome]
] = {
    ("device", "add"): _device_add,
    ("device", "list"): _device_list,
    ("device", "revoke"): _device_revoke,
    ("gateway", "add"): _gateway_add,
    ("service", "add"): _service_add,
    ("list", None): _list,
    ("revoke", None): _revoke,
}


def _reload(settings: Settings, files: BrokerFiles, issued: Sequence[Issued]) -> str:
    done = apply_to_broker(settings, files, issued)
    if done is None:
        if files.broker == "rabbitmq":
            return "no RabbitMQ node answers (start it, then run this again with --rotate)"
        return f"no broker runs for {files.broker_dir} (it reads the files when it starts)"
    if not issued:
        return done
    # The broker reloads in its own time: wait until it takes a new password, so that a
    # process started right after this command can log in.
    login = replace(
        BrokerAccess.from_settings(settings),
        username=issued[0].username,
        password=issued[0].password,
    )
    deadline = time.monotonic() + CONFIRM_TIMEOUT_S
    while time.monotonic() < deadline:
        if connack(login, client_id=f"provisioning-{os.getpid()}", timeout_s=2) == 0:
            return f"{done}; {issued[0].username} logs in"
        time.sleep(0.2)
    return f"{done}, but {issued[0].username} cannot log in yet"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 on a refused request, 2 on bad usage."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        files = broker_files(settings, args.broker_dir)
        command = COMMANDS[args.what, getattr(args, "action", None)]
        summary, issued = command(args, files, args.city or settings.city_file)
    except (ProvisioningError, SettingsError, CityFileError) as exc:
        print(f"provisioning: {exc}", file=sys.stderr)
        return 1
    _print_issued(issued)
    if summary:
        reloaded = "broker not reloaded (--no-reload)"
        if not args.no_reload:
            try:
                reloaded = _reload(settings, files, issued)
            except ProvisioningError as exc:
                print(
                    f"provisioning: {summary}, but the broker was not updated: {exc}",
                    file=sys.stderr,
                )
                return 1
        print(f"provisioning: {summary}; {reloaded}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
