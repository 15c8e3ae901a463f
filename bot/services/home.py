"""The App Home tab: read what a person (and, for a lead, the workspace) has going on into a
:class:`flows.home.HomePage`, and publish it (``views.publish``).

- buttons to start each template (a session in the person's DM with the app);
- the person's unfinished sessions and the question each is at, and their recently finished ones,
  each with a link to its thread;
- the open interventions they own, with the next check-in in their own time zone;
- for leads: problems by status, recently completed sessions as the leads summary classifies them,
  every open intervention grouped by where its check-ins stand (blocked and unanswered first), and
  the leads settings in effect.

Every session shown is one the person may see (``storage/visibility.py``): a lead who is not in a
private channel does not see its sessions or their interventions here. A lead's list of problems
names a problem only if they may see one of its sessions; the others are only counted. Slack is asked
which channels the person can read before the unit of work, and for the threads' links after it.
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
from bot.services import access, digest, start_form
from bot.services.language import person_locale
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
from flows.i18n import t
from flows.schema import TemplateNotFound, get_template, load_templates
from storage.checkins import OpenIntervention
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

# Sessions looked at to find the unfinished ones (most recently active first).
SCANNED_SESSIONS = 50
# A workspace's sessions read to group its problems by status (most recently active first).
SCANNED_PROBLEM_SESSIONS = 300
UNFINISHED = (SessionStatus.ACTIVE, SessionStatus.PAUSED)


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


def _sessions(
    uow: UnitOfWork, team_id: str, user_id: str, locale: str, readable: frozenset[str]
) -> tuple[list[SessionEntry], int]:
    """The first :data:`SHOWN_SESSIONS` unfinished sessions with their current question, and how
    many more there are."""
    unfinished = list(
        uow.visibility.visible_sessions(
            team_id,
            user_id,
            readable,
            taking_part=True,
            statuses=UNFINISHED,
            newest_first=True,
            limit=SCANNED_SESSIONS,
        )
    )
    entries = []
    for session in unfinished[:SHOWN_SESSIONS]:
        template = get_template(session.template_id)
        position = engine.walk(template, latest_answers(uow, session.id)).current
        step = position.step.title(locale, position.item) if position else ""
        entries.append(_entry(session, locale, step))
    return entries, max(0, len(unfinished) - SHOWN_SESSIONS)


def _finished(
    uow: UnitOfWork,
    team_id: str,
    user_id: str,
    settings: EffectiveSettings,
    locale: str,
    readable: frozenset[str],
) -> list[SessionEntry]:
    """The person's most recently finished sessions, with the day each finished and its problem."""
    done = uow.visibility.visible_sessions(
        team_id,
        user_id,
        readable,
        taking_part=True,
        statuses=(SessionStatus.COMPLETED,),
        newest_first=True,
        limit=SHOWN_FINISHED,
    )
    statements = uow.problems.statements(team_id, {s.problem_id for s in done if s.problem_id is not None})
    entries = []
    for session in done:
        when = (session.completed_at or session.updated_at).astimezone(ZoneInfo(settings.timezone))
        problem = statements.get(session.problem_id, "") if session.problem_id is not None else ""
        finished = format_day(when.date(), locale)
        entries.append(replace(_entry(session, locale), finished=finished, problem=problem))
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


def _summaries(
    settings: EffectiveSettings,
    completed: Sequence[Session],
    uow: UnitOfWork,
    locale: str,
    readable: frozenset[str],
) -> list[SummaryEntry]:
    """Recently completed sessions the lead may see; each report takes only what the lead may see
    from the other sessions on its problem (those in channels they can read)."""
    entries = []
    for session in completed:
        try:
            report = report_for_session(uow, session, settings, related_from=readable)
        except TemplateNotFound:
            continue
        entries.append(
            SummaryEntry(
                session_id=session.id,
                title=template_title(session.template_id, locale),
                problem=report.problem or "",
                classification=report.classification,
                completed=local_time(settings, session.completed_at or session.updated_at, locale),
                costs=report.costs,
            )
        )
    return entries


