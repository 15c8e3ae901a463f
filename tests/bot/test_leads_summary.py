"""Summaries for leads: a completed session's summary reaches the leads channel through the Web API
stand-in as valid Block Kit with user text escaped, however long the session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import SectionBlock

import flows.schema
from bot.views.common import MESSAGE_BLOCK_LIMIT, SECTION_LIMIT, sections
from bot.views.leads import split_for_leads
from flows.schema import Template
from storage.models import Problem, Session, SessionStatus, Workspace
from tests.bot.conftest import ADMIN, CHANNEL, FACILITATOR, LEADS, TEAM, Harness, rendered
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_five_whys_e2e import say, start
from tests.flows.test_report import COSTS, PAIN_POINTS


@pytest.fixture
def extra_templates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Test templates for pain points and costs, whatever the real ones are called or ask."""
    real = flows.schema.load_templates

    def with_test_templates() -> dict[str, Template]:
        return {**real(), PAIN_POINTS.id: PAIN_POINTS, COSTS.id: COSTS}

    monkeypatch.setattr(flows.schema, "load_templates", with_test_templates)
    yield


def set_leads(h: Harness, channel: str = LEADS) -> None:
    response = h.client.slash_command(
        team_id=TEAM, user_id=ADMIN, channel_id=CHANNEL, text=f"leads <#{channel}|leads>", encoded=True
    )
    assert response.status == 200 and f"<#{channel}>" in response.body


