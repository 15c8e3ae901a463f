"""The ``/playbook`` slash command: each subcommand goes to its service; the reply is the ephemeral
HTTP response itself (plus any messages the service posts).

``digest`` and ``themes`` read across the whole workspace and may take longer than the 3 s Slack gives
a command to be answered: they are acknowledged at once ("preparing…", or the refusal), then built
after the ack by a Bolt lazy listener on a listener thread and sent to the caller alone through the
command's ``response_url`` (an ephemeral response, like the ack itself)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import delivery, errors
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
from flows.i18n import t

log = logging.getLogger("playbook.commands")

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
    # digest and themes: PREPARED below (answered after the ack)
}


@dataclass(frozen=True)
class Prepared:
    """A subcommand answered after its ack: who may ask (raises ``NotAllowed``), what builds the
    answer, and the catalogue key of the "preparing" acknowledgement."""

    check: Callable[[Deps, WebClient, Caller], None]
    build: Callable[[Deps, WebClient, Caller], Shown]
    preparing: str


PREPARED = {
    "digest": Prepared(digest.may_preview, digest.preview_command, "digest_preparing"),
    "themes": Prepared(digest.may_see_themes, digest.themes_command, "themes_preparing"),
}
# Set in the context by the ack once the caller may ask; the lazy listener gets a copy of the context
# made after the ack, so a refused (or failed) ack is never followed by an answer.
ACKNOWLEDGED = "playbook_prepared"


def _subcommand(command: dict[str, Any]) -> str:
    return split_subcommand(unescape(command.get("text") or "")).name


def is_prepared(command: dict[str, Any]) -> bool:
    return _subcommand(command) in PREPARED


def ack_prepared(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    name = _subcommand(command)
    PREPARED[name].check(deps, client, caller)  # a refusal is the ack (the @app.error handler)
    context[ACKNOWLEDGED] = name
    ack(text=t(PREPARED[name].preparing, language.caller_locale(deps, caller)))


def answer_prepared(
    command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """After the ack, on a listener thread: build the answer and send it to the caller alone."""
    name = context.get(ACKNOWLEDGED)
    if name is None or name != _subcommand(command):
        return
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    try:
        shown = PREPARED[name].build(deps, client, caller)
    except Exception as error:  # noqa: BLE001 - Bolt runs a lazy listener outside @app.error (it would
        # only log the error): the person is told what that handler would have told them.
        respond(text=errors.user_message(error, log), response_type="ephemeral", replace_original=False)
        return
    respond(text=shown.ack or "", blocks=shown.ack_blocks, response_type="ephemeral", replace_original=False)


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
    # Bolt runs the first listener whose matchers pass: the prepared subcommands, then the rest.
    app.command(COMMAND, matchers=[is_prepared])(ack=ack_prepared, lazy=[answer_prepared])
    app.command(COMMAND)(handle_playbook)
