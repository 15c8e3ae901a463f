"""Welsh typed words and Welsh answers through signed requests into the real app: a five-whys session
steered with nôl, oedi, ailddechrau, byddai, ie, nac oes, cadarnhau and gorffen, with a Welsh date and
check-in cadence, stores exactly what the English words would."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import AnswerVersion, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness


def say(h: Harness, thread: str, text: str, *, user: str = FACILITATOR, encoded: bool = False) -> None:
    response = h.client.message(
        team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread, encoded=encoded
    )
    assert response.status == 200, response.body


def session_of(h: Harness, thread: str) -> Session:
    with h.deps.session_factory() as orm:
        session = orm.scalar(select(Session).where(Session.thread_ts == thread))
        assert session is not None
        orm.expunge(session)
        return session


def test_a_session_steered_in_welsh(harness: Harness) -> None:
    h = harness
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Mae'r ffurflen yn methu"
    )
    assert response.status == 200, response.body
    thread = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts

    say(h, thread, "Typo", user=ALEX)
    say(h, thread, "nôl")  # the facilitator takes it back
    assert "Typo" in h.last_text(CHANNEL, thread) and "Why 1" in h.last_text(CHANNEL, thread)
    say(h, thread, "oedi")
    assert session_of(h, thread).status == SessionStatus.PAUSED
    say(h, thread, "ailddechrau")
    assert session_of(h, thread).status == SessionStatus.ACTIVE

    for text in ("Mae'n gwrthod codau post", "Mae'r patrwm yn mynnu bwlch", "Newidiodd y cyflenwr y system"):
        say(h, thread, text)
    for text in ("byddai", "ie", "nac oes", "cadarnhau", "Gofyn i'r cyflenwr"):
        say(h, thread, text)
    say(h, thread, f"<@{SAM}>", encoded=True)
    for text in ("dydd Mawrth nesaf", "bob pythefnos", "gorffen"):
        say(h, thread, text)

    session = session_of(h, thread)
    assert session.status == SessionStatus.COMPLETED
    with h.deps.session_factory() as orm:
        rows = list(
            orm.scalars(
                select(AnswerVersion).where(AnswerVersion.session_id == session.id).order_by(AnswerVersion.id)
            )
        )
        latest = {row.key: row for row in rows}
        assert [row.retracted for row in rows if row.key == "whys.1.answer"] == [False, True, False]
        assert latest["whys.1.answer"].value == "Mae'n gwrthod codau post"
        assert latest["whys.3.fixes_it"].value is True
        assert latest["root_cause"].value == {"item": 3, "text": "Newidiodd y cyflenwr y system"}
        assert latest["second_branch"].value is False
        assert latest["classification"].value["status"] == "confirmed"
        assert latest["interventions.done"].value == 1
    with h.deps.uow() as uow:
        interventions = uow.checkins.for_session(TEAM, session.id)
        # 25 November 2026 is a Wednesday: "dydd Mawrth nesaf" is Tuesday 1 December.
        assert [(i.what, i.owner_id, i.cadence, i.first_due) for i in interventions] == [
            ("Gofyn i'r cyflenwr", SAM, "fortnightly", date(2026, 12, 1))
        ]
