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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import ClientFor, FileUpload, Outgoing, Post, Shown, Upload
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed
from bot.keepalive import TRANSPORT_ERRORS
from bot.request import Caller
from bot.services.leads import Preloaded, report_for_session
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.common import clip
from bot.views.digest import digest_blocks, digest_fallback, themes_blocks
from bot.views.leads import split_for_leads
from flows import charts, policy
from flows.dates import readable_date
from flows.digest import Digest, DigestWeek, build_digest, due_digest, local_date, seven_days_to
from flows.engine import Answer
from flows.i18n import DEFAULT_LOCALE, t
from flows.related import ROOT_CAUSE_KEYS, may_show_elsewhere
from flows.report import ProblemReport, classification_of
from flows.schema import TemplateNotFound, get_template
from flows.themes import ThemeSource, ThemeView, themes_for
from storage.models import Intervention, Session
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
class Place:
    """Where a session ran and who took part: what decides who may read its words."""

    channel_id: str
    is_dm: bool
    participants: frozenset[str]


def _place(session: Session) -> Place:
    people = frozenset(p.user_id for p in session.participants) | {session.facilitator_id}
    return Place(session.channel_id, session.is_dm, people)


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
    # Where each session the reports draw on ran (its words are shown only to those who may read it).
    places: Mapping[int, Place] = field(default_factory=dict, compare=False)


class _Reports:
    """One report per problem (a session with no problem is its own), built once per read from what
    :meth:`preload` read for all of them at once (a few statements, however many sessions)."""

    def __init__(self, uow: UnitOfWork, workspace_id: str, settings: EffectiveSettings | None) -> None:
        self.uow, self.workspace_id, self.settings = uow, workspace_id, settings
        self._built: dict[tuple[str, int], ProblemReport] = {}
        self._answers: dict[int, dict[str, Answer]] = {}
        self._on_problem: dict[int, list[Session]] = {}
        self._interventions: dict[int, list[Intervention]] = {}
        self.places: dict[int, Place] = {}

    def preload(self, sessions: Iterable[Session]) -> None:
        """Read what the reports of ``sessions`` need: the sessions on their problems, and the latest
        answers and the interventions of all of those."""
        sessions = list(sessions)
        problems = [
            s.problem_id
            for s in sessions
            if s.problem_id is not None and s.problem_id not in self._on_problem
        ]
        self._on_problem.update(self.uow.digests.on_problems(self.workspace_id, problems))
        for session in [*sessions, *(o for p in problems for o in self._on_problem.get(p, ()))]:
            self.places.setdefault(session.id, _place(session))
        wanted = [s.id for s in sessions] + [o.id for p in problems for o in self._on_problem.get(p, ())]
        missing = [session_id for session_id in dict.fromkeys(wanted) if session_id not in self._answers]
        for session_id, rows in self.uow.digests.latest_answers(missing).items():
            self._answers[session_id] = {
                key: Answer(row.value, row.skipped, row.author_id) for key, row in rows.items()
            }
        self._interventions.update(self.uow.digests.interventions(self.workspace_id, missing))

    def answers(self, session_id: int) -> dict[str, Answer]:
        if session_id not in self._answers:
            self.preload(self.uow.digests.sessions(self.workspace_id, [session_id]).values())
        return self._answers.get(session_id, {})

    def of(self, sessions: Iterable[Session]) -> tuple[ProblemReport, ...]:
        assert self.settings is not None  # a read for root causes only builds no report
        sessions = list(sessions)
        self.preload(s for s in sessions if s.id not in self._answers)
        preloaded = Preloaded(self._answers, self._on_problem, self._interventions)
        found: dict[tuple[str, int], ProblemReport] = {}
        for session in sessions:
            key = (
                ("problem", session.problem_id) if session.problem_id is not None else ("session", session.id)
            )
            if key in found:
                continue
            if key not in self._built:
                try:
                    self._built[key] = report_for_session(
                        self.uow, session, self.settings, preloaded=preloaded
                    )
                except TemplateNotFound:
                    continue
            found[key] = self._built[key]
        return tuple(found.values())


