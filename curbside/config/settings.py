"""Settings for every Curbside process, validated once at start-up.

Sources, highest priority first: keyword arguments, environment variables ``CURBSIDE_<KEY>``,
then the settings file (TOML, flat keys named like the variables without the prefix, in
lower case). Every source speaks those flat names (``mqtt_port``); the code reads the groups
(``settings.mqtt.port``): MQTT, InfluxDB, API, ingest, alerts, the record store and the
recorder, and a few shared rules.
The file is ``CURBSIDE_SETTINGS_FILE`` if set, else ``curbside.toml`` in the working
directory if present. Unknown keys are errors, and every error names the key.
"""

from __future__ import annotations

import base64
import binascii
import os
import socket
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from curbside.city import demo_city_file
from curbside.vocabulary.outbox import CHANNELS, Channel

ENV_PREFIX = "CURBSIDE_"
SETTINGS_FILE_VAR = "CURBSIDE_SETTINGS_FILE"
DEFAULT_SETTINGS_FILE = "curbside.toml"

Port = int


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class MqttSettings(_Group):
    """The MQTT broker (``CURBSIDE_MQTT_*``)."""

    host: str = "127.0.0.1"
    port: Port = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    keepalive_s: int = Field(30, ge=5, le=3600)
    client_id: str = Field("curbside-ingest", min_length=1, max_length=64)
    tls: bool = False
    tls_ca_file: Path | None = None
    # Which broker serves these addresses: the embedded Mosquitto, or a RabbitMQ cluster (its
    # MQTT plugin; docs/rabbitmq.md). Provisioning and monitoring follow it.
    broker: Literal["mosquitto", "rabbitmq"] = "mosquitto"
    # Failover: "host:port,host:port,..." tried in turn, the next on loss (a RabbitMQ cluster's
    # nodes); empty, host and port alone.
    addresses: str = ""

    @field_validator("addresses")
    @classmethod
    def _check_addresses(cls, value: str) -> str:
        return ",".join(f"{h}:{p}" for h, p in _endpoints(value))

    @property
    def endpoints(self) -> tuple[tuple[str, Port], ...]:
        """Every broker address to try, in order: ``addresses``, else host and port."""
        return _endpoints(self.addresses) or ((self.host, self.port),)


def _endpoints(text: str) -> tuple[tuple[str, int], ...]:
    return tuple(_host_port(item) for item in text.split(",") if item.strip())


def _host_port(item: str) -> tuple[str, int]:
    host, sep, port = item.strip().rpartition(":")
    host = host.strip().removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{item.strip()!r} is not host:port")
    return host, int(port)


class RabbitmqSettings(_Group):
    """A RabbitMQ cluster as scripts/services runs it (``CURBSIDE_RABBITMQ_*``): node N's
    management API is on port_base + 10 (N - 1) + 3; provisioning works through it as the
    administrator."""

    port_base: Port = Field(5670, ge=1, le=65000)
    nodes: int = Field(3, ge=1, le=9)
    admin_user: str = Field("curbside-admin", min_length=1)
    admin_password: SecretStr = SecretStr("curbside-dev-only")

    @property
    def management_urls(self) -> tuple[str, ...]:
        """Every node's management API, node 1 first."""
        return tuple(f"http://127.0.0.1:{self.port_base + 10 * n + 3}" for n in range(self.nodes))


class InfluxSettings(_Group):
    """InfluxDB (``CURBSIDE_INFLUX_*``; v1 HTTP API; 2.x/3.x through their v1-compatibility
    endpoints with a token)."""

    url: str = Field("http://127.0.0.1:8086", pattern=r"^https?://")
    db: str = Field("curbside", pattern=r"^[A-Za-z0-9_-]+$")
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    timeout_s: float = Field(10.0, gt=0, le=300)
    # Raw readings age out after this many days; hourly rollups after rollup_retention_days
    # (0: never). Alerts are kept (docs/retention.md).
    raw_retention_days: int = Field(90, ge=1, le=36_500)
    rollup_retention_days: int = Field(1825, ge=0, le=36_500)


