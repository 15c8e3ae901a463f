"""A whole five-whys session through signed HTTP requests into the real app."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from bot.app import build_deps, create_app
from bot.views.common import MESSAGE_BLOCK_LIMIT
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient
from storage.models import AnswerVersion, Participant, ProcessedEvent, Session, SessionStatus
from tests.bot.conftest import (
    ALEX,
    CHANNEL,
    FACILITATOR,
    OTHER_TEAM,
    SAM,
    SIGNING_SECRET,
    TEAM,
    Harness,
    make_settings,
    rendered,
    serve,
)


def start(h: Harness, text: str, *, team: str = TEAM, user: str = FACILITATOR, channel: str = CHANNEL) -> str:
    """Run ``/playbook <text>`` in a channel; return the session's thread ts."""
    response = h.client.slash_command(team_id=team, user_id=user, channel_id=channel, text=text)
    assert response.status == 200, response.body
    anchor = [m for m in h.slack.messages(channel=channel, team_id=team) if m.thread_ts is None][-1]
    return anchor.ts


def say(
    h: Harness, thread_ts: str, text: str, *, user: str = FACILITATOR, team: str = TEAM, **extra: object
) -> None:
    response = h.client.message(
        team_id=team, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread_ts, **extra
    )
    assert response.status == 200, response.body


def stored(h: Harness) -> list[AnswerVersion]:
    with h.deps.session_factory() as orm:
        return list(orm.scalars(select(AnswerVersion).order_by(AnswerVersion.id)))


