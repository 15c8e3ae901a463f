"""The outbox through the real app (signed requests, the stand-in): what a committed change owes is sent
once, in order, whatever Slack does meanwhile; nothing is posted for a change that did not commit."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app, make_web_client
from bot.delivery import Post, Queue, send_queued
from bot.deps import Deps
from bot.web import make_wsgi_app
from flows.clock import SystemClock
from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage, OutboxStatus, Session, SessionStatus
from tests.bot.conftest import (
    ALEX,
    CHANNEL,
    FACILITATOR,
    SIGNING_SECRET,
    TEAM,
    Harness,
    counted_statements,
    engine_of,
    make_settings,
    rendered,
    serve,
)
from tests.bot.test_five_whys_e2e import start


def outbox(h: Harness) -> list[OutboxMessage]:
    with h.deps.session_factory() as orm:
        return list(orm.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def answer(h: Harness, thread: str, text: str, **extra: Any) -> float:
    """Send a thread reply; returns how long the ack took (seconds)."""
    began = time.monotonic()
    response = h.client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=text, thread_ts=thread, **extra
    )
    assert response.status == 200, response.body
    return time.monotonic() - began


def prompts_with(h: Harness, thread: str, words: str) -> int:
    return sum(words in rendered(m) for m in h.thread(CHANNEL, thread))


def test_a_429_with_retry_after_20_on_the_prompt_acks_at_once_and_the_prompt_follows_the_wait(
    harness: Harness,
) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax direct debits bounce")
    h.slack.fail_next("chat.postMessage", status=429, retry_after=20)
    took = answer(h, thread, "The bank file is sent a day late")
    assert took < 3.0  # Slack's ack deadline: the request never waits out the Retry-After
    assert prompts_with(h, thread, "Why 2") == 0
    (owed,) = [m for m in outbox(h) if m.status != OutboxStatus.SENT]
    assert owed.status == OutboxStatus.PENDING and owed.error == "ratelimited"
    # Before the wait is over the background sender leaves it alone…
    h.clock.advance(timedelta(seconds=19))
    assert h.send_outbox().sent == {}
    assert prompts_with(h, thread, "Why 2") == 0
    # …and after it, sends it once.
    h.clock.advance(timedelta(seconds=1))
    assert list(h.send_outbox().sent) == [owed.id]
    assert prompts_with(h, thread, "Why 2") == 1
    assert h.send_outbox().sent == {}
    assert prompts_with(h, thread, "Why 2") == 1
    calls = [c for c in h.slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == thread]
    assert [c.status for c in calls[-2:]] == [429, 200]
    # The person carries on in the thread as usual.
    answer(h, thread, "The batch job runs after the cut-off")
    assert prompts_with(h, thread, "Why 3") == 1


def test_later_messages_of_a_session_wait_for_an_earlier_one(harness: Harness) -> None:
    """Order per conversation: a prompt queued after one that is waiting out a Retry-After is not
    sent before it, even by the request that queued it."""
    h = harness
    thread = start(h, "start five-whys Bulky waste bookings fail")
    h.slack.fail_next("chat.postMessage", status=429, retry_after=20)
    answer(h, thread, "The booking form times out")
    answer(h, thread, "The payment step calls a slow service")
    texts = [rendered(m) for m in h.thread(CHANNEL, thread)]
    assert not any("Why 2" in text or "Why 3" in text for text in texts)
    h.clock.advance(timedelta(seconds=20))
    h.send_outbox()
    later = [rendered(m) for m in h.thread(CHANNEL, thread)][len(texts) :]
    assert len(later) == 2 and "Why 2" in later[0] and "Why 3" in later[1]


def test_every_message_carries_its_outbox_id_as_metadata(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Missed bin collections")
    answer(h, thread, "Crews lack the round info")
    sent = {m.id: m.sent_ts for m in outbox(h)}
    assert len(sent) == 3 and all(sent.values())  # anchor, introduction, next prompt
    posted = {m.ts: m.metadata for m in h.slack.messages(channel=CHANNEL) if m.user == "UBOT" and m.metadata}
    assert {ts: meta["event_payload"]["outbox_id"] for ts, meta in posted.items()} == {
        ts: outbox_id for outbox_id, ts in sent.items()
    }
    assert {meta["event_type"] for meta in posted.values()} == {"playbook_message"}


def test_a_post_whose_reply_was_lost_is_found_in_the_thread_not_posted_twice(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Library fines are wrong")
    reached = h.slack.stall_next("chat.postMessage", when="after")
    replying = threading.Thread(target=answer, args=(h, thread, "The fines table was not updated"))
    replying.start()
    assert reached.wait(120)  # Slack has stored the prompt; its reply is held, then the line drops
    h.slack.release_stalls()
    replying.join(120)
    assert not replying.is_alive()
    assert prompts_with(h, thread, "Why 2") == 1
    owed = [m for m in outbox(h) if m.status != OutboxStatus.SENT]
    assert len(owed) == 1 and owed[0].uncertain
    h.clock.advance(timedelta(minutes=1))
    flushed = h.send_outbox()
    (prompt,) = [m for m in h.thread(CHANNEL, thread) if "Why 2" in rendered(m)]
    assert flushed.sent == {owed[0].id: prompt.ts}
    assert prompts_with(h, thread, "Why 2") == 1
    assert h.slack.calls_to("conversations.replies")  # it was looked for, by its metadata


def test_a_post_whose_answer_was_cut_short_is_found_in_the_thread_not_posted_twice(harness: Harness) -> None:
    """Slack stored the prompt and began its answer, then the line dropped half way through the body:
    the HTTP library's error for an incomplete answer is a lost reply like any other."""
    h = harness
    thread = start(h, "start five-whys Library fines are wrong")
    reached = h.slack.stall_next("chat.postMessage", when="after", cut_short=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        replying = pool.submit(answer, h, thread, "The fines table was not updated")
        assert reached.wait(120)
        h.slack.release_stalls()
        replying.result(120)  # acknowledged: the answer is kept and the prompt is owed, not an error
    assert prompts_with(h, thread, "Why 2") == 1
    owed = [m for m in outbox(h) if m.status != OutboxStatus.SENT]
    assert len(owed) == 1 and owed[0].uncertain and owed[0].status == OutboxStatus.PENDING
    h.clock.advance(timedelta(minutes=1))  # the back-off after a lost reply, not a stale claim's wait
    flushed = h.send_outbox()
    (prompt,) = [m for m in h.thread(CHANNEL, thread) if "Why 2" in rendered(m)]
    assert flushed.sent == {owed[0].id: prompt.ts}
    assert prompts_with(h, thread, "Why 2") == 1


def test_twenty_simultaneous_first_starts_in_a_new_workspace(harness: Harness) -> None:
    h = harness
    users = [f"U0NEW{n:02d}" for n in range(20)]
    for user in users:
        h.slack.add_user(TEAM, user, user.lower())

    def start_one(user: str) -> tuple[int, str]:
        response = h.client.slash_command(
            team_id=TEAM, user_id=user, channel_id=CHANNEL, text="start five-whys Potholes are reported twice"
        )
        return response.status, response.body

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(start_one, users))
    assert [status for status, _ in results] == [200] * 20
    assert all("started" in body.lower() for _, body in results), results
    with h.deps.session_factory() as orm:
        sessions = list(orm.scalars(select(Session)))
    anchors = [m for m in h.slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(sessions) == 20 and len(anchors) == 20
    # Each session's thread is its own anchor, and holds its introduction and first question.
    assert sorted(s.thread_ts or "" for s in sessions) == sorted(a.ts for a in anchors)
    for session in sessions:
        assert session.thread_ts is not None
        assert prompts_with(h, session.thread_ts, "Why 1") == 1
    assert {m.status for m in outbox(h)} == {OutboxStatus.SENT}


def test_a_start_in_a_channel_the_bot_is_not_in_cancels_the_session_and_says_why(
    harness: Harness,
) -> None:
    h = harness
    h.slack.add_channel(TEAM, "C0ELSEWHERE", "elsewhere", members=[FACILITATOR], bot_is_member=False)
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id="C0ELSEWHERE", text="start five-whys Anything"
    )
    assert response.status == 200 and "/invite" in response.body
    assert h.slack.messages(channel="C0ELSEWHERE") == []
    with h.deps.session_factory() as orm:
        (session,) = orm.scalars(select(Session))
    assert session.status == SessionStatus.CANCELLED and session.thread_ts is None
    assert {m.status for m in outbox(h)} == {OutboxStatus.DEAD}