def _problems(
    uow: UnitOfWork,
    team_id: str,
    user_id: str,
    open_items: Sequence[OpenIntervention],
    readable: frozenset[str],
) -> tuple[list[ProblemEntry], dict[ProblemStatus, int]]:
    """The workspace's problems by status (a session without a problem is its own): the ones the lead
    may see named (one of their sessions is visible to them), at most :data:`SHOWN_PROBLEMS` of each
    status; and the count of each status, all problems included."""
    sessions = uow.sessions.recently_active(team_id, SCANNED_PROBLEM_SESSIONS)
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
    visible = {
        s.id
        for s in uow.visibility.visible_sessions(
            team_id, user_id, readable, session_ids=[s.id for s in sessions]
        )
    }
    # Only the most recent few of each status that the lead may see are named, so only theirs are read.
    kept: dict[ProblemStatus, int] = defaultdict(int)
    named = []
    for key, (status, opened) in statuses.items():
        if kept[status] < SHOWN_PROBLEMS and any(s.id in visible for s in groups[key]):
            kept[status] += 1
            named.append((key, status, opened))
    statements = uow.problems.statements(team_id, {k[1] for k, _s, _o in named if k[0] == "problem"})
    found: list[ProblemEntry] = []
    for (kind, ident), status, opened in named:
        members = [s for s in groups[(kind, ident)] if s.id in visible]
        statement = statements.get(ident, "") if kind == "problem" else ""
        if not statement:
            answer = latest_answers(uow, members[0].id).get("problem")
            statement = engine.display_value(answer.value) if answer is not None else ""
        found.append(
            ProblemEntry(
                problem_id=ident if kind == "problem" else None,
                statement=statement,
                status=status,
                session_ids=tuple(sorted(s.id for s in members)),
                open_interventions=opened,
            )
        )
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
    deps: Deps, uow: UnitOfWork, team_id: str, user_id: str, readable: frozenset[str] = frozenset()
) -> HomePage:
    """Everything ``user_id``'s Home tab shows, read in one unit of work; ``readable``: the channels
    they can read (asked of Slack before it)."""
    locale = person_locale(uow, team_id, user_id)
    settings = settings_for(deps, uow, team_id)
    sessions, more = _sessions(uow, team_id, user_id, locale, readable)
    leads = None
    if settings.is_lead(user_id):
        completed = uow.sessions.recently_completed(team_id, SHOWN_SUMMARIES)
        open_items = uow.checkins.open_in_workspace(team_id, SCANNED_INTERVENTIONS)
        candidates = {s.id for s in completed} | {e.intervention.session_id for e in open_items}
        visible = {
            s.id for s in uow.visibility.visible_sessions(team_id, user_id, readable, session_ids=candidates)
        }
        problems, counts = _problems(uow, team_id, user_id, open_items, readable)
        leads = LeadsHome(
            summaries=tuple(
                _summaries(settings, [s for s in completed if s.id in visible], uow, locale, readable)
            ),
            open_interventions=tuple(
                _open_entry(entry) for entry in open_items if entry.intervention.session_id in visible
            ),
            problems=tuple(problems),
            problem_counts=tuple((status, counts[status]) for status in ProblemStatus if counts.get(status)),
            settings=_leads_settings(settings, locale),
        )
    return HomePage(
        locale=locale,
        timezone=settings.timezone,
        sessions=tuple(sessions),
        more_sessions=more,
        interventions=tuple(_owned(uow, team_id, user_id)),
        leads=leads,
        templates=tuple(
            TemplateChoice(template.id, template.title.get(locale)) for template in load_templates().values()
        ),
        finished=tuple(_finished(uow, team_id, user_id, settings, locale, readable)),
    )


def _with_link(directory: Directory, entry: SessionEntry) -> SessionEntry:
    if entry.is_dm or not entry.thread_ts:
        return entry
    return replace(entry, link=directory.permalink(entry.channel_id, entry.thread_ts))


def publish(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """The caller's Home tab, built afresh (on opening it, and after Resume). Slack is asked which
    channels they can read before the unit of work, and for the threads' links after it."""
    with deps.uow() as uow:
        is_lead = settings_for(deps, uow, caller.team_id).is_lead(caller.user_id)
    # A lead's Home shows sessions from across the workspace; anyone else's, their own.
    readable = access.readable_channels(deps, client, caller.team_id, caller.user_id, mine=not is_lead)
    with deps.uow() as uow:
        page = home_page(deps, uow, caller.team_id, caller.user_id, readable)
    directory = Directory(client)
    page = replace(
        page,
        sessions=tuple(_with_link(directory, entry) for entry in page.sessions),
        finished=tuple(_with_link(directory, entry) for entry in page.finished),
    )
    if page.leads is not None:
        # Who may read which root cause is asked of Slack after the transaction.
        themes = digest.themes_for_home(deps, client, caller.team_id, caller.user_id)
        page = replace(page, leads=replace(page.leads, themes=tuple(themes)))
    return Shown(messages=[delivery.publish_home(caller.user_id, home_view(page))])


def start_template(deps: Deps, caller: Caller, template_id: str) -> Shown:
    """A Start button on the Home tab: the start form with that template chosen; submitting it
    starts the session in the person's DM with the app (``bot/services/start_form.py``)."""
    if template_id not in load_templates():
        names = ", ".join(f"`{name}`" for name in load_templates())
        raise PlaybookError(t("unknown_template", name=escape(template_id[:60]), templates=names))
    return start_form.open_from_home(deps, caller, template_id)
