"""Line protocol encoding and the stored schema of each reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.adapters.influx.lineprotocol import encode_line, epoch_ms, from_epoch_ms
from curbside.adapters.influx.schema import to_line
from curbside.vocabulary.readings import BinEmptied, BinLevel, SensorBattery, SpaceStatus

TS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 1795737600 s after the epoch


def test_epoch_ms_of_a_known_instant() -> None:
    assert epoch_ms(TS) == 1_795_737_600_000
    assert epoch_ms(TS.astimezone(timezone(timedelta(hours=8)))) == 1_795_737_600_000


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_epoch_ms_inverts_fromtimestamp(ms: int) -> None:
    ts = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert epoch_ms(ts) == ms
    assert from_epoch_ms(ms) == ts


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        epoch_ms(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_escaping_and_types() -> None:
    line = encode_line(
        "m x", {"b": "v,1", "a": "p q=r"}, {"i": 3, "f": 1.5, "t": True, "s": 'say "hi"'}, TS
    )
    assert line == ('m\\ x,a=p\\ q\\=r,b=v\\,1 i=3i,f=1.5,t=true,s="say \\"hi\\"" 1795737600000')


def test_space_status_schema() -> None:
    reading = SpaceStatus("Z01", "Z01-001", True, TS, battery_v=3.61, rssi_dbm=-91.0)
    assert to_line(reading) == (
        "parking_status,space=Z01-001,zone=Z01 occupied=1i,battery_v=3.61,rssi_dbm=-91.0 "
        "1795737600000"
    )


def test_bin_level_schema_omits_absent_fields() -> None:
    reading = BinLevel("D1", "D1-B001", fill_pct=72.2, distance_cm=25.0, ts=TS, tilted=False)
    assert to_line(reading) == (
        "bin_level,bin=D1-B001,district=D1 fill_pct=72.2,distance_cm=25.0,tilted=false "
        "1795737600000"
    )


def test_bin_emptied_schema() -> None:
    assert to_line(BinEmptied("D1", "D1-B001", TS, truck="T03")) == (
        'bin_emptied,bin=D1-B001,district=D1 emptied=1i,truck="T03" 1795737600000'
    )


def test_unadmitted_readings_cannot_be_stored() -> None:
    with pytest.raises(ValueError, match="timestamp"):
        to_line(SpaceStatus("Z01", "Z01-001", True))


def test_lorawan_fields_are_stored_with_their_types() -> None:
    status = SpaceStatus(
        "Z01",
        "Z01-002",
        False,
        TS,
        battery_v=3.344,
        seq=91,
        snr_db=-1.5,
        temp_c=-10.0,
        previous_state_min=21,
        hw_health=0,
    )
    assert to_line(status) == (
        "parking_status,space=Z01-002,zone=Z01 occupied=0i,battery_v=3.344,seq=91i,"
        "snr_db=-1.5,temp_c=-10.0,previous_state_min=21i,hw_health=0i 1795737600000"
    )
    level = BinLevel(
        "D1",
        "D1-B002",
        fill_pct=40.0,
        distance_cm=90.0,
        ts=TS,
        battery_pct=92.0,
        rssi_dbm=-35.0,
        snr_db=5.2,
        distance_alarm=True,
    )
    assert to_line(level) == (
        "bin_level,bin=D1-B002,district=D1 fill_pct=40.0,distance_cm=90.0,battery_pct=92.0,"
        "rssi_dbm=-35.0,snr_db=5.2,distance_alarm=true 1795737600000"
    )


def test_sensor_battery_schema() -> None:
    assert to_line(SensorBattery("parking", "Z01", "Z01-001", 75.5, False, TS)) == (
        "sensor_battery,device=Z01-001,domain=parking,group=Z01 battery_pct=75.5,"
        "external_power=false 1795737600000"
    )
    assert to_line(SensorBattery("parking", "Z01", "Z01-001", None, True, TS)) == (
        "sensor_battery,device=Z01-001,domain=parking,group=Z01 external_power=true 1795737600000"
    )
