"""The Home tab's language menu: each language named in itself, Welsh first, the reader's selected."""

from __future__ import annotations

from bot.ids import LanguageActionId
from bot.views.language import language_menu
from flows.i18n import BILINGUAL


def _menu(locale: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    context, actions = (block.to_dict() for block in language_menu(locale))
    return context["elements"][0]["text"], actions["elements"][0]


def test_the_menu_names_each_language_in_itself_and_selects_the_readers() -> None:
    label, menu = _menu("cy")
    assert label.startswith("*Iaith*")
    assert menu["action_id"] == LanguageActionId.CHOOSE
    assert [(o["value"], o["text"]["text"]) for o in menu["options"]] == [
        ("cy", "Cymraeg"),
        ("en", "English"),
    ]
    assert menu["initial_option"]["value"] == "cy"
    label, menu = _menu("en")
    assert label.startswith("*Language*") and menu["initial_option"]["value"] == "en"
    assert menu["placeholder"]["text"] == "Choose a language"


def test_a_bilingual_page_selects_nothing() -> None:
    label, menu = _menu(BILINGUAL)
    assert label.index("Iaith") < label.index("Language")
    assert "initial_option" not in menu
