"""Settings for every Curbside process, validated once at start-up.

Sources, highest priority first: keyword arguments, environment variables ``CURBSIDE_<KEY>``,
then the settings file (TOML, flat keys named like the variables without the prefix, in
lower case). The file is ``CURBSIDE_SETTINGS_FILE`` if set, else ``curbside.toml`` in the
working directory if present. Unknown keys are errors, and every error names the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from curbside.city import demo_city_file

ENV_PREFIX = "CURBSIDE_"
SETTINGS_FILE_VAR = "CURBSIDE_SETTINGS_FILE"
DEFAULT_SETTINGS_FILE = "curbside.toml"

Port = int


class Settings(BaseSettings):
    """Every tunable of ingest, API and simulators. Field names are the env keys, lower case."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, validate_default=True
    )

    # MQTT broker
    mqtt_host: str = "127.0.0.1"
    mqtt_port: Port = Field(1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_keepalive_s: int = Field(30, ge=5, le=3600)
    mqtt_client_id: str = Field("curbside-ingest", min_length=1, max_length=64)
    mqtt_tls: bool = False
    mqtt_tls_ca_file: Path | None = None

    # InfluxDB (v1 HTTP API; 2.x/3.x through their v1-compatibility endpoints with a token)
    influx_url: str = Field("http://127.0.0.1:8086", pattern=r"^https?://")
    influx_db: str = Field("curbside", pattern=r"^[A-Za-z0-9_-]+$")
    influx_username: str | None = None
    influx_password: SecretStr | None = None
    influx_token: SecretStr | None = None
    influx_timeout_s: float = Field(10.0, gt=0, le=300)

    # The city registry shared by every process; unset, the demo county shipped in the package
    city_file: Path = Field(default_factory=demo_city_file)

    # API
    api_host: str = "127.0.0.1"
    api_port: Port = Field(8000, ge=1, le=65535)
    # How often the live state applies what the MQTT stream brought and publishes a snapshot.
    api_refresh_s: float = Field(1.0, gt=0, le=300)
    # How often the live state is read in full from InfluxDB anyway (besides at start and after
    # every reconnect to the broker): the safety net for anything the stream missed.
    api_full_read_s: float = Field(600.0, ge=10, le=86_400)
    space_stale_after_s: int = Field(3600, gt=0)
    parking_debounce_s: int = Field(60, gt=0, le=3600)
    # API access (docs/security.md): the keys file, rate limits, caps on what a request asks
    api_keys_file: Path = Path(".run/api-keys.json")
    api_rate_per_s: float = Field(20.0, gt=0, le=100_000)
    api_rate_burst: int = Field(100, ge=1, le=1_000_000)
    api_public_rate_per_s: float = Field(2.0, gt=0, le=100_000)
    api_public_rate_burst: int = Field(20, ge=1, le=1_000_000)
    # At most curbside.adapters.influx.history.MAX_WINDOW, which the history reader itself enforces.
    api_max_window_days: int = Field(31, ge=1, le=31)
    api_max_results: int = Field(10_000, ge=1, le=1_000_000)

    # Ingest
    ingest_batch_size: int = Field(5000, ge=1, le=100_000)
    ingest_flush_interval_s: float = Field(0.5, gt=0, le=60)
    ingest_max_payload_bytes: int = Field(4096, ge=64, le=1_048_576)
    ingest_metrics_host: str = "127.0.0.1"
    ingest_metrics_port: Port = Field(9108, ge=0, le=65535)
    ingest_summary_interval_s: float = Field(30.0, gt=0)
    ingest_retry_max_s: float = Field(30.0, gt=0, le=3600)
    ingest_max_pending_messages: int = Field(10_000, ge=1, le=1_000_000)
    ingest_spool_dir: Path = Path(".run/ingest-spool")
    ingest_spool_max_bytes: int = Field(512 * 1024 * 1024, ge=0)
    ingest_spool_after_s: float = Field(30.0, ge=0, le=86_400)
    # "i/n": this process is shard i of n (ingest/sharding.py); unset, it takes every topic.
    ingest_shard: str | None = Field(None, pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")
    ts_future_tolerance_s: int = Field(300, ge=0)
    ts_max_age_s: int = Field(7 * 86_400, gt=0)

    # Alerts evaluator (python -m curbside.evaluator) and the rules behind alerts and reports
    alerts_interval_s: float = Field(30.0, gt=0, le=3600)
    alert_full_pct: float = Field(80.0, gt=0, le=100)
    alert_fire_temp_c: float = Field(60.0, gt=0, le=200)
    alert_low_battery_v: float = Field(3.3, gt=0, le=10)
    alert_bin_silent_after_s: int = Field(7200, gt=0)
    alert_space_silent_after_s: int = Field(7200, gt=0)
    alert_overflow_horizon_s: int = Field(7200, gt=0)
    collection_min_drop_pct: float = Field(30.0, gt=0, le=100)
    collection_empty_at_most_pct: float = Field(15.0, ge=0, le=100)
    clearance_rubbish_above_pct: float = Field(10.0, ge=0, le=100)

    # Where scripts/services keeps each broker's and database's folder (the broker's password
    # and ACL files, read by ``python -m curbside.cli.provisioning``, are in
    # ``mosquitto-<port>/auth/``).
    run_dir: Path = Path(".run")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("ingest_shard")
    @classmethod
    def _check_shard(cls, value: str | None) -> str | None:
        if value is not None:
            index, count = (int(part) for part in value.split("/"))
            if index > count:
                raise ValueError(f"shard i/n needs i <= n (got {value})")
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        if self.influx_token is not None and self.influx_username is not None:
            raise ValueError(
                "influx_token and influx_username are exclusive: a token for InfluxDB 2.x/3.x, "
                "a user and password for 1.x"
            )
        if (self.influx_username is None) != (self.influx_password is None):
            raise ValueError("influx_username and influx_password go together")
        if (self.mqtt_username is None) != (self.mqtt_password is None):
            raise ValueError("mqtt_username and mqtt_password go together")
        if self.ingest_max_pending_messages < self.ingest_batch_size:
            raise ValueError(
                "ingest_max_pending_messages must be at least ingest_batch_size, or a batch "
                "could never fill"
            )
        if self.mqtt_tls_ca_file is not None and not self.mqtt_tls:
            raise ValueError(
                "CURBSIDE_MQTT_TLS_CA_FILE is set but TLS is off: set CURBSIDE_MQTT_TLS=true"
            )
        if self.mqtt_tls_ca_file is not None and not self.mqtt_tls_ca_file.is_file():
            raise ValueError(f"CURBSIDE_MQTT_TLS_CA_FILE: no such file: {self.mqtt_tls_ca_file}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _settings_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


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
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else ""
        name = f"{ENV_PREFIX}{key.upper()}" if key else "(settings)"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown setting (in {_settings_file() or 'the settings'})")
            continue
        value = "" if err["type"] == "missing" else f" (got {err.get('input')!r})"
        lines.append(f"  {name}: {err['msg']}{value}")
    return "\n".join(lines)
