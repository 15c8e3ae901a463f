"""Only who should: settings that decide where data goes or how long it is kept change only for a
Slack workspace admin/owner or a named lead, and a private channel's sessions and problems stay with
the people who can read that channel. Everything through signed requests into the real app; what a
person could see is read from every response, post, ephemeral, modal, Home tab and file."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.ids import ActionId, CheckInActionId, EditActionId
from bot.ids import indexed as numbered
from localslack.requests import SlackResponse
from storage.audit import AuditEntry
from storage.models import Problem, Session, SessionStatus, Workspace
from tests.bot.conftest import ADMIN, ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, rendered

PRIVATE = "C0PRIVATE"
SAMS_CHANNEL = "C0SAMS"
# Words that appear only in the private channel's session: none may reach anyone outside it.
SECRET = "Zanzibar marmalade quagmire"
SECRET_WORDS = ("Zanzibar", "marmalade", "quagmire", "Xylophone", "gearbox")


def command(h: Harness, text: str, user: str, channel: str = CHANNEL) -> SlackResponse:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=channel, text=text, encoded=True)
    assert response.status == 200, response.body
    return response


def say(h: Harness, channel: str, thread: str, text: str, user: str = FACILITATOR) -> SlackResponse:
    h.clock.advance(timedelta(seconds=2))
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=channel, text=text, thread_ts=thread)
    assert response.status == 200, response.body
    return response


def newest_anchor(h: Harness, channel: str) -> str:
    return [m for m in h.slack.messages(channel=channel, team_id=TEAM) if m.thread_ts is None][-1].ts


def audit(h: Harness) -> list[tuple[str, str, dict[str, Any]]]:
    with h.deps.session_factory() as orm:
        entries = orm.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.actor, e.action, e.detail) for e in entries]


def workspace_row(h: Harness) -> tuple[str | None, dict[str, Any]]:
    with h.deps.session_factory() as orm:
        row = orm.get(Workspace, TEAM)
        return (None, {}) if row is None else (row.leads_channel, dict(row.settings or {}))


# --- who may change what ------------------------------------------------------------------------------


def test_an_ordinary_member_changes_no_setting_and_an_admin_changes_each(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, SAMS_CHANNEL, "sams", members=[SAM])
    attempts = (
        f"leads <#{SAMS_CHANNEL}|sams>",
        "retention 30",
        "nation scotland",
        f"leads add <@{SAM}|sam>",
        f"leads remove <@{FACILITATOR}|fran>",
        "leads list",
    )
    for text in attempts:
        body = command(h, text, SAM).body
        assert "Only a workspace admin or owner" in body, (text, body)
    assert workspace_row(h) == (None, {})
    assert audit(h) == []

    assert f"<#{LEADS}>" in command(h, f"leads <#{LEADS}|leads>", ADMIN).body
    assert "365 days" in command(h, "retention 365", ADMIN).body
    assert "Scotland" in command(h, "nation scotland", ADMIN).body
    assert f"<@{SAM}> is now a lead" in command(h, f"leads add <@{SAM}|sam>", ADMIN).body
    assert f"<@{SAM}> is already a lead" in command(h, f"leads add <@{SAM}|sam>", ADMIN).body
    assert f"<@{FACILITATOR}> is now a lead" in command(h, f"leads add <@{FACILITATOR}|fran>", ADMIN).body
    assert f"<@{SAM}>, <@{FACILITATOR}>" in command(h, "leads list", ADMIN).body
    assert f"<@{FACILITATOR}> is no longer a lead" in command(h, f"leads remove <@{FACILITATOR}>", ADMIN).body

    leads_channel, stored = workspace_row(h)
    assert leads_channel == LEADS
    assert stored == {
        "retention_days": 365,
        "nation": "scotland",
        "lead_user_ids": [SAM],
        "leads_channel_by_admin": True,
    }
    assert audit(h) == [
        (ADMIN, "settings.leads_channel", {"before": None, "after": LEADS}),
        (ADMIN, "settings.leads_channel_by_admin", {"before": False, "after": True}),
        (ADMIN, "settings.retention", {"before": 730, "after": 365}),
        (ADMIN, "settings.nation", {"before": "england-and-wales", "after": "scotland"}),
        (ADMIN, "settings.leads", {"before": [], "after": [SAM]}),
        (ADMIN, "settings.leads", {"before": [SAM], "after": [SAM, FACILITATOR]}),
        (ADMIN, "settings.leads", {"before": [SAM, FACILITATOR], "after": [SAM]}),
    ]


def test_a_named_lead_changes_settings_but_names_no_leads_and_a_refusal_names_them(harness: Harness) -> None:
    h = harness
    command(h, f"leads add <@{SAM}|sam>", ADMIN)
    assert f"<#{LEADS}>" in command(h, f"leads <#{LEADS}|leads>", SAM).body
    assert "90 days" in command(h, "retention 90", SAM).body
    assert (
        "Only a workspace admin or owner can name the leads" in command(h, f"leads add <@{ALEX}>", SAM).body
    )
    refused = command(h, "leads <#C0ELSE|else>", ALEX).body
    assert f"Only a workspace admin or owner, or one of this workspace's leads (<@{SAM}>)" in refused
    assert workspace_row(h)[0] == LEADS
    assert [action for actor, action, _ in audit(h) if actor == SAM] == [
        "settings.leads_channel",
        "settings.retention",
    ]


def test_a_workspace_owner_who_is_not_an_admin_may_too(harness: Harness) -> None:
    h = harness
    h.slack.add_user(TEAM, "U0OWNER", "Olu", is_owner=True)
    assert f"<#{LEADS}>" in command(h, f"leads <#{LEADS}|leads>", "U0OWNER").body
    assert f"<@{SAM}> is now a lead" in command(h, f"leads add <@{SAM}>", "U0OWNER").body
    assert [action for _, action, _ in audit(h)] == [
        "settings.leads_channel",
        "settings.leads_channel_by_admin",
        "settings.leads",
    ]


def test_the_hourly_rate_and_weeks_a_year_are_settings_and_reach_every_cost(harness: Harness) -> None:
    h = harness
    for text in ("rate £40", "weeks 46"):
        assert "Only a workspace admin or owner" in command(h, text, SAM).body
    assert "£30 an hour" in command(h, "rate", SAM).body
    assert "52 working weeks" in command(h, "weeks", SAM).body
    for text in ("rate £0", "rate £5,000", "rate lots", "weeks 53", "weeks ٤٦", "weeks 0"):
        assert "for example" in command(h, text, ADMIN).body, text
    assert audit(h) == []
    assert "£40 an hour (it was £30)" in command(h, "rate £40", ADMIN).body
    assert "46 working weeks a year (it was 52)" in command(h, "weeks 46", ADMIN).body
    command(h, f"leads <#{LEADS}|leads>", ADMIN)
    assert audit(h)[:2] == [
        (ADMIN, "settings.hourly_rate", {"before": None, "after": "40.00"}),
        (ADMIN, "settings.weeks_per_year", {"before": None, "after": "46"}),
    ]

    command(h, "start cost-impacts Paper forms", FACILITATOR)
    thread = newest_anchor(h, CHANNEL)
    for reply in ("staff", "Scanning forms", "time", "1 hour", "1 a week", "1"):
        say(h, CHANNEL, thread, reply)
    assert "default rate (£40 an hour)" in h.last_text(CHANNEL, thread)
    # The rate, the evidence (a staff-time line asks no direct cost), no more lines, the notes.
    for reply in ("skip", "skip", "done", "skip"):
        say(h, CHANNEL, thread, reply)
    # 1 hour × 46 a year (1 a week × 46 weeks) × 1 person × £40 = £1,840: in the thread, for the
    # leads and in the export.
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread))
    assert "*Total a year:* £1,840" in summary
    assert "Time is costed at £40 an hour, the default rate." in summary
    assert "A year is counted as 46 weeks." in summary
    leads_post = "\n".join(rendered(m) for m in h.slack.messages(channel=LEADS))
    assert "£1,840" in leads_post
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session.id)).one()
    command(h, f"export {session_id}", FACILITATOR)
    exported = "\n".join(
        (f.content or b"").decode("utf-8", "replace") for f in h.slack.files if f.filename.endswith(".md")
    )
    assert "£1,840" in exported


def test_an_admin_is_asked_of_slack_once_a_minute_not_on_every_command(harness: Harness) -> None:
    h = harness
    for days in (100, 200, 300):
        command(h, f"retention {days}", ADMIN)
    assert len([c for c in h.slack.calls_to("users.info") if c.params.get("user") == ADMIN]) == 1
    h.clock.advance(timedelta(minutes=2))
    command(h, "retention 400", ADMIN)
    assert len([c for c in h.slack.calls_to("users.info") if c.params.get("user") == ADMIN]) == 2


def test_summaries_of_a_private_session_never_reach_a_channel_a_non_admin_chose(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, SAMS_CHANNEL, "sams", members=[SAM])
    h.slack.add_channel(TEAM, PRIVATE, "private", members=[FACILITATOR, ALEX], is_private=True)
    assert "Only a workspace admin or owner" in command(h, f"leads <#{SAMS_CHANNEL}|sams>", SAM).body
    thread = complete_private_session(h)
    assert "summary" in "\n".join(rendered(m) for m in h.thread(PRIVATE, thread)).lower()
    assert h.slack.messages(channel=SAMS_CHANNEL) == []
    assert workspace_row(h)[0] is None


def test_a_channel_a_lead_chose_gets_public_summaries_only_until_an_admin_confirms_it(
    harness: Harness,
) -> None:
    h = harness
    h.slack.add_channel(TEAM, SAMS_CHANNEL, "sams", members=[SAM])
    h.slack.add_channel(TEAM, PRIVATE, "private", members=[FACILITATOR, ALEX], is_private=True)
    command(h, f"leads add <@{SAM}|sam>", ADMIN)
    assert f"<#{SAMS_CHANNEL}>" in command(h, f"leads <#{SAMS_CHANNEL}|sams>", SAM).body

    private_thread = complete_private_session(h)
    assert h.slack.messages(channel=SAMS_CHANNEL) == []
    [told] = [m for m in h.slack.messages(channel=PRIVATE) if m.ephemeral_user == FACILITATOR]
    assert "chosen by a lead rather than a workspace admin" in told.text and told.thread_ts == private_thread

    # A public channel's session is summarised there, and takes nothing from the private one.
    command(h, "start problem-levels Bulky waste bookings fail", FACILITATOR)
    public_thread = newest_anchor(h, CHANNEL)
    for reply in (
        "They ring us",
        "Staff re-key forms",
        "No API",
        "No budget",
        "no",
        "It is this service's system",
    ):
        say(h, CHANNEL, public_thread, reply)
    posted = "\n".join(rendered(m) for m in h.slack.messages(channel=SAMS_CHANNEL))
    assert "Bulky waste bookings fail" in posted
    for word in SECRET_WORDS:
        assert word not in posted

    # An admin confirms the channel: from now on private sessions' summaries go there too.
    command(h, f"leads <#{SAMS_CHANNEL}|sams>", ADMIN)
    complete_private_session(h, statement="Quokka ledger backlog")
    assert "Quokka ledger backlog" in "\n".join(rendered(m) for m in h.slack.messages(channel=SAMS_CHANNEL))


# --- private stays private ------------------------------------------------------------------------------


def complete_private_session(h: Harness, statement: str = SECRET) -> str:
    """A problem-levels session in the private channel, run to the end by Fran and Alex."""
    command(h, f"start problem-levels {statement}", FACILITATOR, channel=PRIVATE)
    thread = newest_anchor(h, PRIVATE)
    say(h, PRIVATE, thread, "Xylophone gearbox queues at the counter", ALEX)
    for reply in ("Staff re-key forms", "No API", "No budget", "no", "It is this service's system"):
        say(h, PRIVATE, thread, reply)
    with h.deps.session_factory() as orm:
        newest = orm.scalars(
            select(Session).where(Session.channel_id == PRIVATE).order_by(Session.id.desc())
        ).first()
        assert newest is not None and newest.status == SessionStatus.COMPLETED
    return thread


def private_setup(h: Harness) -> tuple[int, int, str]:
    """Fran's private-channel session (Sam took part, then left the channel) and Fran's DM session on
    the same words. Returns (private session id, its problem id, its thread)."""
    h.slack.add_channel(TEAM, PRIVATE, "private", members=[FACILITATOR, ALEX, SAM], is_private=True)
    command(h, f"start five-whys {SECRET}", FACILITATOR, channel=PRIVATE)
    thread = newest_anchor(h, PRIVATE)
    say(h, PRIVATE, thread, "Xylophone gearbox jams", SAM)
    command(h, f"start problem-levels {SECRET} in a DM", FACILITATOR, channel="D0FRAN")
    # Sam leaves the private channel; the minute Slack's answers are kept passes.
    h.slack.add_channel(TEAM, PRIVATE, "private", members=[FACILITATOR, ALEX], is_private=True)
    h.clock.advance(timedelta(minutes=5))
    with h.deps.session_factory() as orm:
        session = orm.scalars(select(Session).where(Session.channel_id == PRIVATE)).one()
        assert session.problem_id is not None
        return session.id, session.problem_id, thread


class Watch:
    """Everything Slack was asked to show from a point on (posts, ephemerals, updates, modals, the
    Home tab, files), and every response returned to the person."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.calls = len(h.slack.calls)
        self.files = {f.id for f in h.slack.files}
        self.responses: list[str] = []

    def keep(self, response: SlackResponse) -> SlackResponse:
        self.responses.append(response.body)
        return response

    def seen(self) -> str:
        calls = self.h.slack.calls[self.calls :]
        shown = [json.dumps(call.params, ensure_ascii=False) for call in calls]
        files = [f for f in self.h.slack.files if f.id not in self.files]
        shown += [(f.content or b"").decode("utf-8", "replace") + f.title + f.filename for f in files]
        return "\n".join(self.responses + shown)

    def assert_nothing_secret(self) -> None:
        seen = self.seen()
        for word in SECRET_WORDS:
            assert word not in seen, word


