"""Starting a session from a form: bare ``/playbook start`` (or ``/playbook`` alone), the global
shortcut "Start a playbook session" and the message shortcut "Analyse this message" all open the
start modal (``bot/views/start.py``); submitting it starts the session.

Where the session runs:
- from the slash command: the conversation the command came from (a channel: a thread under an
  anchor; the app's DM: the DM), carried in the modal's metadata;
- from the global shortcut, which has no conversation: the channel picked in the modal;
- from the message shortcut: the message's channel, and the message (its text as the problem, with
  a link back to it) fills the form.

Checked on submit, whatever the metadata says: the template exists; an existing problem picked is one
of the person's own (a problem of a session they took part in, as ``/playbook status`` lists them);
the person is a member of the channel; and the bot is in it. Slack is asked about membership before
the session's unit of work opens, never while it is open.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import delivery
from bot.delivery import Shown
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import BotNotInChannel, PlaybookError
from bot.ids import StartBlockId
from bot.mrkdwn import unescape
from bot.request import Caller
from bot.services import conversation, language
from bot.views.start import PROBLEM_LIMIT, ProblemChoice, StartForm, StartSubmission, start_modal
from flows.commands import channel_ref
from flows.i18n import t
from flows.schema import load_templates

log = logging.getLogger("playbook.start")

NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def visible_problems(deps: Deps, team_id: str, user_id: str) -> list[ProblemChoice]:
    """The problems of the sessions the person took part in, most recent first: the problems
    ``/playbook status`` shows them, and the only ones the form offers or accepts."""
    with deps.uow() as uow:
        problem_ids = [
            s.problem_id for s in uow.sessions.for_user(team_id, user_id) if s.problem_id is not None
        ]
        choices: list[ProblemChoice] = []
        for problem_id in dict.fromkeys(problem_ids):
            problem = uow.problems.get(team_id, problem_id)
            if problem is not None:
                choices.append(ProblemChoice(problem.id, problem.statement))
    return choices


def _open(deps: Deps, caller: Caller, form: StartForm) -> Shown:
    locale = language.caller_locale(deps, caller)
    if not caller.trigger_id:
        # Only Slack can open a modal, and only with the trigger of a person's action.
        raise PlaybookError(t("start_form_expired", locale))
    view = start_modal(form, locale)
    return Shown(messages=[delivery.open_view(caller.trigger_id, view)])


def _form(deps: Deps, caller: Caller, **where: Any) -> StartForm:
    return StartForm(
        templates=list(load_templates().values()),
        problems=visible_problems(deps, caller.team_id, caller.user_id),
        **where,
    )


def open_from_command(deps: Deps, caller: Caller) -> Shown:
    """Bare ``/playbook start``: the form, for the conversation the command came from."""
    return _open(deps, caller, _form(deps, caller, channel_id=caller.channel_id, in_dm=caller.is_dm))


def open_from_shortcut(deps: Deps, caller: Caller) -> Shown:
    """The global shortcut: the form with a channel picker (a shortcut belongs to no conversation)."""
    return _open(deps, caller, _form(deps, caller))


def open_from_home(deps: Deps, caller: Caller, template_id: str) -> Shown:
    """A Start button on the Home tab: the form with that template chosen, for a session in the
    person's DM with the app (the Home tab belongs to no conversation; the hint says how to start one
    in a channel)."""
    form = _form(deps, caller, channel_id=caller.user_id, in_dm=True)
    return _open(deps, caller, replace(form, template_id=template_id))


def open_from_message(deps: Deps, client: WebClient, caller: Caller, message: dict[str, Any]) -> Shown:
    """The message shortcut: the form filled with the message's text and a link back to it, for the
    message's channel. A message in a direct message between people gets the channel picker: the bot
    cannot post in other people's DMs."""
    text = unescape(str(message.get("text") or "")).strip()
    message_ts = str(message.get("ts") or caller.message_ts or "")
    in_a_channel = channel_ref(caller.channel_id) is not None
    link = Directory(client).permalink(caller.channel_id, message_ts) if message_ts else None
    form = _form(
        deps,
        caller,
        channel_id=caller.channel_id if in_a_channel else None,
        statement=text[:PROBLEM_LIMIT],
        source_link=link or "",
    )
    return _open(deps, caller, form)


def submit(deps: Deps, client: WebClient, caller: Caller, view: dict[str, Any]) -> Shown:
    """The submitted form: checked (errors go under the inputs; the modal stays open), then the
    session started where the form says."""
    submission = StartSubmission.from_view(view)
    locale = language.caller_locale(deps, caller)
    if submission is None:
        raise PlaybookError(t("start_form_expired", locale))
    templates = load_templates()
    if submission.template_id not in templates:
        return Shown(view_errors={StartBlockId.TEMPLATE: t("start_template_required", locale)})
    if submission.problem_id is not None and submission.statement:
        return Shown(view_errors={StartBlockId.PROBLEM: t("start_problem_or_existing", locale)})
    if submission.problem_id is not None and submission.problem_id not in {
        p.id for p in visible_problems(deps, caller.team_id, caller.user_id)
    }:
        return Shown(view_errors={StartBlockId.EXISTING: t("start_problem_not_yours", locale)})
    in_dm = submission.in_dm and not submission.picked_channel
    if in_dm:
        channel = caller.user_id
    else:
        picked = submission.picked_channel is not None
        channel_id = channel_ref(submission.picked_channel or submission.channel_id)
        where = StartBlockId.CHANNEL if picked else StartBlockId.TEMPLATE
        if channel_id is None:
            return Shown(view_errors={where: t("start_channel_required", locale)})
        refused = _channel_refusal(
            Directory(client), channel_id, caller.user_id, picked=picked, locale=locale
        )
        if refused is not None:
            return Shown(view_errors={where: refused})
        channel = channel_id
    try:
        conversation.start_session(
            deps,
            client,
            team_id=caller.team_id,
            user_id=caller.user_id,
            channel_id=channel,
            in_dm=in_dm,
            template_id=submission.template_id,
            problem_statement=submission.statement[:PROBLEM_LIMIT] or None,
            problem_id=submission.problem_id,
            source_link=submission.source_link or None,
        )
    except BotNotInChannel:
        if submission.picked_channel:
            return Shown(view_errors={StartBlockId.CHANNEL: t("start_bot_not_in_channel", locale)})
        return Shown(view_errors={StartBlockId.TEMPLATE: t("start_bot_not_in_this_channel", locale)})
    return Shown()


def _channel_refusal(
    directory: Directory, channel_id: str, user_id: str, *, picked: bool, locale: str
) -> str | None:
    """Why the person can't start a session in that channel (not a member; the bot can't see it),
    or None. ``picked``: the channel was chosen in the form (else it is the one the form came from)."""
    try:
        member = directory.in_channel(channel_id, user_id)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in NOT_THERE:
            return t("start_bot_not_in_channel" if picked else "start_bot_not_in_this_channel", locale)
        raise
    return None if member else t("start_channel_not_member", locale)
