"""Block Kit for choosing a language: the Home tab's menu (Cymraeg, English)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    StaticSelectElement,
)

from bot.ids import LanguageActionId
from flows.home import HomePage
from flows.i18n import LOCALES, t


def language_options() -> list[Option]:
    """One option per language, each named in itself (``Cymraeg``, ``English``) so that someone who
    cannot read the page's language still finds their own; Welsh first."""
    return [
        Option(value=language, text=PlainTextObject(text=t(f"language_name_{language}", language)))
        for language in reversed(LOCALES)
    ]


def language_menu(locale: str) -> list[Block]:
    """The person's language, as a menu under a line saying what it is: choosing one sets it (the
    current one is selected; none is when the page is bilingual)."""
    options = language_options()
    initial = next((option for option in options if option.value == locale), None)
    return [
        ContextBlock(elements=[MarkdownTextObject(text=t("home_language", locale))]),
        ActionsBlock(
            elements=[
                StaticSelectElement(
                    action_id=LanguageActionId.CHOOSE,
                    placeholder=PlainTextObject(text=t("home_language_placeholder", locale)),
                    options=options,
                    initial_option=initial,
                )
            ]
        ),
    ]


def language_section(page: HomePage) -> list[Block]:
    return language_menu(page.locale)
