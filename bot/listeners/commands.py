"""The ``/playbook`` slash command."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import conversation, exports, leads
from bot.deps import Deps
from bot.errors import PlaybookError
from bot.listeners import journey, privacy
from bot.mrkdwn import escape, unescape
from flows.i18n import t
from flows.schema import TemplateNotFound, get_template, load_templates
from storage.models import SessionStatus

COMMAND = "/playbook"


def _templates_inline() -> str:
    return ", ".join(f"`{template_id}`" for template_id in load_templates())


def _templates_list(locale: str = "en") -> str:
    lines = [t("templates_heading", locale)]
    lines += [
        t("template_line", locale, id=tpl.id, description=tpl.description.get(locale))
        for tpl in load_templates().values()
    ]
    return "\n".join(lines)


def _in_dm(command: dict[str, Any]) -> bool:
    return (
        str(command.get("channel_id", "")).startswith("D") or command.get("channel_name") == "directmessage"
    )


def handle_playbook(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Dispatch ``/playbook <subcommand> …``. The reply is the ephemeral HTTP response itself."""
    deps: Deps = context["deps"]
    text = unescape(command.get("text") or "").strip()
    sub, _, rest = text.partition(" ")
    sub = sub.lower()
    rest = rest.strip()
    team_id = str(command["team_id"])
    user_id = str(command["user_id"])
    if sub in ("", "help"):
        ack(text=t("cmd_help", templates=_templates_inline()))
    elif sub == "list":
        ack(text=_templates_list())
    elif sub == "start":
        ack(text=_start(deps, client, command, rest))
    elif sub == "status":
        ack(text=journey.status_text(deps, team_id, user_id))
    elif sub == "resume":
        ack(text=_resume(deps, client, team_id, user_id, rest))
    elif sub == "leads":
        ack(text=leads.set_leads_channel(deps, team_id, user_id, rest))
    elif sub == "export":
        ack(text=exports.export_session(deps, client, team_id, user_id, rest))
    elif sub in privacy.SUBCOMMANDS:  # forget-me, my-data, retention
        privacy.handle(ack, deps, client, command, sub, rest)
    else:
        ack(
            text=t("cmd_unknown", command=escape(sub[:40]), hint=t("cmd_help", templates=_templates_inline()))
        )


def _start(deps: Deps, client: WebClient, command: dict[str, Any], rest: str) -> str:
    rest, problem_id, flagged = journey.parse_problem_flag(rest)
    template_id, _, statement = rest.partition(" ")
    if not template_id:
        return t("start_needs_template", templates=_templates_inline())
    if flagged and problem_id is None:
        return t("problem_flag_needs_id")
    if problem_id is not None and not journey.problem_exists(deps, str(command["team_id"]), problem_id):
        return t("problem_not_found", problem=problem_id)
    try:
        template = get_template(template_id.lower())
    except TemplateNotFound as missing:
        return t(
            "unknown_template",
            name=escape(missing.template_id[:60]),
            templates=", ".join(f"`{name}`" for name in missing.available),
        )
    if len(statement) > 3000:
        return t("too_long", length=f"{len(statement):,}", limit="3,000")
    started = conversation.start_session(
        deps,
        client,
        team_id=str(command["team_id"]),
        user_id=str(command["user_id"]),
        channel_id=str(command["channel_id"]),
        in_dm=_in_dm(command),
        template_id=template.id,
        problem_statement=statement or None,
        problem_id=problem_id,
    )
    if problem_id is not None:
        return t(
            "session_started_on_problem",
            title=template.title.get("en"),
            session=started.session_id,
            problem=problem_id,
        )
    return t("session_started", title=template.title.get("en"), session=started.session_id)


def _resume(deps: Deps, client: WebClient, team_id: str, user_id: str, rest: str) -> str:
    match = re.fullmatch(r"#?(\d{1,9})", rest)
    if match is None:
        return t("resume_needs_session")
    session_id = int(match.group(1))
    with deps.uow() as uow:
        session = conversation.load_session(uow, team_id, session_id)
        if session.status != SessionStatus.PAUSED:
            return t("not_paused", session=session_id)
        if not any(p.user_id == user_id for p in session.participants):
            raise PlaybookError(t("only_participants"))
        result = conversation.apply(deps, uow, session, conversation.Reply(team_id, user_id, "resume"))
        uow.commit()
    conversation.deliver_committed(deps, client, result, team_id)
    return t("resumed")


def register(app: App) -> None:
    app.command(COMMAND)(handle_playbook)
