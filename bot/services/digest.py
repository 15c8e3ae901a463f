"""The weekly digest for leads, themes across the workspace, and the charts that go with them.

When: :func:`send_due`, woken by the scheduler every few minutes, sends each workspace's digest once
its time has come (Monday 09:00 local, or the next working day after a bank holiday:
:mod:`flows.digest`). Exactly once however many workers run it: the digest is read and its charts
drawn with no transaction open, then one transaction claims the week (a row per workspace and ISO
week, ``uow.digests.claim``: an insert that ignores a conflict, so only one worker's lands) and queues
the digest's posts and charts in the outbox. The outbox's sender posts them exactly once
(``bot/delivery.py``: a sender that dies after Slack took a post finds it by its metadata, a chart by
its file name), and marks the week sent once Slack has the first post; if Slack refuses it for good
the claim is given back and the next run tries again. ``playbook-bot digest --now`` and
``/playbook digest`` (a preview for leads and workspace admins, shown only to them) cover the seven
days up to now and claim nothing.

What: every figure is read from the problem reports (:func:`bot.services.leads.report_for_session`),
one per problem with a session finished in the week; themes are :func:`flows.themes.themes_for` over
the workspace's confirmed root causes. A private channel's or a DM's root cause counts in the themes'
numbers but its words and its channel's name are shown only to its members: never in the leads
channel, and in ``/playbook themes`` or the Home tab only to a viewer who is a member (or took part).

Slack is asked about channels (``conversations.info``) and membership after the transaction, never
while it is open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import delivery
from bot.delivery import ClientFor, FileUpload, Outgoing, Post, Shown, Upload
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed
from bot.request import Caller
from bot.services.leads import latest_answers, report_for_session
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.common import clip
from bot.views.digest import digest_blocks, digest_fallback, themes_blocks
from bot.views.leads import split_for_leads
from flows import charts, policy
from flows.dates import readable_date
from flows.digest import Digest, DigestWeek, build_digest, due_digest, local_date, seven_days_to
from flows.i18n import DEFAULT_LOCALE, t
from flows.related import ROOT_CAUSE_KEYS, ChannelFacts, may_show_elsewhere
from flows.report import ProblemReport, classification_of
from flows.schema import TemplateNotFound, get_template
from flows.themes import ThemeSource, ThemeView, themes_for
from storage.models import Session
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.digest")

CHART_WEEKS = 12
# Slack is asked about at most this many channels (conversations.info) for one digest or themes answer;
# root causes from channels beyond them count in the numbers but are not shown.
MAX_CHANNEL_LOOKUPS = 60


@dataclass(frozen=True)
class RootCauseSeen:
    """A confirmed root cause as the themes need it, with where its session ran and who took part."""

    id: str
    session_id: int
    text: str
    channel_id: str
    is_dm: bool
    category: str | None
    participants: frozenset[str]


@dataclass(frozen=True)
class DigestRead:
    """Everything a digest needs, read in one unit of work (nothing is read after it closes)."""

    workspace_id: str
    leads_channel: str | None
    timezone: str
    week: DigestWeek
    started: int
    finished: int
    this_week: tuple[ProblemReport, ...]
    last_week: tuple[ProblemReport, ...]
    followed: tuple[ProblemReport, ...]
    root_causes: tuple[RootCauseSeen, ...]
    history: tuple[tuple[DigestWeek, tuple[ProblemReport, ...]], ...] = ()
    settings: EffectiveSettings | None = field(default=None, compare=False)


class _Reports:
    """One report per problem (a session with no problem is its own), built once per read."""

    def __init__(self, uow: UnitOfWork, settings: EffectiveSettings) -> None:
        self.uow, self.settings = uow, settings
        self._built: dict[tuple[str, int], ProblemReport] = {}

    def of(self, sessions: Iterable[Session]) -> tuple[ProblemReport, ...]:
        found: dict[tuple[str, int], ProblemReport] = {}
        for session in sessions:
            key = (
                ("problem", session.problem_id) if session.problem_id is not None else ("session", session.id)
            )
            if key in found:
                continue
            if key not in self._built:
                try:
                    self._built[key] = report_for_session(self.uow, session, self.settings)
                except TemplateNotFound:
                    continue
            found[key] = self._built[key]
        return tuple(found.values())


def _root_causes(uow: UnitOfWork, workspace_id: str) -> tuple[RootCauseSeen, ...]:
    stored = uow.root_causes.confirmed(workspace_id, ROOT_CAUSE_KEYS)
    session_ids = list(dict.fromkeys(row.session_id for row in stored))
    sessions = uow.digests.sessions(workspace_id, session_ids)
    people = uow.digests.participants(session_ids)
    categories: dict[int, str | None] = {}
    for session_id in session_ids:
        session = sessions.get(session_id)
        category = None
        if session is not None:
            try:
                template = get_template(session.template_id)
            except TemplateNotFound:
                template = None
            if template is not None:
                view = classification_of(template, latest_answers(uow, session_id))
                category = view.category if view is not None else None
        categories[session_id] = category
    return tuple(
        RootCauseSeen(
            id=f"{row.session_id}:{row.key}",
            session_id=row.session_id,
            text=row.text,
            channel_id=row.channel_id,
            is_dm=row.is_dm,
            category=categories.get(row.session_id),
            participants=frozenset(people.get(row.session_id, set()))
            | ({sessions[row.session_id].facilitator_id} if row.session_id in sessions else set()),
        )
        for row in stored
    )


def read_digest(
    uow: UnitOfWork, deps: Deps, workspace_id: str, week: DigestWeek, *, with_history: bool
) -> DigestRead:
    settings = settings_for(deps, uow, workspace_id)
    reports = _Reports(uow, settings)
    started, finished = uow.digests.counts(workspace_id, week.starts_at, week.ends_at)
    this_week = reports.of(uow.digests.finished_between(workspace_id, week.starts_at, week.ends_at))
    previous = week.previous()
    last_week = reports.of(uow.digests.finished_between(workspace_id, previous.starts_at, previous.ends_at))
    followed = reports.of(uow.digests.with_followed_interventions(workspace_id, week.starts_at))
    history: list[tuple[DigestWeek, tuple[ProblemReport, ...]]] = []
    if with_history:
        for back in range(CHART_WEEKS - 1, -1, -1):
            earlier = _weeks_back(week, back)
            if back == 0:
                history.append((earlier, this_week))
            elif back == 1:
                history.append((earlier, last_week))
            else:
                history.append(
                    (
                        earlier,
                        reports.of(
                            uow.digests.finished_between(workspace_id, earlier.starts_at, earlier.ends_at)
                        ),
                    )
                )
    return DigestRead(
        workspace_id=workspace_id,
        leads_channel=settings.leads_channel,
        timezone=settings.timezone,
        week=week,
        started=started,
        finished=finished,
        this_week=this_week,
        last_week=last_week,
        followed=followed,
        root_causes=_root_causes(uow, workspace_id),
        history=tuple(history),
        settings=settings,
    )


def _weeks_back(week: DigestWeek, count: int) -> DigestWeek:
    for _ in range(count):
        week = week.previous()
    return week


# --- who may read which root cause ------------------------------------------------------------------


def _facts(directory: Directory, root_causes: Sequence[RootCauseSeen]) -> dict[str, ChannelFacts | None]:
    channels = list(dict.fromkeys(rc.channel_id for rc in root_causes if not rc.is_dm))[:MAX_CHANNEL_LOOKUPS]
    return {channel: directory.channel_facts(channel) for channel in channels}


def _themes(
    root_causes: Sequence[RootCauseSeen],
    facts: dict[str, ChannelFacts | None],
    readable: dict[str, bool],
) -> list[ThemeView]:
    sources = [
        ThemeSource(
            id=rc.id,
            session_id=rc.session_id,
            text=rc.text,
            service=rc.channel_id,
            category=rc.category,
            readable=readable.get(rc.id, False),
        )
        for rc in root_causes
    ]
    names = {channel: f.name for channel, f in facts.items() if f is not None and f.name}
    return themes_for(sources, service_names=names)


def themes_for_channel(directory: Directory, read: DigestRead, audience: str) -> list[ThemeView]:
    """Themes as everyone in ``audience`` (the leads channel) may read them: only root causes from
    public channels, and nothing when the channel is shared with another organisation."""
    facts = _facts(directory, read.root_causes)
    audience_facts = directory.channel_facts(audience)
    readable = {
        rc.id: not rc.is_dm and may_show_elsewhere(facts.get(rc.channel_id), audience_facts)
        for rc in read.root_causes
    }
    return _themes(read.root_causes, facts, readable)


def themes_for_person(
    directory: Directory, root_causes: Sequence[RootCauseSeen], user_id: str
) -> list[ThemeView]:
    """Themes as one person may read them: public channels' root causes, and a private channel's or a
    DM's only when they took part in the session or are a member of the channel."""
    facts = _facts(directory, root_causes)
    membership: dict[str, bool] = {}

    def member(channel: str) -> bool:
        if channel not in membership:
            try:
                membership[channel] = directory.in_channel(channel, user_id)
            except (SlackApiError, SlackClientError):
                membership[channel] = False
        return membership[channel]

    readable: dict[str, bool] = {}
    for rc in root_causes:
        if user_id in rc.participants:
            readable[rc.id] = True
        elif rc.is_dm:
            readable[rc.id] = False
        else:
            channel = facts.get(rc.channel_id)
            readable[rc.id] = channel is not None and (not channel.private or member(rc.channel_id))
    return _themes(root_causes, facts, readable)


