"""The Word paper, like the other exports, is uploaded to the session's own conversation: it takes
nothing from another conversation's private session on the same problem (through signed requests)."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from storage.models import Session
from tests.bot.conftest import ALEX, CHANNEL, SAM, Harness
from tests.bot.test_access import command, newest_anchor, private_setup, say


def test_a_paper_carries_no_other_conversations_private_session(harness: Harness) -> None:
    h = harness
    _, problem_id, _ = private_setup(h)
    # Alex, who is in the private channel, takes its problem to the public channel.
    assert f"on problem {problem_id}" in command(h, f"start pain-points --problem {problem_id}", ALEX).body
    public_thread = newest_anchor(h, CHANNEL)
    say(h, CHANNEL, public_thread, "Bulky waste bookings", SAM)
    with h.deps.session_factory() as orm:
        public_id = orm.scalars(select(Session.id).where(Session.channel_id == CHANNEL)).one()

    for asked in (f"export {public_id} docx", f"export --problem {problem_id} docx"):
        before = {f.id for f in h.slack.files}
        assert "paper" in command(h, asked, SAM).body
        [paper] = [f for f in h.slack.files if f.id not in before and f.filename.endswith("paper.docx")]
        assert paper.channel_id == CHANNEL and paper.thread_ts == public_thread
        document = docx.Document(io.BytesIO(paper.content or b""))
        words = "\n".join(p.text for p in document.paragraphs)
        words += "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)
        for secret in ("Xylophone", "gearbox", "Five whys (session 1)"):
            assert secret not in words, asked
