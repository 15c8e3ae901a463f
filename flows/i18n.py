"""Localised text: every user-facing string lives in YAML under a locale key.

`LocalText` is a mapping such as ``{"en": "Why does that happen?"}``. English is required; other locales
fall back to it, so a new locale can be added one string at a time without code changes.
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


class LocalText(RootModel[dict[str, str]]):
    """Text in one or more locales; ``en`` is always present."""

    @field_validator("root")
    @classmethod
    def _english_required(cls, value: dict[str, str]) -> dict[str, str]:
        if DEFAULT_LOCALE not in value or not value[DEFAULT_LOCALE].strip():
            raise ValueError(f"text needs an '{DEFAULT_LOCALE}' entry")
        return value

    def get(self, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
        """The text in ``locale`` (else English), with ``{placeholders}`` filled from ``values``."""
        raw = self.root.get(locale) or self.root[DEFAULT_LOCALE]
        return fill(raw, values)


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
    return ", ".join(items[:-1]) + t("list_and", locale) + items[-1]


def message_keys() -> frozenset[str]:
    return frozenset(_catalogue())
