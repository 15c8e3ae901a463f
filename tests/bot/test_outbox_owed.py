"""What the scheduled jobs owe goes through the outbox too: an escalation, an idle nudge, the weekly
digest and its charts, and the chart under a cost-impacts summary are each queued in the transaction of
the change that owes them and reach Slack exactly once, even when their sender dies after Slack took
them and before it could record that (another sender finds them by their outbox id: a message's
metadata, a file's name). An uninstall leaves nothing queued for the workspace.

"Dies" here: the first sender's call is held by the stand-in after Slack stored the message
(``stall_next(..., when="after")``), so that sender never records anything while a second sender, with
its own engine, takes over once the claim is stale by the database's clock; when the held call is at
last dropped, the first sender's claim is gone and it records nothing. Every wait is on a condition.

Run against PostgreSQL too with ``TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test``."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import build_deps, make_web_client
from bot.delivery import (
    UPLOAD_SHARED_WITHIN_SECONDS,
    FileUpload,
    Flushed,
    Post,
    Queue,
    Upload,
    marked_filename,
    one_client,
    send_ready,
)
from bot.deps import Deps
from bot.scheduler import send_outbox
from bot.services import digest as digest_service
from bot.services import nudges
from bot.services.leads import report_for_session
from bot.services.workspace import settings_for
from flows.costs import format_pounds
from localslack.webapi import SlackWebApiStandIn
from storage.db import database_now
from storage.models import OutboxMessage, OutboxStatus
from tests.bot.conftest import CHANNEL, FACILITATOR, LEADS, TEAM, Harness, make_settings, rendered
from tests.bot.oauth_harness import CHANNEL as OAUTH_CHANNEL
from tests.bot.oauth_harness import FAC, TEAM_A, TEAM_B, OAuthHarness, oauth_harness, two_councils
from tests.bot.test_checkins_e2e import _sent_checkin, at, dispatch, dm
from tests.bot.test_digest_e2e import digest_posts
from tests.bot.test_leads_summary import set_leads
from tests.bot.test_templates_e2e import assert_completed, say, start

__all__ = ["oauth_harness", "two_councils"]  # fixtures used by this module's tests

# How long a claim lasts for the second sender: a claim held by a "dead" sender is stale after it.
CLAIM_SECONDS = 1
WAIT = 60.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > WAIT:
            pytest.fail(f"{what} did not happen within {WAIT:.0f} s")
        time.sleep(0.05)


@pytest.fixture
def second_sender(harness: Harness, slack: SlackWebApiStandIn, database_url: str) -> Iterator[Deps]:
    """Another process's dependencies: its own engine on the same database, the same injected clock,
    and claims that go stale after ``CLAIM_SECONDS`` (database clock)."""
    settings = make_settings(slack, database_url).model_copy(
        update={"playbook_outbox_claim_seconds": CLAIM_SECONDS}
    )
    deps = build_deps(settings, harness.clock)
    yield deps
    deps.session_factory.kw["bind"].dispose()


def clients(deps: Deps) -> Any:
    return one_client(make_web_client(deps.settings, f"xoxb-{TEAM}", retries=False))


def outbox(deps: Deps) -> list[OutboxMessage]:
    with deps.session_factory() as orm:
        return list(orm.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def held_claims(deps: Deps) -> list[int]:
    """The outbox rows a sender holds (claimed, outcome not recorded yet)."""
    return [row.id for row in outbox(deps) if row.status == OutboxStatus.CLAIMED]


def stale(deps: Deps, row_ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        with deps.session_factory() as orm:
            now = database_now(orm.connection())
            for row_id in row_ids:
                row = orm.get(OutboxMessage, row_id)
                assert row is not None and row.status == OutboxStatus.CLAIMED and row.claimed_at
                if now - row.claimed_at <= timedelta(seconds=CLAIM_SECONDS):
                    return False
            return True

    return check


def dies_after_slack_took_it(
    h: Harness, second: Deps, job: Callable[[], object], match: Callable[[dict[str, Any]], bool]
) -> Flushed:
    """Run ``job`` (the first sender) until Slack has stored the post ``match`` picks; the sender then
    hangs as if dead. The second sender takes over once that claim is stale; only then is the first
    one's call dropped. Returns what the second sender did."""
    reached = h.slack.stall_next("chat.postMessage", when="after", match=match)
    first = threading.Thread(target=job, daemon=True)
    first.start()
    assert reached.wait(WAIT), "the post never reached the stand-in"
    held = held_claims(h.deps)
    assert held
    wait_for(stale(second, held), "the dead sender's claims going stale (database clock)")
    flushed = send_ready(second, clients(second))
    assert set(held) <= set(flushed.sent)  # found by their metadata, not posted again
    h.slack.release_stalls()
    first.join(WAIT)
    assert not first.is_alive()
    return flushed


def posted_with(slack: SlackWebApiStandIn, channel: str, words: str) -> list[Any]:
    return [m for m in slack.messages(channel=channel) if not m.ephemeral_user and words in rendered(m)]