def test_a_whole_session_from_slash_command_to_summary(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Residents ring us because the moving form rejects postcodes")
    first = h.last_text(CHANNEL, thread)
    assert "Why 1" in first and "moving form rejects postcodes" in first
    say(h, thread, "The form won't accept postcodes without a space", user=ALEX)
    say(h, thread, "The validation pattern insists on a space", user=SAM)
    say(h, thread, "The platform's October release changed validation and we can't override it")
    assert "stop recurring" in h.last_text(CHANNEL, thread)
    say(h, thread, "yes")
    assert "_(suggested)_" in h.last_text(CHANNEL, thread)
    say(h, thread, "yes")
    say(h, thread, "no")
    assert "scope, in the" in h.last_text(CHANNEL, thread)  # the classification proposal
    say(h, thread, "confirm")
    if "Intervention 1" in h.last_text(CHANNEL, thread):  # the interventions list, if present
        say(h, thread, "done")

    messages = h.thread(CHANNEL, thread)
    summary = "\n".join(rendered(m) for m in messages[-2:])
    assert "Five whys: summary" in summary
    assert "Root cause" in summary and "October release changed validation" in summary
    assert all(len(m.blocks or []) <= MESSAGE_BLOCK_LIMIT for m in messages)

    rows = stored(h)
    by_key = {r.key: r for r in rows}
    assert by_key["problem"].value.startswith("Residents ring us")
    assert by_key["whys.1.answer"].author_id == ALEX
    assert by_key["whys.2.answer"].author_id == SAM
    assert by_key["whys.3.answer"].author_id == FACILITATOR
    assert by_key["whys.3.fixes_it"].value is True
    assert by_key["root_cause"].value == {
        "item": 3,
        "text": "The platform's October release changed validation and we can't override it",
    }
    assert all(r.created_at is not None for r in rows)
    with h.deps.session_factory() as orm:
        session = orm.scalars(select(Session)).one()
        assert session.status == SessionStatus.COMPLETED
        people = {p.user_id for p in orm.scalars(select(Participant))}
        assert people == {FACILITATOR, ALEX, SAM}


def test_buttons_are_shortcuts_for_typing(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Bulky waste bookings fail")
    for answer in ("one", "two", "three"):
        say(h, thread, answer)
    prompt = h.thread(CHANNEL, thread)[-1]
    yes_button = next(
        e
        for b in prompt.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Yes"
    )
    response = h.client.block_action(
        team_id=TEAM,
        user_id=ALEX,
        action_id=yes_button["action_id"],
        value=yes_button["value"],
        channel_id=CHANNEL,
        message_ts=prompt.ts,
        thread_ts=thread,
    )
    assert response.status == 200
    assert "_(suggested)_" in h.last_text(CHANNEL, thread)
    latest = {r.key: r for r in stored(h)}
    assert latest["whys.3.fixes_it"].value is True and latest["whys.3.fixes_it"].author_id == ALEX
    # Clicking the same (now stale) button again changes nothing.
    count = len(stored(h))
    h.client.block_action(
        team_id=TEAM,
        user_id=ALEX,
        action_id=yes_button["action_id"],
        value=yes_button["value"],
        channel_id=CHANNEL,
        message_ts=prompt.ts,
        thread_ts=thread,
    )
    assert len(stored(h)) == count


def test_retried_event_is_stored_once(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax refunds take months")
    say(h, thread, "Refunds wait for a manual check", event_id="Ev0RETRY1")
    posted = len(h.thread(CHANNEL, thread))
    say(
        h,
        thread,
        "Refunds wait for a manual check",
        event_id="Ev0RETRY1",
        retry_num=1,
        retry_reason="http_timeout",
    )
    rows = [r for r in stored(h) if r.key.startswith("whys.")]
    assert len(rows) == 1
    assert len(h.thread(CHANNEL, thread)) == posted  # no second prompt either
    with h.deps.session_factory() as orm:
        assert orm.get(ProcessedEvent, "Ev0RETRY1") is not None


def test_a_prompt_slack_failed_to_take_is_posted_once_when_slack_retries(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Missed bin collections")
    before = len(h.thread(CHANNEL, thread))
    h.slack.fail_next("chat.postMessage", status=500)
    response = h.client.message(
        team_id=TEAM,
        user_id=FACILITATOR,
        channel_id=CHANNEL,
        text="Crews lack the round info",
        thread_ts=thread,
        event_id="Ev0LOST",
    )
    # The answer and its next prompt were committed together: the ack says so, and the prompt is owed.
    assert response.status == 200
    assert [r.key for r in stored(h) if r.key.startswith("whys.")] == ["whys.1.answer"]
    assert len(h.thread(CHANNEL, thread)) == before
    # Slack's retry (after its own wait, past the outbox's back-off) finds the answer stored and only
    # sends what the session still owes, once: not the answer again, not the prompt twice.
    h.clock.advance(timedelta(minutes=1))
    say(h, thread, "Crews lack the round info", event_id="Ev0LOST", retry_num=1, retry_reason="http_error")
    assert "Why 2" in h.last_text(CHANNEL, thread)
    assert len(h.thread(CHANNEL, thread)) == before + 1
    assert [r.key for r in stored(h) if r.key.startswith("whys.")] == ["whys.1.answer"]
    # A second retry, and the background sender, find nothing more to send.
    say(h, thread, "Crews lack the round info", event_id="Ev0LOST", retry_num=2, retry_reason="http_error")
    assert h.send_outbox().sent == {}
    assert len(h.thread(CHANNEL, thread)) == before + 1


def test_bad_input_gets_a_clear_reply_and_the_prompt_stays(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Parking permits are delayed")
    say(h, thread, "   ")
    reply = h.last_text(CHANNEL, thread)
    assert "didn't get an answer" in reply and "Why 1" in reply
    say(h, thread, "x" * 10_000)
    reply = h.last_text(CHANNEL, thread)
    assert "10,000 characters" in reply and "3,000" in reply and "Why 1" in reply
    assert [r.key for r in stored(h)] == ["problem"]


def test_unknown_or_missing_template_lists_the_templates(harness: Harness) -> None:
    h = harness
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start six-whys"
    )
    assert "no template called `six-whys`" in response.body and "five-whys" in response.body
    # A problem named with no template: the command says which templates there are.
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start --problem 1"
    )
    assert "Which template?" in response.body and "five-whys" in response.body
    assert h.slack.messages(channel=CHANNEL) == []


def test_ignored_messages_get_no_reply(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Housing repairs are missed")
    before = len(h.thread(CHANNEL, thread))
    # A thread that is no session, a bot's message, edits and deletions.
    say(h, "1111111111.000100", "hello")
    say(h, thread, "from a bot", bot_id="B0OTHER")
    say(h, thread, "edited", subtype="message_changed")
    say(h, thread, "deleted", subtype="message_deleted")
    assert len(h.thread(CHANNEL, thread)) == before
    assert [r.key for r in stored(h)] == ["problem"]


def test_user_text_is_escaped_everywhere(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys <!channel> the portal is down")
    say(h, thread, "<!here> because <@U0BOSS> said so & <https://evil.example|click>")
    for message in h.slack.messages(channel=CHANNEL):
        everything = rendered(message) + (message.text or "")
        assert "<!channel>" not in everything and "<!here>" not in everything
        assert "<@U0BOSS>" not in everything and "<https://evil" not in everything
    assert "&lt;!here&gt;" in h.last_text(CHANNEL, thread)
    latest = {r.key: r for r in stored(h)}
    assert latest["whys.1.answer"].value.startswith("<!here> because")  # stored as typed


def test_bad_or_stale_signature_gets_401_and_changes_nothing(harness: Harness) -> None:
    h = harness
    body = b"command=%2Fplaybook&text=start+five-whys+x&team_id=T0COUNCIL&user_id=U0FAC&channel_id=C0TEAM"
    bad = h.client.raw(body, "application/x-www-form-urlencoded", signature="v0=deadbeef")
    assert bad.status == 401
    stale = h.client.raw(body, "application/x-www-form-urlencoded", timestamp=1_600_000_000)
    assert stale.status == 401
    assert h.slack.messages() == []
    with h.deps.session_factory() as orm:
        assert orm.scalars(select(Session)).all() == []


def test_two_threads_and_two_workspaces_never_mix(harness: Harness, database_url: str) -> None:
    """Two threads in one channel, and a second workspace (its own token) served from the same
    database at the same time, with the same channel and user ids: nothing crosses over."""
    h = harness
    settings = make_settings(h.slack, database_url, team=OTHER_TEAM)
    server, url = serve(make_wsgi_app(create_app(settings, build_deps(settings, h.clock))))
    try:
        other_h = Harness(h.slack, SignedSlackClient(url, SIGNING_SECRET), h.deps, h.clock, url)
        first = start(h, "start five-whys First problem")
        second = start(h, "start five-whys Second problem")
        other = start(other_h, "start five-whys Other council's problem", team=OTHER_TEAM)
        say(h, first, "first thread answer")
        say(h, second, "second thread answer", user=ALEX)
        say(other_h, other, "other workspace answer", team=OTHER_TEAM)
    finally:
        server.shutdown()
        server.server_close()
    with h.deps.session_factory() as orm:
        sessions = {s.thread_ts: s for s in orm.scalars(select(Session))}
    assert sessions[other].workspace_id == OTHER_TEAM
    with h.deps.uow() as uow:
        for thread, expected in (
            (first, "first thread answer"),
            (second, "second thread answer"),
            (other, "other workspace answer"),
        ):
            latest = uow.answers.latest(sessions[thread].id)
            assert latest["whys.1.answer"].value == expected
    assert "first thread answer" in h.last_text(CHANNEL, first)
    in_other_thread = [m for m in h.slack.messages(channel=CHANNEL) if m.thread_ts == other]
    assert len(in_other_thread) == 2 and {m.team_id for m in in_other_thread} == {OTHER_TEAM}
    assert "second thread answer" in h.last_text(CHANNEL, second)


def test_dm_session_runs_in_the_dm(harness: Harness) -> None:
    h = harness
    response = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id="D0ALEX", text="start five-whys Slow FOI replies"
    )
    assert response.status == 200
    dm = [m for m in h.slack.messages(team_id=TEAM) if m.channel.startswith("D")]
    assert dm and "Why 1" in rendered(dm[-1])
    channel = dm[-1].channel
    h.client.message(
        team_id=TEAM, user_id=ALEX, channel_id=channel, text="Requests arrive by email", channel_type="im"
    )
    assert "Why 2" in rendered([m for m in h.slack.messages(channel=channel)][-1])
    # Someone else's message in that DM channel is not an answer.
    h.client.message(team_id=TEAM, user_id=SAM, channel_id=channel, text="intruder", channel_type="im")
    assert all(r.value != "intruder" for r in stored(h))


def test_pause_and_resume(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Blue badge renewals lapse")
    say(h, thread, "Reminder letters go out late")
    say(h, thread, "pause")
    assert "Paused" in h.last_text(CHANNEL, thread)
    say(h, thread, "this is chat, not an answer")
    assert [r.key for r in stored(h)] == ["problem", "whys.1.answer"]
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session)).one().id
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"resume {session_id}"
    )
    assert "Welcome back" in response.body
    assert "Why 2" in h.last_text(CHANNEL, thread)
    status = h.client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="status")
    assert f"Session {session_id}" in status.body and "Why 2" in status.body


def test_help_and_list(harness: Harness) -> None:
    h = harness
    assert (
        "/playbook start"
        in h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="help").body
    )
    assert (
        "five-whys"
        in h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="list").body
    )
    assert (
        "don't know the command"
        in h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="frobnicate").body
    )


