"""``python -m simulators``: simulated parking and bin sensor traffic for the city, with truth.

Exit status: 0 when the run ended normally (duration, count, SIGINT or SIGTERM); 2 for bad
options, a bad city file or an unreachable broker; 1 if the broker did not acknowledge
every message.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from curbside.city.registry import CityFileError
from curbside.config.settings import SettingsError, load_settings
from curbside.vocabulary.devices import SENSOR_MODELS
from simulators.fleet import SelectionError
from simulators.options import (
    DEVICE_CHOICES,
    TRUCK_POLICIES,
    WIRE_FORMATS,
    FaultRates,
    IncidentSpec,
    OptionError,
    SimulationOptions,
    parse_duration,
    parse_faults,
    parse_id_list,
    parse_incidents,
    parse_speed,
    parse_start,
)
from simulators.publisher import BrokerUnavailable
from simulators.realtime import SignalStop
from simulators.run import run_simulation

T = TypeVar("T")
EXIT_OK, EXIT_UNACKNOWLEDGED, EXIT_USAGE = 0, 1, 2
# What the user can fix: the command line, the settings, the city file, the broker address,
# and (OSError) typically a truth file that cannot be written.
USAGE_ERRORS = (
    OptionError,
    SettingsError,
    CityFileError,
    SelectionError,
    BrokerUnavailable,
    OSError,
)

EPILOG = """\
examples:
  python -m simulators                                  # the demo city, live, forever
  python -m simulators --since 24h --speed 60           # replay a day, an hour a minute
  python -m simulators --since 2h --speed max --count 5000 --truth /tmp/t.jsonl
  python -m simulators --start 2026-11-27T06:00:00+08:00 --duration 3h --speed max \\
      --seed 7 --faults duplicate=0.05,reorder=0.05,drop=0.01,malformed=0.02
  python -m simulators --devices parking --faults flicker=0.05 --seq
  python -m simulators --devices bins --incidents skip=0.1,overfill=2,fire=1,silent=1
  python -m simulators --devices bins --trucks plan     # trucks drive the API's routes