# --- the digest --------------------------------------------------------------------------------------


def make_digest(read: DigestRead, themes: Sequence[ThemeView]) -> Digest:
    return build_digest(
        week=read.week,
        started=read.started,
        finished=read.finished,
        this_week=read.this_week,
        last_week=read.last_week,
        with_interventions=read.followed,
        themes=themes,
        today=local_date(read.week.ends_at, read.timezone),
    )


def digest_charts(digest: Digest, read: DigestRead, locale: str = DEFAULT_LOCALE) -> list[charts.Chart]:
    """The week's cost by bearer (when the week found any cost) and root causes by category over the
    last twelve weeks, both from the same reports as the digest's text."""
    found: list[charts.Chart] = []
    start = readable_date(digest.week.start.isoformat(), locale)
    end = readable_date(digest.week.last_day.isoformat(), locale)
    if digest.cost_total:
        found.append(
            charts.cost_by_bearer(
                t("chart_digest_cost_title", locale, start=start, end=end),
                digest.cost_total,
                [charts.Share(share.label, share.amount) for share in digest.cost_by_bearer],
                filename=f"digest-{digest.week.start.isoformat()}-cost-by-bearer.png",
                locale=locale,
            )
        )
    if read.history:
        weeks = []
        for week, reports in read.history:
            counts: dict[str, int] = {}
            for report in reports:
                if report.classification is not None:
                    counts[report.classification.category] = counts.get(report.classification.category, 0) + 1
            weeks.append(charts.WeekCounts(readable_date(week.start.isoformat(), locale), counts))
        found.append(
            charts.root_causes_by_category(
                t("chart_categories_title", locale, weeks=len(weeks)),
                weeks,
                filename=f"digest-{digest.week.start.isoformat()}-root-causes-by-category.png",
                locale=locale,
            )
        )
    return found