def mrkdwn_text(message: Any) -> str:
    """The text Slack parses as mrkdwn (a header is plain text, where nothing is parsed)."""
    found = []
    for block in message.blocks:
        for obj in [block.get("text"), *block.get("elements", [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                found.append(obj["text"])
    return "\n".join(found)


def leads_messages(h: Harness, channel: str = LEADS) -> list[Any]:
    return [m for m in h.slack.messages(channel=channel) if not m.ephemeral_user]


def add_session(
    h: Harness, template_id: str, problem_id: int, values: dict[str, Any], author: str = FACILITATOR
) -> int:
    """A completed session built straight in the database (the other templates' flows are tested
    elsewhere; here only their answers matter)."""
    with h.deps.uow() as uow:
        session = uow.sessions.add(
            Session(
                workspace_id=TEAM,
                problem_id=problem_id,
                template_id=template_id,
                status=SessionStatus.COMPLETED,
                facilitator_id=FACILITATOR,
                channel_id=CHANNEL,
                thread_ts=h.client.new_ts(),
                created_at=h.clock.now(),
                updated_at=h.clock.now(),
                completed_at=h.clock.now(),
            )
        )
        for key, value in values.items():
            uow.answers.add_version(session.id, key, value=value, author_id=author, raw_text=str(value))
        uow.commit()
        return session.id


def test_the_summary_reaches_the_leads_channel_escaped_with_a_permalink(harness: Harness) -> None:
    h = harness
    set_leads(h)
    with h.deps.session_factory() as orm:
        assert orm.get(Workspace, TEAM).leads_channel == LEADS  # type: ignore[union-attr]
    thread = reach_classification(h, "Residents <!channel> & staff can't pay <@U0SAM> online")
    say(h, thread, "confirm")
    finish(h, thread)
    [message] = leads_messages(h)
    text = mrkdwn_text(message)
    assert "&lt;!channel&gt; &amp; staff" in text and "<!channel>" not in text
    assert "&lt;@U0SAM&gt;" in text and "<@U0SAM>" not in message.text
    assert "*Why chain*" in text and "1. The payment form times out" in text
    assert "*Root cause*\nOur contract doesn't let us change the supplier's settings" in text
    assert f"Scope *product*, category *procurement-market*: confirmed by <@{FACILITATOR}>." in text
    assert f"slack.com/archives/{CHANNEL}/p{thread.replace('.', '')}" in text
    assert len(h.slack.calls_to("chat.getPermalink")) == 1


def test_the_environment_names_the_leads_channel_when_the_workspace_has_none(harness: Harness) -> None:
    h = harness
    h.deps.settings.playbook_leads_channel = LEADS
    thread = reach_classification(h)
    say(h, thread, "scope service")
    finish(h, thread)
    [message] = leads_messages(h)
    assert f"changed by <@{FACILITATOR}> (proposed: product, procurement-market)" in rendered(message)


def test_the_facilitator_is_told_how_to_invite_the_bot(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, "C0PRIVATE", "private-leads", members=[FACILITATOR], bot_is_member=False)
    set_leads(h, "C0PRIVATE")
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    assert leads_messages(h, "C0PRIVATE") == []
    [told] = [m for m in h.slack.messages(channel=CHANNEL) if m.ephemeral_user == FACILITATOR]
    assert "/invite @Playbook bot" in told.text and "<#C0PRIVATE>" in told.text
    assert told.thread_ts == thread
    # The session itself completed and its summary is in the thread.
    assert "Five whys: summary" in "\n".join(rendered(m) for m in h.thread(CHANNEL, thread))


LONG = "x" * 2400 + " <!here> & done"


def test_seven_whys_twenty_pain_points_and_fifteen_cost_lines_still_post(
    harness: Harness, extra_templates: None
) -> None:
    h = harness
    set_leads(h)
    thread = start(h, "start five-whys Long analysis")
    with h.deps.session_factory() as orm:
        session = orm.get(Session, 1)
        assert session is not None and session.thread_ts == thread
        problem = orm.get(Problem, session.problem_id)
        assert problem is not None
        problem_id = problem.id
    with h.deps.uow() as uow:
        whys: dict[str, Any] = {}
        for n in range(1, 8):
            whys[f"whys.{n}.answer"] = f"Why {n}: {LONG}"
            if n >= 3:
                whys[f"whys.{n}.fixes_it"] = False
        whys["root_cause"] = {"item": 7, "text": whys["whys.7.answer"]}
        whys["second_branch"] = False
        for key, value in whys.items():
            uow.answers.add_version(1, key, value=value, author_id=FACILITATOR, raw_text=str(value))
        uow.commit()
    pains: dict[str, Any] = {}
    for n in range(1, 21):
        pains[f"points.{n}.point"] = f"Pain {n} <!channel> " + "p" * 300
        pains[f"points.{n}.severity"] = n % 5 + 1
    pains["points.done"] = 20
    pains["top_three"] = [{"item": n, "text": pains[f"points.{n}.point"]} for n in (4, 9, 14)]
    add_session(h, PAIN_POINTS.id, problem_id, pains)
    costs: dict[str, Any] = {}
    for n in range(1, 16):
        costs |= {
            f"lines.{n}.bearer": ("residents", "staff", "council services")[n % 3],
            f"lines.{n}.what": f"Cost {n} & more " + "c" * 200,
            f"lines.{n}.time": {"hours": "1.5"},
            f"lines.{n}.often": {"per_year": "52", "text": "weekly"},
            f"lines.{n}.people": 2,
        }
    costs["lines.done"] = 15
    add_session(h, COSTS.id, problem_id, costs)

    say(h, thread, "confirm")
    finish(h, thread)

    posted = leads_messages(h)
    assert posted, "nothing reached the leads channel"
    assert all(len(m.blocks) <= MESSAGE_BLOCK_LIMIT for m in posted)
    assert all(
        len(b["text"]["text"]) <= SECTION_LIMIT for m in posted for b in m.blocks if b["type"] == "section"
    )
    assert all(m.thread_ts == posted[0].ts for m in posted[1:])
    text = "\n".join(mrkdwn_text(m) for m in posted)
    assert "<!here>" not in text and "<!channel>" not in text
    assert text.count("Why 7: xxx") == 2  # in the chain and as the root cause
    assert "1. Pain 4 &lt;!channel&gt;" in text and "3. Pain 14" in text
    # 15 lines × 1.5 h × 52 × 2 people × £30 = £70,200.
    assert "*Annual cost: £70,200*" in text
    assert "…and 10 more." in text  # the five costliest lines are shown


def test_a_summary_longer_than_one_message_continues_in_its_thread() -> None:
    content = [block for n in range(130) for block in sections(f"line {n}")]
    messages = split_for_leads(content)
    assert [len(m) for m in messages] == [50, 50, 32]  # 50, then 49 + a "continued" line each
    assert "(2 of 3)" in messages[1][0].to_dict()["elements"][0]["text"]
    kept = [b for m in messages for b in m if isinstance(b, SectionBlock)]
    assert [b.text.text for b in kept] == [f"line {n}" for n in range(130)]  # type: ignore[union-attr]


def test_only_a_lead_may_move_the_leads_channel_once_leads_are_named(harness: Harness) -> None:
    h = harness
    set_leads(h)
    with h.deps.session_factory() as orm:
        workspace = orm.get(Workspace, TEAM)
        assert workspace is not None
        workspace.settings = {"lead_user_ids": ["U0LEAD"]}
        orm.commit()
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="leads <#C0OTHER|other>", encoded=True
    )
    assert "Only a workspace admin or owner, or one of this workspace's leads (<@U0LEAD>)" in response.body
    with h.deps.session_factory() as orm:
        assert orm.get(Workspace, TEAM).leads_channel == LEADS  # type: ignore[union-attr]
