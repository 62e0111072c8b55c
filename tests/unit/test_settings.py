"""Settings: env over file over defaults, and errors that name the key a user would set."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CURBSIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_standard_local_ports() -> None:
    settings = load_settings()
    assert (settings.mqtt_host, settings.mqtt_port) == ("127.0.0.1", 1883)
    assert settings.influx_url == "http://127.0.0.1:8086"
    assert settings.api_port == 8000


def test_env_overrides_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text('mqtt_port = 2883\ninflux_db = "fromfile"\n')
    monkeypatch.setenv("CURBSIDE_SETTINGS_FILE", str(file))
    monkeypatch.setenv("CURBSIDE_MQTT_PORT", "3883")
    settings = load_settings()
    assert settings.mqtt_port == 3883
    assert settings.influx_db == "fromfile"


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


def test_a_tls_ca_file_needs_tls_on_and_must_exist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("not checked here")
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(ca))
    with pytest.raises(SettingsError, match="CURBSIDE_MQTT_TLS=true"):
        load_settings()
    monkeypatch.setenv("CURBSIDE_MQTT_TLS", "true")
    assert load_settings().mqtt_tls_ca_file == ca
    monkeypatch.setenv("CURBSIDE_MQTT_TLS_CA_FILE", str(tmp_path / "missing.crt"))
    with pytest.raises(SettingsError, match=r"CURBSIDE_MQTT_TLS_CA_FILE: no such file"):
        load_settings()
