"""When the weekly digest is due and which week it covers; what its counts say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.calendar import WorkingCalendar
from flows.digest import (
    classification_counts,
    digest_for_send_week,
    due_digest,
    due_moment,
    intervention_state,
)
from flows.report import ClassificationView, InterventionView, ProblemReport

ENGLAND = WorkingCalendar("england-and-wales")
SCOTLAND = WorkingCalendar("scotland")
LONDON = "Europe/London"


def test_due_on_monday_at_nine_local_in_winter_and_summer() -> None:
    assert due_moment(date(2026, 12, 2), tz=LONDON, calendar=ENGLAND) == datetime(2026, 11, 30, 9, tzinfo=UTC)
    # British Summer Time: 09:00 in London is 08:00 UTC.
    assert due_moment(date(2027, 6, 10), tz=LONDON, calendar=ENGLAND) == datetime(2027, 6, 7, 8, tzinfo=UTC)


def test_easter_monday_moves_the_digest_to_tuesday_where_it_is_a_bank_holiday() -> None:
    # Easter Monday 2027 is 29 March: a bank holiday in England and Wales, not in Scotland.
    assert due_moment(date(2027, 3, 29), tz=LONDON, calendar=ENGLAND) == datetime(2027, 3, 30, 8, tzinfo=UTC)
    assert due_moment(date(2027, 3, 29), tz=LONDON, calendar=SCOTLAND) == datetime(2027, 3, 29, 8, tzinfo=UTC)


def test_nothing_is_due_before_the_time_and_the_previous_week_after_it() -> None:
    assert due_digest(datetime(2026, 11, 30, 8, 59, tzinfo=UTC), tz=LONDON, calendar=ENGLAND) is None
    due = due_digest(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tz=LONDON, calendar=ENGLAND)
    assert due is not None and due.send_week == "2026-W49"
    assert (due.covers.start, due.covers.end) == (date(2026, 11, 23), date(2026, 11, 30))
    assert due.covers.starts_at == datetime(2026, 11, 23, 0, tzinfo=UTC)
    # Later in the week the same digest is owed (a worker that was down sends it late, once).
    later = due_digest(datetime(2026, 12, 3, 15, 0, tzinfo=UTC), tz=LONDON, calendar=ENGLAND)
    assert later == due
    # On the Tuesday after Easter Monday, not before 09:00 local.
    assert due_digest(datetime(2027, 3, 29, 12, 0, tzinfo=UTC), tz=LONDON, calendar=ENGLAND) is None
    assert due_digest(datetime(2027, 3, 30, 7, 59, tzinfo=UTC), tz=LONDON, calendar=ENGLAND) is None
    easter = due_digest(datetime(2027, 3, 30, 8, 0, tzinfo=UTC), tz=LONDON, calendar=ENGLAND)
    assert easter is not None and easter.covers.start == date(2027, 3, 22)


def test_the_iso_week_key_crosses_the_year() -> None:
    assert digest_for_send_week(date(2027, 1, 4), LONDON).send_week == "2027-W01"
    assert digest_for_send_week(date(2026, 12, 31), LONDON).send_week == "2026-W53"


def _report(session_id: int, scope: str, category: str) -> ProblemReport:
    view = ClassificationView(
        scope=scope, category=category, status="confirmed", proposed_scope=scope, proposed_category=category
    )
    return ProblemReport(
        session_id=session_id, template_id="five-whys", title="Five whys", problem="p", classification=view
    )


def test_classification_counts_with_the_change_on_last_week() -> None:
    this_week = [
        _report(1, "service", "data"),
        _report(2, "service", "data"),
        _report(3, "product", "technology"),
    ]
    last_week = [_report(4, "service", "data"), _report(5, "council-wide", "funding-investment")]
    counts = {(c.scope, c.category): (c.count, c.change) for c in classification_counts(this_week, last_week)}
    assert counts == {
        ("service", "data"): (2, 1),
        ("product", "technology"): (1, 1),
        ("council-wide", "funding-investment"): (0, -1),
    }


@pytest.mark.parametrize(
    ("status", "progress", "first", "expected"),
    [
        ("done", None, "2026-11-01", "done"),
        ("not_doing", None, "2026-11-01", None),
        ("open", "blocked", "2026-11-01", "blocked"),
        ("open", None, "2026-11-01", "overdue"),
        ("open", "on_track", "2026-11-01", "on_track"),
        ("open", None, "2026-12-09", "on_track"),
    ],
)
def test_intervention_states(status: str, progress: str | None, first: str, expected: str | None) -> None:
    item = InterventionView(session_id=1, what="x", first_checkin=first, status=status, progress=progress)
    assert intervention_state(item, date(2026, 11, 30)) == expected
