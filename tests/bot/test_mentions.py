"""A forgotten person is never a broken mention: every stored user id the bot names goes
through :func:`bot.mrkdwn.mention`, which shows ``former-participant`` as plain "former participant"."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.mrkdwn import mention
from bot.views.classification import decision_context
from bot.views.leads import mention as leads_mention
from bot.views.summary import summary_blocks
from flows.summary import Credit, SessionSummary, SummaryItem, SummarySection
from storage.privacy import FORMER_PARTICIPANT
from tests.bot.conftest import CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness
from tests.bot.test_checkins_e2e import add, at, dispatch, start_session

BROKEN = f"<@{FORMER_PARTICIPANT}>"


def test_mention_names_slack_users_and_shows_the_former_participant_as_text() -> None:
    assert mention("U0SAM") == "<@U0SAM>"
    assert mention("W0ENTERPRISE1") == "<@W0ENTERPRISE1>"
    assert mention(FORMER_PARTICIPANT) == "former participant"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert leads_mention(None) == "—" and leads_mention(FORMER_PARTICIPANT) == "former participant"


@given(st.text(max_size=40))
def test_mention_makes_markup_only_from_a_slack_user_id(user_id: str) -> None:
    shown = mention(user_id)
    if shown.startswith("<@"):
        assert shown == f"<@{user_id}>" and user_id[:1] in ("U", "W") and user_id.isalnum()
    else:
        assert "<" not in shown and ">" not in shown


def test_summary_and_decision_show_a_forgotten_author_and_facilitator_as_text() -> None:
    summary = SessionSummary(
        template_id="five-whys",
        title="Five whys",
        problem="Bins are missed",
        sections=(
            SummarySection(
                heading="Whys",
                items=(
                    SummaryItem(label="Why 1", text="[removed]", author=FORMER_PARTICIPANT),
                    SummaryItem(label="Why 2", text="Crews are short", author=SAM),
                ),
                numbered=True,
                credits=(
                    Credit(user_id=FORMER_PARTICIPANT, answered=("1",)),
                    Credit(user_id=SAM, answered=("2",)),
                ),
            ),
        ),
    )
    content = [
        b.to_dict()
        for b in summary_blocks(summary, session_id=7, facilitator=FORMER_PARTICIPANT, when="today")
    ]
    text = str(content)
    assert BROKEN not in text
    # Each person once per section, in its credits line: the forgotten one as plain text.
    assert "former participant (1)" in text and f"<@{SAM}> (2)" in text
    assert "facilitated by former participant" in text
    decision = str(decision_context("service", "process", "confirmed", FORMER_PARTICIPANT).to_dict())
    assert BROKEN not in decision and "former participant" in decision


def test_an_escalation_after_the_facilitator_is_forgotten_names_them_as_text(harness: Harness) -> None:
    """The dispatcher's escalation reads the stored facilitator id; it goes to the leads channel only
    (a forgotten person has no DM) and says "former participant"."""
    h = harness
    with h.deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(TEAM)
        workspace.leads_channel = LEADS
        uow.commit()
    h.clock.set(at(2026, 11, 25, 12))
    session_id, _thread = start_session(h)
    add(h, session_id, date(2026, 12, 1))
    reply = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="forget-me confirm"
    )
    assert reply.status == 200, reply.body
    for day in (1, 8, 15):
        h.clock.set(at(2026, 12, day, 10))
        dispatch(h)
    [escalation] = h.slack.messages(channel=LEADS)
    assert "facilitated by former participant" in escalation.text and BROKEN not in escalation.text
    assert f"<@{SAM}> hasn't answered" in escalation.text
    posted_to = [c.params.get("channel") for c in h.slack.calls_to("chat.postMessage")]
    assert FORMER_PARTICIPANT not in posted_to
