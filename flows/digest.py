"""The weekly digest for leads: when it is due, which week it covers, and what it says.

Pure: no Slack, no SQL. Every figure comes from :class:`flows.report.ProblemReport` (one per problem
that had a session finish in the week); the digest only picks, counts and orders those reports, so a
cost or an intervention reads the same here as in the leads post, the exports and the Word paper.

When: Monday at 09:00 in the workspace's time zone, or at 09:00 on the first working day after it
when Monday is a bank holiday in the workspace's nation (Easter Monday → Tuesday). The digest sent in
ISO week *W* covers the whole of week *W − 1* (Monday 00:00 to Monday 00:00, local time) and compares
it with *W − 2*.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from flows.calendar import WorkingCalendar, resolve_tz
from flows.costs import BEARERS
from flows.report import BearerTotal, InterventionView, ProblemReport
from flows.themes import ThemeView

DIGEST_HOUR = 9
SHOWN_COSTLIEST = 5
CLOSED_STATUSES = frozenset({"not_doing", "owner_left"})

InterventionState = Literal["on_track", "blocked", "overdue", "done"]
INTERVENTION_STATES: tuple[InterventionState, ...] = ("on_track", "blocked", "overdue", "done")


@dataclass(frozen=True)
class DigestWeek:
    """A week as the digest counts it: local Monday ``start`` up to (not including) ``end``, and the
    instants (UTC) those local midnights are."""

    start: date
    end: date
    starts_at: datetime
    ends_at: datetime

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def iso(self) -> str:
        year, week, _day = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    def previous(self) -> DigestWeek:
        """The seven days before this week."""
        back = timedelta(weeks=1)
        return DigestWeek(self.start - back, self.end - back, self.starts_at - back, self.ends_at - back)


def seven_days_to(now: datetime, tz: str | None) -> DigestWeek:
    """The seven days up to ``now`` (a digest sent on request, or its preview): from the same time a
    week earlier, dated by the local days it spans."""
    today = local_date(now, tz)
    return DigestWeek(today - timedelta(days=6), today + timedelta(days=1), now - timedelta(weeks=1), now)


def week_starting(monday: date, tz: str | None) -> DigestWeek:
    zone = resolve_tz(tz)
    end = monday + timedelta(weeks=1)
    return DigestWeek(
        start=monday,
        end=end,
        starts_at=datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC),
        ends_at=datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC),
    )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_date(now: datetime, tz: str | None) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(resolve_tz(tz)).date()


def due_moment(day: date, *, tz: str | None, calendar: WorkingCalendar, hour: int = DIGEST_HOUR) -> datetime:
    """When the digest of the ISO week containing ``day`` is sent (UTC): 09:00 local on its Monday, or
    on the first working day after it. A week whose every day is a holiday has no digest-worthy day
    left in it; the digest then goes on the next working day, whatever week that is in."""
    send_day = calendar.next_working_day(monday_of(day))
    return datetime.combine(send_day, time(hour), tzinfo=resolve_tz(tz)).astimezone(UTC)


@dataclass(frozen=True)
class DueDigest:
    """The digest owed at some moment: the ISO week it is sent in (the key that makes it once per
    week), and the week it covers."""

    send_week: str
    covers: DigestWeek


def due_digest(now: datetime, *, tz: str | None, calendar: WorkingCalendar) -> DueDigest | None:
    """The digest owed at ``now``, or None before this week's send time."""
    today = local_date(now, tz)
    if now < due_moment(today, tz=tz, calendar=calendar):
        return None
    return digest_for_send_week(today, tz)


def digest_for_send_week(today: date, tz: str | None) -> DueDigest:
    """The digest sent in the ISO week containing ``today``: it covers the week before."""
    this_monday = monday_of(today)
    year, week, _day = this_monday.isocalendar()
    return DueDigest(
        send_week=f"{year}-W{week:02d}", covers=week_starting(this_monday - timedelta(weeks=1), tz)
    )


# --- content -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassificationCount:
    scope: str
    category: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class InterventionLine:
    state: InterventionState
    item: InterventionView


@dataclass(frozen=True)
class Digest:
    week: DigestWeek
    started: int
    finished: int
    # Problems with a session finished in the week (one report per problem), costliest first.
    reports: tuple[ProblemReport, ...]
    classifications: tuple[ClassificationCount, ...]
    costliest: tuple[ProblemReport, ...]
    cost_total: Decimal
    cost_by_bearer: tuple[BearerTotal, ...]
    interventions: tuple[InterventionLine, ...]
    themes: tuple[ThemeView, ...]
    # Sessions whose words (a problem, an intervention) the digest's readers may not see: a private
    # channel's or a DM's. They count in every figure; their lines say only where they are from.
    hidden_sessions: frozenset[int] = frozenset()

    def in_state(self, state: InterventionState) -> tuple[InterventionLine, ...]:
        return tuple(line for line in self.interventions if line.state == state)

    @property
    def classified(self) -> int:
        return sum(item.count for item in self.classifications)

    @property
    def council_wide_candidates(self) -> int:
        return sum(1 for theme in self.themes if theme.council_wide_candidate)


