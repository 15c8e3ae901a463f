"""Where an open intervention stands for leads, and how dates are written for people."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.dates import human_date, readable_date
from flows.home import OpenStatus, open_status


def test_escalation_beats_progress_and_an_answer_beats_waiting() -> None:
    assert open_status(escalated=True, progress="on_track", checkins_sent=3) is OpenStatus.NO_ANSWER
    assert open_status(escalated=False, progress="blocked", checkins_sent=1) is OpenStatus.BLOCKED
    assert open_status(escalated=False, progress="on_track", checkins_sent=1) is OpenStatus.ON_TRACK
    assert open_status(escalated=False, progress=None, checkins_sent=1) is OpenStatus.AWAITING_ANSWER
    assert open_status(escalated=False, progress=None, checkins_sent=0) is OpenStatus.AWAITING_FIRST


def test_dates_read_in_the_persons_zone_with_a_fallback() -> None:
    moment = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert human_date(moment, "Europe/London") == "Wednesday 2 December at 10:00"
    assert human_date(moment, "America/New_York") == "Wednesday 2 December at 05:00"
    assert human_date(moment, "Not/AZone", fallback="Asia/Tokyo") == "Wednesday 2 December at 19:00"
    assert human_date(moment, None, fallback="Europe/London") == "Wednesday 2 December at 10:00"
    assert readable_date("2026-12-02") == "2 December 2026"
    assert readable_date(None) == "—" and readable_date("next week") == "next week"


def test_a_problem_is_analysed_then_acted_on_and_cancelled_sessions_say_nothing() -> None:
    from flows.home import ProblemStatus, problem_status

    assert problem_status(["completed", "active"], 3) is ProblemStatus.IN_ANALYSIS
    assert problem_status(["paused"], 0) is ProblemStatus.IN_ANALYSIS
    assert problem_status(["completed", "cancelled"], 2) is ProblemStatus.ACTING
    assert problem_status(["completed"], 0) is ProblemStatus.ANALYSED
    assert problem_status(["cancelled"], 0) is None
    assert problem_status([], 0) is None