def test_an_escalation_whose_sender_died_after_slack_took_it_is_posted_once(
    harness: Harness, second_sender: Deps
) -> None:
    h = harness
    set_leads(h)
    _sent_checkin(h)  # 1 December
    h.clock.set(at(2026, 12, 8, 10))
    assert dispatch(h).escalated == 0
    h.clock.set(at(2026, 12, 15, 10))
    reports: list[Any] = []

    def run() -> None:
        reports.append(dispatch(h))

    flushed = dies_after_slack_took_it(h, second_sender, run, lambda p: p.get("channel") == LEADS)
    assert reports and reports[0].escalated == 1
    assert len(flushed.sent) == 2  # both escalations were held by the dead sender; both found
    assert len(posted_with(h.slack, LEADS, "hasn't answered the last two check-ins")) == 1
    assert len(posted_with(h.slack, dm(h, FACILITATOR), "hasn't answered")) == 1
    # Recorded with the check-in: both escalations were queued, and both are now sent.
    escalations = [row for row in outbox(h.deps) if row.channel in (LEADS, FACILITATOR)]
    assert len(escalations) == 2 and {row.status for row in escalations} == {OutboxStatus.SENT}
    assert send_ready(second_sender, clients(second_sender)).sent == {}
    assert len(posted_with(h.slack, LEADS, "hasn't answered the last two check-ins")) == 1


def test_a_nudge_whose_sender_died_after_slack_took_it_is_posted_once(
    harness: Harness, second_sender: Deps
) -> None:
    h = harness
    h.clock.set(at(2026, 11, 27, 14))  # Friday
    thread = start(h, "start five-whys Residents can't book bulky waste online")
    h.clock.set(at(2026, 12, 2, 14))  # three working days later
    counts: list[int] = []

    def run() -> None:
        counts.append(nudges.nudge_idle_sessions(h.deps, clients(h.deps)))

    dies_after_slack_took_it(h, second_sender, run, lambda p: p.get("thread_ts") == thread)
    assert counts == [1]
    assert sum("quiet for three working days" in rendered(m) for m in h.thread(CHANNEL, thread)) == 1
    # The other worker's run finds it nudged already.
    assert nudges.nudge_idle_sessions(second_sender, clients(second_sender)) == 0
    assert sum("quiet for three working days" in rendered(m) for m in h.thread(CHANNEL, thread)) == 1


def test_a_digest_whose_sender_died_after_slack_took_it_is_posted_once_with_its_charts(
    harness: Harness, second_sender: Deps
) -> None:
    h = harness
    set_leads(h)
    h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Monday 09:00
    reports: list[Any] = []

    def run() -> None:
        reports.append(digest_service.send_due(h.deps, clients(h.deps)))

    reached = h.slack.stall_next("chat.postMessage", when="after", match=lambda p: p.get("channel") == LEADS)
    first = threading.Thread(target=run, daemon=True)
    first.start()
    assert reached.wait(WAIT)
    # The other worker's tick meanwhile: the week is claimed, nothing is queued twice.
    assert digest_service.send_due(second_sender, clients(second_sender)).skipped == [TEAM]
    [held] = held_claims(h.deps)
    wait_for(stale(second_sender, [held]), "the dead sender's claim going stale (database clock)")
    flushed = send_ready(second_sender, clients(second_sender))
    h.slack.release_stalls()
    first.join(WAIT)
    assert held in flushed.sent and len(flushed.sent) == 2  # the digest (found), then its charts
    [post] = digest_posts(h)
    [chart] = h.slack.files
    assert chart.thread_ts == post.ts and chart.alt_txt
    assert chart.filename == marked_filename(
        "digest-2026-11-23-root-causes-by-category.png", next(iter(set(flushed.sent) - {held}))
    )
    with h.deps.uow() as uow:
        [row] = uow.digests.sent(TEAM)
        assert row.sent_at is not None and row.message_ts == post.ts
    assert digest_service.send_due(h.deps, clients(h.deps)).skipped == [TEAM]
    assert send_ready(second_sender, clients(second_sender)).sent == {}
    assert len(digest_posts(h)) == 1 and len(h.slack.files) == 1


def finish_cost_impacts(h: Harness) -> str:
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    for reply in ("staff", "Re-keying missed-bin reports", "2h 30m", "3 a week", "2", "skip", "skip", "skip"):
        say(h, thread, reply)
    for reply in (
        "residents",
        "Calls chasing collections",
        "45 minutes",
        "10 per month",
        "1",
        "£15",
        "£2 each time",
        "skip",
    ):
        say(h, thread, reply)
    say(h, thread, "done")
    say(h, thread, "skip")
    assert_completed(h, thread)
    return thread


