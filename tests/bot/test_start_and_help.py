"""Starting like a Slack app, through signed requests: bare ``/playbook start`` (and ``/playbook``
alone) opens the start form with ``views.open``; submitting it starts the session in the conversation
the command came from; the global shortcut asks for the channel; the message shortcut makes the
message the problem, with a link back; ``/playbook help`` is a card listing every command; near misses
of commands and templates are answered with "did you mean"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.ids import ShortcutCallbackId, StartActionId, StartBlockId, StartCallbackId
from flows.commands import COMMAND_NAMES
from flows.schema import load_templates
from localslack.webapi import Message, View
from storage.models import Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_five_whys_e2e import say


def _open_form_by_command(
    h: Harness, text: str = "start", *, user: str = FACILITATOR, channel: str = CHANNEL
) -> View:
    views_before = len(h.slack.views)
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=channel, text=text)
    assert response.status == 200
    # Nothing is said in the channel: the form opens instead.
    assert not response.body.strip() or "text" not in json.loads(response.body)
    assert len(h.slack.views) == views_before + 1, "views.open was not called"
    [call] = h.slack.calls_to("views.open")[-1:]
    assert call.params.get("trigger_id")
    form = h.slack.views[-1]
    assert form.callback_id == StartCallbackId.MODAL
    return form


def _block(form: View, block_id: str) -> dict[str, Any] | None:
    return next((b for b in form.blocks if b.get("block_id") == block_id), None)


def _option(value: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": value}}


def _submit(
    h: Harness,
    form: View,
    *,
    user: str = FACILITATOR,
    template: str | None = "five-whys",
    problem: str | None = None,
    existing: int | None = None,
    channel: str | None = None,
) -> Any:
    values: dict[str, Any] = {
        StartBlockId.TEMPLATE: {
            StartActionId.TEMPLATE: {
                "type": "static_select",
                "selected_option": _option(template) if template else None,
            }
        },
        StartBlockId.PROBLEM: {StartActionId.PROBLEM: {"type": "plain_text_input", "value": problem}},
    }
    if _block(form, StartBlockId.EXISTING) is not None:
        values[StartBlockId.EXISTING] = {
            StartActionId.EXISTING: {
                "type": "static_select",
                "selected_option": _option(str(existing)) if existing is not None else None,
            }
        }
    if _block(form, StartBlockId.CHANNEL) is not None:
        values[StartBlockId.CHANNEL] = {
            StartActionId.CHANNEL: {"type": "conversations_select", "selected_conversation": channel}
        }
    return h.client.view_submission(
        team_id=TEAM,
        user_id=user,
        callback_id=form.callback_id,
        state_values=values,
        private_metadata=form.private_metadata,
        view_id=form.id,
        blocks=form.blocks,
    )


def _sessions(h: Harness) -> list[Session]:
    with h.deps.uow() as uow:
        return list(uow.sessions.for_user(TEAM, FACILITATOR)) + [
            s for s in uow.sessions.for_user(TEAM, ALEX) if s.facilitator_id == ALEX
        ]


def _anchors(h: Harness, channel: str = CHANNEL) -> list[Message]:
    return [m for m in h.slack.messages(channel=channel) if m.thread_ts in (None, m.ts) and m.bot_id]


def test_bare_start_opens_the_form_with_every_template_and_submitting_it_starts_the_session(
    harness: Harness,
) -> None:
    h = harness
    form = _open_form_by_command(h, "start")
    template_block = _block(form, StartBlockId.TEMPLATE)
    assert template_block is not None and template_block["type"] == "input"
    options = template_block["element"]["options"]
    templates = load_templates()
    assert [o["value"] for o in options] == list(templates)
    for option in options:
        template = templates[option["value"]]
        assert option["text"]["text"] == template.title.get("en")
        assert option["description"]["text"]  # a short description of each
        assert len(option["description"]["text"]) <= 75
    problem_block = _block(form, StartBlockId.PROBLEM)
    assert problem_block is not None
    assert problem_block["element"]["type"] == "plain_text_input" and problem_block["element"]["multiline"]
    # The command came from #team: no channel to pick; nothing worked on before: no problem list.
    assert _block(form, StartBlockId.CHANNEL) is None
    assert _block(form, StartBlockId.EXISTING) is None
    assert not _anchors(h)

    response = _submit(h, form, problem="Residents can't book a bulky waste collection online")
    assert response.status == 200
    assert "errors" not in response.body

    [anchor] = _anchors(h)
    shown = rendered(anchor)
    assert "Five whys" in shown
    assert "Residents can't book a bulky waste collection online" in shown
    assert f"<@{FACILITATOR}>" in shown
    [session] = _sessions(h)
    assert session.channel_id == CHANNEL and session.thread_ts == anchor.ts and not session.is_dm
    assert f"session {session.id}" in shown
    # The problem was taken from the form: the thread's first question is the first why.
    assert "Why 1" in h.last_text(CHANNEL, anchor.ts)
    with h.deps.uow() as uow:
        assert uow.answers.latest(session.id)["problem"].value == (
            "Residents can't book a bulky waste collection online"
        )


def test_playbook_alone_opens_the_same_form(harness: Harness) -> None:
    form = _open_form_by_command(harness, "")
    assert _block(form, StartBlockId.TEMPLATE) is not None


def test_the_form_in_the_apps_dm_starts_a_dm_session(harness: Harness) -> None:
    h = harness
    dm = h.slack.dm_channel(TEAM, FACILITATOR)
    form = _open_form_by_command(h, "start", channel=dm)
    assert _submit(h, form, template="pain-points", problem="Missed bin collections").status == 200
    [session] = _sessions(h)
    assert session.is_dm and session.template_id == "pain-points"
    texts = [rendered(m) for m in h.slack.messages(channel=session.channel_id)]
    assert texts, "nothing was posted in the DM"
    # A DM has no thread, and nothing posted there says there is one.
    assert not any("thread" in text.lower() for text in texts)


def test_the_form_refuses_a_missing_template_and_offers_only_the_persons_own_problems(
    harness: Harness,
) -> None:
    h = harness
    # Alex starts a session on a problem Fran never worked on; Fran starts one of her own.
    h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="start five-whys Alex's problem"
    )
    h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Fran's problem"
    )
    with h.deps.uow() as uow:
        mine = [s.problem_id for s in uow.sessions.for_user(TEAM, FACILITATOR)]
        theirs = [s.problem_id for s in uow.sessions.for_user(TEAM, ALEX)]
    [fran_problem], [alex_problem] = mine, theirs
    assert fran_problem is not None and alex_problem is not None

    form = _open_form_by_command(h, "start")
    existing = _block(form, StartBlockId.EXISTING)
    assert existing is not None and existing.get("optional") is True
    offered = [o["value"] for o in existing["element"]["options"]]
    assert offered == [str(fran_problem)]
    assert "Fran's problem" in existing["element"]["options"][0]["text"]["text"]

    no_template = _submit(h, form, template=None, problem="Anything")
    assert json.loads(no_template.body) == {
        "response_action": "errors",
        "errors": {StartBlockId.TEMPLATE: "Please choose a template."},
    }
    # A problem id that was never offered (crafted) is refused, not started.
    crafted = _submit(h, form, existing=alex_problem)
    assert json.loads(crafted.body)["errors"] == {
        StartBlockId.EXISTING: "That problem isn't one of yours any more; choose another."
    }
    both = _submit(h, form, existing=fran_problem, problem="Something new")
    assert StartBlockId.PROBLEM in json.loads(both.body)["errors"]
    assert len(_anchors(h)) == 2  # only the two typed starts

    # Picking her own problem starts a new session on it, its statement already answered.
    assert _submit(h, form, template="problem-levels", existing=fran_problem).status == 200
    anchor = _anchors(h)[-1]
    assert "Fran's problem" in rendered(anchor)
    with h.deps.uow() as uow:
        on_problem = list(uow.sessions.on_problem(TEAM, fran_problem))
    assert sorted(s.template_id for s in on_problem) == ["five-whys", "problem-levels"]


def test_the_global_shortcut_asks_for_the_channel_and_checks_the_person_is_in_it(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, "C0PRIVATE", "private", members=[SAM])
    response = h.client.global_shortcut(
        team_id=TEAM, user_id=FACILITATOR, callback_id=ShortcutCallbackId.START
    )
    assert response.status == 200
    form = h.slack.views[-1]
    assert form.callback_id == StartCallbackId.MODAL
    channel_block = _block(form, StartBlockId.CHANNEL)
    assert channel_block is not None
    assert channel_block["element"]["type"] == "conversations_select"
    assert channel_block["element"]["default_to_current_conversation"] is True

    refused = _submit(h, form, problem="Potholes", channel="C0PRIVATE")
    assert json.loads(refused.body)["errors"] == {
        StartBlockId.CHANNEL: "You're not a member of that channel; choose one you're in."
    }
    assert not _anchors(h, "C0PRIVATE")

    assert _submit(h, form, template="cost-impacts", problem="Potholes", channel=CHANNEL).status == 200
    [anchor] = _anchors(h)
    assert "Cost impacts" in rendered(anchor) or "cost" in rendered(anchor).lower()
    assert "Potholes" in rendered(anchor)


def test_the_message_shortcut_makes_the_message_the_problem_with_a_link_back(harness: Harness) -> None:
    h = harness
    original = h.slack.post_as_user(
        TEAM,
        CHANNEL,
        ALEX,
        "Residents say the parking permit form times out &amp; loses their answers",
        None,
        encoded=True,
    )
    response = h.client.message_shortcut(
        team_id=TEAM,
        user_id=FACILITATOR,
        callback_id=ShortcutCallbackId.ANALYSE_MESSAGE,
        channel_id=CHANNEL,
        message={"ts": original.ts, "text": original.text, "user": ALEX},
    )
    assert response.status == 200
    form = h.slack.views[-1]
    assert form.callback_id == StartCallbackId.MODAL
    problem_block = _block(form, StartBlockId.PROBLEM)
    assert problem_block is not None
    statement = "Residents say the parking permit form times out & loses their answers"
    assert problem_block["element"]["initial_value"] == statement
    assert _block(form, StartBlockId.CHANNEL) is None  # the message's own channel
    permalink = h.slack.calls_to("chat.getPermalink")[-1]
    assert permalink.params.get("message_ts") == original.ts

    # Submitted as filled in (the person only chose the template).
    assert _submit(h, form, problem=statement).status == 200
    [anchor] = [m for m in _anchors(h) if m.ts != original.ts]
    shown = rendered(anchor)
    assert "times out &amp; loses" in shown  # escaped once in mrkdwn: Slack shows "&"
    assert f"/archives/{CHANNEL}/p{original.ts.replace('.', '')}" in shown  # the link back
    [session] = _sessions(h)
    with h.deps.uow() as uow:
        assert uow.answers.latest(session.id)["problem"].value == statement
        assert session.problem_id is not None
        problem = uow.problems.get(TEAM, session.problem_id)
        assert problem is not None and problem.statement == statement
    assert "Why 1" in h.last_text(CHANNEL, anchor.ts)


def test_a_thread_answer_works_in_a_session_started_from_the_form(harness: Harness) -> None:
    h = harness
    form = _open_form_by_command(h, "start")
    _submit(h, form, problem="Council tax direct debits fail")
    [anchor] = _anchors(h)
    say(h, anchor.ts, "The bank rejects the reference")
    assert "Why 2" in h.last_text(CHANNEL, anchor.ts)


def test_help_is_a_card_listing_every_command(harness: Harness) -> None:
    h = harness
    response = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="help")
    body = json.loads(response.body)
    blocks = body["blocks"]
    assert blocks[0]["type"] == "header"
    card = "\n".join(
        str((b.get("text") or {}).get("text", ""))
        + "".join(str(e.get("text", "")) for e in b.get("elements", []))
        for b in blocks
    )
    for name in COMMAND_NAMES:
        assert f"`/playbook {name}" in card, name
    for template_id in load_templates():
        assert f"`{template_id}`" in card
    assert "Start a playbook session" in card and "Analyse this message" in card
    # Every command the card lists is one the bot answers (none is "I don't know the command").
    for name in COMMAND_NAMES:
        reply = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text=f"{name} x")
        assert "I don't know the command" not in reply.body, name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("stauts", "Did you mean `/playbook status`?"),
        ("exprot 3", "Did you mean `/playbook export`?"),
        ("forgetme", "Did you mean `/playbook forget-me`?"),
        ("start five-why Bins", "Did you mean `five-whys`?"),
        ("start painpoints Bins", "Did you mean `pain-points`?"),
    ],
)
def test_near_misses_are_answered_with_did_you_mean(harness: Harness, typed: str, expected: str) -> None:
    reply = harness.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text=typed)
    assert expected in reply.body
    assert not _anchors(harness)


def test_a_word_far_from_any_command_gets_the_help_summary(harness: Harness) -> None:
    reply = harness.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="zzzz")
    assert "I don't know the command `zzzz`" in reply.body and "Did you mean" not in reply.body


def test_the_manifest_declares_both_shortcuts_with_the_ids_the_app_listens_for() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert shortcuts[ShortcutCallbackId.START]["type"] == "global"
    assert shortcuts[ShortcutCallbackId.START]["name"] == "Start a playbook session"
    assert shortcuts[ShortcutCallbackId.ANALYSE_MESSAGE]["type"] == "message"
    assert shortcuts[ShortcutCallbackId.ANALYSE_MESSAGE]["name"] == "Analyse this message"
    assert all(len(s["description"]) <= 150 for s in shortcuts.values())
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_nothing_said_in_a_dm_session_mentions_a_thread(harness: Harness) -> None:
    """A whole five-whys in the app's DM, with the steering words on the way: no message there, and
    not the command's reply either, talks about a thread (a DM has none)."""
    h = harness
    dm = h.slack.dm_channel(TEAM, ALEX)
    started = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id=dm, text="start five-whys FOI replies are late"
    )
    assert "here, in our DM" in started.body and "thread" not in started.body.lower()

    def dm_says(text: str) -> None:
        response = h.client.message(team_id=TEAM, user_id=ALEX, channel_id=dm, text=text, channel_type="im")
        assert response.status == 200

    for text in (
        "help",
        "Requests arrive by email",
        "back",
        "Requests arrive by email",
        "pause",
        "resume",
        "Nobody owns the inbox",
        "The team was reorganised",
        "yes",
        "yes",
        "no",
        "confirm",
        "done",
    ):
        dm_says(text)
    texts = [rendered(m) for m in h.slack.messages(channel=dm)]
    assert any("summary" in text.lower() for text in texts), texts[-1]
    offending = [text for text in texts if "thread" in text.lower()]
    assert offending == []


