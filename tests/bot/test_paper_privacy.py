"""The Word paper, like the other exports, is uploaded to the session's own conversation: it takes
nothing from another conversation's private session on the same problem (through signed requests)."""

from __future__ import annotations

import io

import docx

from tests.bot.conftest import CHANNEL, SAM, Harness
from tests.bot.test_access import command, public_session_on_private_problem


def test_a_paper_carries_no_other_conversations_private_session(harness: Harness) -> None:
    h = harness
    public_id, problem_id, public_thread = public_session_on_private_problem(h)
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
