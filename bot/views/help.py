"""``/playbook help`` and ``/playbook list``: how to use the bot and which templates there are.

The help card lists every command of :data:`flows.commands.COMMAND_NAMES`, in that order, one line
each from the catalogue (``help_command_<name>``): a command added there appears here without a
second list to keep in step.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject

from bot.mrkdwn import escape
from bot.views.common import HEADER_LIMIT, clip, context, sections
from flows.commands import COMMAND_NAMES, near_miss
from flows.i18n import t
from flows.schema import load_templates


def templates_inline() -> str:
    return ", ".join(f"`{template_id}`" for template_id in load_templates())


def commands_inline() -> str:
    return ", ".join(f"`{name}`" for name in COMMAND_NAMES)


def help_text(locale: str = "en") -> str:
    """The card's fallback text (notifications, screen readers that read only the text)."""
    return t("cmd_help", locale, commands=commands_inline(), templates=templates_inline())


def command_lines(locale: str = "en") -> list[str]:
    """One line per command, in :data:`COMMAND_NAMES` order."""
    return [t(f"help_command_{name}", locale) for name in COMMAND_NAMES]


def help_blocks(locale: str = "en") -> list[Block]:
    """The help card: what the bot is for, every command with one line each, the templates, the
    shortcuts and the words that work while answering."""
    template_lines = [
        t(
            "help_template_line",
            locale,
            id=tpl.id,
            title=escape(tpl.title.get(locale)),
            description=escape(tpl.description.get(locale)),
        )
        for tpl in load_templates().values()
    ]
    commands = "\n".join(f"• {line}" for line in command_lines(locale))
    templates = "\n".join(f"• {line}" for line in template_lines)
    return [
        HeaderBlock(text=PlainTextObject(text=clip(t("help_title", locale), HEADER_LIMIT))),
        *sections(t("help_intro", locale)),
        DividerBlock(),
        *sections(t("help_commands_heading", locale) + "\n" + commands),
        *sections(t("help_templates_heading", locale) + "\n" + templates),
        DividerBlock(),
        context(t("help_shortcuts", locale)),
        context(t("help_while_answering", locale)),
    ]


def templates_list(locale: str = "en") -> str:
    lines = [t("templates_heading", locale)]
    lines += [
        t("template_line", locale, id=tpl.id, description=tpl.description.get(locale))
        for tpl in load_templates().values()
    ]
    return "\n".join(lines)


def unknown_command(name: str, locale: str = "en") -> str:
    """The answer to ``/playbook <name>`` for a name that is no command: the nearest command if it
    looks like a slip (``/playbook stauts``), else the help's summary."""
    typed = escape(name[:40])
    suggestion = near_miss(name, COMMAND_NAMES)
    if suggestion is not None:
        return t("did_you_mean_command", locale, command=typed, suggestion=suggestion)
    return t("cmd_unknown", locale, command=typed, hint=help_text(locale))


def unknown_template(name: str, locale: str = "en") -> str:
    """The answer to a template name that is none of ours, with the nearest one if it looks like a
    slip (``five-why`` → ``five-whys``)."""
    typed = escape(name[:60])
    suggestion = near_miss(name, load_templates())
    if suggestion is not None:
        return t(
            "did_you_mean_template", locale, name=typed, suggestion=suggestion, templates=templates_inline()
        )
    return t("unknown_template", locale, name=typed, templates=templates_inline())
