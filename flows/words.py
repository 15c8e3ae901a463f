"""The words people type to steer a session (``back``, ``nôl``) or to answer yes or no (``yes``, ``ydy``).

The lists are data, in ``flows/data/words.yaml``, with every language side by side. Every form works in
every session whatever its language, so a Welsh speaker in an English session (or the other way round)
is never stuck. Forms are matched after :func:`fold`: case, accents, curly apostrophes, extra spaces and a
closing full stop or exclamation mark make no difference (``Nol!`` is ``nôl``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, StrictStr, model_validator

LocaleForms = dict[str, list[StrictStr]]


class Command(StrEnum):
    """A steering word, by the English key the code uses (the first English form in the data)."""

    BACK = "back"
    SKIP = "skip"
    DONE = "done"
    NONE = "none"
    NEXT = "next"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    EDIT = "edit"
    HELP = "help"
    KEEP = "keep"


class _WordsFile(BaseModel):
    """The shape of ``words.yaml``; ``StrictStr`` so an unquoted ``yes`` (YAML's true) is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commands: dict[Command, LocaleForms]
    yes: LocaleForms
    no: LocaleForms
    yes_before_a_reason: LocaleForms
    no_before_a_reason: LocaleForms
    confirm: LocaleForms
    each_time: LocaleForms
    a_year: LocaleForms

    @model_validator(mode="after")
    def _complete(self) -> _WordsFile:
        missing = set(Command) - set(self.commands)
        if missing:
            raise ValueError(f"words.yaml has no forms for {sorted(missing)}")
        for command, by_locale in self.commands.items():
            if by_locale.get("en", [None])[0] != command.value:
                raise ValueError(f"the first English form of {command.value!r} must be {command.value!r}")
        return self


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """``text`` in the form words are compared in: NFKC, case-folded, without accents (``ô`` → ``o``),
    straight apostrophes, single spaces, and no spaces, full stops or ``!`` at either end."""
    text = strip_accents(unicodedata.normalize("NFKC", text).casefold()).translate(_APOSTROPHES)
    return _SPACES.sub(" ", text).strip(" .!")


def strip_accents(text: str) -> str:
    """``text`` without combining accents: ``nôl`` → ``nol``, ``rŵan`` → ``rwan`` (people often type
    Welsh without its circumflexes)."""
    if text.isascii():
        return text
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare)


@dataclass(frozen=True)
class Vocabulary:
    """The folded forms, ready for matching."""

    commands: Mapping[str, Command]
    yes: frozenset[str]
    no: frozenset[str]
    yes_before_a_reason: tuple[str, ...]
    no_before_a_reason: tuple[str, ...]
    confirm: frozenset[str]
    each_time: frozenset[str]
    a_year: frozenset[str]
    # The forms as written in the data, for showing people which words they can type.
    shown: Mapping[Command, Mapping[str, tuple[str, ...]]]


def _all(by_locale: LocaleForms) -> Iterable[str]:
    for forms in by_locale.values():
        yield from (fold(form) for form in forms)


def _longest_first(by_locale: LocaleForms) -> tuple[str, ...]:
    return tuple(sorted(set(_all(by_locale)), key=lambda form: (-len(form), form)))


@cache
def vocabulary() -> Vocabulary:
    text = resources.files("flows").joinpath("data/words.yaml").read_text(encoding="utf-8")
    data = _WordsFile.model_validate(yaml.safe_load(text))
    commands: dict[str, Command] = {}
    for command, by_locale in data.commands.items():
        for form in _all(by_locale):
            if commands.setdefault(form, command) is not command:
                raise ValueError(f"{form!r} is a form of both {commands[form].value} and {command.value}")
    yes, no = frozenset(_all(data.yes)), frozenset(_all(data.no))
    if yes & no:
        raise ValueError(f"words are both yes and no: {sorted(yes & no)}")
    return Vocabulary(
        commands=commands,
        yes=yes,
        no=no,
        yes_before_a_reason=_longest_first(data.yes_before_a_reason),
        no_before_a_reason=_longest_first(data.no_before_a_reason),
        confirm=frozenset(_all(data.confirm)),
        each_time=frozenset(_all(data.each_time)),
        a_year=frozenset(_all(data.a_year)),
        shown={
            command: {locale: tuple(forms) for locale, forms in by_locale.items()}
            for command, by_locale in data.commands.items()
        },
    )


def command_of(text: str) -> Command | None:
    """The command ``text`` is (in any language), or None when it is an ordinary reply."""
    return vocabulary().commands.get(fold(text))


def forms(command: Command, locale: str) -> tuple[str, ...]:
    """The forms of ``command`` in ``locale`` as written in the data (``("nôl", "yn ôl", …)``)."""
    return vocabulary().shown[command].get(locale, ())


def is_confirmation(text: str) -> bool:
    """Whether ``text`` accepts a suggestion: ``yes``, ``confirm``, ``ie``, ``cadarnhau``…"""
    return fold(text) in vocabulary().confirm


def basis_of(text: str) -> str | None:
    """``per_occurrence`` for "each time" (``bob tro``), ``per_year`` for "a year" (``y flwyddyn``), None
    for anything else: the answer to "is that cost each time or a year?"."""
    folded = fold(text)
    if folded in vocabulary().each_time:
        return "per_occurrence"
    if folded in vocabulary().a_year:
        return "per_year"
    return None


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no (in any language, alone or before a reason), None otherwise."""
    words = vocabulary()
    folded = fold(text)
    if folded in words.yes:
        return True
    if folded in words.no:
        return False
    reason = _before_a_reason().fullmatch(folded)
    if reason is None:
        return None
    return reason["yes"] is not None


@cache
def _before_a_reason() -> re.Pattern[str]:
    words = vocabulary()
    yes = "|".join(re.escape(form) for form in words.yes_before_a_reason)
    no = "|".join(re.escape(form) for form in words.no_before_a_reason)
    return re.compile(rf"(?:(?P<yes>{yes})|(?P<no>{no}))\s*[,.;:!-]+\s*\S.*", re.DOTALL)
