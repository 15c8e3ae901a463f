"""The start modal: the form behind bare ``/playbook start`` (or ``/playbook`` alone), the global
shortcut "Start a playbook session" and the message shortcut "Analyse this message".

It asks for a template (each with its title and a short description), the problem in the person's
words, optionally a problem they have worked on before, and — only when opened from the shortcuts
menu, where there is no conversation — the channel to run it in. Pure: values in, a view out; the
submitted state is read back once into :class:`StartSubmission` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.codec import StartValue, decode, encode
from bot.ids import StartActionId, StartBlockId, StartCallbackId
from bot.mrkdwn import escape
from bot.views.common import clip, context
from flows.i18n import t
from flows.schema import Template

# Slack's limits: an option's text and description 75 characters, a plain_text_input 3,000, a
# static_select 100 options, a modal title 24 characters.
OPTION_TEXT_LIMIT = 75
PROBLEM_LIMIT = 3000
PROBLEM_OPTIONS_LIMIT = 100
MODAL_TITLE_LIMIT = 24
# How much of the source message the modal quotes under the problem box.
SOURCE_QUOTE_LIMIT = 300


@dataclass(frozen=True)
class ProblemChoice:
    """A problem the person may pick to work on again: its id and statement."""

    id: int
    statement: str


@dataclass(frozen=True)
class StartForm:
    """What the modal shows and carries.

    ``channel_id``: the conversation the session will run in, when known (the slash command's, the
    message's); None when the person picks a channel in the modal (the global shortcut).
    ``in_dm``: the conversation is the person's DM with the app. ``statement``: the problem box's
    initial text (a message shortcut's message). ``source_link``: the permalink of that message."""

    templates: Sequence[Template]
    problems: Sequence[ProblemChoice] = ()
    channel_id: str | None = None
    in_dm: bool = False
    statement: str = ""
    source_link: str = ""
    # The template already chosen (a Start button on the Home tab).
    template_id: str | None = None


def _template_option(template: Template, locale: str) -> Option:
    return Option(
        value=template.id,
        text=clip(template.title.get(locale), OPTION_TEXT_LIMIT),
        description=clip(" ".join(template.description.get(locale).split()), OPTION_TEXT_LIMIT),
    )


def _problem_option(problem: ProblemChoice, locale: str) -> Option:
    statement = " ".join(problem.statement.split())
    label = t("start_existing_option", locale, problem=problem.id, statement=statement)
    return Option(value=str(problem.id), text=clip(label, OPTION_TEXT_LIMIT))


def start_modal(form: StartForm, locale: str = "en") -> View:
    options = [_template_option(template, locale) for template in form.templates]
    chosen = next(
        (o for o, tpl in zip(options, form.templates, strict=True) if tpl.id == form.template_id), None
    )
    blocks: list[Block] = [
        InputBlock(
            block_id=StartBlockId.TEMPLATE,
            label=PlainTextObject(text=t("start_template_label", locale)),
            element=StaticSelectElement(
                action_id=StartActionId.TEMPLATE,
                placeholder=PlainTextObject(text=t("start_template_placeholder", locale)),
                options=options,
                initial_option=chosen,
            ),
        ),
        InputBlock(
            block_id=StartBlockId.PROBLEM,
            label=PlainTextObject(text=t("start_problem_label", locale)),
            hint=PlainTextObject(text=t("start_problem_hint", locale)),
            optional=True,
            element=PlainTextInputElement(
                action_id=StartActionId.PROBLEM,
                multiline=True,
                max_length=PROBLEM_LIMIT,
                initial_value=clip(form.statement, PROBLEM_LIMIT) if form.statement else None,
                placeholder=PlainTextObject(text=t("start_problem_placeholder", locale)),
            ),
        ),
    ]
    if form.source_link:
        blocks.append(context(t("start_source", locale, link=form.source_link), block_id=StartBlockId.SOURCE))
    problems = list(form.problems)[:PROBLEM_OPTIONS_LIMIT]
    if problems:
        blocks.append(
            InputBlock(
                block_id=StartBlockId.EXISTING,
                label=PlainTextObject(text=t("start_existing_label", locale)),
                hint=PlainTextObject(text=t("start_existing_hint", locale)),
                optional=True,
                element=StaticSelectElement(
                    action_id=StartActionId.EXISTING,
                    placeholder=PlainTextObject(text=t("start_existing_placeholder", locale)),
                    options=[_problem_option(problem, locale) for problem in problems],
                ),
            )
        )
    if form.channel_id is None:
        blocks.append(
            InputBlock(
                block_id=StartBlockId.CHANNEL,
                label=PlainTextObject(text=t("start_channel_label", locale)),
                hint=PlainTextObject(text=t("start_channel_hint", locale)),
                element=ConversationSelectElement(
                    action_id=StartActionId.CHANNEL,
                    default_to_current_conversation=True,
                    filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                ),
            )
        )
    metadata = StartValue(c=form.channel_id or "", d=form.in_dm, m=form.source_link)
    return View(
        type="modal",
        callback_id=StartCallbackId.MODAL,
        title=PlainTextObject(text=clip(t("start_modal_title", locale), MODAL_TITLE_LIMIT)),
        submit=PlainTextObject(text=clip(t("start_modal_submit", locale), MODAL_TITLE_LIMIT)),
        close=PlainTextObject(text=clip(t("start_modal_close", locale), MODAL_TITLE_LIMIT)),
        private_metadata=encode(metadata),
        blocks=blocks,
    )


def source_quote(text: str) -> str:
    """The start of a message, escaped, as a one-line quote (for the modal and the anchor)."""
    return escape(clip(" ".join(text.split()), SOURCE_QUOTE_LIMIT))


# --- reading the submitted modal ------------------------------------------------------------------------


def _input(values: dict[str, Any], block: StartBlockId, action: StartActionId) -> dict[str, Any]:
    found = (values.get(block.value) or {}).get(action.value)
    return found if isinstance(found, dict) else {}


class StartSubmission(BaseModel):
    """A submitted start modal, as picked and typed (not yet checked): the template id, the problem
    as typed (trimmed), the existing problem picked (if any), the channel picked (global shortcut)
    and the metadata the modal was opened with."""

    model_config = ConfigDict(frozen=True)

    template_id: str
    statement: str
    problem_id: int | None
    picked_channel: str | None
    channel_id: str
    in_dm: bool
    source_link: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> StartSubmission | None:
        """None when the view is not one of ours (metadata that doesn't decode)."""
        meta = decode(StartValue, view.get("private_metadata"))
        if meta is None:
            return None
        raw_values = (view.get("state") or {}).get("values")
        values: dict[str, Any] = raw_values if isinstance(raw_values, dict) else {}
        template = _input(values, StartBlockId.TEMPLATE, StartActionId.TEMPLATE).get("selected_option")
        existing = _input(values, StartBlockId.EXISTING, StartActionId.EXISTING).get("selected_option")
        existing_value = str(existing.get("value") or "") if isinstance(existing, dict) else ""
        picked = _input(values, StartBlockId.CHANNEL, StartActionId.CHANNEL).get("selected_conversation")
        typed = _input(values, StartBlockId.PROBLEM, StartActionId.PROBLEM).get("value")
        return cls(
            template_id=str(template.get("value") or "") if isinstance(template, dict) else "",
            statement=str(typed or "").strip(),
            problem_id=int(existing_value) if existing_value.isdigit() else None,
            picked_channel=str(picked) if isinstance(picked, str) and picked else None,
            channel_id=meta.c,
            in_dm=meta.d,
            source_link=meta.m,
        )
