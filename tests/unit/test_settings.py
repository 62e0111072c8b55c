"""Settings: env over file over defaults, and errors that name the key a user would set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from curbside.config.settings import FLAT_NAMES, GROUPS, Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CURBSIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_standard_local_ports() -> None:
    settings = load_settings()
    assert (settings.mqtt.host, settings.mqtt.port) == ("127.0.0.1", 1883)
    assert settings.influx.url == "http://127.0.0.1:8086"
    assert settings.api.port == 8000


def test_env_overrides_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text('mqtt_port = 2883\ninflux_db = "fromfile"\n')
    monkeypatch.setenv("CURBSIDE_SETTINGS_FILE", str(file))
    monkeypatch.setenv("CURBSIDE_MQTT_PORT", "3883")
    settings = load_settings()
    assert settings.mqtt.port == 3883
    assert settings.influx.db == "fromfile"


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_API_PORT", "eighty")
    with pytest.raises(SettingsError, match="CURBSIDE_API_PORT"):
        load_settings()


def test_unknown_file_key_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text("mqtt_prot = 1\n")
    monkeypatch.setenv("CURBSIDE_SETTINGS_FILE", str(file))
    with pytest.raises(SettingsError, match="mqtt_prot"):
        load_settings()


def test_missing_settings_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_SETTINGS_FILE", "/nonexistent/curbside.toml")
    with pytest.raises(SettingsError, match=r"/nonexistent/curbside\.toml"):
        load_settings()


def test_token_and_user_are_exclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_INFLUX_TOKEN", "t")
    monkeypatch.setenv("CURBSIDE_INFLUX_USERNAME", "u")
    monkeypatch.setenv("CURBSIDE_INFLUX_PASSWORD", "p")
    with pytest.raises(SettingsError, match="exclusive"):
        load_settings()


def test_pending_bound_below_the_batch_size_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="ingest_max_pending_messages"):
        load_settings(ingest_batch_size=5000, ingest_max_pending_messages=100)


def test_a_raw_retention_shorter_than_the_admitted_age_is_refused_by_name() -> None:
    # Seven days of admitted readings cannot go into a seven-day policy: InfluxDB refuses
    # points at its edge.
    with pytest.raises(SettingsError, match="CURBSIDE_INFLUX_RAW_RETENTION_DAYS"):
        load_settings(influx_raw_retention_days=7, ts_max_age_s=7 * 86_400)
    assert load_settings(influx_raw_retention_days=8).influx.raw_retention_days == 8


def test_a_sessions_max_age_not_past_the_refresh_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="CURBSIDE_API_SESSIONS_MAX_AGE_S must be longer"):
        load_settings(api_sessions_refresh_s=5, api_sessions_max_age_s=5)
    with pytest.raises(SettingsError, match="CURBSIDE_API_SESSIONS_REFRESH_S"):
        load_settings(api_sessions_refresh_s=0)


def test_a_lease_that_ticks_could_not_renew_twice_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="recorder_lease_s"):
        load_settings(recorder_tick_s=30, recorder_lease_s=59)
    assert load_settings(recorder_tick_s=30, recorder_lease_s=60).recorder.lease_s == 60


def test_a_tls_ca_file_needs_tls_on_and_must_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("not checked here")
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(ca))
    with pytest.raises(SettingsError, match="CURBSIDE_MQTT_TLS=true"):
        load_settings()
    monkeypatch.setenv("CURBSIDE_MQTT_TLS", "true")
    assert load_settings().mqtt.tls_ca_file == ca
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(tmp_path / "missing.crt"))
    with pytest.raises(SettingsError, match=r"CURBSIDE_MQTT_TLS_CA_FILE: no such file"):
        load_settings()


def test_every_setting_is_documented_in_the_readme_under_its_variable() -> None:
    """The groups are the code's view; the README's variables stay the contract."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = set(re.findall(r"CURBSIDE_[A-Z_]*[A-Z]", readme))
    top_level = {n for n in Settings.model_fields if n not in GROUPS}
    names = {f"CURBSIDE_{n.upper()}" for n in [*FLAT_NAMES, *top_level]}
    # 54, seven added by the records (issue 14), one by dispatch (issue 15), two by the
    # evaluator's metrics (issue 17), two by the recorder's metrics, eight by fee collection
    # (issue 18), twelve by the hand-off (issue 16), two by automatic re-planning (issue 15),
    # two by retention and two by the recorders' lease (issue 14), six by RabbitMQ (issue 21),
    # one by the API's processes (issue 19), three by undo and outbox pruning (issue 16), two
    # by the sessions' ages (issue 19)
    assert len(names) == 104
    assert names <= documented, sorted(names - documented)


