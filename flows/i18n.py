"""Localised text: every user-facing string lives in YAML under a locale key.

`LocalText` is a mapping such as ``{"en": "Why does that happen?", "cy": "Pam mae hynny'n digwydd?"}``.
English is required. Every text also has Welsh: ``flows/translations.py`` and its test fail the build if
one lacks it, so the fallback to English in :meth:`LocalText.get` is never reached for ``cy``.

The bot's locales are ``en`` and ``cy``, plus :data:`BILINGUAL` for what a workspace that works in both
languages posts to its channels: each text in Welsh, then in English (Welsh first, as the Welsh Language
Standards ask of bilingual material).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import RootModel, field_validator

DEFAULT_LOCALE = "en"
WELSH = "cy"
# Welsh first, then English: what a bilingual workspace posts where everyone reads it.
BILINGUAL = "cy+en"
LOCALES = (DEFAULT_LOCALE, WELSH)
# A text this short (and on one line) is written "Cymraeg / English"; a longer one puts the English on
# the next line.
_INLINE_BILINGUAL = 60


class LocalText(RootModel[dict[str, str]]):
    """Text in one or more locales; ``en`` is always present."""

    @field_validator("root")
    @classmethod
    def _english_required(cls, value: dict[str, str]) -> dict[str, str]:
        if DEFAULT_LOCALE not in value or not value[DEFAULT_LOCALE].strip():
            raise ValueError(f"text needs an '{DEFAULT_LOCALE}' entry")
        return value

    def get(self, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
        """The text in ``locale`` (else English), with ``{placeholders}`` filled from ``values``; for
        :data:`BILINGUAL`, the Welsh then the English."""
        if locale == BILINGUAL:
            return bilingual(self.get(WELSH, **values), self.get(DEFAULT_LOCALE, **values))
        raw = self.root.get(locale) or self.root[DEFAULT_LOCALE]
        return fill(raw, values)


def bilingual(welsh: str, english: str) -> str:
    """One text in both languages, Welsh first: ``Hepgor / Skip`` when short, else the English on
    the line after the Welsh."""
    if welsh == english:
        return welsh
    if "\n" in welsh or "\n" in english or len(welsh) + len(english) > _INLINE_BILINGUAL:
        return f"{welsh}\n{english}"
    return f"{welsh} / {english}"


def language_of(locale: str) -> str:
    """The one language whose conventions (dates, numbers, parsing) ``locale`` follows: Welsh for a
    bilingual text, since its Welsh comes first."""
    return WELSH if locale == BILINGUAL else locale if locale in LOCALES else DEFAULT_LOCALE


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


_FORMATTER = string.Formatter()


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``str.format`` that leaves unknown placeholders empty and never evaluates attributes."""
    safe = _Blank({k: v for k, v in values.items()})
    parts: list[str] = []
    for literal, field, _spec, _conv in _FORMATTER.parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(str(safe[field]) if field.isidentifier() else "")
    return "".join(parts)


@cache
def _catalogue() -> dict[str, LocalText]:
    text = resources.files("flows").joinpath("templates/_messages.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return {key: LocalText.model_validate(value) for key, value in raw.items()}


def t(key: str, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
    """A message from ``flows/templates/_messages.yaml``."""
    return _catalogue()[key].get(locale, **values)


def join_and(items: Sequence[str], locale: str = DEFAULT_LOCALE) -> str:
    """``a``, ``a and b``, ``a, b and c``, with the locale's word for "and"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t("list_and", language_of(locale)) + items[-1]


def message_keys() -> frozenset[str]:
    return frozenset(_catalogue())


def catalogue() -> dict[str, LocalText]:
    """Every message in the catalogue, by key (for checks of its translations)."""
    return dict(_catalogue())
