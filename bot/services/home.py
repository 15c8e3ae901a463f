"""The App Home tab: read what a person (and, for a lead, the workspace) has going on into a
:class:`flows.home.HomePage`, and publish it (``views.publish``).

- buttons to start each template (a session in the person's DM with the app);
- the person's unfinished sessions and the question each is at, and their recently finished ones,
  each with a link to its thread;
- the open interventions they own, with the next check-in in their own time zone;
- for leads: problems by status, recently completed sessions as the leads summary classifies them,
  every open intervention grouped by where its check-ins stand (blocked and unanswered first), and
  the leads settings in effect.

Who may see what: a person's own lists hold only sessions they took part in. A lead's list of
problems names a problem only if the lead took part in one of its sessions or is a member of one of
its sessions' channels (asked of Slack after the page is read, never while the unit of work is open);
the others are only counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Shown
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import PlaybookError
from bot.mrkdwn import escape
from bot.request import Caller
from bot.services import start_form
from bot.services.leads import latest_answers, report_for_session
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.home import (
    SCANNED_INTERVENTIONS,
    SHOWN_FINISHED,
    SHOWN_PROBLEMS,
    SHOWN_SESSIONS,
    SHOWN_SUMMARIES,
    home_view,
)
from bot.views.status import template_title
from flows import engine
from flows.formatting import format_day, format_money, format_number
from flows.home import (
    HomePage,
    InterventionEntry,
    LeadsHome,
    LeadsSettings,
    ProblemEntry,
    ProblemStatus,
    SessionEntry,
    SummaryEntry,
    TemplateChoice,
    open_status,
    problem_status,
)
from flows.i18n import DEFAULT_LOCALE, t
from flows.schema import TemplateNotFound, get_template, load_templates
from storage.checkins import OpenIntervention
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

# Sessions looked at to find the unfinished ones (most recently active first).
SCANNED_SESSIONS = 50
# A workspace's sessions read to group its problems by status (most recently active first).
SCANNED_PROBLEM_SESSIONS = 300
UNFINISHED = (SessionStatus.ACTIVE, SessionStatus.PAUSED)
# Problems of each status read in full to find the ones a lead may see named (the rest are counted).
CANDIDATES_PER_STATUS = 4 * SHOWN_PROBLEMS


def _entry(session: Session, locale: str, step: str = "") -> SessionEntry:
    return SessionEntry(
        session_id=session.id,
        title=template_title(session.template_id, locale),
        paused=session.status == SessionStatus.PAUSED,
        step=step,
        channel_id=session.channel_id,
        is_dm=session.is_dm,
        thread_ts=session.thread_ts,
    )


def _sessions(uow: UnitOfWork, mine: Sequence[Session], locale: str) -> tuple[list[SessionEntry], int]:
    """The first :data:`SHOWN_SESSIONS` unfinished sessions with their current question, and how
    many more there are."""
    unfinished = [s for s in mine if s.status in UNFINISHED]
    entries = []
    for session in unfinished[:SHOWN_SESSIONS]:
        template = get_template(session.template_id)
        position = engine.walk(template, latest_answers(uow, session.id)).current
        step = position.step.title(locale, position.item) if position else ""
        entries.append(_entry(session, locale, step))
    return entries, max(0, len(unfinished) - SHOWN_SESSIONS)


def _finished(
    uow: UnitOfWork, mine: Sequence[Session], settings: EffectiveSettings, locale: str
) -> list[SessionEntry]:
    """The person's most recently finished sessions, with the day each finished and its problem."""
    done = [s for s in mine if s.status == SessionStatus.COMPLETED][:SHOWN_FINISHED]
    statements = uow.problems.statements(
        done[0].workspace_id if done else "", {s.problem_id for s in done if s.problem_id is not None}
    )
    entries = []
    for session in done:
        when = (session.completed_at or session.updated_at).astimezone(ZoneInfo(settings.timezone))
        problem = statements.get(session.problem_id, "") if session.problem_id is not None else ""
        entries.append(
            replace(_entry(session, locale), finished=format_day(when.date(), locale), problem=problem)
        )
    return entries


