"""Interventions from a session's answers, and an owner's typed answer to a check-in. Pure.

A five-whys session ends with a list of interventions (what, owner, first check-in, cadence); each
complete item becomes an intervention with scheduled check-ins. An owner answers a check-in with a
button or by typing (``on track``, ``blocked: supplier late``, ``done``, ``not doing: no budget``,
``snooze``, ``snooze week``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import cast

from flows.calendar import Cadence
from flows.engine import Answer, items_of

INTERVENTIONS_REPEAT = "interventions"
CADENCES: tuple[Cadence, ...] = ("weekly", "fortnightly", "monthly")
MAX_REASON = 1000


class CheckInAnswer(StrEnum):
    """What an owner can say to a check-in (stored as the response's kind)."""

    ON_TRACK = "on_track"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_DOING = "not_doing"
    SNOOZE_DAY = "snooze_day"
    SNOOZE_WEEK = "snooze_week"

    @property
    def closes(self) -> bool:
        return self in (CheckInAnswer.DONE, CheckInAnswer.NOT_DOING)

    @property
    def snoozes(self) -> bool:
        return self in (CheckInAnswer.SNOOZE_DAY, CheckInAnswer.SNOOZE_WEEK)

    @property
    def needs_reason(self) -> bool:
        return self in (CheckInAnswer.BLOCKED, CheckInAnswer.NOT_DOING)


@dataclass(frozen=True)
class NewIntervention:
    what: str
    owner_id: str
    first_due: date
    cadence: Cadence


def interventions_from_answers(answers: Mapping[str, Answer]) -> list[tuple[int, NewIntervention]]:
    """The complete items of a session's ``interventions`` list, as (item number, intervention)."""
    found: list[tuple[int, NewIntervention]] = []
    for item, what in items_of(answers, INTERVENTIONS_REPEAT, "what"):
        parts = {
            step: answers.get(f"{INTERVENTIONS_REPEAT}.{item}.{step}")
            for step in ("owner", "first_checkin", "cadence")
        }
        owner, first, cadence = parts["owner"], parts["first_checkin"], parts["cadence"]
        if owner is None or first is None or cadence is None or cadence.value not in CADENCES:
            continue
        try:
            first_due = date.fromisoformat(str(first.value))
        except ValueError:
            continue
        found.append(
            (item, NewIntervention(str(what), str(owner.value), first_due, cast(Cadence, cadence.value)))
        )
    return found


@dataclass(frozen=True)
class ParsedCheckInReply:
    kind: CheckInAnswer
    reason: str | None = None


# English, then Welsh (``rhwystr: y cyflenwr yn hwyr``, ``ddim yn bwrw ymlaen oherwydd …``): every form
# works whatever the person's language.
_REASON_SEPARATOR = r"\s*(?:[:\-–—,]|because|as|due to|oherwydd|achos|gan fod)?\s*"
_PATTERNS: tuple[tuple[CheckInAnswer, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE | re.DOTALL))
    for kind, pattern in (
        (
            CheckInAnswer.ON_TRACK,
            r"(?:on[\s-]?track|going (?:well|fine|ok)|fine|good|ok"
            r"|ar y trywydd(?: iawn)?|(?:yn )?mynd yn dda)",
        ),
        (
            CheckInAnswer.DONE,
            r"(?:done|complete|completed|finished|it'?s done"
            r"|wedi gorffen|gorffen|wedi'?i wneud|wedi'?i gwblhau|wedi cwblhau)",
        ),
        (
            CheckInAnswer.SNOOZE_WEEK,
            r"(?:snooze\s*(?:for\s+)?(?:a|1|one)?|gohirio\s*(?:am\s+)?(?:un|1)?)\s*(?:week|wythnos)",
        ),
        (
            CheckInAnswer.SNOOZE_DAY,
            r"snooze(?:\s*(?:for\s+)?(?:(?:a|1|one)\s*day|tomorrow))?"
            r"|gohirio(?:\s*(?:am\s+)?(?:(?:un|1)\s*diwrnod|tan yfory))?",
        ),
        (
            CheckInAnswer.BLOCKED,
            rf"(?:blocked|rhwystr|wedi'?i rwystro|yn sownd)(?:{_REASON_SEPARATOR}(?P<reason>.+))?",
        ),
        (
            CheckInAnswer.NOT_DOING,
            r"(?:not doing|not going ahead|won'?t do|dropped"
            r"|(?:ddim|dim) yn bwrw ymlaen|(?:ddim|dim) am (?:ei )?wneud)"
            rf"(?:{_REASON_SEPARATOR}(?P<reason>.+))?",
        ),
    )
)


def parse_checkin_reply(text: str) -> ParsedCheckInReply | None:
    """A typed check-in answer, or None if it is not one. The reason keeps the person's own wording; a
    missing reason is None (the caller asks for one)."""
    normalised = re.sub(r"\s+", " ", text).strip(" .!")
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(normalised)
        if match is None:
            continue
        reason = match.groupdict().get("reason")
        return ParsedCheckInReply(kind, reason.strip()[:MAX_REASON] or None if reason else None)
    return None
