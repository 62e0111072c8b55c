"""Plates through the API, on SQLite and PostgreSQL: binding and correcting (who may, with who
and why recorded), the stays without a plate, the driver's lookup (which cannot enumerate
plates), and arrears by age."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from curbside.adapters.access.roles import Role
from curbside.adapters.records.models import PlateBinding
from tests.records.collection_api import Api, collection_api, new_db
from tests.records.collection_rows import T0, add_stay
from tests.support import bearer, issue_key

pytestmark = pytest.mark.records

PLATE = {"plate": "粤B·D12345", "colour": "green"}
SEEN = (T0 + timedelta(minutes=10)).isoformat()


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Api:
    return collection_api(engine, tmp_path)


def key(api: Api, role: Role, name: str, zones: list[str] | None = None) -> dict[str, str]:
    return bearer(issue_key(api.keys_file, role, name=name, zones=zones))


def stays(api: Api, *fens: int, space: str = "S1") -> list[int]:
    """Stays one after another on one space (an hour each, two hours apart); their ids."""
    ids = []
    with new_db(api.engine) as db, db.begin():
        for n, fen in enumerate(fens):
            stay, _ = add_stay(db, ("Z1", space), T0 + timedelta(hours=2 * n), 60, fen)
            ids.append(stay.id)
    return ids


def bind(api: Api, headers: dict[str, str], **body: object) -> tuple[int, dict[str, object]]:
    sent = {"zone": "Z1", "space": "S1", "observed_at": SEEN, **PLATE, **body}
    answer = api.client.post("/api/v1/parking/plates", json=sent, headers=headers)
    return answer.status_code, answer.json()


def test_an_attendant_binds_and_an_operator_corrects_with_a_reason(api: Api) -> None:
    (stay,) = stays(api, 500)
    pda = key(api, Role.ATTENDANT, "pda-07", zones=["Z1"])
    status, first = bind(api, pda, source="pda")
    assert (status, first["outcome"], first["stay"], first["plate"]) == (
        201,
        "new",
        stay,
        "粤BD12345",
    )
    assert bind(api, pda)[1]["outcome"] == "same"
    status, clash = bind(api, pda, plate="粤BD12845")
    assert status == 409 and "correction" in str(clash["detail"])
    operator = key(api, Role.PARKING_OPERATOR, "operator-li")
    assert bind(api, operator, plate="粤BD12845", corrects=first["binding"])[0] == 409  # no reason
    status, fixed = bind(
        api, operator, plate="粤BD12845", corrects=first["binding"], reason="PDA misread 8 as 3"
    )
    assert (status, fixed["outcome"]) == (201, "correction")
    with new_db(api.engine) as db:
        rows = [
            (b.plate, b.actor, b.source, b.reason)
            for b in db.scalars(select(PlateBinding).order_by(PlateBinding.id))
        ]
    assert rows == [
        ("粤BD12345", "pda-07", "pda", None),
        ("粤BD12845", "operator-li", "operator", "PDA misread 8 as 3"),
    ]


@pytest.mark.parametrize(
    ("role", "zones", "status"),
    [(Role.VIEWER, None, 403), (Role.DISPATCHER, None, 403), (Role.ATTENDANT, ["Z9"], 403)],
)
def test_only_roles_that_bind_plates_may_and_only_in_their_zones(
    api: Api, role: Role, zones: list[str] | None, status: int
) -> None:
    stays(api, 500)
    assert bind(api, key(api, role, "k", zones))[0] == status
    with new_db(api.engine) as db:
        assert db.scalar(select(PlateBinding.id)) is None


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"plate": "粤B·D1234A"}, 422, "8-character"),
        ({"plate": "XX12345"}, 422, "province"),
        ({"colour": "blue"}, 422, "green"),
        ({"observed_at": (T0 - timedelta(hours=1)).isoformat()}, 404, "no stay"),
        ({"space": "S9"}, 404, "no space"),
        ({"observed_at": "2026-03-02T09:10:00"}, 422, "timezone"),
    ],
)
def test_bad_plate_events_get_clear_errors(
    api: Api, change: dict[str, object], status: int, says: str
) -> None:
    stays(api, 500)
    got, answer = bind(api, key(api, Role.ATTENDANT, "pda"), **change)
    assert got == status and says in str(answer["detail"])


def test_the_operator_sees_which_stays_have_no_plate(api: Api) -> None:
    first, second = stays(api, 500, 300)
    operator = key(api, Role.PARKING_OPERATOR, "op")
    day = T0.astimezone(api.client.app.state.city.tz).date().isoformat()  # type: ignore[attr-defined]
    url = f"/api/v1/parking/plates/unbound?zone=Z1&day={day}"
    assert [s["stay"] for s in api.client.get(url, headers=operator).json()] == [first, second]
    bind(api, operator)
    assert [s["stay"] for s in api.client.get(url, headers=operator).json()] == [second]


def lookup(api: Api, plate: str, colour: str) -> tuple[int, dict[str, object]]:
    answer = api.client.get("/api/v1/driver/charges", params={"plate": plate, "colour": colour})
    return answer.status_code, answer.json()


def test_the_driver_sees_their_unpaid_stays_itemised_and_nothing_of_other_plates(api: Api) -> None:
    mine, theirs = stays(api, 500, 700)
    operator = key(api, Role.PARKING_OPERATOR, "op")
    bind(api, operator)
    bind(
        api,
        operator,
        observed_at=(T0 + timedelta(hours=2, minutes=5)).isoformat(),
        plate="粤BD12346",
    )
    status, answer = lookup(api, "粤bd12345", "green")  # typed in lower case
    assert status == 200 and answer["owed_fen"] == 500
    charges = answer["charges"]
    assert isinstance(charges, list) and len(charges) == 1
    charge = charges[0]
    assert (charge["zone"], charge["space"], charge["owed_fen"]) == ("Z1", "S1", 500)
    assert charge["start"].startswith("2026-03-02T01:00:00")
    assert "粤BD12346" not in str(answer) and theirs != mine


@pytest.mark.parametrize(
    "partial", ["粤BD1234", "粤BD123%", "粤BD1234_", "粤B*", "%", "粤BD12345%", "粤BD1234?", " "]
)
def test_no_partial_or_wildcard_plate_is_looked_up(api: Api, partial: str) -> None:
    stays(api, 500)
    bind(api, key(api, Role.PARKING_OPERATOR, "op"))
    status, answer = lookup(api, partial, "green")
    assert status == 422 and "charges" not in answer


def test_an_unknown_plate_and_a_plate_that_owes_nothing_answer_alike(api: Api) -> None:
    """Nothing in the answer tells whether a plate ever parked: the only way to enumerate."""
    (stay,) = stays(api, 500)
    bind(api, key(api, Role.PARKING_OPERATOR, "op"))
    charge_id = stay  # add_stay makes one charge per stay, in the same order
    with new_db(api.engine) as db:
        from curbside.adapters.records.models import Charge

        charge_id = db.scalar(select(Charge.id).where(Charge.session_id == stay)) or 0
    from tests.records.test_payment_notifications import payment

    assert api.notify(payment(charge_id, 500))[0] == 200
    _, paid = lookup(api, "粤BD12345", "green")
    _, never = lookup(api, "粤BD54321", "green")
    assert (
        {**paid, "plate": ""}
        == {**never, "plate": ""}
        == {
            "plate": "",
            "colour": "green",
            "owed_fen": 0,
            "charges": [],
        }
    )
    # the same plate in another colour is another plate
    assert lookup(api, "粤B12345", "blue")[1]["charges"] == []


def test_lookups_are_rate_limited_per_address_bad_guesses_included(
    engine: Engine, tmp_path: Path
) -> None:
    api = collection_api(engine, tmp_path, payments_lookup_burst=3, payments_lookup_rate_per_s=0.01)
    assert [lookup(api, p, "green")[0] for p in ["粤BD12345", "x", "粤BD12346"]] == [200, 422, 200]
    status, answer = lookup(api, "粤BD12347", "green")
    assert status == 429 and "too many" in str(answer["detail"])


def test_lookups_are_rate_limited_for_all_addresses_together(
    engine: Engine, tmp_path: Path
) -> None:
    api = collection_api(engine, tmp_path, payments_lookup_city_rate_per_s=1)
    assert lookup(api, "粤BD12345", "green")[0] == 200
    assert lookup(api, "粤BD12346", "green")[0] == 429


def test_arrears_by_age_and_the_plates_over_the_threshold(api: Api) -> None:
    old, recent, unbound = stays(api, 6000, 3000, 200)
    operator = key(api, Role.PARKING_OPERATOR, "op")
    bind(api, operator)  # 粤BD12345 on the first stay
    bind(
        api,
        operator,
        observed_at=(T0 + timedelta(hours=2, minutes=5)).isoformat(),
        plate="粤BD12346",
    )
    answer = api.client.get("/api/v1/arrears", headers=operator).json()
    assert answer["owed_fen"] == 9200 and answer["unbound_owed_fen"] == 200
    # all three were billed on 2026-03-02; "today" is the real date, far later: > 90 days
    assert [b["owed_fen"] for b in answer["buckets"]] == [0, 0, 0, 9200]
    assert [(p["plate"], p["owed_fen"]) for p in answer["plates"]] == [("粤BD12345", 6000)]
    lower = api.client.get("/api/v1/arrears?over_fen=100", headers=operator).json()
    assert [p["plate"] for p in lower["plates"]] == ["粤BD12345", "粤BD12346"]
    assert api.client.get("/api/v1/arrears", headers=key(api, Role.VIEWER, "v")).status_code == 403
    assert (old, recent, unbound) != (0, 0, 0)
