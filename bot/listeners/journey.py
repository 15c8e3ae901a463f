"""The problem journey: several sessions, of any template, on one problem.

- ``/playbook start <template> --problem <id>`` (see :mod:`bot.listeners.commands`) attaches the new
  session to a problem and answers its problem question with the problem's statement.
- Typing ``start <template>`` in a session's thread starts that template on the same problem, in a new
  thread of the same channel (a slash command cannot be run inside a thread).
- ``/playbook status`` lists each problem with all its sessions and where each stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import select

from bot import blocks, conversation, roles
from bot.deps import Deps
from bot.mrkdwn import escape, mention, unescape
from flows import engine
from flows.i18n import t
from flows.schema import get_template, load_templates
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

_START = re.compile(r"^start\s+([a-z][a-z0-9-]*)$")
PROBLEM_FLAG = re.compile(r"(?:^|\s)--problem(?:\s+#?(\d{1,9}))?(?=\s|$)")
STATEMENT_LIMIT = 200


def parse_problem_flag(rest: str) -> tuple[str, int | None, bool]:
    """``rest`` without ``--problem N``, the problem id, and whether the flag was there at all."""
    match = PROBLEM_FLAG.search(rest)
    if match is None:
        return rest, None, False
    remaining = (rest[: match.start()] + " " + rest[match.end() :]).strip()
    return remaining, int(match.group(1)) if match.group(1) else None, True


def _typed_template(body: dict[str, Any]) -> str | None:
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
        return None
    if event.get("channel_type") == "im" or not event.get("thread_ts"):
        return None
    match = _START.match(engine.normalise_command(unescape(str(event.get("text") or ""))))
    if match is None or match.group(1) not in load_templates():
        return None
    return match.group(1)


def is_start_in_thread(body: dict[str, Any]) -> bool:
    """``start <an existing template>`` typed in a thread (anything else is an ordinary answer)."""
    return _typed_template(body) is not None


def _problem_for(uow: UnitOfWork, session: Session, user_id: str) -> int | None:
    """The session's problem, recorded from its problem answer if it has none yet."""
    if session.problem_id is not None:
        return session.problem_id
    answer = uow.answers.latest(session.id).get("problem")
    if answer is None or not isinstance(answer.value, str) or not answer.value.strip():
        return None
    problem = uow.problems.add(session.workspace_id, answer.value.strip()[:3000], user_id)
    session.problem_id = problem.id
    return problem.id


def handle_start_in_thread(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    template_id = _typed_template(body)
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel_id = str(event.get("channel") or "")
    user_id = str(event.get("user") or "")
    event_id = str(body.get("event_id") or f"{channel_id}:{event.get('ts')}")
    if template_id is None:
        return
    member = conversation.channel_member_check(client, channel_id, user_id)
    with deps.uow() as uow:
        session = uow.sessions.by_thread(team_id, channel_id, str(event["thread_ts"]), for_update=True)
        if session is None or not uow.events.claim(event_id, team_id):
            return
        if not (roles.is_participant(session, user_id) or member()):
            uow.commit()
            return
        problem_id = _problem_for(uow, session, user_id)
        place = conversation.Place.of(session)
        uow.commit()
    started = conversation.start_session(
        deps,
        client,
        team_id=team_id,
        user_id=user_id,
        channel_id=channel_id,
        in_dm=False,
        template_id=template_id,
        problem_statement=None,
        problem_id=problem_id,
    )
    notice = t(
        "journey_started_here",
        user=mention(user_id),
        title=started.template.title.get("en"),
        session=started.session_id,
    )
    conversation.post(client, place, notice, blocks.notice_blocks(notice))


# --- /playbook status -----------------------------------------------------------------------------


def _state(uow: UnitOfWork, session: Session) -> str:
    template = get_template(session.template_id)
    answers = conversation.to_engine_answers(uow.answers.latest(session.id))
    position = engine.walk(template, answers).current
    step = position.step.title(session.locale, position.item) if position else ""
    return {
        SessionStatus.ACTIVE: t("state_active", step=escape(step)),
        SessionStatus.PAUSED: t("state_paused", step=escape(step)),
        SessionStatus.COMPLETED: t("state_completed"),
    }.get(SessionStatus(session.status), t("state_cancelled"))


def _line(uow: UnitOfWork, session: Session) -> str:
    title = get_template(session.template_id).title.get("en")
    where = "our DM" if session.is_dm else f"<#{session.channel_id}>"
    return t("status_line", session=session.id, title=title, state=_state(uow, session), where=where)


def _clipped(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= STATEMENT_LIMIT else flat[: STATEMENT_LIMIT - 1] + "…"


def status_text(deps: Deps, team_id: str, user_id: str) -> str:
    """The user's sessions, grouped by problem: each problem shows every session on it (whoever ran
    them) and where each stands; sessions on no problem come last."""
    with deps.uow() as uow:
        mine: Sequence[Session] = uow.sessions.for_user(team_id, user_id)
        if not mine:
            return t("no_sessions")
        problem_ids = list(dict.fromkeys(s.problem_id for s in mine if s.problem_id is not None))
        lines = [t("status_heading")]
        for problem_id in problem_ids:
            problem = uow.problems.get(team_id, problem_id)
            if problem is None:
                continue
            lines.append(
                t("status_problem", problem=problem.id, statement=escape(_clipped(problem.statement)))
            )
            on_problem = uow.orm.scalars(
                select(Session)
                .where(Session.workspace_id == team_id, Session.problem_id == problem.id)
                .order_by(Session.id)
            ).all()
            lines += [_line(uow, s) for s in on_problem]
        others = [s for s in mine if s.problem_id is None]
        if others:
            if problem_ids:
                lines.append(t("status_other_sessions"))
            lines += [_line(uow, s) for s in others]
    return "\n".join(lines)


def problem_exists(deps: Deps, team_id: str, problem_id: int) -> bool:
    with deps.uow() as uow:
        return uow.problems.get(team_id, problem_id) is not None


def register(app: App) -> None:
    """Register before the general message listener: Bolt runs the first listener that matches."""
    app.event("message", matchers=[is_start_in_thread])(handle_start_in_thread)