def _root_causes(
    uow: UnitOfWork, workspace_id: str, reports: _Reports | None = None
) -> tuple[RootCauseSeen, ...]:
    stored = uow.root_causes.confirmed(workspace_id, ROOT_CAUSE_KEYS)
    session_ids = list(dict.fromkeys(row.session_id for row in stored))
    sessions = uow.digests.sessions(workspace_id, session_ids)
    people = uow.digests.participants(session_ids)
    if reports is None:
        reports = _Reports(uow, workspace_id, settings=None)  # the answers only
    reports.preload(s for s in sessions.values())
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
                view = classification_of(template, reports.answers(session_id))
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


def _in_week(sessions: Sequence[Session], week: DigestWeek) -> list[Session]:
    return [
        s for s in sessions if s.completed_at is not None and week.starts_at <= s.completed_at < week.ends_at
    ]


def read_digest(
    uow: UnitOfWork, deps: Deps, workspace_id: str, week: DigestWeek, *, with_history: bool
) -> DigestRead:
    """Everything the digest of ``week`` needs, in a number of statements that does not grow with the
    number of sessions: the week's, the week before's and (``with_history``, for the chart) the twelve
    weeks' finished sessions in one query, then their answers, problems and interventions at once."""
    settings = settings_for(deps, uow, workspace_id)
    reports = _Reports(uow, workspace_id, settings)
    started, finished = uow.digests.counts(workspace_id, week.starts_at, week.ends_at)
    weeks = [_weeks_back(week, back) for back in range(CHART_WEEKS - 1 if with_history else 1, -1, -1)]
    finished_sessions = uow.digests.finished_between(
        workspace_id, min(w.starts_at for w in weeks), max(w.ends_at for w in weeks)
    )
    followed_sessions = uow.digests.with_followed_interventions(workspace_id, week.starts_at)
    reports.preload([*finished_sessions, *followed_sessions])
    this_week = reports.of(_in_week(finished_sessions, week))
    last_week = reports.of(_in_week(finished_sessions, week.previous()))
    followed = reports.of(followed_sessions)
    history: list[tuple[DigestWeek, tuple[ProblemReport, ...]]] = []
    if with_history:
        history = [(earlier, reports.of(_in_week(finished_sessions, earlier))) for earlier in weeks]
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
        root_causes=_root_causes(uow, workspace_id, reports),
        history=tuple(history),
        settings=settings,
        places=dict(reports.places),
    )


def _weeks_back(week: DigestWeek, count: int) -> DigestWeek:
    for _ in range(count):
        week = week.previous()
    return week


# --- who may read which root cause, problem and intervention ------------------------------------------


