"""A display name in Chinese and English, as the registry gives tariffs, zones and districts.

The registry writes ``name: {zh: 人民路, en: Renmin Road}``. A plain ``name: Main`` (how older
registries wrote it) is a name in no stated language: it is shown in both, and start-up
reports it, as it reports a name given in one language only (the other language shows it).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
_Text = Annotated[str, Field(min_length=1, max_length=100)]


def _plain(value: object) -> object:
    return {"plain": value} if isinstance(value, str) else value


class DisplayName(BaseModel):
    """A name for people, in both languages (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: _Text | None = None
    en: _Text | None = None
    plain: _Text | None = Field(None, description="a name in no stated language (older files)")

    @model_validator(mode="after")
    def _some_name(self) -> Self:
        if self.zh is None and self.en is None and self.plain is None:
            raise ValueError("give the name in zh, en or both")
        return self

    def text(self, language: Language) -> str:
        """The name in ``language``; else the plain one; else the other language's."""
        other: Language = "en" if language == "zh" else "zh"
        found = getattr(self, language) or self.plain or getattr(self, other)
        assert isinstance(found, str)  # the validator saw to one of them
        return found

    def missing(self) -> list[Language]:
        """The languages the registry gave no name in."""
        return [lang for lang in LANGUAGES if getattr(self, lang) is None]

    def both(self) -> dict[Language, str]:
        """``{"zh": ..., "en": ...}``, each falling back as :meth:`text` does."""
        return {lang: self.text(lang) for lang in LANGUAGES}

    def __str__(self) -> str:
        """Both names, as the single ``name`` field API clients read: ``人民路 Renmin Road``."""
        return " ".join(dict.fromkeys(self.both().values()))


Named = Annotated[DisplayName, BeforeValidator(_plain)]
"""A registry ``name`` field: a :class:`DisplayName`, or a plain string for one."""