def test_the_cost_chart_follows_a_cost_impacts_summary_once_with_the_summarys_totals(
    harness: Harness,
) -> None:
    h = harness
    thread = finish_cost_impacts(h)
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread))
    # The chart is drawn by the background sender, never while Slack waits for the answer's ack.
    assert h.slack.files == []
    (owed,) = [row for row in outbox(h.deps) if row.kind == "upload"]
    assert owed.status == OutboxStatus.PENDING and owed.session_id is not None
    # Beside the thread's own order: the thread's later messages never wait for the drawing.
    assert owed.ordering_key == f"session:{owed.session_id}:{CHANNEL}:upload"
    reached = h.slack.stall_next("files.completeUploadExternal", when="after")
    sending = threading.Thread(target=h.send_outbox, daemon=True)
    sending.start()
    assert reached.wait(WAIT)  # Slack has the file and shared it; the answer is lost
    h.slack.release_stalls()
    sending.join(WAIT)
    assert len(h.slack.files) == 1
    with h.deps.session_factory() as orm:
        row = orm.get(OutboxMessage, owed.id)
        assert row is not None and row.status == OutboxStatus.PENDING and row.uncertain
    # Slack shares a file after answering: it is looked for once the share has had time to land.
    h.clock.advance(timedelta(seconds=UPLOAD_SHARED_WITHIN_SECONDS - 1))
    assert h.send_outbox().sent == {}
    h.clock.advance(timedelta(seconds=1))
    assert list(h.send_outbox().sent) == [owed.id]  # found by its file name, not uploaded again
    assert h.send_outbox().sent == {}
    [chart] = h.slack.files
    assert chart.thread_ts == thread
    assert chart.filename == marked_filename(f"session-{owed.session_id}-cost-by-bearer.png", owed.id)
    assert chart.content is not None
    image = Image.open(io.BytesIO(chart.content))
    image.verify()
    assert image.format == "PNG" and image.size[0] > 300
    # The same totals as the summary's text, in the chart's alt text.
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, thread)
        assert session is not None
        costs = report_for_session(uow, session, settings_for(h.deps, uow, TEAM)).costs
    assert costs is not None and costs.total
    assert chart.alt_txt is not None
    assert format_pounds(costs.total) in summary and format_pounds(costs.total) in chart.alt_txt
    for share in costs.by_bearer:
        assert format_pounds(share.amount) in summary
        assert f"{share.label} {format_pounds(share.amount)}" in chart.alt_txt


def test_uninstall_leaves_nothing_queued_for_that_workspace(two_councils: OAuthHarness) -> None:
    h = two_councils
    for team in (TEAM_A, TEAM_B):
        # Slack is busy: each start's anchor waits in the outbox.
        h.slack.fail_next("chat.postMessage", status=429, retry_after=20, team_id=team)
        reply = h.client.slash_command(
            team_id=team, user_id=FAC, channel_id=OAUTH_CHANNEL, text="start five-whys Bins are missed"
        )
        assert reply.status == 200, reply.body
    with h.deps.uow() as uow:
        assert uow.outbox.unsent_in_workspace(TEAM_A) and uow.outbox.unsent_in_workspace(TEAM_B)
    reply = h.client.event(team_id=TEAM_A, event={"type": "app_uninstalled", "event_ts": h.client.new_ts()})
    assert reply.status == 200
    with h.deps.session_factory() as orm:
        teams = [row.workspace_id for row in orm.scalars(select(OutboxMessage))]
    assert teams and set(teams) == {TEAM_B}
    # Othershire's anchor still goes once the wait is over; nothing is tried for Anytown.
    h.clock.advance(timedelta(seconds=20))
    posts_before = len(h.slack.calls_to("chat.postMessage"))
    send_outbox(h.deps)
    calls = h.slack.calls_to("chat.postMessage")[posts_before:]
    assert calls and {c.team_id for c in calls} == {TEAM_B}


def test_a_revoked_bot_token_leaves_nothing_queued_for_that_workspace(two_councils: OAuthHarness) -> None:
    h = two_councils
    h.slack.fail_next("chat.postMessage", status=429, retry_after=20, team_id=TEAM_B)
    reply = h.client.slash_command(
        team_id=TEAM_B, user_id=FAC, channel_id=OAUTH_CHANNEL, text="start five-whys Bins are missed"
    )
    assert reply.status == 200, reply.body
    event = {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": ["UBOT"]},
        "event_ts": h.client.new_ts(),
    }
    assert h.client.event(team_id=TEAM_B, event=event).status == 200
    with h.deps.uow() as uow:
        assert uow.outbox.unsent_in_workspace(TEAM_B) == []


def test_a_chart_that_cannot_be_drawn_is_dropped_and_holds_nothing_back(harness: Harness) -> None:
    h = harness
    with h.deps.uow() as uow:
        queue = Queue(uow, TEAM, h.clock.now())
        unknown = {"chart": "a chart from a later version", "title": "?", "filename": "x.png"}
        queue.add(
            Upload(
                channel=CHANNEL,
                comment="Chart",
                files=[FileUpload(filename="x.png", title="?", chart=unknown)],
            )
        )
        queue.add(Post(channel=CHANNEL, text="After the chart"))
        uow.commit()
    flushed = h.send_outbox()
    [upload_id, post_id] = queue.ids
    assert flushed.dead == {upload_id: "chart_not_drawn:ValueError"} and post_id in flushed.sent
    assert h.slack.files == [] and posted_with(h.slack, CHANNEL, "After the chart")