def test_groups_read_the_flat_variables_and_file_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "s.toml"
    file.write_text("influx_timeout_s = 3.5\napi_max_results = 50\nparking_debounce_s = 90\n")
    monkeypatch.setenv("CURBSIDE_SETTINGS_FILE", str(file))
    monkeypatch.setenv("CURBSIDE_INGEST_BATCH_SIZE", "7")
    monkeypatch.setenv("CURBSIDE_ALERT_FULL_PCT", "55")
    monkeypatch.setenv("CURBSIDE_ALERTS_INTERVAL_S", "9")
    monkeypatch.setenv("curbside_mqtt_tls", "true")  # names were never case-sensitive
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(file))
    settings = load_settings(api_port=8123)
    assert (settings.ingest.batch_size, settings.alerts.full_pct) == (7, 55.0)
    assert settings.alerts.interval_s == 9.0
    assert (settings.mqtt.tls, settings.mqtt.tls_ca_file) == (True, file)
    assert (settings.influx.timeout_s, settings.api.max_results) == (3.5, 50)
    assert (settings.api.port, settings.parking_debounce_s) == (8123, 90)
    assert settings.flat()["alert_full_pct"] == 55.0
    assert settings.replace(api_port=9000).api.port == 9000
    with pytest.raises(ValidationError, match=r"api\.port"):
        settings.replace(api_port=0)


def test_a_bad_grouped_value_names_its_variable() -> None:
    with pytest.raises(SettingsError, match=r"CURBSIDE_INGEST_BATCH_SIZE: .*greater"):
        load_settings(ingest_batch_size=0)


@pytest.mark.parametrize(
    "changes",
    [
        # A rule across a group: its input is the whole group, the secret with it.
        {"handoff_webhook_url": "http://x", "handoff_webhook_secret": "whsec_c2VjcmV0LXZhbHVl"},
        # A rule across all settings (issue 16 found it echoing the MQTT password).
        {"mqtt_password": "c2VjcmV0LXZhbHVl"},
        # A secret's own field.
        {"influx_token": ["c2VjcmV0LXZhbHVl"]},
    ],
)
def test_errors_never_echo_a_secret(changes: dict[str, object]) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**changes)
    message = str(raised.value)
    assert "c2VjcmV0LXZhbHVl" not in message
    assert any(word in message for word in ("secret", "password", "TOKEN")), message


def test_failover_addresses_are_checked_and_default_to_host_and_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CURBSIDE_MQTT_PORT", "1999")
    assert load_settings().mqtt.endpoints == (("127.0.0.1", 1999),)
    monkeypatch.setenv("CURBSIDE_MQTT_ADDRESSES", " 127.0.0.1:5671, [::1]:5681 ,")
    assert load_settings().mqtt.endpoints == (("127.0.0.1", 5671), ("::1", 5681))
    monkeypatch.setenv("CURBSIDE_MQTT_ADDRESSES", "127.0.0.1:5671,node2")
    with pytest.raises(SettingsError, match=r"CURBSIDE_MQTT_ADDRESSES.*'node2' is not host:port"):
        load_settings()