def digest_messages(
    directory: Directory, read: DigestRead, channel: str, when: str, *, with_charts: bool = True
) -> tuple[Digest, list[Outgoing]]:
    """The digest for ``channel`` (themes as its members may read them) and the posts that carry it."""
    digest = make_digest(read, themes_for_channel(directory, read, channel))
    blocks = digest_blocks(digest, when=when)
    fallback = clip(digest_fallback(digest), delivery.FALLBACK_LIMIT)
    messages: list[Outgoing] = [
        Post(channel=channel, text=fallback, blocks=delivery.as_dicts(part), reply_to_previous=number > 0)
        for number, part in enumerate(split_for_leads(blocks))
    ]
    if with_charts:
        drawn = digest_charts(digest, read)
        if drawn:
            messages.append(
                Upload(
                    channel=channel,
                    files=[
                        FileUpload(filename=c.filename, title=c.title, content=c.png, alt_text=c.alt_text)
                        for c in drawn
                    ],
                    comment=t("digest_charts_comment"),
                    best_effort=True,
                    # Under the digest: they go (or are refused) with it.
                    reply_to_previous=True,
                )
            )
    return digest, messages


@dataclass
class SendReport:
    """One run: digests Slack took (``sent``), queued but left to the outbox's sender (``queued``: a
    Retry-After, Slack down), not due or claimed by another run (``skipped``), and not made (``failed``:
    Slack could not be asked about the channels, or refused the digest for good; tried again next run)."""

    sent: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_due(deps: Deps, clients: ClientFor, workspaces: Sequence[str] | None = None) -> SendReport:
    """Send every digest whose time has come and that no run has claimed yet (see the module
    docstring): read and draw it with no transaction open, then claim the week and queue the digest's
    posts and charts in one transaction; the outbox's sender sends them, exactly once."""
    report = SendReport()
    now = deps.clock.now()
    with deps.uow() as uow:
        ids = list(workspaces) if workspaces else uow.workspaces.ids()
    for workspace_id in ids:
        with deps.uow() as uow:
            settings = settings_for(deps, uow, workspace_id)
            due = due_digest(now, tz=settings.timezone, calendar=settings.calendar)
            if (
                settings.leads_channel is None
                or due is None
                or uow.digests.claimed(workspace_id, due.send_week)
            ):
                report.skipped.append(workspace_id)
                continue
            read = read_digest(uow, deps, workspace_id, due.covers, with_history=True)
        _queue_digest(deps, clients, read, due.send_week, report)
    return report


