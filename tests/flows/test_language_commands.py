"""``/playbook language …`` and the Welsh names of the subcommands, read as text."""

from __future__ import annotations

import pytest

from flows.commands import LanguageChoice, language_choice, split_subcommand


@pytest.mark.parametrize(
    ("typed", "name", "rest"),
    [
        ("dechrau five-whys Mae'r ffurflen yn methu", "start", "five-whys Mae'r ffurflen yn methu"),
        ("Iaith cy", "language", "cy"),
        ("statws", "status", ""),
        ("ailddechrau 12", "resume", "12"),
        ("allforio 3", "export", "3"),
        ("cymorth", "help", ""),
        ("start five-whys", "start", "five-whys"),  # English as before
    ],
)
def test_welsh_subcommands_are_their_english_ones(typed: str, name: str, rest: str) -> None:
    sub = split_subcommand(typed)
    assert (sub.name, sub.rest) == (name, rest)


@pytest.mark.parametrize(
    ("rest", "choice"),
    [
        ("cy", LanguageChoice(False, "cy", True)),
        ("Cymraeg", LanguageChoice(False, "cy", True)),
        ("welsh", LanguageChoice(False, "cy", True)),
        ("en", LanguageChoice(False, "en", True)),
        ("saesneg", LanguageChoice(False, "en", True)),
        ("", LanguageChoice(False, None, False)),
        ("fr", LanguageChoice(False, None, True)),
        # Bilingual is a workspace's choice, never a person's.
        ("bilingual", LanguageChoice(False, None, True)),
        ("workspace bilingual", LanguageChoice(True, "bilingual", True)),
        ("gweithle dwyieithog", LanguageChoice(True, "bilingual", True)),
        ("workspace cy", LanguageChoice(True, "cy", True)),
        ("workspace", LanguageChoice(True, None, False)),
    ],
)
def test_language_choice(rest: str, choice: LanguageChoice) -> None:
    assert language_choice(rest) == choice


def test_templates_have_welsh_names_too() -> None:
    from flows.commands import WELSH_TEMPLATE_NAMES, start_in_thread, template_name
    from flows.schema import load_templates

    assert set(WELSH_TEMPLATE_NAMES.values()) == set(load_templates())
    assert template_name("Pum-Pam") == "five-whys" and template_name("five-whys") == "five-whys"
    assert start_in_thread("dechrau costau") == "cost-impacts"
    assert start_in_thread("start pain-points") == "pain-points"


def test_every_command_has_one_welsh_name_and_its_help_line_uses_it() -> None:
    from flows.commands import COMMAND_NAMES, WELSH_COMMAND_NAMES, WELSH_SUBCOMMANDS, split_subcommand
    from flows.i18n import t

    assert set(WELSH_COMMAND_NAMES) == set(COMMAND_NAMES)
    assert not set(WELSH_SUBCOMMANDS) & set(COMMAND_NAMES)  # no Welsh word hides an English command
    for name in COMMAND_NAMES:
        welsh = WELSH_COMMAND_NAMES[name]
        assert split_subcommand(f"{welsh.upper()} 3").name == name
        assert t(f"help_command_{name}", "cy").startswith(f"`/playbook {welsh}"), name
        assert t(f"help_command_{name}", "en").startswith(f"`/playbook {name}"), name