@pytest.fixture
def database_down(slack: SlackWebApiStandIn, tmp_path: Path) -> Iterator[tuple[SignedSlackClient, str]]:
    """The real app whose database does not answer (a SQLite file in a directory that is not there)."""
    url = f"sqlite:///{tmp_path / 'missing' / 'playbook.db'}"
    settings = make_settings(slack, url)
    deps = Deps(
        settings=settings, session_factory=make_session_factory(make_engine(url)), clock=SystemClock()
    )
    server, events_url = serve(make_wsgi_app(create_app(settings, deps), ready=deps.database_ready))
    try:
        yield SignedSlackClient(events_url, SIGNING_SECRET), events_url.removesuffix("/slack/events")
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_is_posted_for_a_start_or_an_answer_that_did_not_commit(
    slack: SlackWebApiStandIn, database_down: tuple[SignedSlackClient, str]
) -> None:
    client, root = database_down
    response = client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys X"
    )
    assert response.status == 200
    # The start's one transaction fails at its first read, so the person hears that nothing was started.
    assert (
        "couldn't start the session: my database didn't answer, so nothing was started"
        in json.loads(response.body)["text"]
    )
    reply = client.message(
        team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="an answer", thread_ts="1.000001"
    )
    assert reply.status >= 500  # Slack retries the event; nothing was stored
    posted = [c for c in slack.calls if c.method.startswith(("chat.", "files."))]
    assert posted == [] and slack.messages() == []
    # Alive, but not ready.
    with urllib.request.urlopen(  # noqa: S310 - the test server
        f"{root}/healthz", timeout=30
    ) as alive:
        assert alive.status == 200
    with pytest.raises(urllib.error.HTTPError) as not_ready:
        urllib.request.urlopen(  # noqa: S310 - the test server
            f"{root}/readyz", timeout=30
        )
    assert not_ready.value.code == 503