def test_a_non_member_never_sees_a_private_problem_by_any_command(harness: Harness) -> None:
    h = harness
    session_id, problem_id, _ = private_setup(h)
    with h.deps.session_factory() as orm:
        problem_ids = list(orm.scalars(select(Problem.id)))
    assert problem_id in problem_ids and len(problem_ids) == 2

    watch = Watch(h)
    for number in range(1, 51):
        body = watch.keep(command(h, f"start five-whys --problem {number}", SAM)).body
        assert f"I can't find problem `{number}` in this workspace" in body, body
    status = watch.keep(command(h, "status", SAM)).body
    assert "You have no sessions yet" in status
    for verb in ("resume", "export", "intervene"):
        for number in (session_id, session_id + 1, 999):
            body = watch.keep(command(h, f"{verb} {number}", SAM)).body
            assert f"I can't find session `{number}` in this workspace" in body, (verb, number, body)
    watch.keep(h.client.app_home_opened(team_id=TEAM, user_id=SAM))
    home = h.slack.home_view(TEAM, SAM)
    assert home is not None
    watch.assert_nothing_secret()
    # Nothing was started, uploaded or opened for Sam.
    with h.deps.session_factory() as orm:
        assert not list(orm.scalars(select(Session).where(Session.facilitator_id == SAM)))
    assert h.slack.views == []
    assert h.slack.files == []