class ApiSettings(_Group):
    """The API (``CURBSIDE_API_*``)."""

    host: str = "127.0.0.1"
    port: Port = Field(8000, ge=1, le=65535)
    # Processes serving the one port (api/processes.py), each following the stream itself: more
    # requests per second with more cores. 1 serves from the starting process itself.
    processes: int = Field(1, ge=1, le=64)
    # How often the live state applies what the MQTT stream brought and publishes a snapshot.
    refresh_s: float = Field(1.0, gt=0, le=300)
    # How often the live state is read in full from InfluxDB anyway (besides at start and after
    # every reconnect to the broker): the safety net for anything the stream missed.
    full_read_s: float = Field(600.0, ge=10, le=86_400)
    # API access (docs/security.md): the keys file, rate limits, caps on what a request asks
    keys_file: Path = Path(".run/api-keys.json")
    rate_per_s: float = Field(20.0, gt=0, le=100_000)
    rate_burst: int = Field(100, ge=1, le=1_000_000)
    public_rate_per_s: float = Field(2.0, gt=0, le=100_000)
    public_rate_burst: int = Field(20, ge=1, le=1_000_000)
    # At most curbside.adapters.influx.history.MAX_WINDOW, which the history reader itself
    # enforces.
    max_window_days: int = Field(31, ge=1, le=31)
    max_results: int = Field(10_000, ge=1, le=1_000_000)
    # Search time of one collection plan (docs/dispatch.md): 500 bins need about 10 s.
    dispatch_time_limit_s: float = Field(10.0, gt=0, le=120)
    # How often the API checks whether to re-plan by itself (cadence, a fire or full bin no
    # route reaches, a truck running late; docs/dispatch.md); 0 turns automatic re-plans off.
    dispatch_check_s: float = Field(30.0, ge=0, le=3_600)
    # A truck this late for its next stop has the day planned again.
    dispatch_late_after_s: float = Field(600.0, gt=0, le=86_400)
    # How long an acknowledge can be undone (POST /alerts/{id}/unacknowledge, docs/alerts.md):
    # long enough to notice a slip, short enough that nobody has acted on it yet.
    ack_undo_s: float = Field(10.0, gt=0, le=300)
    # A zone's sessions (docs/api.md): an answer this old is rendered again in the background
    # (the last one sent meanwhile), its open stays priced up to then; a recorded change has it
    # rendered again within about a second anyway (api/sessions_freshness.py). One
    # sessions_max_age_s old is never sent, a request waits for the render instead, and gets
    # its error if the record store fails.
    sessions_refresh_s: float = Field(5.0, gt=0, le=3_600)
    sessions_max_age_s: float = Field(10.0, gt=0, le=3_600)

    @model_validator(mode="after")
    def _check_sessions_ages(self) -> Self:
        if self.sessions_max_age_s <= self.sessions_refresh_s:
            raise ValueError(
                "CURBSIDE_API_SESSIONS_MAX_AGE_S must be longer than "
                "CURBSIDE_API_SESSIONS_REFRESH_S (an answer is refreshed before it is too old)"
            )
        return self