Durations: 90m, 24h, 1h30m, 2d, 45s, or plain seconds. SIGINT or SIGTERM ends the run
cleanly (a second one kills it). Exit status: 0 when the run ended, 2 for bad options, a bad
city file or an unreachable broker, 1 if the broker left messages unacknowledged.
See docs/simulators.md.
"""


def _typed(parse: Callable[[str], T]) -> Callable[[str], T]:
    def convert(text: str) -> T:
        try:
            return parse(text)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise OptionError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise OptionError(f"{text!r} must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise OptionError(f"{text!r} must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators",
        description=(
            "Publish realistic MQTT traffic (contract v1, QoS 1) from the city's parking\n"
            "space and waste-bin sensors and its collection trucks, and optionally write the\n"
            "ground truth."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    time_group = parser.add_argument_group("simulated time")
    start = time_group.add_mutually_exclusive_group()
    start.add_argument(
        "--since",
        type=_typed(parse_duration),
        metavar="DURATION",
        help="start simulated time this long before now (default 0: start now)",
    )
    start.add_argument(
        "--start",
        type=_typed(parse_start),
        metavar="ISO8601",
        help="start at this exact instant instead (with offset, e.g. 2026-11-27T06:00:00+08:00; "
        "not in the future)",
    )
    time_group.add_argument(
        "--speed",
        type=_typed(parse_speed),
        default=1.0,
        metavar="FACTOR",
        help="simulated seconds per wall second until simulated time catches up with the wall "
        "clock, then real time; 'max' = as fast as possible (default 1)",
    )
    time_group.add_argument(
        "--duration",
        type=_typed(parse_duration),
        metavar="DURATION",
        help="simulated time to run, then stop (default: forever)",
    )
    time_group.add_argument(
        "--count",
        type=_typed(_positive_int),
        metavar="N",
        help="stop after N published messages (duplicates and malformed ones count)",
    )

    traffic = parser.add_argument_group("traffic")
    traffic.add_argument(
        "--seed",
        type=_typed(int),
        default=0,
        metavar="N",
        help="random seed; same seed, start and options give byte-identical traffic (default 0)",
    )
    traffic.add_argument(
        "--city", type=Path, metavar="PATH", help="city registry (default: settings city_file)"
    )
    traffic.add_argument(
        "--devices",
        choices=DEVICE_CHOICES,
        default="all",
        help="which sensors to simulate (default all)",
    )
    traffic.add_argument(
        "--zones",
        type=_typed(lambda text: parse_id_list(text, "zones")),
        metavar="Z01,Z02",
        help="only these parking zones (default all)",
    )
    traffic.add_argument(
        "--districts",
        type=_typed(lambda text: parse_id_list(text, "districts")),
        metavar="D1,D2",
        help="only these sanitation districts (default all)",
    )
    traffic.add_argument(
        "--heartbeat",
        type=_typed(parse_duration),
        default=parse_duration("10m"),
        metavar="DURATION",
        help="parking sensors resend their status this often (default 10m)",
    )
    traffic.add_argument(
        "--bin-report",
        type=_typed(parse_duration),
        default=parse_duration("15m"),
        metavar="DURATION",
        help="bin sensors report their fill this often, jittered (default 15m)",
    )
    traffic.add_argument(
        "--faults",
        type=_typed(parse_faults),
        metavar="SPEC",
        help="fault probabilities: duplicate, reorder, drop, malformed per message; flicker "
        "(a car passes over a sensor) per status report of a free space; e.g. "
        "duplicate=0.05,drop=0.01,flicker=0.05 (default none)",
    )
    traffic.add_argument(
        "--seq",
        action="store_true",
        help="number each parking sensor's status messages: a per-device 'seq', 0-65535, "
        "last in the payload (default off)",
    )
    traffic.add_argument(
        "--incidents",
        type=_typed(parse_incidents),
        metavar="SPEC",
        help="sanitation incidents: skip (probability per truck visit), overfill, fire, silent "
        "(numbers of bins, chosen by seed); e.g. skip=0.1,overfill=2,fire=1,silent=1 "
        "(default none)",
    )
    traffic.add_argument(
        "--trucks",
        choices=TRUCK_POLICIES,
        default="rounds",
        help="who empties the bins: trucks on fixed rounds (default), or trucks that follow "
        "the routes the API publishes on dispatch/{truck}/route, driving them on the travel "
        "model and reporting progress on dispatch/{truck}/progress (docs/simulators.md)",
    )
    traffic.add_argument(
        "--format",
        choices=WIRE_FORMATS,
        default="native",
        help="how spaces and bins whose registry entry names a LoRaWAN sensor publish: as "
        "ChirpStack v4 'up' events, as The Things Stack v3 uplinks, or native (default); "
        "devices without a sensor entry and trucks always publish native (docs/hardware.md)",
    )
    traffic.add_argument(
        "--model",
        choices=SENSOR_MODELS,
        help="simulate only the spaces and bins whose registry sensor is this model",
    )
    traffic.add_argument(
        "--decoded-object",
        action="store_true",
        help="add the object a vendor codec on the network server would make of each frame "
        "(default: raw bytes only, as without a device-profile codec)",
    )
    traffic.add_argument(
        "--truth", type=Path, metavar="PATH", help="write the ground truth here (JSON lines)"
    )

    broker = parser.add_argument_group("broker (defaults from the Curbside settings)")
    broker.add_argument("--host", help="MQTT broker host")
    broker.add_argument("--port", type=_typed(_positive_int), help="MQTT broker port")
    broker.add_argument("--username", help="MQTT user name")
    broker.add_argument(
        "--password", help="MQTT password (prefer CURBSIDE_MQTT_PASSWORD: argv is visible)"
    )
    broker.add_argument(
        "--client-id", metavar="ID", help="MQTT client id (default curbside-sim-<pid>)"
    )
    broker.add_argument(
        "--tls-ca-file",
        type=Path,
        metavar="PATH",
        help="connect with TLS, trusting this CA for the broker's certificate",
    )

    parser.add_argument(
        "--log-every",
        type=_typed(_seconds),
        default=10.0,
        metavar="SECONDS",
        help="log a progress line this often in wall seconds; 0 = never (default 10)",
    )
    return parser


def _settings_defaults(args: argparse.Namespace) -> dict[str, Any]:
    # Only read the settings when something is left to default, so that a complete command
    # line works even where the settings are broken.
    credentials_given = args.username is not None or args.password is not None
    given = (args.city, args.host, args.port)
    if credentials_given and all(value is not None for value in given):
        return {}
    settings = load_settings()
    secret = settings.mqtt.password
    return {
        "city": settings.city_file,
        "host": settings.mqtt.host,
        "port": settings.mqtt.port,
        "endpoints": settings.mqtt.endpoints if args.host is None and args.port is None else (),
        "username": None if credentials_given else settings.mqtt.username,
        "password": None if credentials_given or secret is None else secret.get_secret_value(),
        "tls": settings.mqtt.tls,
        "tls_ca_file": settings.mqtt.tls_ca_file,
    }


def options_from_args(args: argparse.Namespace) -> SimulationOptions:
    """Options from parsed arguments, with broker and city defaults from the settings."""
    defaults = _settings_defaults(args)

    def given(name: str) -> Any:
        value = getattr(args, name)
        return defaults.get(name) if value is None else value

    return SimulationOptions(
        city=given("city"),
        seed=args.seed,
        start=args.start,
        since=args.since if args.since is not None else timedelta(0),
        speed=args.speed,
        duration=args.duration,
        count=args.count,
        devices=args.devices,
        zones=args.zones,
        districts=args.districts,
        heartbeat=args.heartbeat,
        bin_report=args.bin_report,
        faults=args.faults if args.faults is not None else FaultRates(),
        seq=args.seq,
        incidents=args.incidents if args.incidents is not None else IncidentSpec(),
        trucks=args.trucks,
        wire_format=args.format,
        model=args.model,
        decoded_object=args.decoded_object,
        truth=args.truth,
        host=given("host"),
        port=given("port"),
        endpoints=defaults.get("endpoints", ()),
        username=given("username"),
        password=given("password"),
        client_id=args.client_id,
        tls=args.tls_ca_file is not None or bool(defaults.get("tls")),
        tls_ca_file=given("tls_ca_file"),
        log_every_s=args.log_every,
    )


@contextmanager
def _stopping_on_signals(stop: SignalStop) -> Iterator[None]:
    """SIGINT and SIGTERM ask the run to stop (and finish cleanly) instead of killing it."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()
        # A second signal of the same kind ends the process the default way.
        signal.signal(signum, signal.SIG_DFL)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log = logging.getLogger("simulators")
    stop = SignalStop()
    try:
        options = options_from_args(args)
        with _stopping_on_signals(stop):
            summary = run_simulation(options, stop=stop)
    except USAGE_ERRORS as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    if not summary.acknowledged:
        log.error("the broker did not acknowledge every message within the time allowed")
        return EXIT_UNACKNOWLEDGED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
