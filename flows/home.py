"""What a person's App Home tab shows, as plain data: their sessions and where each stands, the
interventions they own; for leads, recent summaries and every open intervention grouped by where its
check-ins stand. Pure: the Slack adapter reads the database into a :class:`HomePage` and renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.interventions import CheckInAnswer
from flows.report import ClassificationView, CostReport


class OpenStatus(StrEnum):
    """Where an open intervention stands, as leads see it; the groups are shown in this order."""

    BLOCKED = "blocked"
    NO_ANSWER = "no_answer"  # escalated: the last two check-ins went unanswered
    AWAITING_ANSWER = "awaiting_answer"
    ON_TRACK = "on_track"
    AWAITING_FIRST = "awaiting_first"


def open_status(*, escalated: bool, progress: str | None, checkins_sent: int) -> OpenStatus:
    """An escalated intervention is "no answer" whatever it last reported; otherwise its latest
    progress, else whether a check-in has been sent and is waiting for an answer."""
    if escalated:
        return OpenStatus.NO_ANSWER
    if progress == CheckInAnswer.BLOCKED:
        return OpenStatus.BLOCKED
    if progress == CheckInAnswer.ON_TRACK:
        return OpenStatus.ON_TRACK
    return OpenStatus.AWAITING_ANSWER if checkins_sent else OpenStatus.AWAITING_FIRST


@dataclass(frozen=True)
class SessionEntry:
    """One of the person's unfinished sessions: where it runs and the question it is at."""

    session_id: int
    title: str
    paused: bool
    step: str
    channel_id: str
    is_dm: bool


@dataclass(frozen=True)
class InterventionEntry:
    """An open intervention with its next check-in (UTC) and its owner's Slack time zone (None until
    Slack has told us; the page's zone is used then)."""

    session_id: int
    what: str
    cadence: str
    owner_id: str
    next_checkin_at: datetime | None
    owner_tz: str | None
    progress: str | None
    progress_reason: str | None
    # Where its check-ins stand, for the leads' grouping (None in the owner's own list).
    status: OpenStatus | None = None


@dataclass(frozen=True)
class SummaryEntry:
    """A recently completed session, as its problem's report describes it."""

    session_id: int
    title: str
    problem: str
    classification: ClassificationView | None
    completed: str  # when, already written in the workspace's time zone
    # The problem's cost a year and who bears it (the same figures as every other output).
    costs: CostReport | None = None


@dataclass(frozen=True)
class LeadsHome:
    summaries: tuple[SummaryEntry, ...]
    open_interventions: tuple[InterventionEntry, ...]


@dataclass(frozen=True)
class HomePage:
    locale: str
    # The workspace's time zone: for an owner whose own zone isn't known.
    timezone: str
    # The sessions shown (most recently active first) and how many more there are.
    sessions: tuple[SessionEntry, ...]
    more_sessions: int
    interventions: tuple[InterventionEntry, ...]
    # Only for leads.
    leads: LeadsHome | None = None