class Readers:
    """Who will read what is built, and so which sessions' words it may carry: everyone in a channel
    (:meth:`channel`: only public channels' sessions, and nothing when the channel is shared with
    another organisation) or one person (:meth:`person`: public channels' sessions, and a private
    channel's or a DM's only when they took part or are a member of the channel). Slack is asked about
    at most :data:`MAX_CHANNEL_LOOKUPS` channels (``conversations.info``, kept briefly by a cached
    directory); a session from any other channel counts but is not quoted."""

    def __init__(
        self, directory: Directory, places: Iterable[Place], *, audience: str | None, user_id: str | None
    ) -> None:
        self.directory, self.user_id = directory, user_id
        channels = list(dict.fromkeys(p.channel_id for p in places if not p.is_dm))[:MAX_CHANNEL_LOOKUPS]
        self.facts = {channel: directory.channel_facts(channel) for channel in channels}
        self.audience = directory.channel_facts(audience) if audience is not None else None
        self._member: dict[str, bool] = {}

    @classmethod
    def channel(cls, directory: Directory, places: Iterable[Place], audience: str) -> Readers:
        return cls(directory, places, audience=audience, user_id=None)

    @classmethod
    def person(cls, directory: Directory, places: Iterable[Place], user_id: str) -> Readers:
        return cls(directory, places, audience=None, user_id=user_id)

    def may_read(self, place: Place) -> bool:
        if self.user_id is None:
            return not place.is_dm and may_show_elsewhere(self.facts.get(place.channel_id), self.audience)
        if self.user_id in place.participants:
            return True
        if place.is_dm:
            return False
        facts = self.facts.get(place.channel_id)
        return facts is not None and (not facts.private or self._is_member(place.channel_id))

    def _is_member(self, channel: str) -> bool:
        if channel not in self._member:
            assert self.user_id is not None
            # A channel Slack will not describe is read by nobody.
            self._member[channel] = self.directory.channel_access(channel).readable_by(self.user_id)
        return self._member[channel]

    def names(self) -> dict[str, str]:
        return {channel: f.name for channel, f in self.facts.items() if f is not None and f.name}


def _rc_place(rc: RootCauseSeen) -> Place:
    return Place(rc.channel_id, rc.is_dm, rc.participants)


def _themes(root_causes: Sequence[RootCauseSeen], readers: Readers) -> list[ThemeView]:
    sources = [
        ThemeSource(
            id=rc.id,
            session_id=rc.session_id,
            text=rc.text,
            service=rc.channel_id,
            category=rc.category,
            readable=readers.may_read(_rc_place(rc)),
        )
        for rc in root_causes
    ]
    return themes_for(sources, service_names=readers.names())


def _all_places(read: DigestRead) -> list[Place]:
    return [*(_rc_place(rc) for rc in read.root_causes), *read.places.values()]


def themes_for_channel(directory: Directory, read: DigestRead, audience: str) -> list[ThemeView]:
    """Themes as everyone in ``audience`` (the leads channel) may read them."""
    return _themes(read.root_causes, Readers.channel(directory, _all_places(read), audience))


def themes_for_person(
    directory: Directory, root_causes: Sequence[RootCauseSeen], user_id: str
) -> list[ThemeView]:
    """Themes as one person may read them."""
    return _themes(root_causes, Readers.person(directory, [_rc_place(rc) for rc in root_causes], user_id))


def hidden_sessions(read: DigestRead, readers: Readers) -> frozenset[int]:
    """The sessions of the digest's reports whose words ``readers`` may not see (one whose place is
    not known is not shown either)."""
    quoted = {
        session_id
        for report in (*read.this_week, *read.last_week, *read.followed)
        for session_id in (report.session_id, *(item.session_id for item in report.interventions))
    }
    return frozenset(
        sid
        for sid in quoted | set(read.places)
        if sid not in read.places or not readers.may_read(read.places[sid])
    )


# --- the digest --------------------------------------------------------------------------------------


