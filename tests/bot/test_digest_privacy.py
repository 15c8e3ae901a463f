"""Who may see what the leads' documents carry: the weekly digest counts a private channel's session
but quotes it (its problem, its interventions, its root cause) only to readers who may see it; the
Word paper of a private channel's session is for those who may see the session, and a paper never
carries another private session on the same problem into a conversation whose members may not read
it."""

from __future__ import annotations

import io
from datetime import timedelta

import docx

from bot.app import make_web_client
from bot.delivery import one_client
from bot.services import digest as digest_service
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, rendered
from tests.bot.test_digest_e2e import add_finished
from tests.bot.test_digest_prepared import ask
from tests.bot.test_home import make_lead, record_interventions
from tests.bot.test_leads_summary import set_leads

PRIVATE = "C0PRIVATE"
SECRET = "The safeguarding referrals sit in one officer's inbox"
SECRET_ACTION = "Move safeguarding referrals to the team mailbox"
PUBLIC_ACTION = "Email the referral form instead of posting it"


def add_session(
    h: Harness,
    channel: str,
    facilitator: str,
    root_cause: str,
    problem_id: int | None = None,
    intervention: str | None = None,
) -> int:
    more: dict[str, object] = {}
    if intervention is not None:
        more = {
            "interventions.1.what": intervention,
            "interventions.1.owner": facilitator,
            "interventions.1.first_checkin": "2026-12-02",
            "interventions.1.cadence": "weekly",
        }
    session_id = add_finished(
        h,
        channel,
        "Referrals are slow",
        root_cause,
        h.clock.now() - timedelta(hours=1),
        facilitator,
        problem_id=problem_id,
        more_answers=more,
        facilitator_takes_part=True,
    )
    if intervention is not None:
        record_interventions(h, session_id)
    return session_id


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


def test_the_digest_counts_a_private_session_but_quotes_it_only_to_its_members(harness: Harness) -> None:
    h = harness
    set_leads(h)
    h.slack.add_channel(TEAM, PRIVATE, "safeguarding", members=[ALEX], is_private=True)
    add_session(h, PRIVATE, ALEX, SECRET, intervention=SECRET_ACTION)
    add_session(h, CHANNEL, FACILITATOR, "Referral forms are posted", intervention=PUBLIC_ACTION)

    # The leads channel: everyone in it reads the digest, so nothing private is quoted.
    digest_service.send_now(h.deps, one_client(make_web_client(h.deps.settings, f"xoxb-{TEAM}")))
    [post] = [m for m in h.slack.messages(channel=LEADS) if m.blocks and "Weekly digest" in rendered(m)]
    text = rendered(post)
    assert "2 started, 2 finished" in text and "*On track (2)*" in text
    assert PUBLIC_ACTION in text and SECRET_ACTION not in text and "safeguarding" not in text.lower()
    assert "An intervention from a private conversation" in text

    # A lead's preview: quoted only to a lead who is in the private channel.
    make_lead(h, SAM)
    _ack, outsider = ask(h, SAM, "digest")
    assert outsider is not None and SECRET_ACTION not in outsider and PUBLIC_ACTION in outsider
    make_lead(h, ALEX)
    _ack, member = ask(h, ALEX, "digest")
    assert member is not None and SECRET_ACTION in member
