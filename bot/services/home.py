"""The App Home tab: read what a person (and, for a lead, the workspace) has going on into a
:class:`flows.home.HomePage`, and publish it (``views.publish``).

- the person's unfinished sessions and the question each is at;
- the open interventions they own, with the next check-in in their own time zone;
- for leads: recently completed sessions as the leads summary classifies them, and every open
  intervention grouped by where its check-ins stand.

Every session shown is one the person may see (``storage/visibility.py``): a lead who is not in a
private channel does not see its sessions or their interventions here.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Shown
from bot.deps import Deps
from bot.request import Caller
from bot.services import access
from bot.services.language import person_locale
from bot.services.leads import latest_answers, report_for_session
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.home import SCANNED_INTERVENTIONS, SHOWN_SESSIONS, SHOWN_SUMMARIES, home_view
from bot.views.status import template_title
from flows import engine
from flows.home import (
    HomePage,
    InterventionEntry,
    LeadsHome,
    SessionEntry,
    SummaryEntry,
    open_status,
)
from flows.schema import TemplateNotFound, get_template
from storage.checkins import OpenIntervention
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

# Sessions looked at to find the unfinished ones (most recently active first).
SCANNED_SESSIONS = 50
UNFINISHED = (SessionStatus.ACTIVE, SessionStatus.PAUSED)


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
        entries.append(
            SessionEntry(
                session_id=session.id,
                title=template.title.get(locale),
                paused=session.status == SessionStatus.PAUSED,
                step=position.step.title(locale, position.item) if position else "",
                channel_id=session.channel_id,
                is_dm=session.is_dm,
            )
        )
    return entries, max(0, len(unfinished) - SHOWN_SESSIONS)


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
        leads = LeadsHome(
            summaries=tuple(
                _summaries(settings, [s for s in completed if s.id in visible], uow, locale, readable)
            ),
            open_interventions=tuple(
                _open_entry(entry) for entry in open_items if entry.intervention.session_id in visible
            ),
        )
    return HomePage(
        locale=locale,
        timezone=settings.timezone,
        sessions=tuple(sessions),
        more_sessions=more,
        interventions=tuple(_owned(uow, team_id, user_id)),
        leads=leads,
    )


def publish(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """The caller's Home tab, built afresh (on opening it, and after Resume)."""
    with deps.uow() as uow:
        is_lead = settings_for(deps, uow, caller.team_id).is_lead(caller.user_id)
    # A lead's Home shows sessions from across the workspace; anyone else's, their own.
    readable = access.readable_channels(deps, client, caller.team_id, caller.user_id, mine=not is_lead)
    with deps.uow() as uow:
        page = home_page(deps, uow, caller.team_id, caller.user_id, readable)
    return Shown(messages=[delivery.publish_home(caller.user_id, home_view(page))])
