"""The problem journey: several sessions, of any template, on one problem.

- ``/playbook start <template> --problem <id>`` attaches the new session to a problem and answers its
  problem question with the problem's statement.
- Typing ``start <template>`` in a session's thread starts that template on the same problem, in a new
  thread of the same channel (a slash command cannot be run inside a thread).
- ``/playbook status`` lists each problem with all its sessions and where each stands.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from bot.delivery import Shown
from bot.deps import Deps
from bot.mrkdwn import mention
from bot.request import Caller
from bot.services import access, conversation, language
from bot.services.conversation import Place, people_of, to_engine_answers
from bot.views.common import notice_blocks
from bot.views.help import templates_inline, unknown_template
from bot.views.status import session_line, status_problem_line
from flows import commands, engine, policy
from flows.commands import problem_flag, session_ref
from flows.i18n import t
from flows.policy import ChannelAccess
from flows.schema import TemplateNotFound, get_template, load_templates
from storage.models import Session
from storage.uow import UnitOfWork

# How many of the caller's own sessions ``/playbook status`` lists (most recently active first).
STATUS_SESSIONS = 20


def template_named_in_thread(normalised_text: str) -> str | None:
    """The template in ``start <template>`` typed in a thread, if it is one we have."""
    template_id = commands.start_in_thread(normalised_text)
    return template_id if template_id is not None and template_id in load_templates() else None


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


def start_in_thread(deps: Deps, client: WebClient, caller: Caller, template_id: str) -> Shown:
    """``start <template>`` typed in a session's thread: the same problem, in a new thread."""
    if caller.thread_ts is None:
        return Shown()
    event_id = caller.event_id or f"{caller.channel_id}:{caller.message_ts}"
    directory = deps.directory(client, caller.team_id)
    channel: ChannelAccess | None = None
    while True:
        with deps.uow() as uow:
            session = uow.sessions.by_thread(
                caller.team_id, caller.channel_id, caller.thread_ts, for_update=True
            )
            if session is None:
                return Shown()
            people = people_of(session)
            if not session.is_dm and channel is None:
                # Who can read the channel is asked of Slack outside the transaction; then again.
                uow.rollback()
                channel = directory.channel_access(session.channel_id)
                continue
            if not uow.events.claim(event_id, caller.team_id):
                return Shown()
            if not policy.may_see_session(people, caller.user_id, channel):
                uow.commit()
                return Shown()
            problem_id = _problem_for(uow, session, caller.user_id)
            place = Place.of(session)
            locale = language.channel_locale(uow, caller.team_id, caller.user_id)
            uow.commit()
            break
    started = conversation.start_session(
        deps,
        client,
        team_id=caller.team_id,
        user_id=caller.user_id,
        channel_id=caller.channel_id,
        in_dm=False,
        template_id=template_id,
        problem_statement=None,
        problem_id=problem_id,
    )
    notice = t(
        "journey_started_here",
        locale,
        user=mention(caller.user_id),
        title=started.template.title.get(locale),
        session=started.session_id,
    )
    return Shown(messages=[place.post(notice, notice_blocks(notice))])


# --- /playbook start --------------------------------------------------------------------------------


def start_command(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook start <template> [problem statement] [--problem <id>]``."""
    flag = problem_flag(rest)
    template_id, _, statement = flag.rest.partition(" ")

    def refused_in() -> str:
        # A refusal's language, read only when there is one: a start reads it with everything else.
        return language.caller_locale(deps, caller)

    if not template_id:
        return Shown(ack=t("start_needs_template", refused_in(), templates=templates_inline()))
    if flag.present and flag.problem_id is None:
        return Shown(ack=t("problem_flag_needs_id", refused_in()))
    # A problem the caller may not see is answered exactly as one that doesn't exist.
    if flag.problem_id is not None and not access.problem_visible(deps, client, caller, flag.problem_id):
        return Shown(ack=t("problem_not_found", refused_in(), problem=flag.problem_id))
    try:
        template = get_template(commands.template_name(template_id))
    except TemplateNotFound as missing:
        return Shown(ack=unknown_template(missing.template_id, refused_in()))
    if len(statement) > 3000:
        return Shown(ack=t("too_long", refused_in(), length=f"{len(statement):,}", limit="3,000"))
    started = conversation.start_session(
        deps,
        client,
        team_id=caller.team_id,
        user_id=caller.user_id,
        channel_id=caller.channel_id,
        in_dm=caller.is_dm,
        template_id=template.id,
        problem_statement=statement or None,
        problem_id=flag.problem_id,
    )
    # In the app's DM there is no thread: the questions come in the DM itself.
    here = "_dm" if caller.is_dm else ""
    locale = started.starter_locale
    if flag.problem_id is not None:
        return Shown(
            ack=t(
                f"session_started_on_problem{here}",
                locale,
                title=template.title.get(locale),
                session=started.session_id,
                problem=flag.problem_id,
            )
        )
    return Shown(
        ack=t(f"session_started{here}", locale, title=template.title.get(locale), session=started.session_id)
    )


def resume_command(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    session_id = session_ref(rest)
    if session_id is None:
        return Shown(ack=t("resume_needs_session", language.caller_locale(deps, caller)))
    access.ensure_session_visible(deps, client, caller, session_id)
    return conversation.resume(deps, client, caller, session_id)


# --- /playbook status -----------------------------------------------------------------------------


def _step_title(session: Session, uow: UnitOfWork, locale: str) -> str:
    template = get_template(session.template_id)
    answers = to_engine_answers(uow.answers.latest(session.id))
    position = engine.walk(template, answers).current
    return position.step.title(locale, position.item) if position else ""


def status(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """The caller's sessions, grouped by problem: each problem shows every session on it that the
    caller may see (whoever ran them) and where each stands; sessions on no problem come last. A
    session in a channel the caller can no longer read is left out, like any other they may not see."""
    readable = access.readable_channels(deps, client, caller.team_id, caller.user_id, mine=True)
    with deps.uow() as uow:
        mine: Sequence[Session] = uow.visibility.visible_sessions(
            caller.team_id,
            caller.user_id,
            readable,
            taking_part=True,
            newest_first=True,
            limit=STATUS_SESSIONS,
        )
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
        if not mine:
            return Shown(ack=t("no_sessions", locale))
        problem_ids = list(dict.fromkeys(s.problem_id for s in mine if s.problem_id is not None))
        problems = {
            p.id: p
            for p in uow.visibility.visible_problems(caller.team_id, caller.user_id, readable, problem_ids)
        }
        lines = [t("status_heading", locale)]
        for problem_id in problem_ids:
            problem = problems.get(problem_id)
            if problem is None:
                continue
            lines.append(status_problem_line(problem.id, problem.statement, locale))
            lines += [
                session_line(s, _step_title(s, uow, locale), locale)
                for s in uow.visibility.visible_sessions(
                    caller.team_id, caller.user_id, readable, problem_id=problem.id
                )
            ]
        others = [s for s in mine if s.problem_id is None]
        if others:
            if problem_ids:
                lines.append(t("status_other_sessions", locale))
            lines += [session_line(s, _step_title(s, uow, locale), locale) for s in others]
    return Shown(ack="\n".join(lines))