def _queue_digest(
    deps: Deps, clients: ClientFor, read: DigestRead, send_week: str, report: SendReport
) -> None:
    workspace_id = read.workspace_id
    assert read.settings is not None and read.leads_channel is not None
    try:
        # Slack is asked about the themes' channels, and the charts drawn, before the transaction.
        _digest, messages = digest_messages(
            Directory(clients(workspace_id)),
            read,
            read.leads_channel,
            local_time(read.settings, deps.clock.now()),
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        report.failed.append(workspace_id)
        log.warning("digest for %s (%s) not made, will try again: %s", workspace_id, send_week, error)
        return
    with deps.uow() as uow:
        if not uow.digests.claim(workspace_id, send_week, deps.clock.now()):
            report.skipped.append(workspace_id)  # another worker's, queued already
            return
        queue = delivery.Queue(uow, workspace_id, deps.clock.now())
        first = True
        for message in messages:
            if first and isinstance(message, Post):
                message = message.model_copy(update={"role": delivery.digest_role(send_week)})
                first = False
            queue.add(cast(Post | Upload, message))
        uow.commit()
    flushed = delivery.send_these(deps, clients, queue.ids)
    if queue.ids[0] in flushed.sent:
        report.sent.append(workspace_id)
    elif queue.ids[0] in flushed.dead:
        report.failed.append(workspace_id)  # the claim was given back: the next run tries again
    else:
        report.queued.append(workspace_id)


def send_now(deps: Deps, clients: ClientFor, workspaces: Sequence[str] | None = None) -> SendReport:
    """``playbook-bot digest --now``: each workspace's digest of the seven days up to now, at once (no
    claim: it is sent whatever the schedule has done)."""
    report = SendReport()
    now = deps.clock.now()
    with deps.uow() as uow:
        ids = list(workspaces) if workspaces else uow.workspaces.ids()
    for workspace_id in ids:
        with deps.uow() as uow:
            settings = settings_for(deps, uow, workspace_id)
            if settings.leads_channel is None:
                report.skipped.append(workspace_id)
                continue
            read = read_digest(
                uow, deps, workspace_id, seven_days_to(now, settings.timezone), with_history=True
            )
        client = clients(workspace_id)
        assert read.leads_channel is not None
        _digest, messages = digest_messages(
            Directory(client), read, read.leads_channel, local_time(settings, now)
        )
        delivery.send(client, messages)
        report.sent.append(workspace_id)
    return report


def _may_read_digest(deps: Deps, directory: Directory, caller: Caller) -> EffectiveSettings:
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
    is_lead = settings.is_lead(caller.user_id)
    if not policy.may_read_digest(
        settings.lead_ids, caller.user_id, is_lead or directory.is_workspace_admin(caller.user_id)
    ):
        raise NotAllowed(t("digest_not_allowed"))
    return settings


def preview_command(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """``/playbook digest``: the digest of the seven days up to now, shown only to the lead or admin
    who asked (no charts, nothing posted)."""
    directory = Directory(client)
    settings = _may_read_digest(deps, directory, caller)
    now = deps.clock.now()
    with deps.uow() as uow:
        read = read_digest(
            uow, deps, caller.team_id, seven_days_to(now, settings.timezone), with_history=False
        )
    # The preview is read by the caller alone: themes as they may read them.
    digest = make_digest(read, themes_for_person(directory, read.root_causes, caller.user_id))
    blocks = digest_blocks(digest, when=local_time(settings, now), preview=True)
    return Shown(
        ack=clip(digest_fallback(digest), delivery.FALLBACK_LIMIT),
        ack_blocks=delivery.as_dicts(split_for_leads(blocks)[0]),
    )


def themes_command(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """``/playbook themes``: anyone may ask; each sees private root causes only where they may."""
    with deps.uow() as uow:
        root_causes = _root_causes(uow, caller.team_id)
    themes = themes_for_person(Directory(client), root_causes, caller.user_id)
    return Shown(ack=t("themes_title"), ack_blocks=delivery.as_dicts(themes_blocks(themes)))


def themes_for_home(deps: Deps, client: WebClient, team_id: str, user_id: str) -> list[ThemeView]:
    """The leads' Home tab's themes (the caller decides whether the viewer is a lead)."""
    with deps.uow() as uow:
        root_causes = _root_causes(uow, team_id)
    return themes_for_person(Directory(client), root_causes, user_id)