def test_the_anchor_names_the_problem_once_it_is_answered_in_the_thread(harness: Harness) -> None:
    h = harness
    h.client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys")
    [anchor] = _anchors(h)
    assert "*Problem:* the first question in the thread" in rendered(anchor)
    say(h, anchor.ts, "Parking <!channel> permits take weeks")
    [anchor] = _anchors(h)
    shown = rendered(anchor)
    assert "*Problem:* Parking &lt;!channel&gt; permits take weeks" in shown
    assert "Five whys" in shown and f"<@{FACILITATOR}>" in shown
    assert "first question" not in shown
    assert "Why 1" in h.last_text(CHANNEL, anchor.ts)


def test_a_channel_without_the_bot_is_refused_in_the_form_with_how_to_invite_it(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, "C0NOBOT", "nobot", members=[FACILITATOR], bot_is_member=False)
    # From the command in that channel: no channel to choose, so the way out is to invite the bot.
    form = _open_form_by_command(h, "start", channel="C0NOBOT")
    refused = json.loads(_submit(h, form, problem="Potholes").body)
    assert refused["errors"] == {
        StartBlockId.TEMPLATE: "I'm not in this channel yet. "
        "Invite me by typing `/invite @Playbook bot` here, then start again."
    }
    # From the shortcut: choose another channel, or invite the bot there.
    h.client.global_shortcut(team_id=TEAM, user_id=FACILITATOR, callback_id=ShortcutCallbackId.START)
    refused = json.loads(_submit(h, h.slack.views[-1], problem="Potholes", channel="C0NOBOT").body)
    assert refused["errors"] == {
        StartBlockId.CHANNEL: "I'm not in that channel yet. "
        "Invite me by typing `/invite @Playbook bot` there, or choose another channel."
    }
    # The session was stored with its anchor owed; Slack refused the anchor, so it was cancelled
    # without ever having a thread: nothing runs there.
    assert all(s.status == SessionStatus.CANCELLED and s.thread_ts is None for s in _sessions(h))