def make_digest(read: DigestRead, readers: Readers) -> Digest:
    """The digest of ``read`` as ``readers`` may see it: every figure, and the words (themes' root
    causes, problems, interventions) only of sessions they may read."""
    return build_digest(
        week=read.week,
        started=read.started,
        finished=read.finished,
        this_week=read.this_week,
        last_week=read.last_week,
        with_interventions=read.followed,
        themes=_themes(read.root_causes, readers),
        today=local_date(read.week.ends_at, read.timezone),
        hidden_sessions=hidden_sessions(read, readers),
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
    digest = make_digest(read, Readers.channel(directory, _all_places(read), channel))
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
    deps: Deps, clients: ClientFor, read: DigestRead, send_week: str | None, report: SendReport
) -> None:
    """Queue a digest's posts and charts in the outbox and send them. With ``send_week`` the week is
    claimed in the same transaction (the scheduled digest: once per week however many workers run);
    without it (``--now``) nothing is claimed, but the digest still goes through the outbox, so a
    sender that dies part way never posts it twice and a Retry-After is honoured."""
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
    except TRANSPORT_ERRORS as error:  # Slack refusing too: a SlackApiError is a SlackClientError
        report.failed.append(workspace_id)
        log.warning("digest for %s (%s) not made, will try again: %s", workspace_id, send_week, error)
        return
    with deps.uow() as uow:
        if send_week is not None and not uow.digests.claim(workspace_id, send_week, deps.clock.now()):
            report.skipped.append(workspace_id)  # another worker's, queued already
            return
        queue = delivery.Queue(uow, workspace_id, deps.clock.now())
        # The scheduled digest's first post carries the week: once Slack has it, the week is sent.
        role = delivery.digest_role(send_week) if send_week is not None else None
        for message in messages:
            if role is not None and isinstance(message, Post):
                message = message.model_copy(update={"role": role})
                role = None
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
    claim: it is sent whatever the schedule has done), through the outbox like every other post."""
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
        _queue_digest(deps, clients, read, None, report)
    return report


def _may_read_digest(deps: Deps, directory: Directory, caller: Caller, refusal: str) -> EffectiveSettings:
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
    is_lead = settings.is_lead(caller.user_id)
    if not policy.may_read_digest(
        settings.lead_ids, caller.user_id, is_lead or directory.is_workspace_admin(caller.user_id)
    ):
        raise NotAllowed(t(refusal))
    return settings


def may_preview(deps: Deps, client: WebClient, caller: Caller) -> None:
    """Raise :class:`NotAllowed` unless the caller is a lead or a workspace admin (asked before the
    preview is acknowledged, so a refusal is the command's own answer)."""
    _may_read_digest(deps, deps.directory(client, caller.team_id), caller, "digest_not_allowed")


def may_see_themes(deps: Deps, client: WebClient, caller: Caller) -> None:
    """``/playbook themes`` is for the same people as the digest: leads and workspace admins."""
    _may_read_digest(deps, deps.directory(client, caller.team_id), caller, "themes_not_allowed")


def preview_command(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """``/playbook digest``: the digest of the seven days up to now, shown only to the lead or admin
    who asked (no charts, nothing posted)."""
    directory = deps.directory(client, caller.team_id)
    settings = _may_read_digest(deps, directory, caller, "digest_not_allowed")
    now = deps.clock.now()
    with deps.uow() as uow:
        read = read_digest(
            uow, deps, caller.team_id, seven_days_to(now, settings.timezone), with_history=False
        )
    # The preview is read by the caller alone: themes as they may read them.
    digest = make_digest(read, Readers.person(directory, _all_places(read), caller.user_id))
    blocks = digest_blocks(digest, when=local_time(settings, now), preview=True)
    return Shown(
        ack=clip(digest_fallback(digest), delivery.FALLBACK_LIMIT),
        ack_blocks=delivery.as_dicts(split_for_leads(blocks)[0]),
    )


def themes_command(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """``/playbook themes``: for leads and workspace admins; each sees private root causes only where
    they may (a private channel's they are in, a session they took part in)."""
    directory = deps.directory(client, caller.team_id)
    _may_read_digest(deps, directory, caller, "themes_not_allowed")
    with deps.uow() as uow:
        root_causes = _root_causes(uow, caller.team_id)
    themes = themes_for_person(directory, root_causes, caller.user_id)
    return Shown(ack=t("themes_title"), ack_blocks=delivery.as_dicts(themes_blocks(themes)))


def themes_for_home(deps: Deps, client: WebClient, team_id: str, user_id: str) -> list[ThemeView]:
    """The leads' Home tab's themes (the caller decides whether the viewer is a lead)."""
    with deps.uow() as uow:
        root_causes = _root_causes(uow, team_id)
    return themes_for_person(deps.directory(client, team_id), root_causes, user_id)
