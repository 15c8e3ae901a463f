"""A session's proposal learns from the decisions made before it began, so what it learned from is read
once for the session, not on every request at its classification step; an erasure or a retention purge
in any process drops what was kept, here and in memory."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import build_deps, create_app
from bot.scheduler import purge_expired_data
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient
from storage.models import Workspace
from tests.bot.conftest import (
    ALEX,
    CHANNEL,
    SAM,
    SIGNING_SECRET,
    TEAM,
    Harness,
    counted_statements,
    engine_of,
    make_settings,
    rendered,
    serve,
)
from tests.bot.test_classification_e2e import classification_versions, proposal_message, reach_classification
from tests.bot.test_five_whys_e2e import say, start

ALEX_SAID = "The payment form times out"  # Alex's first why in reach_classification


def reads_decisions(statements: list[str]) -> bool:
    """Whether learning's read of the workspace's decided classifications ran (it starts from the
    session's first answer: the cut-off)."""
    return any("min(answers.id)" in statement for statement in statements)


def decided_then_second(h: Harness) -> str:
    """A first session whose classification the facilitator changed (a decision to learn from), then a
    second reaching its classification step."""
    first = reach_classification(h)
    say(h, first, "scope council-wide category funding-investment")
    second = reach_classification(h, "Residents can't renew a parking permit online")
    assert "Learned from 1 of your team's decisions" in rendered(proposal_message(h, second))
    return second


def erasures(h: Harness) -> int:
    with h.deps.session_factory() as orm:
        return int(orm.scalar(select(Workspace.erasures).where(Workspace.id == TEAM)) or 0)


def kept_words(h: Harness) -> str:
    """Everything this process keeps of what proposals learn from: per session, and per workspace."""
    return repr(h.deps.learned.kept()) + repr(h.deps.decided.kept())


def test_what_a_session_learned_from_is_read_once_and_confirm_still_takes_it(harness: Harness) -> None:
    h = harness
    second = decided_then_second(h)
    assert ALEX_SAID in repr(h.deps.learned.kept()) and ALEX_SAID in repr(h.deps.decided.kept())
    with counted_statements(engine_of(h)) as statements:
        say(h, second, "maybe")  # not an answer: asked again, with the same proposal
        say(h, second, "confirm")
    assert "Learned from 1 of your team's decisions" in rendered(proposal_message(h, second))
    assert not reads_decisions(statements), "\n".join(statements)
    latest = classification_versions(h)[-1]
    assert (latest.value["scope"], latest.value["category"], latest.value["status"]) == (
        "council-wide",
        "funding-investment",
        "confirmed",
    )


def test_forget_me_in_another_process_drops_what_this_one_kept(harness: Harness, database_url: str) -> None:
    h = harness
    second = decided_then_second(h)
    assert ALEX_SAID in kept_words(h)
    # Another web process (its own app, engine and memory) takes Alex's forget-me.
    settings = make_settings(h.slack, database_url)
    server, url = serve(make_wsgi_app(create_app(settings, build_deps(settings, h.clock))))
    try:
        other = SignedSlackClient(url, SIGNING_SECRET)
        response = other.slash_command(
            team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="forget-me confirm"
        )
        assert response.status == 200, response.body
    finally:
        server.shutdown()
        server.server_close()
    assert erasures(h) == 1
    with counted_statements(engine_of(h)) as statements:
        say(h, second, "maybe")
    # This process read the decisions again, and holds none of Alex's words any more.
    assert reads_decisions(statements), "\n".join(statements)
    assert ALEX_SAID not in kept_words(h)
    assert "Learned from 1 of your team's decisions" in rendered(proposal_message(h, second))


def test_a_retention_purge_drops_what_was_kept(harness: Harness) -> None:
    h = harness
    second = decided_then_second(h)
    assert erasures(h) == 0
    # Nothing expired: nothing erased, nothing dropped.
    purge_expired_data(h.deps)
    assert erasures(h) == 0
    with counted_statements(engine_of(h)) as statements:
        say(h, second, "maybe")
    assert not reads_decisions(statements)
    # Two years on, both sessions are purged; the count moves and the memory is emptied at the next read.
    h.clock.advance(timedelta(days=731))
    assert purge_expired_data(h.deps)[0].sessions == 2
    assert erasures(h) == 1
    third = reach_classification(h, "Residents can't book a bulky waste collection")
    assert "Learned from" not in rendered(proposal_message(h, third))
    assert ALEX_SAID not in kept_words(h)


def test_the_next_session_takes_the_unchanged_decisions_from_memory(harness: Harness) -> None:
    """A workspace's sessions reach their classification one after another: the next one checks which
    decided analyses changed (their newest answer) and reads only those; here none did."""
    h = harness
    decided_then_second(h)
    third = start(h, "start five-whys Residents can't book a bulky waste collection")
    say(h, third, "The booking form times out", user=ALEX)
    say(h, third, "The supplier's product caps sessions at two minutes", user=SAM)
    say(h, third, "Our contract doesn't let us change the supplier's settings")
    say(h, third, "yes")  # fixing it would stop the problem
    say(h, third, "yes")  # the suggested root cause
    with counted_statements(engine_of(h)) as statements:
        say(h, third, "no")  # no second branch: the classification step, proposed
    assert "Learned from 1 of your team's decisions" in rendered(proposal_message(h, third))
    assert reads_decisions(statements), "\n".join(statements)
    assert any("max(answers.id)" in statement for statement in statements), "\n".join(statements)
    # The decided sessions' answers (the statement that reads their values) are not read again.
    decided_answers = 'SELECT answers.session_id, answers."key", answers.value FROM answers'
    assert not any(s.startswith(decided_answers) for s in statements), "\n".join(statements)
