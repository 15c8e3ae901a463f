"""The ``/playbook`` slash command: each subcommand goes to its service; the reply is the ephemeral
HTTP response itself (plus any messages the service posts).

``digest`` and ``themes`` read across the whole workspace and may take longer than the 3 s Slack gives
a command to be answered: they are acknowledged at once ("preparing…", or the refusal), then built
after the ack by a Bolt lazy listener on a listener thread and sent to the caller alone through the
command's ``response_url`` (an ephemeral response, like the ack itself)."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    rest = sub.rest
    if sub.name == "help":
        locale = language.caller_locale(deps, caller)
        ack(text=help_text(locale), blocks=as_dicts(help_blocks(locale)))
        return
    if sub.name == "list":
        ack(text=templates_list(language.caller_locale(deps, caller)))
        return
    if sub.name in ("", "start") and not rest:
        shown = start_form.open_from_command(deps, caller)
    elif sub.name == "language":
        shown = language.language_command(deps, client, caller, rest)
    elif sub.name == "start":
        shown = journey.start_command(deps, client, caller, rest)
    elif sub.name == "status":
        shown = journey.status(deps, client, caller)
    elif sub.name == "resume":
        shown = journey.resume_command(deps, client, caller, rest)
    elif sub.name == "leads":
        shown = leads.leads_command(deps, client, caller, rest)
    elif sub.name == "intervene":
        shown = checkins.intervene_command(deps, client, caller, rest)
    elif sub.name == "nation":
        shown = checkins.nation_command(deps, client, caller, rest)
    elif sub.name == "export" and paper.wants_paper(rest):
        shown = paper.export_command(deps, client, caller, rest)
    elif sub.name == "export":
        shown = exports.export(deps, client, caller, rest)
    elif sub.name == "forget-me":
        shown = privacy.forget_me(deps, client, caller, rest)
    elif sub.name == "my-data":
        shown = privacy.my_data(deps, client, caller)
    elif sub.name == "retention":
        shown = privacy.retention(deps, client, caller, rest)
    elif sub.name == "rate":
        shown = workspace.rate_command(deps, client, caller, rest)
    elif sub.name == "weeks":
        shown = workspace.weeks_command(deps, client, caller, rest)
    elif sub.name == "similar":
        shown = similar.similar_command(deps, client, caller, rest)
    else:
        ack(text=unknown_command(sub.name, language.caller_locale(deps, caller)))
        return
    delivery.deliver(client, shown, context["deps"])
    ack(text=shown.ack or "", blocks=shown.ack_blocks)


def register(app: App) -> None:
    # Bolt runs the first listener whose matchers pass: the prepared subcommands, then the rest.
    app.command(COMMAND, matchers=[is_prepared])(ack=ack_prepared, lazy=[answer_prepared])
    app.command(COMMAND)(handle_playbook)