def test_a_lead_outside_the_private_channel_sees_none_of_it_on_home_or_by_export(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, PRIVATE, "private", members=[FACILITATOR, ALEX], is_private=True)
    complete_private_session(h)
    command(h, f"leads add <@{SAM}|sam>", ADMIN)
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session.id)).one()
    watch = Watch(h)
    watch.keep(h.client.app_home_opened(team_id=TEAM, user_id=SAM))
    assert "I can't find session" in watch.keep(command(h, f"export {session_id}", SAM)).body
    watch.assert_nothing_secret()
    assert h.slack.home_view(TEAM, SAM) is not None
    # A member of the channel who is a lead does see it on Home.
    command(h, f"leads add <@{ALEX}|alex>", ADMIN)
    h.client.app_home_opened(team_id=TEAM, user_id=ALEX)
    alex_home = h.slack.home_view(TEAM, ALEX)
    assert alex_home is not None and "Zanzibar" in json.dumps(alex_home.view)


def test_members_still_see_and_use_the_private_problem(harness: Harness) -> None:
    h = harness
    session_id, problem_id, _ = private_setup(h)
    body = command(h, f"start pain-points --problem {problem_id}", ALEX, channel=PRIVATE).body
    assert f"on problem {problem_id}" in body
    status = command(h, "status", FACILITATOR).body
    assert SECRET in status and f"Session {session_id}" in status
    # Alex's status: the problem and both sessions on it; never Fran's DM session.
    alex_status = command(h, "status", ALEX).body
    assert f"*Problem {problem_id}:* {SECRET}" in alex_status
    assert "in a DM" not in alex_status


