"""``/playbook help`` and ``/playbook list``: how to use the bot and which templates there are.

The help card lists every command of :data:`flows.commands.COMMAND_NAMES`, in that order, one line
each from the catalogue (``help_command_<name>``): a command added there appears here without a
second list to keep in step. In Welsh the card names each command and template by its Welsh name
(``flows.commands.WELSH_COMMAND_NAMES``, ``WELSH_TEMPLATE_NAMES``), which the bot reads as the English
one; a bilingual card gives both.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject

from bot.mrkdwn import escape
from bot.views.common import HEADER_LIMIT, clip, context, sections
from flows.commands import (
    COMMAND_NAMES,
    WELSH_COMMAND_NAMES,
    WELSH_SUBCOMMANDS,
    WELSH_TEMPLATE_NAMES,
    near_miss,
)
from flows.i18n import BILINGUAL, WELSH, t
from flows.schema import load_templates

_TEMPLATE_WELSH_NAMES = {english: welsh for welsh, english in WELSH_TEMPLATE_NAMES.items()}


def _named(english: str, welsh: str, locale: str) -> str:
    """A command's or template's name as the reader types it: Welsh, English, or both."""
    if locale == WELSH:
        return f"`{welsh}`"
    if locale == BILINGUAL:
        return f"`{welsh}`/`{english}`"
    return f"`{english}`"


def template_name(template_id: str, locale: str = "en") -> str:
    """A template's name in ``locale``, in backticks (``five-whys``; in Welsh ``pum-pam``)."""
    return _named(template_id, _TEMPLATE_WELSH_NAMES.get(template_id, template_id), locale)


def templates_inline(locale: str = "en") -> str:
    return ", ".join(template_name(template_id, locale) for template_id in load_templates())


def commands_inline(locale: str = "en") -> str:
    return ", ".join(_named(name, WELSH_COMMAND_NAMES[name], locale) for name in COMMAND_NAMES)


def help_text(locale: str = "en") -> str:
    """The card's fallback text (notifications, screen readers that read only the text)."""
    return t("cmd_help", locale, commands=commands_inline(locale), templates=templates_inline(locale))


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
            id=template_name(tpl.id, locale),
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
        t("template_line", locale, id=template_name(tpl.id, locale), description=tpl.description.get(locale))
        for tpl in load_templates().values()
    ]
    return "\n".join(lines)


def _as_read(english: str, welsh: str, locale: str) -> str:
    """A name suggested back to the reader, in the reader's language (a bilingual reader gets the
    Welsh, which comes first)."""
    return english if locale == "en" else welsh


def unknown_command(name: str, locale: str = "en") -> str:
    """The answer to ``/playbook <name>`` for a name that is no command: the nearest command if it
    looks like a slip (``/playbook stauts``; in Welsh, ``/playbook statw`` too, and the suggestion is
    the Welsh name), else the help's summary."""
    typed = escape(name[:40])
    known = list(COMMAND_NAMES) if locale == "en" else [*COMMAND_NAMES, *WELSH_SUBCOMMANDS]
    nearest = near_miss(name, known)
    if nearest is not None:
        command = WELSH_SUBCOMMANDS.get(nearest, nearest)
        suggestion = _as_read(command, WELSH_COMMAND_NAMES[command], locale)
        return t("did_you_mean_command", locale, command=typed, suggestion=suggestion)
    return t("cmd_unknown", locale, command=typed, hint=help_text(locale))


def unknown_template(name: str, locale: str = "en") -> str:
    """The answer to a template name that is none of ours, with the nearest one if it looks like a
    slip (``five-why`` → ``five-whys``; in Welsh, ``pum-pa`` → ``pum-pam`` too)."""
    typed = escape(name[:60])
    known = list(load_templates()) if locale == "en" else [*load_templates(), *WELSH_TEMPLATE_NAMES]
    nearest = near_miss(name, known)
    templates = templates_inline(locale)
    if nearest is not None:
        template_id = WELSH_TEMPLATE_NAMES.get(nearest, nearest)
        suggestion = _as_read(template_id, _TEMPLATE_WELSH_NAMES.get(template_id, template_id), locale)
        return t("did_you_mean_template", locale, name=typed, suggestion=suggestion, templates=templates)
    return t("unknown_template", locale, name=typed, templates=templates)