class IngestSettings(_Group):
    """Ingest (``CURBSIDE_INGEST_*``)."""

    batch_size: int = Field(5000, ge=1, le=100_000)
    flush_interval_s: float = Field(0.5, gt=0, le=60)
    max_payload_bytes: int = Field(4096, ge=64, le=1_048_576)
    metrics_host: str = "127.0.0.1"
    metrics_port: Port = Field(9108, ge=0, le=65535)
    summary_interval_s: float = Field(30.0, gt=0)
    retry_max_s: float = Field(30.0, gt=0, le=3600)
    max_pending_messages: int = Field(10_000, ge=1, le=1_000_000)
    spool_dir: Path = Path(".run/ingest-spool")
    spool_max_bytes: int = Field(512 * 1024 * 1024, ge=0)
    spool_after_s: float = Field(30.0, ge=0, le=86_400)
    # "i/n": this process is shard i of n (ingest/sharding.py); unset, it takes every topic.
    shard: str | None = Field(None, pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")

    @field_validator("shard")
    @classmethod
    def _check_shard(cls, value: str | None) -> str | None:
        if value is not None:
            index, count = (int(part) for part in value.split("/"))
            if index > count:
                raise ValueError(f"shard i/n needs i <= n (got {value})")
        return value

    @model_validator(mode="after")
    def _check_batches(self) -> Self:
        if self.max_pending_messages < self.batch_size:
            raise ValueError(
                "ingest_max_pending_messages must be at least ingest_batch_size, or a batch "
                "could never fill"
            )
        return self


class AlertSettings(_Group):
    """The alert evaluator (python -m curbside.evaluator) and the limits of its bin and sensor
    rules (``CURBSIDE_ALERTS_INTERVAL_S``, ``CURBSIDE_ALERT_*``)."""

    interval_s: float = Field(30.0, gt=0, le=3600)
    # The evaluator's Prometheus /metrics (port 0: off)
    metrics_host: str = "127.0.0.1"
    metrics_port: Port = Field(9109, ge=0, le=65535)
    full_pct: float = Field(80.0, gt=0, le=100)
    fire_temp_c: float = Field(60.0, gt=0, le=200)
    low_battery_v: float = Field(3.3, gt=0, le=10)
    bin_silent_after_s: int = Field(7200, gt=0)
    space_silent_after_s: int = Field(7200, gt=0)
    overflow_horizon_s: int = Field(7200, gt=0)


class RecordsSettings(_Group):
    """The record store (``CURBSIDE_RECORDS_URL``; docs/records.md): an SQLAlchemy URL, e.g.
    postgresql+psycopg://curbside@127.0.0.1:5433/curbside; unset, an SQLite file in run_dir."""

    url: str | None = Field(None, pattern=r"^(sqlite|postgresql\+psycopg)://")


class RecorderSettings(_Group):
    """The recorder (python -m curbside.recorder, ``CURBSIDE_RECORDER_*``): its MQTT session,
    its batches, how often it closes what time alone closes (a vacancy that lasted the
    debounce, a sensor gone silent), and how long a local day stays open for late data before
    its clearance verdicts are frozen."""

    client_id: str = Field("curbside-recorder", min_length=1, max_length=64)
    batch_size: int = Field(500, ge=1, le=100_000)
    flush_interval_s: float = Field(0.5, gt=0, le=60)
    tick_s: float = Field(30.0, gt=0, le=3600)
    freeze_grace_s: int = Field(2 * 3600, ge=0, le=7 * 86_400)
    # How often frozen days still open to late data (CURBSIDE_TS_MAX_AGE_S) are judged again.
    recheck_s: float = Field(6 * 3600, ge=60, le=7 * 86_400)
    # One recorder writes, others wait as hot standbys: the writer's lease lapses this long
    # after its last commit, and a standby takes over (docs/records.md, "Several recorders").
    lease_s: float = Field(90.0, ge=2, le=3600)
    # This recorder's name among several (default: the host name); restarted under the same
    # name it takes its lease back at once instead of waiting for it to lapse.
    instance: str = Field(default_factory=socket.gethostname, min_length=1, max_length=200)
    # The recorder's Prometheus /metrics (port 0: off)
    metrics_host: str = "127.0.0.1"
    metrics_port: Port = Field(9110, ge=0, le=65535)

    @model_validator(mode="after")
    def _check_lease(self) -> Self:
        # With no traffic only the ticks renew the lease: two must fit in it.
        if self.lease_s < 2 * self.tick_s:
            raise ValueError("recorder_lease_s must be at least twice recorder_tick_s")
        return self


class PaymentsSettings(_Group):
    """Fee collection (``CURBSIDE_PAYMENTS_*``; docs/payments.md): the payment channels' signing
    keys, how fresh a notification must be, when an unpaid charge is overdue, the arrears
    threshold, the driver lookup's rate limits, and how long plates are kept."""

    # A JSON object {"channel id": "secret key"} (secrets at least 32 characters). Unset: no
    # channel is known and every notification is refused.
    channels_file: Path | None = None
    window_s: int = Field(300, ge=10, le=3600)
    overdue_after_days: int = Field(7, ge=0, le=3650)
    arrears_threshold_fen: int = Field(5000, ge=0)
    # The driver lookup: per client address, and for all addresses together (so that many
    # addresses cannot enumerate plates either).
    lookup_rate_per_s: float = Field(0.2, gt=0, le=1000)
    lookup_burst: int = Field(5, ge=1, le=10_000)
    lookup_city_rate_per_s: float = Field(20.0, gt=0, le=100_000)
    plate_retention_days: int = Field(365, ge=1, le=3650)


class HandoffSettings(_Group):
    """The hand-off of case events to the city-management platform (python -m curbside.handoff,
    ``CURBSIDE_HANDOFF_*``; docs/handoff.md): the webhook endpoint and its secret, MQTT on or
    off, retries, and the secret the platform signs its own reports with."""

    webhook_url: str | None = Field(None, pattern=r"^https?://")
    # A Standard Webhooks secret: whsec_ followed by base64 (e.g. 32 random bytes)
    webhook_secret: SecretStr | None = None
    mqtt: bool = True
    inbound_secret: SecretStr | None = None
    max_attempts: int = Field(12, ge=1, le=1000)
    backoff_s: float = Field(2.0, gt=0, le=3600)
    backoff_max_s: float = Field(900.0, gt=0, le=86_400)
    timeout_s: float = Field(10.0, gt=0, le=300)
    concurrency: int = Field(4, ge=1, le=64)
    poll_s: float = Field(1.0, gt=0, le=60)
    # Delivered messages are deleted this many days after delivery (0: kept forever), in
    # batches of prune_batch rows, each its own short transaction; dead letters are kept
    # until redelivered (docs/handoff.md).
    retention_days: int = Field(30, ge=0, le=36_500)
    prune_batch: int = Field(1000, ge=1, le=100_000)
    # The hand-off's Prometheus /metrics (port 0: off)
    metrics_host: str = "127.0.0.1"
    metrics_port: Port = Field(9111, ge=0, le=65535)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("handoff_webhook_url and handoff_webhook_secret go together")
        for name, secret in (("webhook", self.webhook_secret), ("inbound", self.inbound_secret)):
            if secret is not None and not _is_webhook_secret(secret.get_secret_value()):
                raise ValueError(
                    f"handoff_{name}_secret: give whsec_ followed by base64 of at least 24 bytes"
                )
        return self

    @property
    def channels(self) -> tuple[Channel, ...]:
        """Where case events go: ``webhook`` if an endpoint is set, ``mqtt`` if on."""
        on: dict[Channel, bool] = {"webhook": self.webhook_url is not None, "mqtt": self.mqtt}
        return tuple(channel for channel in CHANNELS if on[channel])


def _is_webhook_secret(text: str) -> bool:
    try:
        raw = base64.b64decode(text.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return text.startswith("whsec_") and len(raw) >= 24


GROUPS: dict[str, type[_Group]] = {
    "mqtt": MqttSettings,
    "influx": InfluxSettings,
    "api": ApiSettings,
    "ingest": IngestSettings,
    "alerts": AlertSettings,
    "records": RecordsSettings,
    "recorder": RecorderSettings,
    "payments": PaymentsSettings,
    "handoff": HandoffSettings,
    "rabbitmq": RabbitmqSettings,
}


def _flat_name(group: str, field: str) -> str:
    # The alert rules' limits were always CURBSIDE_ALERT_*, the evaluator's own CURBSIDE_ALERTS_*.
    own = field in {"interval_s", "metrics_host", "metrics_port"}
    prefix = "alert" if group == "alerts" and not own else group
    return f"{prefix}_{field}"


# Every grouped setting by the name its variable and settings-file key have always had:
# ``mqtt_port`` is CURBSIDE_MQTT_PORT in the environment and ``mqtt_port`` in the file.
FLAT_NAMES: dict[str, tuple[str, str]] = {
    _flat_name(group, field): (group, field)
    for group, model in GROUPS.items()
    for field in model.model_fields
}


class Settings(BaseSettings):
    """Every tunable of ingest, API, evaluator and simulators, in groups (``settings.mqtt.port``)
    read from the flat names documented in the README (``CURBSIDE_MQTT_PORT``)."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, validate_default=True)

    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    recorder: RecorderSettings = Field(default_factory=RecorderSettings)
    payments: PaymentsSettings = Field(default_factory=PaymentsSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    rabbitmq: RabbitmqSettings = Field(default_factory=RabbitmqSettings)

    # The city registry shared by every process; unset, the demo county shipped in the package
    city_file: Path = Field(default_factory=demo_city_file)
    # Parking: when a space's report is stale, and how long a change must hold to count
    space_stale_after_s: int = Field(3600, gt=0)
    parking_debounce_s: int = Field(60, gt=0, le=3600)
    # Which device timestamps are believed (ingest and the API's live state admit alike)
    ts_future_tolerance_s: int = Field(300, ge=0)
    ts_max_age_s: int = Field(7 * 86_400, gt=0)
    # Sanitation rules behind alerts and reports
    collection_min_drop_pct: float = Field(30.0, gt=0, le=100)
    collection_empty_at_most_pct: float = Field(15.0, ge=0, le=100)
    clearance_rubbish_above_pct: float = Field(10.0, ge=0, le=100)

    # Where scripts/services keeps each broker's and database's folder (the broker's password
    # and ACL files, read by ``python -m curbside.cli.provisioning``, are in
    # ``mosquitto-<port>/auth/``).
    run_dir: Path = Path(".run")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _group(cls, data: Any) -> Any:
        # Every source speaks the flat names; the groups are made here, once.
        if not isinstance(data, dict):
            return data
        grouped: dict[str, Any] = {}
        for key, value in data.items():
            if key in FLAT_NAMES:
                group, field = FLAT_NAMES[key]
                target = grouped.setdefault(group, {})
                if isinstance(target, dict):
                    target[field] = value
            elif key in GROUPS and isinstance(value, BaseModel):
                grouped.setdefault(key, {}).update(value.model_dump())
            else:
                grouped[key] = value
        return grouped

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        influx, mqtt = self.influx, self.mqtt
        if influx.token is not None and influx.username is not None:
            raise ValueError(
                "influx_token and influx_username are exclusive: a token for InfluxDB 2.x/3.x, "
                "a user and password for 1.x"
            )
        if (influx.username is None) != (influx.password is None):
            raise ValueError("influx_username and influx_password go together")
        if (mqtt.username is None) != (mqtt.password is None):
            raise ValueError("mqtt_username and mqtt_password go together")
        if mqtt.tls_ca_file is not None and not mqtt.tls:
            raise ValueError(
                "CURBSIDE_MQTT_TLS_CA_FILE is set but TLS is off: set CURBSIDE_MQTT_TLS=true"
            )
        if mqtt.tls_ca_file is not None and not mqtt.tls_ca_file.is_file():
            raise ValueError(f"CURBSIDE_MQTT_TLS_CA_FILE: no such file: {mqtt.tls_ca_file}")
        return self

    @model_validator(mode="after")
    def _check_retention(self) -> Self:
        # InfluxDB refuses points older than their policy: an admitted reading must fit in it.
        if self.influx.raw_retention_days * 86_400 <= self.ts_max_age_s:
            raise ValueError(
                "CURBSIDE_INFLUX_RAW_RETENTION_DAYS must be longer than CURBSIDE_TS_MAX_AGE_S "
                "(readings that old are still admitted, and InfluxDB would refuse them)"
            )
        return self

    @property
    def records_database_url(self) -> str:
        """The record store's URL: ``records_url``, else ``run_dir/records.sqlite3``."""
        if self.records.url is not None:
            return self.records.url
        return f"sqlite:///{(self.run_dir / 'records.sqlite3').resolve()}"

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name (``mqtt_port``), as the environment and the settings
        file give them."""
        out = {k: v for k, v in self if k not in GROUPS}
        for name, (group, field) in FLAT_NAMES.items():
            out[name] = getattr(getattr(self, group), field)
        return out

    def replace(self, **changes: Any) -> Settings:
        """These settings with some changed, by flat name, validated again (and nothing read
        from the environment or the settings file)."""
        return Settings.model_validate({**self.flat(), **changes})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, _FlatEnvironment(settings_cls)]
        path = _settings_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


class _FlatEnvironment(PydanticBaseSettingsSource):
    """``CURBSIDE_<FLAT NAME>`` variables, by flat name (case-insensitive, as before)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every name at once

    def __call__(self) -> dict[str, Any]:
        names = set(FLAT_NAMES) | {n for n in Settings.model_fields if n not in GROUPS}
        found = {}
        for key, value in os.environ.items():
            upper = key.upper()
            if upper.startswith(ENV_PREFIX):
                name = upper.removeprefix(ENV_PREFIX).lower()
                if name in names:
                    found[name] = value
        return found


class SettingsError(Exception):
    """Settings are invalid; the message names each bad key as the variable a user would set."""


def _settings_file() -> Path | None:
    named = os.environ.get(SETTINGS_FILE_VAR)
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(f"{SETTINGS_FILE_VAR}: no such settings file: {path}")
        return path
    default = Path(DEFAULT_SETTINGS_FILE)
    return default if default.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings, or raise :class:`SettingsError` naming each bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    lines = ["invalid Curbside settings:"]
    flat_of = {where: name for name, where in FLAT_NAMES.items()}
    for err in exc.errors():
        loc = tuple(str(part) for part in err["loc"])
        key = flat_of.get((loc[0], loc[1]), loc[0]) if len(loc) > 1 else "".join(loc)
        if len(loc) == 1 and loc[0] in GROUPS:
            key = ""  # a rule across a group's settings: its message names them
        name = f"{ENV_PREFIX}{key.upper()}" if key else "(settings)"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown setting (in {_settings_file() or 'the settings'})")
            continue
        # A rule across settings gets them all as its input, secrets included: its message
        # names the keys instead. A secret's own value is never echoed either.
        secret = len(loc) > 1 and any(w in loc[1] for w in ("secret", "password", "token"))
        quiet = err["type"] == "missing" or len(loc) <= 1 or secret
        value = "" if quiet else f" (got {err.get('input')!r})"
        lines.append(f"  {name}: {err['msg']}{value}")
    return "\n".join(lines)