def _owned(uow: UnitOfWork, team_id: str, user_id: str) -> list[InterventionEntry]:
    return [
        InterventionEntry(
            session_id=item.session_id,
            what=item.what,
            cadence=item.cadence,
            owner_id=user_id,
            next_checkin_at=item.next_checkin_at,
            owner_tz=item.owner_tz,
            progress=item.progress,
            progress_reason=item.progress_reason,
        )
        for item in uow.checkins.for_owner(team_id, user_id)
    ]


def _open_entry(entry: OpenIntervention) -> InterventionEntry:
    item = entry.intervention
    return InterventionEntry(
        session_id=item.session_id,
        what=item.what,
        cadence=item.cadence,
        owner_id=item.owner_id,
        next_checkin_at=entry.next_checkin_at,
        owner_tz=item.owner_tz,
        progress=item.progress,
        progress_reason=item.progress_reason,
        status=open_status(
            escalated=item.escalated_at is not None,
            progress=item.progress,
            checkins_sent=entry.checkins_sent,
        ),
    )


def _summaries(uow: UnitOfWork, settings: EffectiveSettings, team_id: str, locale: str) -> list[SummaryEntry]:
    entries = []
    for session in uow.sessions.recently_completed(team_id, SHOWN_SUMMARIES):
        try:
            report = report_for_session(uow, session, settings)
        except TemplateNotFound:
            continue
        entries.append(
            SummaryEntry(
                session_id=session.id,
                title=template_title(session.template_id, locale),
                problem=report.problem or "",
                classification=report.classification,
                completed=local_time(settings, session.completed_at or session.updated_at),
                costs=report.costs,
            )
        )
    return entries


def _problems(
    uow: UnitOfWork, team_id: str, user_id: str, open_items: Sequence[OpenIntervention]
) -> tuple[list[tuple[ProblemEntry, frozenset[str], bool]], dict[ProblemStatus, int]]:
    """The workspace's problems by status (a session without a problem is its own), each with the
    channels of its sessions and whether ``user_id`` took part in one; and the count of each status."""
    sessions = uow.sessions.recently_active(team_id, SCANNED_PROBLEM_SESSIONS)
    mine = {s.id for s in uow.sessions.for_user(team_id, user_id, limit=SCANNED_PROBLEM_SESSIONS)}
    open_by_session: dict[int, int] = defaultdict(int)
    for item in open_items:
        open_by_session[item.intervention.session_id] += 1
    groups: dict[tuple[str, int], list[Session]] = {}
    for session in sessions:
        key = ("problem", session.problem_id) if session.problem_id is not None else ("session", session.id)
        groups.setdefault(key, []).append(session)
    statuses: dict[tuple[str, int], tuple[ProblemStatus, int]] = {}
    counts: dict[ProblemStatus, int] = defaultdict(int)
    for key, members in groups.items():
        opened = sum(open_by_session[s.id] for s in members)
        status = problem_status((s.status for s in members), opened)
        if status is not None:
            statuses[key] = (status, opened)
            counts[status] += 1
    # Only the most recent few of each status can be named, so only theirs are read.
    kept: dict[ProblemStatus, int] = defaultdict(int)
    candidates = []
    for key, (status, opened) in statuses.items():
        if kept[status] < CANDIDATES_PER_STATUS:
            kept[status] += 1
            candidates.append((key, status, opened))
    statements = uow.problems.statements(team_id, {k[1] for k, _s, _o in candidates if k[0] == "problem"})
    found: list[tuple[ProblemEntry, frozenset[str], bool]] = []
    for (kind, ident), status, opened in candidates:
        members = groups[(kind, ident)]
        statement = statements.get(ident, "") if kind == "problem" else ""
        if not statement:
            answer = latest_answers(uow, members[0].id).get("problem")
            statement = engine.display_value(answer.value) if answer is not None else ""
        entry = ProblemEntry(
            problem_id=ident if kind == "problem" else None,
            statement=statement,
            status=status,
            session_ids=tuple(sorted(s.id for s in members)),
            open_interventions=opened,
        )
        channels = frozenset(s.channel_id for s in members if not s.is_dm)
        found.append((entry, channels, any(s.id in mine for s in members)))
    return found, dict(counts)


