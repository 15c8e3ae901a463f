"""``/playbook help`` and ``/playbook list``: how to use the bot and which templates there are."""

from __future__ import annotations

from flows.i18n import t
from flows.schema import load_templates


def templates_inline() -> str:
    return ", ".join(f"`{template_id}`" for template_id in load_templates())


def help_text(locale: str = "en") -> str:
    return t("cmd_help", locale, templates=templates_inline())


def templates_list(locale: str = "en") -> str:
    lines = [t("templates_heading", locale)]
    lines += [
        t("template_line", locale, id=tpl.id, description=tpl.description.get(locale))
        for tpl in load_templates().values()
    ]
    return "\n".join(lines)
