"""Chinese motor-vehicle plates: what a valid plate number is, and which colours it may have.

The formats follow GA 36-2018 (中华人民共和国机动车号牌, the Ministry of Public Security's
standard for motor-vehicle plates), section on plate numbers (号牌号码编排):

- a plate number is the province's one-character abbreviation, the issuing office's letter,
  then the serial number;
- ordinary plates have a 5-character serial of digits and letters (I and O are never used, so
  they cannot be misread as 1 and 0); a coach, trailer, police, Hong Kong or Macau plate ends its
  serial with 学, 挂, 警, 港 or 澳 in place of the last character;
- new-energy plates have a 6-character serial: on small vehicles (gradient green) the first
  character is D or F (D pure electric, F otherwise; later extended to A B C E and G H J K),
  the second a letter or digit, the last four digits; on large vehicles (yellow-green) the first
  five are digits and the sixth is D or F.

The separator dot drawn on plates (京A·12345), spaces and full-width characters are accepted
and removed; letters are upper-cased.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# The 31 provincial-level divisions of the mainland, as their one-character abbreviations.
PROVINCES = frozenset("京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新")

_LETTER = "A-HJ-NP-Z"  # I and O are never used in plate numbers
_SERIAL_CHAR = f"[{_LETTER}0-9]"
_OFFICE = "[A-Z]"
_PROVINCE = "[" + "".join(sorted(PROVINCES)) + "]"

# Small new-energy plates: pure electric D A B C E, other new energy F G H J K.
_SMALL_NEW_ENERGY = f"[DABCEFGHJK]{_SERIAL_CHAR}[0-9]{{4}}"
_LARGE_NEW_ENERGY = "[0-9]{5}[DF]"
_SUFFIXED = f"{_SERIAL_CHAR}{{4}}[学挂警港澳]"


class PlateColour(StrEnum):
    """The plate's background colour, which tells vehicle classes apart (GA 36-2018)."""

    BLUE = "blue"  # small vehicles
    YELLOW = "yellow"  # large vehicles, coaches, trailers
    GREEN = "green"  # small new-energy vehicles (gradient green)
    YELLOW_GREEN = "yellow_green"  # large new-energy vehicles
    BLACK = "black"  # Hong Kong and Macau vehicles entering the mainland, foreign vehicles
    WHITE = "white"  # police vehicles


class PlateKind(StrEnum):
    """Which format a plate number has."""

    ORDINARY = "ordinary"
    SMALL_NEW_ENERGY = "small_new_energy"
    LARGE_NEW_ENERGY = "large_new_energy"
    COACH = "coach"
    TRAILER = "trailer"
    POLICE = "police"
    HONG_KONG_MACAU = "hong_kong_macau"


_FORMATS: tuple[tuple[PlateKind, re.Pattern[str]], ...] = (
    (PlateKind.ORDINARY, re.compile(f"{_PROVINCE}{_OFFICE}{_SERIAL_CHAR}{{5}}")),
    (PlateKind.SMALL_NEW_ENERGY, re.compile(f"{_PROVINCE}{_OFFICE}{_SMALL_NEW_ENERGY}")),
    (PlateKind.LARGE_NEW_ENERGY, re.compile(f"{_PROVINCE}{_OFFICE}{_LARGE_NEW_ENERGY}")),
    (PlateKind.COACH, re.compile(f"{_PROVINCE}{_OFFICE}{_SUFFIXED}")),
)

_SUFFIX_KIND = {
    "学": PlateKind.COACH,
    "挂": PlateKind.TRAILER,
    "警": PlateKind.POLICE,
    "港": PlateKind.HONG_KONG_MACAU,
    "澳": PlateKind.HONG_KONG_MACAU,
}

_COLOURS: dict[PlateKind, frozenset[PlateColour]] = {
    PlateKind.ORDINARY: frozenset({PlateColour.BLUE, PlateColour.YELLOW, PlateColour.BLACK}),
    PlateKind.SMALL_NEW_ENERGY: frozenset({PlateColour.GREEN}),
    PlateKind.LARGE_NEW_ENERGY: frozenset({PlateColour.YELLOW_GREEN}),
    PlateKind.COACH: frozenset({PlateColour.YELLOW}),
    PlateKind.TRAILER: frozenset({PlateColour.YELLOW}),
    PlateKind.POLICE: frozenset({PlateColour.WHITE}),
    PlateKind.HONG_KONG_MACAU: frozenset({PlateColour.BLACK}),
}

_DROPPED = str.maketrans("", "", " ·•.-\u00b7\u30fb")


class PlateError(ValueError):
    """A plate number or colour that no Chinese plate can have; the message says why."""


@dataclass(frozen=True, slots=True)
class Plate:
    """A valid plate: its normalised number, its format and its colour."""

    number: str
    kind: PlateKind
    colour: PlateColour


def normalise(raw: str) -> str:
    """The plate number as stored: full-width folded, separators removed, upper case."""
    return unicodedata.normalize("NFKC", raw).translate(_DROPPED).upper()


def plate_kind(number: str) -> PlateKind:
    """The format of a normalised plate number; PlateError says what is wrong with it."""
    if not number:
        raise PlateError("the plate number is empty")
    if number[0] not in PROVINCES:
        raise PlateError(f"{number[:1]!r} is not a province abbreviation")
    if len(number) not in (7, 8):
        raise PlateError(f"a plate number has 7 or 8 characters, this one {len(number)}")
    for kind, pattern in _FORMATS:
        if pattern.fullmatch(number):
            return _SUFFIX_KIND.get(number[-1], kind)
    if len(number) == 8:
        raise PlateError(
            "an 8-character (new-energy) serial is D/F (or A-K) + letter or digit + 4 digits, "
            "or 5 digits + D/F"
        )
    raise PlateError(
        "a 7-character plate is province + office letter + 5 digits or letters (no I or O)"
    )


def parse_plate(raw: str, colour: str) -> Plate:
    """A validated plate from what a PDA, a video pole or a person typed."""
    number = normalise(raw)
    kind = plate_kind(number)
    try:
        plate_colour = PlateColour(colour)
    except ValueError:
        known = ", ".join(c.value for c in PlateColour)
        raise PlateError(f"unknown plate colour {colour!r} (one of {known})") from None
    if plate_colour not in _COLOURS[kind]:
        allowed = ", ".join(sorted(c.value for c in _COLOURS[kind]))
        raise PlateError(f"{kind.value} plates are {allowed}, not {plate_colour.value}")
    return Plate(number, kind, plate_colour)


def mask(number: str) -> str:
    """The plate as logs show it: the province and office kept, the serial hidden except its
    last character (粤B****5), so a log line is useful without naming a vehicle."""
    if len(number) <= 3:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 3) + number[-1]