def test_a_typed_start_in_a_private_thread_from_a_non_member_starts_nothing(harness: Harness) -> None:
    h = harness
    _, _, thread = private_setup(h)
    before = len(h.slack.messages())
    watch = Watch(h)
    watch.keep(say(h, PRIVATE, thread, "start pain-points", SAM))
    watch.assert_nothing_secret()
    assert len(h.slack.messages()) == before
    with h.deps.session_factory() as orm:
        assert len(list(orm.scalars(select(Session)))) == 2


def test_a_sessions_buttons_must_carry_its_own_channel(harness: Harness) -> None:
    h = harness
    session_id, _, thread = private_setup(h)
    answer = json.dumps({"s": session_id, "k": "whys.2.answer", "r": "crafted"})
    session_button = json.dumps({"s": session_id})
    watch = Watch(h)
    for channel in (None, CHANNEL):
        for action_id, value in (
            (numbered(ActionId.ANSWER, 0), answer),
            (EditActionId.OPEN.value, session_button),
            (CheckInActionId.ADD_INTERVENTION.value, session_button),
        ):
            extra: dict[str, Any] = {} if channel is None else {"channel_id": channel, "message_ts": thread}
            watch.keep(
                h.client.block_action(
                    team_id=TEAM, user_id=FACILITATOR, action_id=action_id, value=value, **extra
                )
            )
    watch.assert_nothing_secret()
    assert h.slack.views == []
    with h.deps.uow() as uow:
        assert "crafted" not in {a.value for a in uow.answers.latest(session_id).values()}
    # From its own channel the same answer button counts.
    h.client.block_action(
        team_id=TEAM,
        user_id=FACILITATOR,
        action_id=numbered(ActionId.ANSWER, 0),
        value=answer,
        channel_id=PRIVATE,
        message_ts=thread,
        thread_ts=thread,
    )
    with h.deps.uow() as uow:
        assert "crafted" in {a.value for a in uow.answers.latest(session_id).values()}


