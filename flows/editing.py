"""Editing answers after the fact: which answers a person may change, and reading their changes.

A change is read exactly as a reply in the thread would be (:func:`flows.engine.read_answer`), so the
edit form accepts the same answers and gives the same explanations. Storing it as a new version (who,
when) is the adapter's job; the summary always uses the latest version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flows.engine import (
    Answer,
    Change,
    Rejection,
    ReplyContext,
    display_value,
    position_of,
    read_answer,
    walk,
)
from flows.schema import Template

# Slack allows 100 blocks in a modal: one goes to the introduction.
MAX_EDITABLE = 99


@dataclass(frozen=True)
class Editable:
    """One answer as the edit form shows it: ``text`` is what the person typed (or its reading)."""

    key: str
    label: str
    text: str
    optional: bool
    max_length: int


def editable_answers(
    template: Template,
    answers: Mapping[str, Answer],
    raw_texts: Mapping[str, str | None],
    *,
    user: str,
    may_steer: bool,
    locale: str,
) -> list[Editable]:
    """The answers ``user`` may change, in question order: all of them for the facilitator or a lead,
    otherwise the ones they gave. The latest answers are kept when there are more than a form holds."""
    found: list[Editable] = []
    for key in walk(template, answers).answered:
        position = position_of(template, key)
        answer = answers[key]
        if position is None or answer.skipped:
            continue
        if not may_steer and answer.author not in (None, user):
            continue
        step = position.step
        raw = raw_texts.get(key)
        text = raw if raw and raw.strip() else display_value(answer.value, None, locale)
        found.append(
            Editable(
                key=key,
                label=step.title(locale, position.item),
                text=text[: step.max_length],
                optional=step.optional,
                max_length=step.max_length,
            )
        )
    return found[-MAX_EDITABLE:]


@dataclass(frozen=True)
class EditResult:
    changes: tuple[Change, ...]
    # Answer key -> why the new text was not accepted (with examples).
    errors: dict[str, str]


def read_edits(
    template: Template,
    answers: Mapping[str, Answer],
    edits: Mapping[str, str],
    allowed: Mapping[str, Editable],
    ctx: ReplyContext,
) -> EditResult:
    """Changes for every edited text that differs from what is stored; errors for unreadable ones.
    Keys not in ``allowed`` (forged, or no longer editable) are ignored."""
    changes: list[Change] = []
    errors: dict[str, str] = {}
    for key, text in edits.items():
        current = allowed.get(key)
        position = position_of(template, key)
        if current is None or position is None or text.strip() == current.text.strip():
            continue
        read = read_answer(position.step, text, answers, ctx)
        if isinstance(read, Rejection):
            errors[key] = read.message
        else:
            changes.append(Change(key, read.value))
    return EditResult(tuple(changes), errors)
