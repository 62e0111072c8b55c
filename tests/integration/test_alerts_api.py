"""The alerts API on the real InfluxDB and Mosquitto: list, filter, acknowledge, publish."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from api.app import create_app
from curbside.adapters.access.roles import Role
from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import parse_city
from curbside.config.settings import Settings
from curbside.domain.alerts.lifecycle import reconcile
from curbside.vocabulary.alerts import AlertKind, AlertStatus, Condition, Domain, Subject
from tests.support import SOME_MESSAGE, admin_client, bearer, issue_key, mqtt_client, wait_for

pytestmark = pytest.mark.integration

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
CITY = parse_city(
    {
        "parking_zones": [
            {"id": "Z01", "name": "Z", "tariff": "t", "spaces": [{"id": "S1", "lat": 0, "lon": 0}]}
        ],
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "D",
                "clearance_deadline": "19:00",
                "bins": [{"id": "B1", "capacity_l": 240, "depth_cm": 90, "lat": 0, "lon": 0}],
            }
        ],
    }
)
ALL = frozenset(AlertKind)


def _listening(settings: Settings, topic: str) -> tuple[mqtt.Client, list[dict[str, Any]]]:
    """A subscriber to ``topic`` and the list the documents it hears are added to."""
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with lock:
            received.append(json.loads(msg.payload))

    listener = mqtt_client(settings)
    listener.on_message = on_message
    listener.subscribe(topic, qos=1)
    return listener, received


def test_list_filter_and_acknowledge(settings: Settings, influx: InfluxClient) -> None:
    store = AlertStore(influx)
    [overstay] = reconcile(
        [],
        [Condition(AlertKind.OVERSTAY, Subject(Domain.PARKING, "Z01", "S1"), "3 h", SOME_MESSAGE)],
        ALL,
        T0,
    )
    [full] = reconcile(
        [],
        [Condition(AlertKind.FULL, Subject(Domain.SANITATION, "D1", "B1"), "85 %", SOME_MESSAGE)],
        ALL,
        T0 - timedelta(minutes=30),
    )
    store.save([overstay, full])
    [old] = reconcile(
        [],
        [Condition(AlertKind.FIRE, full.subject, "70 °C", SOME_MESSAGE)],
        ALL,
        T0 - timedelta(hours=3),
    )
    [old_resolved] = reconcile([old], [], ALL, T0 - timedelta(hours=2))
    store.save([old, old_resolved])

    listener, received = _listening(settings, "alerts/overstay/parking/Z01/#")
    try:
        desk = issue_key(settings.api.keys_file, Role.DISPATCHER, name="dispatch-desk")
        with admin_client(create_app(settings, CITY), settings) as api:
            every = api.get("/api/v1/alerts").json()
            assert [a["id"] for a in every] == [overstay.id, full.id, old.id]  # newest first
            assert every[0]["zone"] == "Z01" and every[0]["space"] == "S1"
            assert every[1]["district"] == "D1" and every[1]["bin"] == "B1"
            active = api.get("/api/v1/alerts", params={"status": "active"}).json()
            assert [a["id"] for a in active] == [overstay.id, full.id]
            assert [
                a["id"] for a in api.get("/api/v1/alerts", params={"district": "D1"}).json()
            ] == [
                full.id,
                old.id,
            ]
            assert [
                a["kind"] for a in api.get("/api/v1/alerts", params={"kind": "fire"}).json()
            ] == ["fire"]
            assert api.get("/api/v1/alerts", params={"zone": "Z9"}).status_code == 404
            assert api.get("/api/v1/alerts", params={"status": "sleeping"}).status_code == 422
            both = api.get("/api/v1/alerts", params={"zone": "Z01", "district": "D1"})
            assert both.status_code == 422

            # The key's name is recorded, with the person on a shared key if the body names one.
            acked = api.post(
                f"/api/v1/alerts/{full.id}/ack", json={"by": "王师傅"}, headers=bearer(desk)
            )
            assert acked.status_code == 200, acked.text
            body = acked.json()
            assert (body["status"], body["acknowledged_by"]) == (
                "acknowledged",
                "王师傅 via dispatch-desk",
            )
            stored = store.get(full.id)
            assert stored is not None and stored.acknowledged_by == "王师傅 via dispatch-desk"
            again = api.post(f"/api/v1/alerts/{full.id}/ack", json={"by": "someone else"})
            assert again.json()["acknowledged_by"] == "王师傅 via dispatch-desk"
            # A dispatcher reads no parking data, so cannot take on a parking alert.
            refused = api.post(f"/api/v1/alerts/{overstay.id}/ack", headers=bearer(desk))
            assert refused.status_code == 403
            acked = api.post(f"/api/v1/alerts/{overstay.id}/ack")
            assert acked.json()["acknowledged_by"] == "test-admin"

            assert api.post(f"/api/v1/alerts/{old.id}/ack", json={"by": "x"}).status_code == 409
            missing = "overstay~parking~Z01~S1~1"
            assert api.post(f"/api/v1/alerts/{missing}/ack", json={"by": "x"}).status_code == 404
            assert api.post(f"/api/v1/alerts/{overstay.id}/ack", json={"by": ""}).status_code == 422
            assert api.post(f"/api/v1/alerts/{overstay.id}/ack", json={"x": 1}).status_code == 422
            wait_for(lambda: len(received) == 1, 10, "the acknowledgement on MQTT")
            assert received[0]["status"] == "acknowledged"
    finally:
        listener.disconnect()
        listener.loop_stop()


def test_an_operator_counts_and_lists_its_own_overstays(
    settings: Settings, influx: InfluxClient
) -> None:
    store = AlertStore(influx)
    space = Subject(Domain.PARKING, "Z01", "S1")
    opened = reconcile(
        [],
        [
            Condition(AlertKind.OVERSTAY, space, "3 h", SOME_MESSAGE),
            Condition(AlertKind.SENSOR_SILENT, space, "2 h", SOME_MESSAGE),
            Condition(AlertKind.FULL, Subject(Domain.SANITATION, "D1", "B1"), "90 %", SOME_MESSAGE),
        ],
        ALL,
        T0,
    )
    store.save(opened)
    operator = issue_key(
        settings.api.keys_file, Role.PARKING_OPERATOR, name="op-z01", zones=["Z01"], districts=[]
    )
    with admin_client(create_app(settings, CITY), settings) as api:
        api_admin = dict(api.headers)
        api.headers.update(bearer(operator))
        counts = api.get("/api/v1/alerts/counts").json()
        assert counts == {
            "active": 2,
            "by_status": {"open": 2, "acknowledged": 0},
            "by_kind": {"overstay": 1, "sensor_silent": 1},
            "by_area": {"Z01": 2},
        }
        mine = api.get("/api/v1/alerts", params={"kind": "overstay", "status": "open"}).json()
        assert [(a["kind"], a["space"]) for a in mine] == [("overstay", "S1")]
        # Another's district is refused outright, as for the list.
        assert api.get("/api/v1/alerts/counts", params={"district": "D1"}).status_code == 403
        zone = api.get("/api/v1/alerts/counts", params={"zone": "Z01"}).json()
        assert zone["by_kind"] == {"overstay": 1, "sensor_silent": 1}
        # An admin's counts for one domain's list: the bin's alert only beside the bins'.
        api.headers.update({"Authorization": api_admin["authorization"]})
        both = api.get("/api/v1/alerts/counts").json()
        assert both["by_kind"] == {"full": 1, "overstay": 1, "sensor_silent": 1}
        bins = api.get("/api/v1/alerts/counts", params={"domain": "sanitation"}).json()
        assert bins["by_kind"] == {"full": 1} and bins["active"] == 1
        parking = api.get("/api/v1/alerts/counts", params={"domain": "parking"}).json()
        assert parking["by_kind"] == {"overstay": 1, "sensor_silent": 1}
        mixed = {"domain": "sanitation", "zone": "Z01"}
        assert api.get("/api/v1/alerts/counts", params=mixed).status_code == 422


def test_an_acknowledge_undone_is_unacknowledged_in_the_api_and_on_mqtt(
    settings: Settings, influx: InfluxClient
) -> None:
    """Acknowledge, undo: the alert is open again in the lists and counts, in a view freshly
    loaded from InfluxDB (whose point still carries the old acknowledgement fields) and on
    MQTT; once the window has passed, undo is refused."""
    store = AlertStore(influx)
    subject = Subject(Domain.SANITATION, "D1", "B1")
    [fire] = reconcile([], [Condition(AlertKind.FIRE, subject, "70 °C", SOME_MESSAGE)], ALL, T0)
    store.save([fire])
    listener, received = _listening(settings, "alerts/fire/sanitation/D1/#")
    window_s = 3.0
    quick = settings.model_copy(
        update={"api": settings.api.model_copy(update={"ack_undo_s": window_s})}
    )
    desk = issue_key(settings.api.keys_file, Role.DISPATCHER, name="dispatch-desk")
    viewer = issue_key(settings.api.keys_file, Role.VIEWER, name="wall")
    other = issue_key(settings.api.keys_file, Role.DISPATCHER, name="night-desk")
    try:
        with admin_client(create_app(quick, CITY), quick) as api:
            acked = api.post(f"/api/v1/alerts/{fire.id}/ack", headers=bearer(desk)).json()
            assert acked["status"] == "acknowledged"
            assert acked["undo_until"] is not None
            refused = api.post(f"/api/v1/alerts/{fire.id}/unacknowledge", headers=bearer(viewer))
            assert refused.status_code == 403  # a viewer may not acknowledge, so not undo
            undone = api.post(f"/api/v1/alerts/{fire.id}/unacknowledge", headers=bearer(desk))
            assert undone.status_code == 200, undone.text
            assert (undone.json()["status"], undone.json()["acknowledged_by"]) == ("open", None)

            def ids(status: str) -> list[str]:
                found = api.get("/api/v1/alerts", params={"status": status}).json()
                return [a["id"] for a in found]

            assert (ids("open"), ids("acknowledged")) == ([fire.id], [])
            counts = api.get("/api/v1/alerts/counts").json()
            assert counts["by_status"] == {"open": 1, "acknowledged": 0}
            again = api.post(f"/api/v1/alerts/{fire.id}/unacknowledge", headers=bearer(desk))
            assert again.status_code == 409  # nothing to undo any more
            wait_for(lambda: len(received) == 2, 10, "the acknowledge and the undo on MQTT")
            assert [m["status"] for m in received] == ["acknowledged", "open"]
            assert received[1]["acknowledged_by"] is None

        # The InfluxDB point still holds the acknowledgement's fields; read back, it is open.
        stored = store.get(fire.id)
        assert stored is not None
        assert (stored.status, stored.acknowledged_by) == (AlertStatus.OPEN, None)
        assert [a.id for a in store.find(statuses=(AlertStatus.ACKNOWLEDGED,))] == []
        with admin_client(create_app(quick, CITY), quick) as api:  # a view loaded afresh
            listed = api.get("/api/v1/alerts", params={"status": "active"}).json()
            assert [(a["id"], a["status"]) for a in listed] == [(fire.id, "open")]
            # Acknowledged again by someone else, then the window passes: undo is refused.
            acked = api.post(f"/api/v1/alerts/{fire.id}/ack", headers=bearer(other)).json()
            assert acked["acknowledged_by"] == "night-desk"
            time.sleep(window_s + 0.5)
            late = api.post(f"/api/v1/alerts/{fire.id}/unacknowledge", headers=bearer(other))
            assert late.status_code == 409
            assert "has passed" in late.json()["detail"]
            [still] = api.get("/api/v1/alerts", params={"status": "acknowledged"}).json()
            assert still["acknowledged_by"] == "night-desk"
    finally:
        listener.disconnect()
        listener.loop_stop()
