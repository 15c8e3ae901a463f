"""What a person's App Home tab shows, as plain data: buttons to start each template; their sessions
(open and recently finished, with links) and where each stands; the interventions they own with their
next check-ins; for leads, problems by status, recent summaries, every open intervention grouped by
where its check-ins stand (blocked and unanswered first), and the leads settings. Pure: the Slack
adapter reads the database into a :class:`HomePage` and renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.interventions import CheckInAnswer
from flows.report import ClassificationView, CostReport
from flows.themes import ThemeView


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


class ProblemStatus(StrEnum):
    """Where a problem stands, from its sessions and interventions; shown in this order."""

    IN_ANALYSIS = "in_analysis"  # a session on it is running or paused
    ACTING = "acting"  # analysed, with open interventions
    ANALYSED = "analysed"  # analysed, nothing open


def problem_status(session_statuses: Iterable[str], open_interventions: int) -> ProblemStatus | None:
    """A problem with a running or paused session is being analysed; else, once a session is
    completed, it is being acted on while any intervention is open; cancelled sessions alone say
    nothing (None)."""
    statuses = set(session_statuses)
    if statuses & {"active", "paused"}:
        return ProblemStatus.IN_ANALYSIS
    if "completed" not in statuses:
        return None
    return ProblemStatus.ACTING if open_interventions else ProblemStatus.ANALYSED


@dataclass(frozen=True)
class SessionEntry:
    """One of the person's sessions: where it runs and the question it is at (or when it finished)."""

    session_id: int
    title: str
    paused: bool
    step: str
    channel_id: str
    is_dm: bool
    # The thread's permalink (asked of Slack after the page is read); None in a DM or if Slack had none.
    link: str | None = None
    thread_ts: str | None = None
    # For a finished session: the day it finished, already written for the reader, and its problem.
    finished: str | None = None
    problem: str = ""


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
class ProblemEntry:
    """A problem as leads see it: its statement, where it stands and its sessions."""

    problem_id: int | None
    statement: str
    status: ProblemStatus
    session_ids: tuple[int, ...]
    open_interventions: int = 0


@dataclass(frozen=True)
class TemplateChoice:
    template_id: str
    title: str


@dataclass(frozen=True)
class LeadsSettings:
    """The workspace's leads settings as they are in effect, for reading (changing them is a
    command for a Slack workspace admin or a lead)."""

    leads_channel: str | None
    lead_ids: tuple[str, ...]
    hourly_rate: str  # already written as money
    weeks_per_year: str
    nation: str
    retention_days: int


@dataclass(frozen=True)
class LeadsHome:
    summaries: tuple[SummaryEntry, ...]
    open_interventions: tuple[InterventionEntry, ...]
    problems: tuple[ProblemEntry, ...] = ()
    # Problems counted by status, including those the lead may not see listed.
    problem_counts: tuple[tuple[ProblemStatus, int], ...] = ()
    settings: LeadsSettings | None = None
    # Themes across the workspace as this lead may read them (private root causes counted only).
    themes: tuple[ThemeView, ...] = ()


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
    # The templates a session can be started with, from the Home tab.
    templates: tuple[TemplateChoice, ...] = ()
    # The person's recently finished sessions.
    finished: tuple[SessionEntry, ...] = ()
