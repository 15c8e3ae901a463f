"""Who may see what the leads' documents carry: the Word paper of a private channel's session is for
those who may see the session, and a paper never carries another private session on the same problem
into a conversation whose members may not read it."""

from __future__ import annotations

import io
from datetime import timedelta

import docx

from storage.models import Role, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness
from tests.bot.test_home import make_lead

PRIVATE = "C0PRIVATE"
SECRET = "The safeguarding referrals sit in one officer's inbox"


def add_session(
    h: Harness, channel: str, facilitator: str, root_cause: str, problem_id: int | None = None
) -> int:
    when = h.clock.now() - timedelta(hours=1)
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
        uow.sessions.add_participant(session, facilitator, Role.FACILITATOR)
        for key, value in {
            "problem": "Referrals are slow",
            "whys.1.answer": root_cause,
            "root_cause": {"item": 1, "text": root_cause},
        }.items():
            uow.answers.add_version(session.id, key, value=value, author_id=facilitator, raw_text=str(value))
        uow.commit()
        return session.id


def papers(h: Harness) -> list[str]:
    return [
        "\n".join(p.text for p in docx.Document(io.BytesIO(f.content or b"")).paragraphs)
        for f in h.slack.files
        if f.filename.endswith("paper.docx")
    ]


def export(h: Harness, user: str, text: str) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    return response.body


def test_the_paper_of_a_private_session_is_only_for_those_who_may_see_it(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, PRIVATE, "safeguarding", members=[ALEX], is_private=True)
    session_id = add_session(h, PRIVATE, ALEX, SECRET)
    make_lead(h, SAM)  # a lead, but not in the private channel

    refused = export(h, SAM, f"export {session_id} docx")
    assert "on its way" not in refused and papers(h) == []

    shown = export(h, ALEX, f"export {session_id} docx")
    assert "on its way" in shown
    [paper] = papers(h)
    assert SECRET in paper


def test_a_paper_leaves_out_a_private_session_on_the_same_problem(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, PRIVATE, "safeguarding", members=[ALEX], is_private=True)
    with h.deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        problem_id = uow.problems.add(TEAM, "Referrals are slow", FACILITATOR).id
        uow.commit()
    public = add_session(h, CHANNEL, FACILITATOR, "Referral forms are posted, not emailed", problem_id)
    add_session(h, PRIVATE, ALEX, SECRET, problem_id)

    assert "on its way" in export(h, FACILITATOR, f"export {public} docx")
    [paper] = papers(h)
    assert "Referral forms are posted" in paper and SECRET not in paper
    # By problem: a lead outside the private channel gets the session they may see.
    make_lead(h, SAM)
    assert "on its way" in export(h, SAM, f"export --problem {problem_id} docx")
    assert all(SECRET not in text for text in papers(h))