def test_simultaneous_replies_are_all_kept(harness: Harness) -> None:
    """Two people answering at the same moment: both replies are stored (one answers why 1, the
    other why 2), nothing fails, no answer is lost to a race."""
    h = harness
    thread = start(h, "start five-whys Library room bookings clash")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(
                h.client.message, team_id=TEAM, user_id=user, channel_id=CHANNEL, thread_ts=thread, text=text
            )
            for user, text in ((ALEX, "Two booking systems"), (SAM, "Nobody owns the calendar"))
        ]
        statuses = [f.result().status for f in futures]
    assert statuses == [200, 200]
    whys = {r.value for r in stored(h) if r.key in ("whys.1.answer", "whys.2.answer")}
    assert whys == {"Two booking systems", "Nobody owns the calendar"}


def test_a_message_to_the_app_with_nothing_running_gets_one_hint(harness: Harness) -> None:
    """A first-time user writing 'hello' in the app's DM is told how to start, once (not again when
    Slack retries the same event); nothing is stored."""
    h = harness
    dm = h.slack.dm_channel(TEAM, ALEX)
    for retry in (None, 1):
        response = h.client.message(
            team_id=TEAM, user_id=ALEX, channel_id=dm, text="hello", channel_type="im",
            event_id="Ev0HELLO", retry_num=retry,
        )  # fmt: skip
        assert response.status == 200
    replies = [m for m in h.slack.messages(channel=dm) if m.user != ALEX]
    assert len(replies) == 1 and "/playbook start five-whys" in replies[0].text
    assert stored(h) == []
