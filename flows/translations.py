"""Checks that every user-facing text has a real translation, so nothing falls back to English silently.

:func:`local_texts` finds every :class:`~flows.i18n.LocalText` in a template, a catalogue or any
structure of models, mappings and sequences, with a path naming where it is. :func:`translation_problems`
then lists what is wrong with one locale across those texts: missing or blank, still the English (or
containing a run of it), or with placeholders that differ from the English. Words that are spelt the
same in both languages (``staff``, ``data``) and proper nouns may appear in both; they are listed in
:data:`SHARED_WORDS` so a reviewer can see every such decision. Names of things in Slack that Slack
shows in English whatever the reader's language (the app's shortcuts, Slack's own menus) are whole
phrases, listed in :data:`SHARED_PHRASES`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from typing import Final

from pydantic import BaseModel

from flows.i18n import DEFAULT_LOCALE, LocalText

# Words written the same in English and in each locale: loanwords in everyday use and proper nouns.
SHARED_WORDS: Final[Mapping[str, frozenset[str]]] = {
    "cy": frozenset(
        {
            *("staff", "data", "cost", "system", "problem"),
            # Names: people in examples, products and formats.
            *(
                "slack",
                "sam",
                "jones",
                "playbook",
                "bot",
                "future",
                "councils",
                "excel",
                "csv",
                "markdown",
                "json",
            ),
        }
    ),
}
# Names Slack shows in English whatever the reader's language, which a translation must therefore
# keep as they are: the shortcuts' names (manifest.yml holds one language) and Slack's own menu.
SHARED_PHRASES: Final[Mapping[str, tuple[str, ...]]] = {
    "cy": ("Start a playbook session", "Analyse this message", "More actions"),
}
# Texts written exactly the same in English and Welsh, by path (a catalogue key; a template's text as
# ``<template id>.<path>``): only placeholders and punctuation, a name, or words Welsh shares with
# English ("Staff", "Cost", "data"). Any other Welsh text that is its English fails the catalogue
# test, even when every word of it is in SHARED_WORDS; and the list names only texts that are so.
SAME_TEXT: Final[Mapping[str, frozenset[str]]] = {
    "cy": frozenset(
        {
            # Names.
            *("help_title", "home_title", "modal_notice_title", "paper_title"),
            # Placeholders and punctuation only: the words are filled in, in the reader's language.
            *("help_template_line", "template_line", "start_existing_option", "seen_elsewhere_item"),
            *("leads_cost_bearer", "home_status_heading", "prompt_answered", "summary_answered_what"),
            *("summary_picked_as", "checkin_answer_with_reason", "read_back_frequency_from"),
            *("progress_item_name", "digest_classification_line", "digest_change", "themes_example"),
            *("chart_cost_share", "chart_category_count", "paper_nobody"),
            *("parse_reading_described", "parse_times_per"),
            # Welsh words spelt as the English: "problem", "data", "staff", "cost".
            *("status_problem", "category_data"),
            "cause-problem-impact.steps[2].steps[1].choices[1].label",
            "cost-impacts.steps[1].steps[0].choices[1].label",
            "cost-impacts.steps[1].steps[1].label",
            "pain-points.steps[2].steps[1].choices[1].label",
        }
    ),
}
# A run of this many English words found in the translation means part of it was left in English.
ENGLISH_RUN: Final = 3

_FORMATTER = string.Formatter()
_CODE = re.compile(r"`[^`]*`")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def local_texts(node: object, path: str = "") -> Iterator[tuple[str, Mapping[str, str]]]:
    """Every localised text under ``node`` as (path, {locale: text}), depth first, in order."""
    if isinstance(node, LocalText):
        yield path, node.root
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from local_texts(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from local_texts(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from local_texts(value, f"{path}[{index}]")


def placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text``, in order (``{{`` and ``}}`` are literal braces)."""
    return sorted(field for _literal, field, _spec, _conv in _FORMATTER.parse(text) if field is not None)


def _words(text: str, phrases: tuple[str, ...] = ()) -> list[str]:
    """The words of ``text``, lower case, without placeholders, `code` (commands and examples) or
    ``phrases`` (names kept in English)."""
    bare = _CODE.sub(" ", "".join(literal for literal, *_ in _FORMATTER.parse(text)))
    for phrase in phrases:
        bare = re.sub(re.escape(phrase), " ", bare, flags=re.IGNORECASE)
    return [word.casefold() for word in _WORD.findall(bare)]


def _contains(words: list[str], part: list[str]) -> bool:
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def translation_problems(
    texts: Iterable[tuple[str, Mapping[str, str]]],
    locale: str,
    *,
    base: str = DEFAULT_LOCALE,
    shared: frozenset[str] | None = None,
) -> list[str]:
    """What is wrong with ``locale`` in ``texts`` (from :func:`local_texts`), one line per problem."""
    same = SHARED_WORDS.get(locale, frozenset()) if shared is None else shared
    phrases = SHARED_PHRASES.get(locale, ())
    problems: list[str] = []
    for path, by_locale in texts:
        original = by_locale.get(base, "")
        translated = by_locale.get(locale, "")
        if not translated.strip():
            problems.append(f"{path}: no {locale!r} text")
            continue
        try:
            wanted, found = placeholders(original), placeholders(translated)
        except ValueError as error:  # an unbalanced brace
            problems.append(f"{path}: {error}")
            continue
        if wanted != found:
            problems.append(f"{path}: placeholders {found} in {locale!r}, {wanted} in {base!r}")
        english = _words(original, phrases)
        if not english or all(word in same for word in english):
            continue  # nothing to translate: only names, loanwords, placeholders or code
        welsh = _words(translated, phrases)
        if welsh == english:
            problems.append(f"{path}: the {locale!r} text is the {base!r} text: {translated!r}")
            continue
        runs = {tuple(english[i : i + ENGLISH_RUN]) for i in range(len(english) - ENGLISH_RUN + 1)}
        for i in range(len(welsh) - ENGLISH_RUN + 1):
            run = tuple(welsh[i : i + ENGLISH_RUN])
            if run in runs and not all(word in same for word in run):
                problems.append(f"{path}: {' '.join(run)!r} is still in {base!r} in the {locale!r} text")
                break
        if len(english) < ENGLISH_RUN and _contains(welsh, english):
            problems.append(f"{path}: the {locale!r} text contains the {base!r} {original!r}")
    return problems


def same_texts(
    texts: Iterable[tuple[str, Mapping[str, str]]], locale: str, *, base: str = DEFAULT_LOCALE
) -> list[str]:
    """The paths of ``texts`` whose ``locale`` text is exactly the ``base`` text (see :data:`SAME_TEXT`)."""
    return [path for path, by_locale in texts if by_locale.get(locale) == by_locale.get(base)]