def public_session_on_private_problem(h: Harness) -> tuple[int, int, str]:
    """The private channel's problem taken to the public channel by Alex (a member of both), where Sam
    answers. Returns (the public session's id, the problem's id, the public thread)."""
    _, problem_id, _ = private_setup(h)
    assert f"on problem {problem_id}" in command(h, f"start pain-points --problem {problem_id}", ALEX).body
    public_thread = newest_anchor(h, CHANNEL)
    say(h, CHANNEL, public_thread, "Bulky waste bookings", SAM)
    with h.deps.session_factory() as orm:
        public_id = orm.scalars(select(Session.id).where(Session.channel_id == CHANNEL)).one()
    return public_id, problem_id, public_thread


def test_an_export_carries_no_other_conversations_private_session(harness: Harness) -> None:
    """The public pain-points session's summary would take its why chain from the five-whys session on
    the same problem; that session ran in a private channel, so its answers stay out of the files
    uploaded to the public thread."""
    h = harness
    public_id, _, public_thread = public_session_on_private_problem(h)

    watch = Watch(h)
    assert "Exported session" in watch.keep(command(h, f"export {public_id}", SAM)).body
    exported = [f for f in h.slack.files if f.channel_id == CHANNEL]
    assert exported and all(f.thread_ts == public_thread for f in exported)
    text = "\n".join((f.content or b"").decode("utf-8", "replace") for f in exported)
    assert "Bulky waste bookings" in text
    for word in ("Xylophone", "gearbox"):
        assert word not in text
        assert word not in watch.seen()
