"""Plate numbers and colours against GA 36-2018.

SOURCE: GA 36-2018 《中华人民共和国机动车号牌》 (Ministry of Public Security, in force
2018-06-01), 号牌号码编排: province abbreviation + issuing office letter + serial; ordinary
serials 5 characters of digits and letters without I and O; 学/挂/警/港/澳 in the last place of
coach, trailer, police, Hong Kong and Macau plates; new-energy serials 6 characters: small
vehicles D or F (pure electric / not pure electric; the Ministry later opened A B C E and
G H J K) + letter or digit + 4 digits on gradient green, large vehicles 5 digits + D or F on
yellow-green. Each case below is one clause of that text applied by hand, not output of the code.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.collection.plates import (
    PROVINCES,
    PlateColour,
    PlateError,
    PlateKind,
    mask,
    parse_plate,
)

VALID = [
    ("京A12345", "blue", "京A12345", PlateKind.ORDINARY),
    ("粤B·A8C9X", "blue", "粤BA8C9X", PlateKind.ORDINARY),  # letters anywhere in the serial
    ("苏E 12345", "yellow", "苏E12345", PlateKind.ORDINARY),  # large vehicle, same format
    ("粤B·D12345", "green", "粤BD12345", PlateKind.SMALL_NEW_ENERGY),  # D: pure electric
    ("沪AF12345", "green", "沪AF12345", PlateKind.SMALL_NEW_ENERGY),  # F: not pure electric
    ("浙ADF1234", "green", "浙ADF1234", PlateKind.SMALL_NEW_ENERGY),  # 2nd place a letter
    ("川AK12345", "green", "川AK12345", PlateKind.SMALL_NEW_ENERGY),  # extended range A-K
    ("粤B12345D", "yellow_green", "粤B12345D", PlateKind.LARGE_NEW_ENERGY),
    ("鲁B12345F", "yellow_green", "鲁B12345F", PlateKind.LARGE_NEW_ENERGY),
    ("京A1234学", "yellow", "京A1234学", PlateKind.COACH),
    ("冀A1234挂", "yellow", "冀A1234挂", PlateKind.TRAILER),
    ("京A0001警", "white", "京A0001警", PlateKind.POLICE),
    ("粤Z1234港", "black", "粤Z1234港", PlateKind.HONG_KONG_MACAU),
    ("粤Z1234澳", "black", "粤Z1234澳", PlateKind.HONG_KONG_MACAU),
    ("京ａ１２３４５", "blue", "京A12345", PlateKind.ORDINARY),  # full-width, lower case
]

INVALID = [
    ("", "blue", "empty"),
    ("港A12345", "blue", "province"),  # 港 is a suffix, not a province
    ("AA12345", "blue", "province"),
    ("京A1234", "blue", "7 or 8"),  # one character short
    ("京A123456789", "blue", "7 or 8"),
    ("京A1234I", "blue", "no I or O"),  # I is never used
    ("京AO1234", "blue", "no I or O"),  # O is never used
    ("京AX12345", "green", "8-character"),  # X does not start a new-energy serial
    ("京AD1234A", "green", "8-character"),  # the last four are digits
    ("京A1234DF", "yellow_green", "8-character"),  # large: five digits first
    ("京A12345", "green", "ordinary"),  # an ordinary plate is not green
    ("粤BD12345", "blue", "small_new_energy"),  # a new-energy plate is not blue
    ("粤B12345D", "green", "large_new_energy"),  # large new energy is yellow-green
    ("京A1234学", "blue", "coach"),
    ("京A12345", "purple", "unknown plate colour"),
]


@pytest.mark.parametrize(("raw", "colour", "number", "kind"), VALID)
def test_plates_the_standard_allows_are_accepted(
    raw: str, colour: str, number: str, kind: PlateKind
) -> None:
    plate = parse_plate(raw, colour)
    assert (plate.number, plate.kind, plate.colour) == (number, kind, PlateColour(colour))


@pytest.mark.parametrize(("raw", "colour", "says"), INVALID)
def test_plates_the_standard_excludes_are_refused_saying_why(
    raw: str, colour: str, says: str
) -> None:
    with pytest.raises(PlateError, match=says):
        parse_plate(raw, colour)


def test_there_are_31_provinces() -> None:
    # 4 municipalities, 22 provinces, 5 autonomous regions (Hong Kong, Macau, Taiwan excluded)
    assert len(PROVINCES) == 31


SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
ordinary = st.builds(
    lambda p, o, s: p + o + s,
    st.sampled_from(sorted(PROVINCES)),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.text(SERIAL, min_size=5, max_size=5),
)


@given(ordinary)
def test_every_ordinary_plate_parses_and_masks_to_province_office_and_last(number: str) -> None:
    assert parse_plate(number, "blue").number == number
    masked = mask(number)
    assert masked == number[:2] + "****" + number[-1]


@given(st.text(max_size=12))
def test_anything_else_is_a_plate_or_a_plate_error(raw: str) -> None:
    try:
        plate = parse_plate(raw, "blue")
    except PlateError:
        return
    assert plate.number[0] in PROVINCES and len(plate.number) in (7, 8)
