"""The weekly digest, themes, charts and the Word paper through the real app and the stand-in Slack.

The digest's figures are followed to every place a person sees them (the digest's text, the chart's
alt text and the ``.docx``) and compared with the problem reports; the chart PNG and the paper are
opened again (Pillow, python-docx). Timing runs on an injected clock: Monday 09:00, Tuesday after Easter
Monday, and once with two workers.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import docx
import pytest
from PIL import Image

from bot.app import build_deps, make_web_client
from bot.delivery import one_client
from bot.services import digest as digest_service
from bot.services.leads import report_for_session
from bot.services.workspace import settings_for
from flows.costs import format_pounds
from flows.digest import seven_days_to
from localslack.webapi import SlackWebApiStandIn
from storage.models import Role, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, make_settings, rendered
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_digest_prepared import ask
from tests.bot.test_home import home, make_lead, text_of
from tests.bot.test_leads_summary import set_leads
from tests.bot.test_templates_e2e import assert_completed, say, start

PRIVATE = "C0PRIVATE"
PUBLIC_CHANNELS = ("C0HOUSING", "C0WASTE", "C0PARKING")
SIMILAR = (
    "The supplier contract does not let us change the system settings",
    "The supplier contract stops us changing the system settings",
    "We cannot change system settings because of the supplier's contract",
)
SECRET = "The supplier contract forbids changing settings for the safeguarding system"


def keep_artifacts(files: dict[str, bytes | None]) -> None:
    """With ``PLAYBOOK_TEST_ARTIFACTS`` set to a folder, keep the files a person would open, to look at."""
    folder = os.environ.get("PLAYBOOK_TEST_ARTIFACTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name, content in files.items():
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(content or b"")


def clients(h: Harness) -> Any:
    return one_client(make_web_client(h.deps.settings, f"xoxb-{TEAM}"))


def digest_posts(h: Harness) -> list[Any]:
    return [
        m
        for m in h.slack.messages(channel=LEADS)
        if not m.ephemeral_user and m.blocks and "Weekly digest" in rendered(m)
    ]


def run_every_template(h: Harness) -> None:
    """A session of each of the five templates, finished in the week."""
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    for reply in ("staff", "Re-keying missed-bin reports", "time", "2h 30m", "3 a week", "2", "skip", "skip"):
        say(h, thread, reply)
    for reply in (
        "residents",
        "Calls chasing collections",
        "both",
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
    thread = start(h, "start cause-problem-impact Housing repair requests get lost")
    for reply in (
        "Two separate queues",
        "done",
        "Residents ring three times",
        "residents",
        "4",
        "done",
        "council wide",
    ):
        say(h, thread, reply)
    say(h, thread, "One shared repairs queue")
    say(h, thread, f"<@{SAM}>", encoded=True)
    say(h, thread, "next Friday")
    say(h, thread, "weekly")
    say(h, thread, "done")
    assert_completed(h, thread)
    thread = start(h, "start pain-points Bulky waste collections go wrong")
    say(h, thread, "Bulky waste bookings")
    for reply in ("Slots vanish at checkout", "residents", "technology", "daily", "4", "skip", "next", "1"):
        say(h, thread, reply)
    assert_completed(h, thread)
    thread = start(h, "start problem-levels Residents can't renew parking permits online")
    for reply in (
        "They queue",
        "Staff re-key forms",
        "No API",
        "No budget",
        "yes",
        "Every service buys the same way",
    ):
        say(h, thread, reply, user=ALEX if reply == "They queue" else FACILITATOR)
    assert_completed(h, thread)


def reports_of_the_week(h: Harness) -> list[Any]:
    with h.deps.uow() as uow:
        settings = settings_for(h.deps, uow, TEAM)
        week = seven_days_to(h.clock.now(), settings.timezone)
        sessions = uow.digests.finished_between(TEAM, week.starts_at, week.ends_at)
        return [report_for_session(uow, s, settings) for s in sessions]


def test_digest_now_after_every_template_says_what_the_reports_say_everywhere(harness: Harness) -> None:
    h = harness
    set_leads(h)
    make_lead(h, FACILITATOR)
    run_every_template(h)
    h.clock.advance(timedelta(hours=2))
    reports = reports_of_the_week(h)
    assert len(reports) == 5

    report = digest_service.send_now(h.deps, clients(h))
    assert report.sent == [TEAM]
    [post] = digest_posts(h)
    text = rendered(post)
    assert "5 started, 5 finished" in text
    costed = [r for r in reports if r.costs is not None and r.costs.total]
    total = sum((r.costs.total for r in costed), start=type(costed[0].costs.total)(0))  # type: ignore[union-attr]
    assert total == costed[0].costs.total  # type: ignore[union-attr]
    # Worked by hand: staff 2.5 h x 156 a year x 2 people x £30 (the default rate) = £23,400; residents
    # 0.75 h x 120 a year x 1 x £15 = £1,350, plus £2 x 120 = £240: £1,590; in all £24,990.
    assert total == 24990
    assert {s.label: s.amount for s in costed[0].costs.by_bearer}["Residents"] == 1590  # type: ignore[union-attr]
    assert f"Yearly cost of the problems found: {format_pounds(total)}" in text
    for share in costed[0].costs.by_bearer:  # type: ignore[union-attr]
        assert f"{share.label}: {format_pounds(share.amount)}" in text
    assert f"*{format_pounds(total)}* a year" in text  # the costliest problem's line
    classified = [r for r in reports if r.classification is not None]
    for r in classified:
        assert f"{r.classification.scope} · {r.classification.category}: " in text  # type: ignore[union-attr]
    assert f"(problems classified: {len(classified)};" in text
    owners = [i.owner.user_id for r in reports for i in r.interventions if i.owner]
    assert owners and all(f"<@{owner}>" in text for owner in owners)
    assert "One shared repairs queue" in text and "*On track (1)*" in text

    # The digest's charts: uploaded with alt text carrying the same figures, and real PNGs.
    files = {f.filename: f for f in h.slack.files}
    cost_chart = next(
        f for name, f in files.items() if name.startswith("digest-") and "cost-by-bearer" in name
    )
    assert cost_chart.alt_txt is not None and format_pounds(total) in cost_chart.alt_txt
    for share in costed[0].costs.by_bearer:  # type: ignore[union-attr]
        assert f"{share.label} {format_pounds(share.amount)}" in cost_chart.alt_txt
    categories = next(f for name, f in files.items() if "root-causes-by-category" in name)
    assert categories.alt_txt is not None
    for r in classified:
        assert f"{r.classification.category} " in categories.alt_txt  # type: ignore[union-attr]
    for chart in (cost_chart, categories):
        assert chart.content is not None
        image = Image.open(io.BytesIO(chart.content))
        image.verify()
        assert image.format == "PNG" and image.size[0] > 300

    # The Word paper on the costed problem, through a signed request, read back with python-docx.
    session_id = costed[0].session_id
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"export {session_id} docx"
    )
    assert response.status == 200 and "paper" in response.body, response.body
    paper = next(f for f in h.slack.files if f.filename == f"session-{session_id}-paper.docx")
    assert paper.content is not None
    document = docx.Document(io.BytesIO(paper.content))
    words = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)
    assert f"Total: {format_pounds(total)} a year" in words
    for share in costed[0].costs.by_bearer:  # type: ignore[union-attr]
        assert share.label in cells and format_pounds(share.amount) in cells
    for line in costed[0].costs.lines:  # type: ignore[union-attr]
        assert line.what in cells and format_pounds(line.annual) in cells
    assert "Appendix: method" in words and "Cost impacts" in words
    assert len(document.inline_shapes) == 1  # the chart
    assert format_pounds(total) in words  # the chart's caption (its alt text)
    # The preview a lead asks for carries the same figures (themes, problems and owners as they may see).
    _ack, preview = ask(h, FACILITATOR, "digest")
    assert preview is not None and "5 started, 5 finished" in preview
    assert f"Yearly cost of the problems found: {format_pounds(total)}" in preview
    keep_artifacts(
        {
            paper.filename: paper.content,
            cost_chart.filename: cost_chart.content,
            categories.filename: categories.content,
            "digest-post.txt": text.encode(),
            "digest-post-blocks.json": json.dumps(post.blocks, indent=1).encode(),
            "digest-preview.txt": preview.encode(),
        }
    )


def test_the_paper_names_the_root_cause_classification_and_owners(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, thread)
        assert session is not None
        session_id = session.id
    response = h.client.slash_command(
        team_id=TEAM, user_id=SAM, channel_id=CHANNEL, text=f"export #{session_id} docx"
    )
    assert response.status == 200, response.body
    paper = next(f for f in h.slack.files if f.filename.endswith("paper.docx"))
    document = docx.Document(io.BytesIO(paper.content or b""))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "Our contract doesn't let us change the supplier's settings" in words
    assert "Classification: product, procurement-market (confirmed by Fran)." in words
    assert "The payment form times out" in words  # the why chain
    assert "No costs were worked out" in words
    keep_artifacts({f"five-whys-{paper.filename}": paper.content})
    # Someone from elsewhere may not have it.
    outsider = h.client.slash_command(
        team_id=TEAM, user_id="U0NOBODY", channel_id=CHANNEL, text=f"export {session_id} docx"
    )
    assert "paper" not in outsider.body


# --- timing and exactly once -------------------------------------------------------------------------


def add_finished(
    h: Harness,
    channel: str,
    problem: str,
    root_cause: str,
    when: datetime,
    facilitator: str = FACILITATOR,
    *,
    problem_id: int | None = None,
    more_answers: dict[str, object] | None = None,
    facilitator_takes_part: bool = False,
) -> int:
    """A five-whys session finished at ``when``, stored as the bot stores one: its problem, one why and
    the root cause confirmed (and ``more_answers``)."""
    with h.deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        session = uow.sessions.add(
            Session(
                workspace_id=TEAM,
                problem_id=problem_id,
                template_id="five-whys",
                status=SessionStatus.COMPLETED,
                facilitator_id=facilitator,
                channel_id=channel,
                thread_ts=h.client.new_ts(),
                created_at=when,
                updated_at=when,
                completed_at=when,
            )
        )
        if facilitator_takes_part:
            uow.sessions.add_participant(session, facilitator, Role.FACILITATOR)
        answers: dict[str, object] = {
            "problem": problem,
            "whys.1.answer": root_cause,
            "root_cause": {"item": 1, "text": root_cause},
        }
        for key, value in (answers | (more_answers or {})).items():
            uow.answers.add_version(session.id, key, value=value, author_id=facilitator, raw_text=str(value))
        uow.commit()
        return session.id


def tick_with_two_workers(h: Harness, second: Any) -> None:
    """Two scheduler processes' digest jobs running at the same moment on the same database."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(deps: Any) -> None:
        try:
            barrier.wait()
            digest_service.send_due(deps, clients(h))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(deps,)) for deps in (h.deps, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.fixture
def second_worker(harness: Harness, slack: SlackWebApiStandIn, database_url: str) -> Iterator[Any]:
    """A second process's dependencies: its own engine (connection pool) on the same database."""
    deps = build_deps(make_settings(slack, database_url), harness.clock)
    yield deps
    bind = deps.session_factory.kw["bind"]
    bind.dispose()


def test_monday_nine_local_once_with_two_workers(harness: Harness, second_worker: Any) -> None:
    h = harness
    set_leads(h)
    add_finished(
        h,
        CHANNEL,
        "Bins missed",
        "The round sheet is printed a day early",
        datetime(2026, 11, 25, 12, tzinfo=UTC),
    )
    h.clock.set(datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    tick_with_two_workers(h, second_worker)
    assert digest_posts(h) == []
    h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    tick_with_two_workers(h, second_worker)
    tick_with_two_workers(h, second_worker)
    h.clock.advance(timedelta(days=2))
    tick_with_two_workers(h, second_worker)
    [post] = digest_posts(h)
    assert "23 November 2026 to 29 November 2026" in rendered(post)
    assert "1 started, 1 finished" in rendered(post)
    with h.deps.uow() as uow:
        [row] = uow.digests.sent(TEAM)
        assert row.send_week == "2026-W49" and row.sent_at is not None and row.message_ts == post.ts
    # Next Monday, the next digest.
    h.clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    tick_with_two_workers(h, second_worker)
    assert len(digest_posts(h)) == 2


def test_tuesday_after_easter_monday(harness: Harness, second_worker: Any) -> None:
    h = harness
    set_leads(h)
    h.clock.set(datetime(2027, 3, 29, 8, 0, tzinfo=UTC))  # Easter Monday, 09:00 BST
    tick_with_two_workers(h, second_worker)
    h.clock.set(datetime(2027, 3, 29, 16, 0, tzinfo=UTC))
    tick_with_two_workers(h, second_worker)
    assert digest_posts(h) == []
    h.clock.set(datetime(2027, 3, 30, 8, 0, tzinfo=UTC))  # Tuesday 09:00 BST
    tick_with_two_workers(h, second_worker)
    [post] = digest_posts(h)
    assert "22 March 2027 to 28 March 2027" in rendered(post)


def test_a_refused_digest_is_given_back_and_sent_on_the_next_run(harness: Harness) -> None:
    """Slack refusing the digest for good (the bot is not in the leads channel) gives the week's claim
    back, with nothing of it posted (its charts go under it, so they are refused with it)."""
    h = harness
    set_leads(h)
    h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    h.slack.fail_next("chat.postMessage", error="not_in_channel")
    assert digest_service.send_due(h.deps, clients(h)).failed == [TEAM]
    assert digest_posts(h) == [] and h.slack.files == []
    assert digest_service.send_due(h.deps, clients(h)).sent == [TEAM]
    [post] = digest_posts(h)
    [chart] = h.slack.files
    assert chart.thread_ts == post.ts  # the charts are in the digest's thread
    assert digest_service.send_due(h.deps, clients(h)).skipped == [TEAM]
    assert len(digest_posts(h)) == 1 and len(h.slack.files) == 1


def test_a_digest_slack_fails_to_take_is_sent_later_by_the_outbox_once(harness: Harness) -> None:
    """A 5xx-like failure is not a refusal: the digest stays queued (the week stays claimed) and the
    outbox's sender sends it after its back-off, once."""
    h = harness
    set_leads(h)
    h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    h.slack.fail_next("chat.postMessage", error="internal_error")
    assert digest_service.send_due(h.deps, clients(h)).queued == [TEAM]
    assert digest_posts(h) == []
    assert digest_service.send_due(h.deps, clients(h)).skipped == [TEAM]  # claimed: not made again
    h.clock.advance(timedelta(minutes=1))
    h.send_outbox()
    h.send_outbox()
    [post] = digest_posts(h)
    assert len(h.slack.files) == 1
    with h.deps.uow() as uow:
        [row] = uow.digests.sent(TEAM)
        assert row.sent_at is not None and row.message_ts == post.ts


def test_digest_now_goes_through_the_outbox_and_is_sent_once(harness: Harness) -> None:
    """``playbook-bot digest --now`` claims no week, but its posts are queued like every other: a
    failure Slack may recover from leaves it queued, and the outbox's sender sends it once, with its
    charts in its thread."""
    h = harness
    set_leads(h)
    add_finished(
        h, CHANNEL, "Bins", "The round sheet is printed a day early", h.clock.now() - timedelta(hours=1)
    )
    h.slack.fail_next("chat.postMessage", error="internal_error")
    assert digest_service.send_now(h.deps, clients(h)).queued == [TEAM]
    assert digest_posts(h) == [] and h.slack.files == []
    h.clock.advance(timedelta(minutes=1))
    h.send_outbox()
    h.send_outbox()
    [post] = digest_posts(h)
    assert "1 started, 1 finished" in rendered(post)
    [chart] = h.slack.files
    assert chart.thread_ts == post.ts
    with h.deps.uow() as uow:
        assert uow.digests.sent(TEAM) == []  # nothing claimed: the Monday digest still goes


# --- themes and privacy ------------------------------------------------------------------------------


def seed_themes(h: Harness) -> None:
    for number, channel in enumerate(PUBLIC_CHANNELS):
        h.slack.add_channel(TEAM, channel, f"service-{number}", members=[FACILITATOR])
    h.slack.add_channel(TEAM, PRIVATE, "safeguarding", members=[ALEX], is_private=True)
    when = h.clock.now() - timedelta(hours=1)
    for channel, text in zip(PUBLIC_CHANNELS, SIMILAR, strict=True):
        add_finished(h, channel, "Settings cannot be changed", text, when)
    add_finished(h, PRIVATE, "Settings locked", SECRET, when, facilitator=ALEX)


def themes_answer(h: Harness, user: str) -> str:
    """The themes as ``user`` is shown them (they follow the command's ack, through its response_url)."""
    _ack, answer = ask(h, user, "themes")
    assert answer is not None, _ack
    return answer


def test_themes_count_a_private_session_but_show_it_only_to_its_members(harness: Harness) -> None:
    h = harness
    set_leads(h)
    seed_themes(h)
    with h.deps.uow() as uow:  # /playbook themes is for leads (and workspace admins)
        uow.workspaces.change_settings(TEAM, lead_user_ids=(SAM, ALEX))
        uow.commit()
    outsider = themes_answer(h, SAM)
    assert "4 root causes in 4 services" in outsider and "council-wide candidate" in outsider
    assert "safeguarding" not in outsider.lower()
    assert "1 private" in outsider
    assert ("service-0" in outsider and SIMILAR[0].replace("'", "&#39;")[:20] in outsider) or SIMILAR[0][
        :20
    ] in outsider
    member = themes_answer(h, ALEX)
    assert "4 root causes in 4 services" in member
    assert "safeguarding" in member.lower()

    # A lead's Home tab: the same numbers, the private root cause shown only to a lead who is a member.
    lead_home = text_of(home(h, SAM))
    assert "*Themes*" in lead_home and "4 root causes in 4 services" in lead_home
    assert "safeguarding" not in lead_home.lower() and "1 private" in lead_home
    assert "*Themes*" not in text_of(home(h, FACILITATOR))  # not a lead
    assert "safeguarding" in text_of(home(h, ALEX)).lower()

    # In the leads channel, read by all its members, the private root cause is never shown.
    digest_service.send_now(h.deps, clients(h))
    [post] = digest_posts(h)
    text = rendered(post)
    assert "4 root causes in 4 services" in text and "council-wide candidate" in text
    assert "safeguarding" not in text.lower()


def test_digest_preview_is_for_leads_and_admins(harness: Harness) -> None:
    h = harness
    make_lead(h, FACILITATOR)
    add_finished(
        h, CHANNEL, "Bins", "The round sheet is printed a day early", h.clock.now() - timedelta(minutes=5)
    )
    refused, nothing = ask(h, SAM, "digest")
    assert "Only leads and workspace admins" in refused and nothing is None
    _ack, shown = ask(h, FACILITATOR, "digest")
    assert shown is not None and "A preview, shown only to you" in shown and "1 started, 1 finished" in shown
    assert digest_posts(h) == []


def test_two_hundred_sessions_fit_slack_limits(harness: Harness) -> None:
    h = harness
    set_leads(h)
    for channel in PUBLIC_CHANNELS:
        h.slack.add_channel(TEAM, channel, channel.lower(), members=[FACILITATOR])
    when = h.clock.now() - timedelta(hours=3)
    for number in range(200):
        channel = PUBLIC_CHANNELS[number % 3]
        add_finished(h, channel, f"Problem {number}", f"Root cause {number}: " + SIMILAR[number % 3], when)
    result = digest_service.send_now(h.deps, clients(h))
    assert result.sent == [TEAM]
    posts = digest_posts(h)
    assert posts and "200 started, 200 finished" in rendered(posts[0])
    assert all(len(p.blocks or []) <= 50 for p in posts)


def test_the_cli_sends_at_once(
    harness: Harness, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """``playbook-bot digest --now --workspace T…`` on the real clock: the seven days up to now."""
    from bot.cli import main

    h = harness
    set_leads(h)
    add_finished(
        h, CHANNEL, "Bins", "The round sheet is printed a day early", datetime.now(UTC) - timedelta(hours=1)
    )
    monkeypatch.chdir(tmp_path)  # no .env read
    for name, value in {
        "SLACK_BOT_TOKEN": f"xoxb-{TEAM}",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": h.deps.settings.slack_api_url,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["digest", "--now", "--workspace", TEAM]) == 0
    [post] = digest_posts(h)
    assert "1 started, 1 finished" in rendered(post)
