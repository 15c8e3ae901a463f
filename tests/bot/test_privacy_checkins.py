"""``/playbook forget-me`` and ``/playbook my-data`` cover interventions and check-ins: shown on
what the database holds afterwards, and on what the dispatcher then sends."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from bot.services import checkins
from bot.services.workspace import settings_for
from flows.interventions import NewIntervention
from storage.audit import AuditEntry
from storage.checkins import CheckIn, CheckInResponse, CheckInStatus, Intervention, InterventionStatus
from storage.models import AnswerVersion
from storage.privacy import FORMER_PARTICIPANT, REMOVED_TEXT
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_checkins_e2e import add, at, dispatch, reply_in_dm, start_session

BLOCKED_REASON = "waiting for Mrs Jones at the depot"


def command(h: Harness, text: str, user: str) -> str:
    reply = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert reply.status == 200, reply.body
    return str(reply.json()["text"]) if reply.body.startswith("{") else reply.body


def interventions(h: Harness) -> dict[int, Intervention]:
    with h.deps.session_factory() as orm:
        return {i.id: i for i in orm.scalars(select(Intervention))}


def checkin_rows(h: Harness, intervention_id: int) -> list[CheckIn]:
    with h.deps.session_factory() as orm:
        return list(
            orm.scalars(
                select(CheckIn).where(CheckIn.intervention_id == intervention_id).order_by(CheckIn.id)
            )
        )


def _sam_blocked(h: Harness) -> tuple[int, int, str]:
    """Sam owns one intervention (blocked, with a reason) and Alex another; both sent a check-in."""
    h.clock.set(at(2026, 11, 25, 12))
    session_id, thread = start_session(h)
    sams = add(h, session_id, date(2026, 12, 1), what="Fix the postcode lookup")
    alexs = add(h, session_id, date(2026, 12, 1), what="Publish the round changes", owner=ALEX)
    h.clock.set(at(2026, 12, 1, 10))
    assert dispatch(h).sent == 2
    reply_in_dm(h, f"blocked: {BLOCKED_REASON}")
    assert interventions(h)[sams].progress_reason == BLOCKED_REASON
    return sams, alexs, thread


def test_forget_me_closes_the_owners_interventions_and_removes_their_reasons(harness: Harness) -> None:
    h = harness
    sams, alexs, thread = _sam_blocked(h)
    assert "former participant" in command(h, "forget-me confirm", SAM)

    stored = interventions(h)
    sam_row, alex_row = stored[sams], stored[alexs]
    assert (sam_row.owner_id, sam_row.status, sam_row.progress, sam_row.progress_reason) == (
        FORMER_PARTICIPANT,
        InterventionStatus.OWNER_LEFT,
        "blocked",
        REMOVED_TEXT,
    )
    assert sam_row.closed_at is not None and sam_row.owner_tz is None
    assert sam_row.what == "Fix the postcode lookup"  # the facilitator wrote it, not Sam
    assert [c.status for c in checkin_rows(h, sams)] == [CheckInStatus.SENT, CheckInStatus.CANCELLED]
    with h.deps.session_factory() as orm:
        [response] = orm.scalars(select(CheckInResponse)).all()
        assert (response.user_id, response.kind, response.reason, response.raw_text) == (
            FORMER_PARTICIPANT,
            "blocked",
            REMOVED_TEXT,
            None,
        )
    every_value = " ".join(
        str(getattr(row, column.key))
        for row in (*stored.values(), response)
        for column in type(row).__table__.columns
    )
    assert SAM not in every_value and "Mrs Jones" not in every_value

    # Alex's intervention is untouched and still checked in on.
    assert (alex_row.owner_id, alex_row.status) == (ALEX, InterventionStatus.OPEN)
    assert [c.status for c in checkin_rows(h, alexs)] == [CheckInStatus.SENT, CheckInStatus.PENDING]

    # The session's thread is told, and the dispatcher never posts to the marker.
    notice = h.last_text(CHANNEL, thread)
    assert "asked Playbook bot to forget them" in notice and "Fix the postcode lookup" in notice
    assert "<@" not in notice
    h.clock.set(at(2026, 12, 8, 10))
    report = dispatch(h)
    assert (report.claimed, report.sent) == (1, 1)  # Alex's next check-in only
    assert not [
        c for c in h.slack.calls_to("chat.postMessage") if c.params.get("channel") == FORMER_PARTICIPANT
    ]


def test_a_forgotten_owner_cannot_answer_a_checkin_any_more(harness: Harness) -> None:
    h = harness
    sams, _alexs, _thread = _sam_blocked(h)
    command(h, "forget-me confirm", SAM)
    before = h.slack.messages(channel=h.slack.dm_channel(TEAM, SAM))
    reply_in_dm(h, "done")
    after = h.slack.messages(channel=h.slack.dm_channel(TEAM, SAM))
    assert not any("won't check in on it again" in rendered(m) for m in after[len(before) :])
    assert interventions(h)[sams].status == InterventionStatus.OWNER_LEFT
    with h.deps.session_factory() as orm:
        assert len(orm.scalars(select(CheckInResponse)).all()) == 1


def test_forgetting_the_creator_removes_their_wording_but_keeps_the_owners_checkins(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    session_id, _thread = start_session(h)
    with h.deps.uow() as uow:
        session = uow.sessions.get(TEAM, session_id)
        assert session is not None
        new = NewIntervention("Ring Alex's supplier", SAM, date(2026, 12, 1), "weekly")
        settings = settings_for(h.deps, uow, TEAM)
        created = checkins.add_intervention(uow, session, new, settings, created_by=ALEX, now=h.clock.now())
        uow.commit()
        intervention_id = created.id
    command(h, "forget-me confirm", ALEX)
    row = interventions(h)[intervention_id]
    assert (row.created_by, row.what, row.owner_id, row.status) == (
        FORMER_PARTICIPANT,
        REMOVED_TEXT,
        SAM,
        InterventionStatus.OPEN,
    )
    assert [c.status for c in checkin_rows(h, intervention_id)] == [CheckInStatus.PENDING]


def test_answers_naming_them_as_owner_name_the_marker(harness: Harness) -> None:
    h = harness
    session_id, _thread = start_session(h)
    with h.deps.uow() as uow:
        for owner in (SAM, ALEX, SAM):
            uow.answers.add_version(
                session_id,
                "interventions.1.owner",
                value=owner,
                author_id=FACILITATOR,
                raw_text=f"<@{owner}>",
            )
        uow.answers.add_version(
            session_id, "interventions.2.owner", value=ALEX, author_id=FACILITATOR, raw_text=f"<@{ALEX}>"
        )
        uow.commit()

    command(h, "my-data", SAM)
    data = json.loads(h.slack.files[-1].content or b"{}")
    assert data["interventions"]["named_as_owner_in_answers"] == [
        {"session": session_id, "question": "interventions.1.owner", "version": 1},
        {"session": session_id, "question": "interventions.1.owner", "version": 3},
    ]

    command(h, "forget-me confirm", SAM)
    with h.deps.session_factory() as orm:
        rows = [
            (r.key, r.version, r.value, r.raw_text)
            for r in orm.scalars(
                select(AnswerVersion)
                .where(AnswerVersion.key.endswith(".owner"))
                .order_by(AnswerVersion.key, AnswerVersion.version)
            )
        ]
    assert rows == [
        ("interventions.1.owner", 1, FORMER_PARTICIPANT, None),
        ("interventions.1.owner", 2, ALEX, f"<@{ALEX}>"),
        ("interventions.1.owner", 3, FORMER_PARTICIPANT, None),
        ("interventions.2.owner", 1, ALEX, f"<@{ALEX}>"),
    ]


def test_my_data_includes_their_interventions_checkins_and_responses(harness: Harness) -> None:
    h = harness
    sams, alexs, _thread = _sam_blocked(h)
    command(h, "my-data", SAM)
    upload = h.slack.files[-1]
    assert upload.content is not None
    data = json.loads(upload.content)["interventions"]
    [mine] = data["interventions"]
    assert (mine["intervention"], mine["what"], mine["you_own_it"], mine["you_added_it"]) == (
        sams,
        "Fix the postcode lookup",
        True,
        False,
    )
    assert (mine["status"], mine["progress"], mine["progress_reason"]) == ("open", "blocked", BLOCKED_REASON)
    assert [(c["intervention"], c["status"]) for c in data["checkins_to_you"]] == [
        (sams, "sent"),
        (sams, "pending"),
    ]
    assert [(r["answer"], r["reason"], r["typed_text"]) for r in data["checkin_responses"]] == [
        ("blocked", BLOCKED_REASON, f"blocked: {BLOCKED_REASON}")
    ]
    # Nothing about the other people: not Alex's intervention, not who added Sam's.
    assert b"Publish the round changes" not in upload.content and str(alexs) not in json.dumps(
        [i["intervention"] for i in data["interventions"]]
    )
    assert FACILITATOR.encode() not in upload.content and ALEX.encode() not in upload.content

    command(h, "forget-me confirm", SAM)
    command(h, "my-data", SAM)
    after = json.loads(h.slack.files[-1].content or b"{}")["interventions"]
    assert after == {
        "interventions": [],
        "checkins_to_you": [],
        "checkin_responses": [],
        "named_as_owner_in_answers": [],
    }


def test_the_erasure_reports_the_rows_it_changed(harness: Harness) -> None:
    h = harness
    _sam_blocked(h)
    command(h, "forget-me confirm", SAM)
    with h.deps.session_factory() as orm:
        [entry] = orm.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.forget_me")).all()
    assert entry.detail["other.interventions"] == 2  # the intervention and the response