def _leads_settings(settings: EffectiveSettings, locale: str) -> LeadsSettings:
    return LeadsSettings(
        leads_channel=settings.leads_channel,
        lead_ids=tuple(sorted(settings.lead_ids)),
        hourly_rate=format_money(settings.hourly_rate, locale),
        weeks_per_year=format_number(settings.weeks_per_year, locale),
        nation=t(f"nation_{settings.nation}", locale),
        retention_days=settings.retention_days,
    )


def home_page(
    deps: Deps, uow: UnitOfWork, team_id: str, user_id: str
) -> tuple[HomePage, list[tuple[ProblemEntry, frozenset[str], bool]]]:
    """Everything ``user_id``'s Home tab shows, read in one unit of work; for a lead, also every
    problem with its channels and whether they took part (for :func:`_visible_problems`)."""
    locale = DEFAULT_LOCALE
    settings = settings_for(deps, uow, team_id)
    mine = uow.sessions.for_user(team_id, user_id, limit=SCANNED_SESSIONS)
    sessions, more = _sessions(uow, mine, locale)
    leads = None
    candidates: list[tuple[ProblemEntry, frozenset[str], bool]] = []
    if settings.is_lead(user_id):
        open_items = uow.checkins.open_in_workspace(team_id, SCANNED_INTERVENTIONS)
        candidates, counts = _problems(uow, team_id, user_id, open_items)
        leads = LeadsHome(
            summaries=tuple(_summaries(uow, settings, team_id, locale)),
            open_interventions=tuple(_open_entry(entry) for entry in open_items),
            problem_counts=tuple((status, counts[status]) for status in ProblemStatus if counts.get(status)),
            settings=_leads_settings(settings, locale),
        )
    page = HomePage(
        locale=locale,
        timezone=settings.timezone,
        sessions=tuple(sessions),
        more_sessions=more,
        interventions=tuple(_owned(uow, team_id, user_id)),
        leads=leads,
        templates=tuple(
            TemplateChoice(template.id, template.title.get(locale)) for template in load_templates().values()
        ),
        finished=tuple(_finished(uow, mine, settings, locale)),
    )
    return page, candidates


def _visible_problems(
    directory: Directory, user_id: str, candidates: list[tuple[ProblemEntry, frozenset[str], bool]]
) -> list[ProblemEntry]:
    """The problems a lead may see named: one of whose sessions they took part in, or one with a
    session in a channel they are a member of; at most :data:`SHOWN_PROBLEMS` of each status."""
    member: dict[str, bool] = {}
    shown: list[ProblemEntry] = []
    per_status: dict[ProblemStatus, int] = defaultdict(int)
    for entry, channels, took_part in candidates:
        if per_status[entry.status] >= SHOWN_PROBLEMS:
            continue
        visible = took_part
        for channel in sorted(channels):
            if visible:
                break
            if channel not in member:
                member[channel] = directory.in_channel(channel, user_id)
            visible = member[channel]
        if visible:
            shown.append(entry)
            per_status[entry.status] += 1
    return shown


def _with_link(directory: Directory, entry: SessionEntry) -> SessionEntry:
    if entry.is_dm or not entry.thread_ts:
        return entry
    return replace(entry, link=directory.permalink(entry.channel_id, entry.thread_ts))


def publish(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """The caller's Home tab, built afresh (on opening it, after Resume and after a start); Slack is
    asked for links and channel membership after the unit of work has closed."""
    with deps.uow() as uow:
        page, candidates = home_page(deps, uow, caller.team_id, caller.user_id)
    directory = Directory(client)
    page = replace(
        page,
        sessions=tuple(_with_link(directory, entry) for entry in page.sessions),
        finished=tuple(_with_link(directory, entry) for entry in page.finished),
    )
    if page.leads is not None:
        problems = _visible_problems(directory, caller.user_id, candidates)
        page = replace(page, leads=replace(page.leads, problems=tuple(problems)))
    return Shown(messages=[delivery.publish_home(caller.user_id, home_view(page))])


def start_template(deps: Deps, caller: Caller, template_id: str) -> Shown:
    """A Start button on the Home tab: the start form with that template chosen; submitting it
    starts the session in the person's DM with the app (``bot/services/start_form.py``)."""
    if template_id not in load_templates():
        names = ", ".join(f"`{name}`" for name in load_templates())
        raise PlaybookError(t("unknown_template", name=escape(template_id[:60]), templates=names))
    return start_form.open_from_home(deps, caller, template_id)
