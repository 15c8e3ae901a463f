"""``/playbook digest`` and ``/playbook themes`` read the whole workspace: Slack gets the command's
answer ("preparing…", or a refusal) at once, and the preview or the themes follow through the
command's ``response_url``, to the caller alone.

The tests synchronise on what happened, never on sleeps: the stand-in holds the build's first Web
API call at a gate (so the command's HTTP response is seen to come back while the preview is still
being built), and the answer is waited for as a message the stand-in received."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from flows.i18n import t
from localslack.requests import SignedSlackClient
from localslack.webapi import Message, SlackWebApiStandIn
from tests.bot.conftest import (
    ADMIN,
    ALEX,
    CHANNEL,
    FACILITATOR,
    SAM,
    SIGNING_SECRET,
    TEAM,
    Harness,
    add_workspaces,
    rendered,
)

DEADLINE = 60.0


class GatedSlack(SlackWebApiStandIn):
    """The stand-in, able to hold every call of one Web API method at a gate until the test opens it;
    the calls are then answered as usual."""

    def __init__(self) -> None:
        super().__init__()
        self._gates: dict[str, tuple[threading.Event, threading.Event]] = {}

    def gate(self, method: str) -> tuple[threading.Event, threading.Event]:
        """(reached, opened): ``reached`` is set when a call of ``method`` arrives; it waits until the
        test sets ``opened``."""
        reached, opened = threading.Event(), threading.Event()
        self._gates[method] = (reached, opened)
        return reached, opened

    def _handle_http(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        gate = self._gates.get(path.split("?", 1)[0].removeprefix("/api/"))
        if gate is not None:
            gate[0].set()
            gate[1].wait(DEADLINE)
        return super()._handle_http(verb, path, headers, body)

    def stop(self) -> None:
        for _reached, opened in self._gates.values():
            opened.set()
        super().stop()


@pytest.fixture
def slack() -> Iterator[GatedSlack]:
    """The workspaces of tests/bot/conftest.py, on a stand-in with gates."""
    standin = GatedSlack()
    standin.start()
    add_workspaces(standin)
    yield standin
    standin.stop()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def answers_to(h: Harness, user: str) -> list[Message]:
    """What reached ``user`` through a command's response_url (ephemeral, in the command's channel)."""
    return [m for m in h.slack.messages(channel=CHANNEL) if m.ephemeral_user == user]


def ask(h: Harness, user: str, text: str) -> tuple[str, str | None]:
    """The command's own answer (the HTTP response) and, if one follows, what arrives through its
    response_url (waited for), from a client whose response_url points at the stand-in."""
    client = SignedSlackClient(h.url, SIGNING_SECRET, response_url_base=h.slack.response_url_base)
    before = len(answers_to(h, user))
    response = client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    if "only to you" not in response.body:
        return response.body, None
    wait_for(lambda: len(answers_to(h, user)) > before, f"the answer to /playbook {text}")
    return response.body, rendered(answers_to(h, user)[-1])


def make_lead(h: Harness, *users: str) -> None:
    with h.deps.uow() as uow:
        uow.workspaces.change_settings(TEAM, lead_user_ids=users)
        uow.commit()


def add_session(h: Harness) -> None:
    from tests.bot.test_digest_e2e import add_finished

    add_finished(
        h, CHANNEL, "Bins", "The round sheet is printed a day early", h.clock.now() - timedelta(minutes=5)
    )


def test_the_preview_is_acknowledged_before_it_is_built_and_reaches_the_caller_once(harness: Harness) -> None:
    h = harness
    make_lead(h, FACILITATOR)
    add_session(h)
    reached, opened = h.slack.gate("conversations.info")  # the build asks Slack about the channel
    client = SignedSlackClient(h.url, SIGNING_SECRET, response_url_base=h.slack.response_url_base)

    response = client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="digest")

    assert response.status == 200 and "Preparing your preview of the digest" in response.body
    assert reached.wait(DEADLINE), "the preview was never built"
    assert answers_to(h, FACILITATOR) == [] and h.slack.calls_to("response_url") == []  # still building
    opened.set()
    wait_for(lambda: bool(answers_to(h, FACILITATOR)), "the preview")
    [preview] = answers_to(h, FACILITATOR)
    text = rendered(preview)
    assert "A preview, shown only to you" in text and "1 started, 1 finished" in text
    assert len(h.slack.calls_to("response_url")) == 1
    # Shown to the caller alone: nothing posted anywhere, nothing ephemeral to anyone else.
    assert h.slack.calls_to("chat.postMessage") == [] and h.slack.calls_to("chat.postEphemeral") == []
    assert [m for m in h.slack.messages() if m.ephemeral_user not in (None, FACILITATOR)] == []


def test_a_refused_preview_is_the_commands_own_answer_and_nothing_follows(harness: Harness) -> None:
    h = harness
    make_lead(h, FACILITATOR)
    add_session(h)
    refused, follow = ask(h, SAM, "digest")
    assert "Only leads and workspace admins can preview the digest" in refused and follow is None
    # An admin who is not a lead may; once their preview has arrived, nothing has reached the refused.
    _ack, preview = ask(h, ADMIN, "digest")
    assert preview is not None and "1 started, 1 finished" in preview
    assert answers_to(h, SAM) == []
    assert len(h.slack.calls_to("response_url")) == 1


def test_themes_are_for_leads_and_admins_and_follow_the_ack(harness: Harness) -> None:
    h = harness
    make_lead(h, ALEX)
    add_session(h)
    refused, follow = ask(h, SAM, "themes")
    assert "Only leads and workspace admins can see the themes" in refused and follow is None
    ack, themes = ask(h, ALEX, "themes")
    assert "Gathering the themes across the council" in ack
    assert themes is not None and "Themes across the council" in themes
    assert answers_to(h, SAM) == []


def test_a_failure_while_building_is_told_to_the_caller(harness: Harness) -> None:
    """Bolt runs the build outside its error handler: the caller is still told, in the same words."""
    h = harness
    make_lead(h, FACILITATOR)
    add_session(h)
    with h.deps.session_factory.kw["bind"].begin() as connection:  # the week's reading will fail
        connection.execute(text("ALTER TABLE interventions RENAME TO interventions_gone"))
    ack, answer = ask(h, FACILITATOR, "digest")
    assert "Preparing your preview" in ack
    # What the @app.error handler says of a failing database (SQLite's error reads as the database
    # being unavailable, PostgreSQL's as a fault).
    assert answer in (t("database_unavailable"), t("something_went_wrong"))
