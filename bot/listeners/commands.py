"""The ``/playbook`` slash command: each subcommand goes to its service; the reply is the ephemeral
HTTP response itself (plus any messages the service posts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Shown, as_dicts
from bot.deps import Deps
from bot.mrkdwn import unescape
from bot.request import Caller
from bot.services import (
    checkins,
    digest,
    exports,
    journey,
    language,
    leads,
    paper,
    privacy,
    similar,
    start_form,
    workspace,
)
from bot.views.help import help_blocks, help_text, templates_list, unknown_command
from flows.commands import split_subcommand

COMMAND = "/playbook"

# A subcommand's handler: the app's dependencies, the Web API client, who asked and where, and the
# words after the subcommand.
Handler = Callable[[Deps, WebClient, Caller, str], Shown]


def _no_argument(handler: Callable[[Deps, WebClient, Caller], Shown]) -> Handler:
    return lambda deps, client, caller, _rest: handler(deps, client, caller)


def _help(deps: Deps, _client: WebClient, caller: Caller, _rest: str) -> Shown:
    locale = language.caller_locale(deps, caller)
    return Shown(ack=help_text(locale), ack_blocks=as_dicts(help_blocks(locale)))


def _list(deps: Deps, _client: WebClient, caller: Caller, _rest: str) -> Shown:
    return Shown(ack=templates_list(language.caller_locale(deps, caller)))


def _start(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook start <template> …``; bare (or ``/playbook`` alone), the start form."""
    if not rest:
        return start_form.open_from_command(deps, caller)
    return journey.start_command(deps, client, caller, rest)


def _export(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook export <session>``, or the Word paper when ``docx`` is asked for."""
    handler = paper.export_command if paper.wants_paper(rest) else exports.export
    return handler(deps, client, caller, rest)


SUBCOMMANDS: Mapping[str, Handler] = {
    "": _start,
    "help": _help,
    "list": _list,
    "language": language.language_command,
    "start": _start,
    "status": _no_argument(journey.status),
    "resume": journey.resume_command,
    "leads": leads.leads_command,
    "intervene": checkins.intervene_command,
    "nation": checkins.nation_command,
    "export": _export,
    "forget-me": privacy.forget_me,
    "my-data": _no_argument(privacy.my_data),
    "retention": privacy.retention,
    "rate": workspace.rate_command,
    "weeks": workspace.weeks_command,
    "similar": similar.similar_command,
    "digest": _no_argument(digest.preview_command),
    "themes": _no_argument(digest.themes_command),
}


def handle_playbook(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    sub = split_subcommand(unescape(command.get("text") or ""))
    handler = SUBCOMMANDS.get(sub.name)
    if handler is None:
        ack(text=unknown_command(sub.name, language.caller_locale(deps, caller)))
        return
    shown = handler(deps, client, caller, sub.rest)
    delivery.deliver(client, shown, deps)
    ack(text=shown.ack or "", blocks=shown.ack_blocks)


def register(app: App) -> None:
    app.command(COMMAND)(handle_playbook)
