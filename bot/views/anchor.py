"""The anchor: the channel message a session's thread hangs from. Someone scrolling the channel sees
which template it is, what problem it is about and who is facilitating, and where to reply.

It is posted before the session exists (its ts names the thread), with no session number, then
updated once the session is stored. Pure: values in, text and blocks out.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import Block

from bot.mrkdwn import escape, mention
from bot.views.common import clip, context, sections
from flows.i18n import t

# How much of the problem statement the anchor quotes (the whole statement is the thread's first answer).
PROBLEM_LIMIT = 300


@dataclass(frozen=True)
class Anchor:
    """What the anchor names. ``session_id`` is None before the session is stored; ``problem`` is
    None when the problem is still to be asked in the thread; ``source_link`` is the permalink of the
    message the session was started from (the "Analyse this message" shortcut)."""

    title: str
    facilitator_id: str
    problem: str | None
    session_id: int | None = None
    source_link: str | None = None


def _problem_text(problem: str) -> str:
    return escape(clip(" ".join(problem.split()), PROBLEM_LIMIT))


def anchor_message(anchor: Anchor, locale: str = "en") -> tuple[str, list[Block]]:
    """Fallback text and blocks: the title line (template, session, facilitator), the problem, and
    how to take part (with the link to the source message, if any)."""
    heading = t(
        "anchor" if anchor.session_id is not None else "anchor_starting",
        locale,
        title=escape(anchor.title),
        session=anchor.session_id or "",
        facilitator=mention(anchor.facilitator_id, locale),
    )
    if anchor.problem:
        problem = t("anchor_problem", locale, problem=_problem_text(anchor.problem))
    else:
        problem = t("anchor_problem_pending", locale)
    footer = t("anchor_join", locale)
    if anchor.source_link:
        footer = t("anchor_source", locale, link=anchor.source_link) + " · " + footer
    text = f"{heading}\n{problem}"
    return text, [*sections(text), context(footer)]