def test_readyz_answers_when_the_database_does(harness: Harness) -> None:
    root = harness.url.removesuffix("/slack/events")
    with urllib.request.urlopen(  # noqa: S310 - the test server
        f"{root}/readyz", timeout=30
    ) as ready:
        assert ready.status == 200 and json.loads(ready.read()) == {"ok": True}


def test_a_held_post_gives_its_ts_only_to_the_replies_queued_with_it(harness: Harness) -> None:
    """The request path's own claims say which messages may be a thread: a post with a reply queued
    with it; once sent, only its ts is given to waiting messages (no look for the others' followers)."""
    h = harness
    with h.deps.uow() as uow:
        queue = Queue(uow, TEAM, h.clock.now(), hold=True)
        queue.add(Post(channel=CHANNEL, text="Summary, part 1"))
        queue.add(Post(channel=CHANNEL, text="Summary, part 2", reply_to_previous=True))
        queue.add(Post(channel=CHANNEL, text="What happens next"))
        uow.commit()
    assert [claimed.leads for claimed in queue.held] == [True, False, False]
    client = make_web_client(h.deps.settings, h.deps.settings.slack_bot_token.get_secret_value())  # type: ignore[union-attr]
    with counted_statements(engine_of(h)) as statements:
        flushed = send_queued(h.deps, client, queue.ids, held=queue.held)
    assert sorted(flushed.sent) == queue.ids
    first, second, third = (
        next(m for m in h.slack.messages(channel=CHANNEL) if m.text == text)
        for text in ("Summary, part 1", "Summary, part 2", "What happens next")
    )
    assert second.thread_ts == first.ts and third.thread_ts is None and first.thread_ts is None
    assert sum("SET thread_ts" in statement for statement in statements) == 1, statements
