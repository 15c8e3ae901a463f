"""An intervention added to a finished session (``/playbook intervene`` and its form) brings the
already-posted leads message up to date: a ``chat.update`` of that message, queued in the outbox in the
transaction that stores the intervention, with its link to the session's thread intact."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.bot.conftest import CHANNEL, FACILITATOR, LEADS, SAM, Harness
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_leads_summary import leads_messages, mrkdwn_text
from tests.bot.test_problem_report import _intervene, finished_with_leads_post
from tests.bot.test_templates_e2e import say


def test_an_intervention_added_after_the_leads_post_updates_it(harness: Harness) -> None:
    h = harness
    _thread, posted = finished_with_leads_post(h)
    assert "Publish a payment guide" not in mrkdwn_text(posted)

    _intervene(h, 1, "Publish a payment guide", SAM, "2026-12-09")

    [updated] = leads_messages(h)
    assert updated.ts == posted.ts and updated.edited
    text = mrkdwn_text(updated)
    assert f"Publish a payment guide · owner <@{SAM}> · first check-in 9 December 2026 · fortnightly" in text
    # The link to the session's thread is resolved, as in the first post.
    assert f"https://anytown-council.slack.com/archives/{CHANNEL}/p" in text
    assert "playbook.invalid" not in text
    updates = [c.params["ts"] for c in h.slack.calls_to("chat.update") if c.params.get("channel") == LEADS]
    assert updates == [posted.ts]
    # Through the outbox, as every change's messages are.
    with h.deps.session_factory() as orm:
        kinds = [
            (row.kind, row.channel) for row in orm.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert ("update", LEADS) in kinds


def test_an_intervention_on_a_session_with_no_leads_post_updates_nothing(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    _intervene(h, 1, "Publish a payment guide", FACILITATOR, "2026-12-09")
    assert h.slack.calls_to("chat.update") == [] or all(
        c.params.get("channel") != LEADS for c in h.slack.calls_to("chat.update")
    )