def intervention_state(item: InterventionView, today: date) -> InterventionState | None:
    """Done; blocked (its owner said so at the last check-in); overdue (open, its first check-in
    date has passed and its owner has not yet reported any progress); else on track. Interventions
    dropped (not doing, or their owner left) are not counted."""
    if item.status == "done":
        return "done"
    if item.status in CLOSED_STATUSES:
        return None
    if item.progress == "blocked":
        return "blocked"
    if (
        item.progress is None
        and item.first_checkin is not None
        and date.fromisoformat(item.first_checkin) < today
    ):
        return "overdue"
    return "on_track"


def classification_counts(
    this_week: Iterable[ProblemReport], last_week: Iterable[ProblemReport]
) -> tuple[ClassificationCount, ...]:
    """Root causes by scope and category this week, with last week's count beside each (pairs seen
    only last week are kept, at zero, so a fall shows). Most this week first."""

    def count(reports: Iterable[ProblemReport]) -> Counter[tuple[str, str]]:
        return Counter(
            (report.classification.scope, report.classification.category)
            for report in reports
            if report.classification is not None
        )

    now, before = count(this_week), count(last_week)
    pairs = set(now) | set(before)
    items = [
        ClassificationCount(scope, category, now[(scope, category)], before[(scope, category)])
        for scope, category in pairs
    ]
    items.sort(key=lambda c: (-c.count, -c.previous, c.scope, c.category))
    return tuple(items)


def bearer_totals(reports: Iterable[ProblemReport]) -> tuple[Decimal, tuple[BearerTotal, ...]]:
    """The week's yearly cost: the sum of its problems' totals and of each bearer's share, as each
    report states them (every bearer listed, in the reports' order, zero included)."""
    total = Decimal(0)
    amounts: dict[str, Decimal] = {bearer: Decimal(0) for bearer in BEARERS}
    labels: dict[str, str] = {}
    for report in reports:
        if report.costs is None:
            continue
        total += report.costs.total
        for share in report.costs.by_bearer:
            amounts[share.bearer] = amounts.get(share.bearer, Decimal(0)) + share.amount
            labels.setdefault(share.bearer, share.label)
    return total, tuple(
        BearerTotal(bearer=bearer, label=labels.get(bearer, bearer.capitalize()), amount=amount)
        for bearer, amount in amounts.items()
    )


def build_digest(
    *,
    week: DigestWeek,
    started: int,
    finished: int,
    this_week: Sequence[ProblemReport],
    last_week: Sequence[ProblemReport],
    with_interventions: Sequence[ProblemReport],
    themes: Sequence[ThemeView],
    today: date,
    hidden_sessions: frozenset[int] = frozenset(),
) -> Digest:
    """The digest of ``week``. ``this_week``/``last_week``: a report per problem with a session
    finished in that week; ``with_interventions``: a report per problem whose interventions are
    followed (open ones, and any closed in the week); ``today``: the local date the states are read on;
    ``hidden_sessions``: sessions whose words the readers may not see (counted, not quoted)."""
    costed = sorted(
        (r for r in this_week if r.costs is not None and r.costs.total > 0),
        key=lambda r: (-(r.costs.total if r.costs else Decimal(0)), r.session_id),
    )
    total, by_bearer = bearer_totals(this_week)
    lines: list[InterventionLine] = []
    seen: set[tuple[int, str, str | None]] = set()
    for report in with_interventions:
        for item in report.interventions:
            key = (item.session_id, item.what, item.owner.user_id if item.owner else None)
            if key in seen:
                continue
            seen.add(key)
            state = intervention_state(item, today)
            if state is not None:
                lines.append(InterventionLine(state, item))
    lines.sort(
        key=lambda line: (
            INTERVENTION_STATES.index(line.state),
            line.item.first_checkin or "",
            line.item.session_id,
        )
    )
    return Digest(
        week=week,
        started=started,
        finished=finished,
        reports=tuple(this_week),
        classifications=classification_counts(this_week, last_week),
        costliest=tuple(costed[:SHOWN_COSTLIEST]),
        cost_total=total,
        cost_by_bearer=by_bearer,
        interventions=tuple(lines),
        themes=tuple(themes),
        hidden_sessions=hidden_sessions,
    )
