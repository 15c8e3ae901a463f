"""The ``/playbook`` slash command: each subcommand goes to its service; the reply is the ephemeral
HTTP response itself (plus any messages the service posts)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.delivery import as_dicts
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
    elif sub.name == "digest":
        shown = digest.preview_command(deps, client, caller)
    elif sub.name == "themes":
        shown = digest.themes_command(deps, client, caller)
    else:
        ack(text=unknown_command(sub.name, language.caller_locale(deps, caller)))
        return
    delivery.deliver(client, shown, context["deps"])
    ack(text=shown.ack or "", blocks=shown.ack_blocks)


def register(app: App) -> None:
    app.command(COMMAND)(handle_playbook)
