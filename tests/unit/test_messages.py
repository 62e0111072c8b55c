"""The message catalogue: every code Curbside emits is in it, with Chinese and English text
whose placeholders are exactly the code's parameters, each text in its own language."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import curbside
from curbside.domain.cases.document import event_message
from curbside.domain.cases.verification import FactKind
from curbside.vocabulary.cases import SUPERVISOR_ROLE, SYSTEM_ACTOR, CaseEvent, CaseEventKind
from curbside.vocabulary.messages import (
    CATALOGUE,
    PLACEHOLDER,
    Choice,
    Message,
    message_from_document,
)

SOURCE = Path(curbside.__file__).parent
CODE = re.compile(r"^(bin|device|space|fee|case|plan)\.[a-z_.]+$")
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# Latin letters a Chinese text may hold: the units volt and degree Celsius (GB 3102 symbols,
# written the same in Chinese text).
ZH_UNITS = re.compile(r"°C|\bV\b")


def _texts() -> list[tuple[str, str, str]]:
    """(where, zh, en) for every text: each code's, and each choice's."""
    found = [(code, p.zh, p.en) for code, p in CATALOGUE.items()]
    for code, phrase in CATALOGUE.items():
        for name, kind in phrase.params.items():
            if isinstance(kind, Choice):
                found.extend((f"{code}.{name}={v}", zh, en) for v, (zh, en) in kind.texts.items())
    return found


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_both_texts_use_exactly_the_codes_parameters(code: str) -> None:
    phrase = CATALOGUE[code]
    assert phrase.zh.strip() and phrase.en.strip()
    assert sorted(PLACEHOLDER.findall(phrase.zh)) == sorted(phrase.params)
    assert sorted(PLACEHOLDER.findall(phrase.en)) == sorted(phrase.params)


@pytest.mark.parametrize(("where", "zh", "en"), _texts(), ids=[w for w, _, _ in _texts()])
def test_chinese_text_has_no_latin_and_english_no_chinese(where: str, zh: str, en: str) -> None:
    bare_zh = ZH_UNITS.sub("", PLACEHOLDER.sub("", zh))
    assert not re.search(r"[A-Za-z]", bare_zh), f"{where}: Latin letters in {zh!r}"
    assert not CJK.search(en), f"{where}: Chinese in {en!r}"


def _literal_codes() -> dict[str, str]:
    """Every string literal in curbside/ shaped like a code, with the file it is in."""
    found = {}
    for path in SOURCE.rglob("*.py"):
        if path.name == "messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and CODE.match(str(node.value)):
                found[str(node.value)] = str(path.relative_to(SOURCE))
    return found


def test_every_code_in_the_source_is_in_the_catalogue() -> None:
    codes = _literal_codes()
    assert len(codes) >= 15  # the scan finds the rules' codes at all
    assert {c: where for c, where in codes.items() if c not in CATALOGUE} == {}


def test_every_catalogued_code_is_emitted_somewhere() -> None:
    emitted = set(_literal_codes()) | {f"case.{kind}" for kind in CaseEventKind}
    assert sorted(set(CATALOGUE) - emitted) == []


def test_a_message_is_checked_against_the_catalogue() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        Message("bin.burning", {})
    with pytest.raises(ValueError, match="takes"):
        Message("bin.full", {"fill_pct": 97})
    with pytest.raises(ValueError, match="not a choice"):
        Message("fee.flat", {"units": 1, "unit_fen": 600, "day": "holiday"})


def test_a_message_travels_as_a_document_and_back() -> None:
    said = Message("bin.full", {"fill_pct": 97.5, "limit_pct": 80})
    assert said.document() == {"code": "bin.full", "params": {"fill_pct": 97.5, "limit_pct": 80}}
    assert message_from_document(said.document()) == said
    assert message_from_document(None) is None  # stored before codes: the English detail shows
    with pytest.raises(TypeError):
        message_from_document("fill 97 %")


def test_every_case_step_says_itself_in_the_catalogue() -> None:
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    bases = ["person"] + [f"data:{kind}" for kind in FactKind]
    events = [CaseEvent("c", 2, CaseEventKind.VERIFIED, at, "x", basis=b) for b in bases]
    events += [
        CaseEvent("c", 1, CaseEventKind.OPENED, at, SYSTEM_ACTOR),
        CaseEvent("c", 2, CaseEventKind.DISPATCHED, at, "x", assignee="T1"),
        CaseEvent("c", 3, CaseEventKind.HANDLED, at, "x"),
        CaseEvent("c", 4, CaseEventKind.REWORK, at, "x", basis="person"),
        CaseEvent("c", 5, CaseEventKind.CLOSED, at, "x"),
        CaseEvent("c", 6, CaseEventKind.ESCALATED, at, SYSTEM_ACTOR, basis=SUPERVISOR_ROLE),
    ]
    said = [event_message(e) for e in events]  # a code or parameter not catalogued raises
    assert {m.code for m in said} == {f"case.{kind}" for kind in CaseEventKind}
    assert said[0].params == {"basis": "person"}
