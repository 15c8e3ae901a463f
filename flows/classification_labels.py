"""The labels of a classification: where a root cause lies and what kind of cause it is."""

from __future__ import annotations

from typing import Literal, get_args

Scope = Literal["product", "service", "council-wide"]
Category = Literal[
    "people-skills",
    "process",
    "technology",
    "data",
    "governance-policy",
    "funding-investment",
    "procurement-market",
    "culture-leadership",
    "external-statutory",
]
SCOPES: tuple[Scope, ...] = get_args(Scope)
CATEGORIES: tuple[Category, ...] = get_args(Category)
