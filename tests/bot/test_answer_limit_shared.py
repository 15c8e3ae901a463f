"""The per-person answer limit is one count for every process on the database: two apps (each with its
own engine and connection pool, as two web processes have) behind one load balancer give a person the
limit once, not once per app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import build_deps, create_app
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from storage.models import AnswerVersion
from tests.bot.conftest import (
    ALEX,
    CHANNEL,
    FACILITATOR,
    SAM,
    SIGNING_SECRET,
    TEAM,
    Harness,
    make_settings,
    serve,
)


@pytest.fixture
def second_app(harness: Harness, slack: SlackWebApiStandIn, database_url: str) -> Iterator[SignedSlackClient]:
    """Another app on the same database and clock: the second web process."""
    deps = build_deps(make_settings(slack, database_url), harness.clock)
    server, url = serve(make_wsgi_app(create_app(deps.settings, deps)))
    yield SignedSlackClient(url, SIGNING_SECRET)
    server.shutdown()
    server.server_close()
    deps.session_factory.kw["bind"].dispose()


def _answers_by(h: Harness, user: str) -> int:
    with h.deps.session_factory() as orm:
        return int(orm.scalar(select(func.count()).where(AnswerVersion.author_id == user)) or 0)


def test_two_processes_share_one_answer_limit(harness: Harness, second_app: SignedSlackClient) -> None:
    h = harness
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Bins are missed"
    )
    assert response.status == 200, response.body
    thread = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts

    def say(client: SignedSlackClient, text: str, user: str = ALEX) -> None:
        reply = client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
        assert reply.status == 200, reply.body

    # 30 answers a minute is the default: half through each process, as a load balancer spreads them.
    for number in range(30):
        say(h.client if number % 2 else second_app, "help")
    posted = len(h.thread(CHANNEL, thread))
    say(h.client, "The crew was short")
    assert "more than 30 answers a minute" in h.last_text(CHANNEL, thread)
    say(second_app, "The crew was short")  # the other process knows: quietly ignored
    assert len(h.thread(CHANNEL, thread)) == posted + 1
    assert _answers_by(h, ALEX) == 0
    say(second_app, "Sam is not limited", user=SAM)
    assert _answers_by(h, SAM) == 1
    h.clock.advance(timedelta(seconds=61))
    say(second_app, "The crew was short")
    assert _answers_by(h, ALEX) == 1
    assert "The crew was short" in h.last_text(CHANNEL, thread)  # quoted by the next question
