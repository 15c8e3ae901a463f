"""The personal-data check beyond typed answers: the problem statement given with
``/playbook start`` is held for keep-or-redact like an answer, and the edit modal refuses a changed
answer that looks personal. Shown on what is posted and what is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ids import edit_answer_block
from storage.models import Problem
from storage.privacy import PendingAnswer
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, Harness, rendered
from tests.bot.test_edit import completed_levels, open_modal, submit, versions
from tests.bot.test_privacy import current, say, start

STATEMENT = "Mrs Smith on 07700 900123 keeps reporting missed bins"
REDACTED = "Mrs Smith on [phone number] keeps reporting missed bins"


def thread_text(h: Harness, thread: str) -> str:
    return "\n".join(rendered(m) for m in h.thread(CHANNEL, thread))


def test_a_personal_statement_is_held_not_posted_or_stored(harness: Harness) -> None:
    h = harness
    thread = start(h, STATEMENT)
    posted = thread_text(h, thread)
    assert "Your problem statement looks like it contains personal data (phone number)" in posted
    assert REDACTED in posted and "07700 900123" not in posted
    assert "problem" not in current(h)  # the session waits at its problem question
    with h.deps.session_factory() as orm:
        assert orm.scalar(select(func.count()).select_from(Problem)) == 0
        held = [(p.user_id, p.prompt_key, p.text) for p in orm.scalars(select(PendingAnswer))]
    assert held == [(FACILITATOR, "problem", STATEMENT)]


def test_keep_stores_the_statement_as_typed(harness: Harness) -> None:
    h = harness
    thread = start(h, STATEMENT)
    say(h, thread, "keep")
    assert current(h)["problem"] == (STATEMENT, STATEMENT, FACILITATOR)
    assert "Why 1" in h.last_text(CHANNEL, thread)


def test_anything_else_is_the_redacted_statement(harness: Harness) -> None:
    h = harness
    thread = start(h, STATEMENT)
    say(h, thread, "A resident keeps reporting missed bins")
    value, _typed, author = current(h)["problem"]
    assert (value, author) == ("A resident keeps reporting missed bins", FACILITATOR)
    with h.deps.session_factory() as orm:
        assert orm.scalar(select(func.count()).select_from(PendingAnswer)) == 0
    assert "07700" not in thread_text(h, thread)


def test_a_plain_statement_starts_as_before(harness: Harness) -> None:
    h = harness
    thread = start(h, "Bins are missed on Tuesdays")
    assert current(h)["problem"][0] == "Bins are missed on Tuesdays"
    assert "personal data" not in thread_text(h, thread)


def test_the_edit_modal_refuses_a_change_that_looks_personal(harness: Harness) -> None:
    h = harness
    thread = completed_levels(h)
    view = open_modal(h, thread, ALEX)
    before = len(versions(h, "residents"))
    body = submit(h, view, ALEX, {"residents": "They ring jo@example.org every week"}).json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        edit_answer_block("residents"): "This looks like it contains personal data (email address). "
        "Please remove it before saving, for example: They ring [email address] every week"
    }
    assert len(versions(h, "residents")) == before

    response = submit(h, view, ALEX, {"residents": "They ring the contact centre every week"})
    assert response.status == 200 and not response.body
    assert versions(h, "residents")[-1].value == "They ring the contact centre every week"
