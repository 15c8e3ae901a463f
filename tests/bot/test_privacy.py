"""People's own data: the reminder, redact-or-keep, the answer rate limit, forget-me, my-data,
retention and the audit log; all shown on what the database holds afterwards."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.ids import PrivacyActionId
from bot.scheduler import purge_expired_data
from storage.audit import AuditEntry
from storage.models import AnswerVersion, Participant, Problem, Session, Workspace
from storage.privacy import FORMER_PARTICIPANT, REMOVED_TEXT, PendingAnswer
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, OTHER_TEAM, SAM, TEAM, Harness, rendered

PHONE_ANSWER = "Mrs Smith rings 07700 900123 because her bin was missed"


def start(h: Harness, statement: str = "Bins are missed on Tuesdays", user: str = FACILITATOR) -> str:
    reply = h.client.slash_command(
        team_id=TEAM, user_id=user, channel_id=CHANNEL, text=f"start five-whys {statement}"
    )
    assert reply.status == 200, reply.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def say(h: Harness, thread: str, text: str, user: str = FACILITATOR) -> None:
    reply = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert reply.status == 200, reply.body


def current(h: Harness) -> dict[str, tuple[object, str | None, str]]:
    """The latest version of every answer: key -> (value, typed text, author)."""
    with h.deps.session_factory() as orm:
        session_id = orm.scalar(select(func.max(Session.id)))
    assert session_id is not None
    with h.deps.uow() as uow:
        return {k: (r.value, r.raw_text, r.author_id) for k, r in uow.answers.latest(session_id).items()}


def command(h: Harness, text: str, user: str = FACILITATOR, team: str = TEAM) -> str:
    reply = h.client.slash_command(team_id=team, user_id=user, channel_id=CHANNEL, text=text)
    assert reply.status == 200, reply.body
    return str(reply.json()["text"]) if reply.body.startswith("{") else reply.body


# --- reminder, redact-or-keep, rate limit ------------------------------------------------------------


def test_each_session_starts_with_a_reminder_not_to_name_people(harness: Harness) -> None:
    thread = start(harness)
    assert "don't name residents or colleagues" in rendered(harness.thread(CHANNEL, thread)[0])


def test_an_answer_that_looks_personal_is_held_until_keep(harness: Harness) -> None:
    h = harness
    thread = start(h)
    say(h, thread, PHONE_ANSWER, user=ALEX)
    asked = h.last_text(CHANNEL, thread)
    assert "personal data (phone number)" in asked and "Mrs Smith rings [phone number] because" in asked
    assert "whys.1.answer" not in current(h)
    with h.deps.session_factory() as orm:
        assert [(p.user_id, p.text) for p in orm.scalars(select(PendingAnswer))] == [(ALEX, PHONE_ANSWER)]
    say(h, thread, "keep", user=ALEX)
    assert current(h)["whys.1.answer"] == (PHONE_ANSWER, PHONE_ANSWER, ALEX)
    with h.deps.session_factory() as orm:
        assert orm.scalar(select(func.count()).select_from(PendingAnswer)) == 0
    assert "Why 2" in h.last_text(CHANNEL, thread)


def test_anything_but_keep_is_taken_as_the_redacted_answer(harness: Harness) -> None:
    h = harness
    thread = start(h)
    say(h, thread, "Email jo.bloggs@anytown.gov.uk, postcode SW1A 1AA", user=SAM)
    assert "email address and postcode" in h.last_text(CHANNEL, thread)
    say(h, thread, "A resident's collection was missed", user=SAM)
    value, typed, author = current(h)["whys.1.answer"]
    assert (value, typed, author) == ("A resident's collection was missed",) * 2 + (SAM,)


def test_a_held_answer_is_dropped_when_the_question_moves_on(harness: Harness) -> None:
    h = harness
    thread = start(h)
    say(h, thread, PHONE_ANSWER, user=ALEX)
    say(h, thread, "The round was reorganised", user=SAM)
    say(h, thread, "keep", user=ALEX)
    assert "already moved on" in h.last_text(CHANNEL, thread)
    assert current(h)["whys.1.answer"][0] == "The round was reorganised"
    assert "whys.2.answer" not in current(h)


def test_answers_are_limited_to_30_a_minute_with_one_polite_reply(harness: Harness) -> None:
    h = harness
    thread = start(h)
    for _ in range(30):
        say(h, thread, "help", user=ALEX)
    replies_before = len(h.thread(CHANNEL, thread))
    say(h, thread, "The crew was short", user=ALEX)
    assert "more than 30 answers a minute" in h.last_text(CHANNEL, thread)
    say(h, thread, "The crew was short", user=ALEX)
    assert len(h.thread(CHANNEL, thread)) == replies_before + 1  # told once, then quietly ignored
    assert "whys.1.answer" not in current(h)
    say(h, thread, "Sam is not limited", user=SAM)
    assert current(h)["whys.1.answer"][0] == "Sam is not limited"
    h.clock.advance(timedelta(seconds=61))
    say(h, thread, "The crew was short", user=ALEX)
    assert current(h)["whys.2.answer"][0] == "The crew was short"


# --- forget-me ---------------------------------------------------------------------------------------


def _session_with_alex(h: Harness) -> str:
    thread = start(h, "Missed bins", user=ALEX)
    say(h, thread, "The crew was short", user=ALEX)
    say(h, thread, "Two drivers were off sick", user=FACILITATOR)
    return thread


def test_forget_me_asks_first_and_changes_nothing_until_confirmed(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    before = current(h)
    reply = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="forget-me")
    body = reply.json()
    assert "can't be undone" in body["text"]
    buttons = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(PrivacyActionId.FORGET_ME, TEAM)]
    assert current(h) == before


def _assert_alex_forgotten(h: Harness) -> None:
    answers = current(h)
    assert answers["problem"] == (REMOVED_TEXT, None, FORMER_PARTICIPANT)
    assert answers["whys.1.answer"] == (REMOVED_TEXT, None, FORMER_PARTICIPANT)
    assert answers["whys.2.answer"] == ("Two drivers were off sick",) * 2 + (FACILITATOR,)
    with h.deps.session_factory() as orm:
        everything = " ".join(
            f"{r.author_id} {r.raw_text} {r.value}" for r in orm.scalars(select(AnswerVersion))
        )
        assert ALEX not in everything and "crew was short" not in everything
        assert sorted(orm.scalars(select(Participant.user_id))) == sorted([FORMER_PARTICIPANT, FACILITATOR])
        assert list(orm.scalars(select(Session.facilitator_id))) == [FORMER_PARTICIPANT]
        assert [(p.created_by, p.statement) for p in orm.scalars(select(Problem))] == [
            (FORMER_PARTICIPANT, REMOVED_TEXT)
        ]
        entries = orm.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.forget_me")).all()
        assert [(e.workspace_id, e.actor, e.detail["answers"]) for e in entries] == [
            (TEAM, FORMER_PARTICIPANT, 2)
        ]


def test_forget_me_confirm_replaces_identity_and_deletes_typed_answers(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    text = command(h, "forget-me confirm", user=ALEX)
    assert "former participant" in text
    _assert_alex_forgotten(h)


def test_the_forget_me_button_does_the_same(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    reply = h.client.block_action(
        team_id=TEAM, user_id=ALEX, action_id=PrivacyActionId.FORGET_ME, value=TEAM, channel_id=CHANNEL
    )
    assert reply.status == 200
    _assert_alex_forgotten(h)
    told = [m for m in h.slack.messages(channel=CHANNEL) if m.ephemeral_user == ALEX]
    assert "former participant" in told[-1].text


def test_a_forget_me_button_from_another_workspace_is_refused(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    before = current(h)
    h.client.block_action(
        team_id=OTHER_TEAM, user_id=ALEX, action_id=PrivacyActionId.FORGET_ME, value=TEAM, channel_id=CHANNEL
    )
    assert current(h) == before
    with h.deps.session_factory() as orm:
        assert orm.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_forget_me_in_another_workspace_leaves_this_one_alone(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    before = current(h)
    command(h, "forget-me confirm", user=ALEX, team=OTHER_TEAM)
    assert current(h) == before


# --- my-data -----------------------------------------------------------------------------------------


def test_my_data_sends_everything_stored_about_the_caller_as_json(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    assert "look in our DM" in command(h, "my-data", user=ALEX)
    [upload] = h.slack.files
    assert upload.filename == "playbook-my-data.json"
    assert upload.channel_id == h.slack.dm_channel(TEAM, ALEX)
    assert upload.content is not None
    data = json.loads(upload.content)
    assert (data["workspace_id"], data["user_id"]) == (TEAM, ALEX)
    assert [(a["question"], a["value"]) for a in data["answers"]] == [
        ("problem", "Missed bins"),
        ("whys.1.answer", "The crew was short"),
    ]
    assert [s["template"] for s in data["sessions_facilitated"]] == ["five-whys"]
    assert [p["statement"] for p in data["problems_written"]] == ["Missed bins"]
    assert b"Two drivers were off sick" not in upload.content  # the facilitator's answer, not Alex's
    with h.deps.session_factory() as orm:
        actions = [(e.actor, e.action) for e in orm.scalars(select(AuditEntry))]
    assert actions == [(ALEX, "privacy.my_data")]


def test_my_data_after_forget_me_holds_nothing_about_them(harness: Harness) -> None:
    h = harness
    _session_with_alex(h)
    command(h, "forget-me confirm", user=ALEX)
    command(h, "my-data", user=ALEX)
    data = json.loads(h.slack.files[-1].content or b"{}")
    assert data["answers"] == [] and data["participation"] == [] and data["problems_written"] == []


# --- retention ---------------------------------------------------------------------------------------


def test_the_daily_purge_deletes_sessions_idle_beyond_the_retention_period(harness: Harness) -> None:
    h = harness
    old_thread = start(h, "An old problem")
    say(h, old_thread, "An old answer")
    h.clock.advance(timedelta(days=700))
    start(h, "A recent problem")
    with h.deps.session_factory() as orm:
        old_id, new_id = orm.scalars(select(Session.id).order_by(Session.id)).all()
    h.clock.advance(timedelta(days=40))  # the old session is now 740 days idle; the new one 40
    with h.deps.session_factory() as orm:  # updated_at is set from the injected clock when answers arrive
        assert orm.get(Session, old_id) is not None
    [result] = purge_expired_data(h.deps)
    assert (result.sessions, result.answers, result.problems) == (1, 2, 1)
    with h.deps.session_factory() as orm:
        assert list(orm.scalars(select(Session.id))) == [new_id]
        assert set(orm.scalars(select(AnswerVersion.session_id))) == {new_id}
        assert list(orm.scalars(select(Problem.statement))) == ["A recent problem"]
        [entry] = orm.scalars(select(AuditEntry)).all()
        assert (entry.actor, entry.action, entry.detail["sessions"]) == ("system", "retention.purge", 1)
    assert purge_expired_data(h.deps)[0].sessions == 0  # idempotent


def test_a_shorter_retention_setting_purges_sooner(harness: Harness) -> None:
    h = harness
    start(h)
    with h.deps.session_factory() as orm:
        orm.execute(update(Workspace).values(settings={"retention_days": 90}))
        orm.commit()
    h.clock.advance(timedelta(days=89))
    assert purge_expired_data(h.deps)[0].sessions == 0
    h.clock.advance(timedelta(days=2))
    assert purge_expired_data(h.deps)[0].sessions == 1


def test_only_leads_and_admins_change_retention_and_it_is_audited(harness: Harness) -> None:
    h = harness
    assert "730 days" in command(h, "retention")
    assert "Only a workspace admin or owner" in command(h, "retention 365", user=SAM)
    assert "from 30 to 3650" in command(h, "retention 5", user=SAM)
    h.slack.add_user(TEAM, "U0ADMIN", "Ada", is_admin=True)
    assert "365 days" in command(h, "retention 365", user="U0ADMIN")
    assert "365 days" in command(h, "retention")
    with h.deps.session_factory() as orm:
        entries = [(e.actor, e.action, e.detail) for e in orm.scalars(select(AuditEntry))]
    assert entries == [("U0ADMIN", "settings.retention", {"before": 730, "after": 365})]


def test_retention_refuses_anything_but_a_plain_number_without_failing(harness: Harness) -> None:
    """``²`` is a digit to ``str.isdigit`` but not a number ``int`` reads: it once failed the command."""
    h = harness
    h.slack.add_user(TEAM, "U0ADMIN", "Ada", is_admin=True)
    for text in ("retention ²", "retention ٣٠٠", "retention 1e3", "retention 99999999999999999999"):
        assert "from 30 to 3650" in command(h, text, user="U0ADMIN")
    assert "730 days" in command(h, "retention")
    with h.deps.session_factory() as orm:
        assert orm.scalar(select(func.count()).select_from(AuditEntry)) == 0
