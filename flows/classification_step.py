"""The classification step of a session: propose scope and category from the answers, show the
proposal with its reasons, and read the facilitator's confirmation or override.

The stored value of the step is a dict::

    {"scope": "service", "category": "data", "status": "confirmed" | "changed",
     "proposed": {"scope": …, "category": …, "confidence": 0.42, "reasons": [...],
                  "similar": [{"id": "session-12", "source": "workspace", "scope": …, "category": …,
                               "similarity": 0.31}, ...]},
     "text": "service, data (changed)"}

The most similar known cases are stored by id, not quoted: a workspace's case is another session's
root cause, which only the people who may see that session may read (and which its own erasure or
retention must reach). Whoever shows the reasons quotes the cases its reader may see
(:func:`details_lines`); a shipped case's words are the project's own and are kept with it.

Who answered and when are the answer version's author and time, so an override is kept with both.
``text`` lets generic renderers (status lines, exports) show the value without knowing its shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

from flows import words
from flows.classification import (
    CATEGORIES,
    SCOPES,
    SIMILAR_CASES_PREFIX,
    Category,
    Classification,
    LabelledExample,
    Scope,
    SimilarCase,
    classify,
    shorten_case,
)
from flows.formatting import format_list, plural_category
from flows.i18n import DEFAULT_LOCALE, t
from flows.parsing import ParseFailure, examples

Status = Literal["confirmed", "changed"]

# Other ways to type a scope or category, English then Welsh (any works in every session); the label
# itself (with or without its hyphen) always works. Accepting the proposal is ``flows.words`` "confirm".
SCOPE_ALIASES: Mapping[str, Scope] = {
    "council wide": "council-wide",
    "councilwide": "council-wide",
    "council": "council-wide",
    "whole council": "council-wide",
    "cynnyrch": "product",
    "gwasanaeth": "service",
    "cyngor cyfan": "council-wide",
    "y cyngor cyfan": "council-wide",
    "ar draws y cyngor": "council-wide",
    "cyngor": "council-wide",
}
CATEGORY_ALIASES: Mapping[str, Category] = {
    "people": "people-skills",
    "skills": "people-skills",
    "governance": "governance-policy",
    "policy": "governance-policy",
    "funding": "funding-investment",
    "investment": "funding-investment",
    "procurement": "procurement-market",
    "market": "procurement-market",
    "culture": "culture-leadership",
    "leadership": "culture-leadership",
    "external": "external-statutory",
    "statutory": "external-statutory",
    "tech": "technology",
    "pobl": "people-skills",
    "sgiliau": "people-skills",
    "pobl a sgiliau": "people-skills",
    "proses": "process",
    "prosesau": "process",
    "technoleg": "technology",
    "llywodraethu": "governance-policy",
    "polisi": "governance-policy",
    "llywodraethu a pholisi": "governance-policy",
    "cyllid": "funding-investment",
    "buddsoddi": "funding-investment",
    "cyllid a buddsoddi": "funding-investment",
    "caffael": "procurement-market",
    "marchnad": "procurement-market",
    "caffael a marchnad": "procurement-market",
    "diwylliant": "culture-leadership",
    "arweinyddiaeth": "culture-leadership",
    "diwylliant ac arweinyddiaeth": "culture-leadership",
    "allanol": "external-statutory",
    "statudol": "external-statutory",
    "allanol a statudol": "external-statutory",
}
# "scope service category data" also reads in Welsh: "cwmpas gwasanaeth categori data".
_SCOPE_WORD = r"(?:scope|cwmpas)"
_CATEGORY_WORD = r"(?:category|categori)"
_JOINERS = frozenset({"", "and", "a", "ac"})

_SPACE = re.compile(r"\s+")
_TRAILING_AND = re.compile(r"\s*(\b(?:and|ac|a))?\s*$")


def _words(text: str) -> str:
    return _SPACE.sub(" ", re.sub(r"[-,;:]", " ", words.fold(text))).strip(" .!")


def _lookup(names: Sequence[str], aliases: Mapping[str, str], wanted: str) -> str | None:
    for name in names:
        if wanted == name.replace("-", " "):
            return name
    return aliases.get(wanted)


# The answers a decided analysis is learned from (see ``inputs_from``): the problem, the confirmed root
# cause and the whys, ``whys.<n>.answer`` (a key's start and end); the decision itself besides.
LEARNED_FROM_KEYS = ("problem", "root_cause")
LEARNED_WHY_KEY = ("whys.", ".answer")


def inputs_from(values: Mapping[str, Any]) -> tuple[str, list[str], str | None]:
    """(problem, whys in order, confirmed root cause) from a five-whys session's answer values."""
    problem = values.get("problem")
    whys: list[tuple[int, str]] = []
    for key, value in values.items():
        # ``whys.<n>.answer`` (a decided analysis has a few dozen answers, and up to 200 are read).
        if key.startswith("whys.") and key.endswith(".answer") and (number := key[5:-7]).isdigit():
            whys.append((int(number), str(value)))
    root = values.get("root_cause")
    root_text = str(root["text"]) if isinstance(root, dict) and root.get("text") else None
    return (str(problem) if problem else "", [text for _n, text in sorted(whys)], root_text)


_Analysis = tuple[str, tuple[str, ...], str | None]
# Proposals kept with one session's examples: its answers change a few times at most while the
# question is open (an edit, a re-answered root cause); more than this and they are made afresh.
_PROPOSALS_KEPT = 16


class LearnedExamples(tuple[LabelledExample, ...]):
    """A session's learned examples (``ReplyContext.learned``) with the proposals made from them, by
    the answers each was made for: a reply at the classification step is checked against the proposal
    and, when it is not understood, asked again with it, from the same answers and examples. The
    proposals live exactly as long as the examples do (one request, or the app's memo of the session)."""

    proposals: dict[_Analysis, Classification]

    def __new__(cls, examples: Iterable[LabelledExample] = ()) -> LearnedExamples:
        made = super().__new__(cls, examples)
        made.proposals = {}
        return made


def propose(values: Mapping[str, Any], learned: Sequence[LabelledExample] = ()) -> Classification:
    """The classifier's proposal for a session's answers (the confirmed root cause counts most),
    following ``learned``: the classifications this workspace's facilitators decided (a
    :class:`LearnedExamples` keeps what it proposed)."""
    problem, whys, root = inputs_from(values)
    if not learned:
        return _proposed(problem, tuple(whys), root)
    if not isinstance(learned, LearnedExamples):
        return classify(problem, whys, root, extra_examples=learned)
    analysis = (problem, tuple(whys), root)
    proposal = learned.proposals.get(analysis)
    if proposal is None:
        if len(learned.proposals) >= _PROPOSALS_KEPT:
            learned.proposals.clear()
        proposal = learned.proposals[analysis] = classify(problem, whys, root, extra_examples=learned)
    return proposal


@lru_cache(maxsize=4096)
def _proposed(problem: str, whys: tuple[str, ...], root: str | None) -> Classification:
    """The proposal from the shipped rules and examples alone, kept for the same answers: a report
    shows the proposal of a session nobody has classified yet, and the weekly digest, its preview and
    the themes build the reports of hundreds of sessions, each of several (the proposal is immutable)."""
    return classify(problem, list(whys), root)


def learned_example(session_id: int, values: Mapping[str, Any], key: str) -> LabelledExample | None:
    """A session whose classification (the answer under ``key``) a facilitator confirmed or changed,
    as a labelled example for later proposals in the same workspace; None when it has no decision or
    no whys to learn from."""
    decision = values.get(key)
    problem, whys, root = inputs_from(values)
    answered = [why for why in whys if why.strip()]
    if not isinstance(decision, dict) or not answered:
        return None
    scope, category = decision.get("scope"), decision.get("category")
    if scope not in SCOPES or category not in CATEGORIES:
        return None
    return LabelledExample(
        id=f"session-{session_id}",
        problem=problem,
        whys=tuple(answered),
        root_cause=root or answered[-1],
        scope=scope,
        category=category,
        source="workspace",
    )


LEARNED_PREFIX = "session-"


def learned_session(example_id: str) -> int | None:
    """The session a workspace's known case (``learned_example``'s id) was decided in, else None."""
    number = example_id.removeprefix(LEARNED_PREFIX)
    return int(number) if example_id.startswith(LEARNED_PREFIX) and number.isdigit() else None


def _similar_entry(case: SimilarCase) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": case.id,
        "source": case.source,
        "scope": case.scope,
        "category": case.category,
        "similarity": round(case.similarity, 4),
    }
    if case.source == "shipped":
        entry["text"] = case.root_cause
    return entry


def proposal_dict(proposal: Classification) -> dict[str, Any]:
    """The proposal as stored with the decision: its reasons without the line quoting similar cases,
    and those cases by id (a shipped case with its words, a workspace's without)."""
    return {
        "scope": proposal.scope,
        "category": proposal.category,
        "confidence": proposal.confidence,
        "reasons": [r for r in proposal.reasons if not r.startswith(SIMILAR_CASES_PREFIX)],
        "similar": [_similar_entry(case) for case in proposal.similar],
    }


def learned_sessions(proposal: Mapping[str, Any]) -> list[int]:
    """The sessions whose decisions a stored proposal names among its most similar cases."""
    return [
        found
        for entry in proposal.get("similar") or ()
        if isinstance(entry, Mapping) and (found := learned_session(str(entry.get("id") or ""))) is not None
    ]


def scope_name(scope: str, locale: str = DEFAULT_LOCALE) -> str:
    """A scope as people read it: ``council-wide``, ``ar draws y cyngor`` (typing either works)."""
    return t(f"scope_{scope}", locale) if scope in SCOPES else scope


def category_name(category: str, locale: str = DEFAULT_LOCALE) -> str:
    """A category as people read it: ``people-skills``, ``pobl a sgiliau`` (typing either works)."""
    return t(f"category_{category}", locale) if category in CATEGORIES else category


def make_value(
    scope: str, category: str, proposed: Mapping[str, Any], locale: str = DEFAULT_LOCALE
) -> dict[str, Any]:
    """The value to store; ``status`` says whether it matches the proposal."""
    status: Status = (
        "confirmed" if (scope, category) == (proposed.get("scope"), proposed.get("category")) else "changed"
    )
    return {
        "scope": scope,
        "category": category,
        "status": status,
        "proposed": dict(proposed),
        "text": t(
            f"classification_value_{status}",
            locale,
            scope=scope_name(scope, locale),
            category=category_name(category, locale),
        ),
    }


def parse_reply(
    text: str,
    proposed: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any] | ParseFailure:
    """Read ``confirm``, ``scope service``, ``category data``, both together, or a bare scope or
    category (``council-wide``), in English or Welsh (``cadarnhau``, ``cwmpas gwasanaeth``). Changes
    apply to ``current`` (an earlier decision) if given, else to the proposal."""
    base = current if current is not None else proposed
    scope = str(base.get("scope"))
    category = str(base.get("category"))
    wanted = _words(text)
    if words.is_confirmation(wanted):
        return make_value(scope, category, proposed, locale)
    found = False
    rest = wanted
    match = re.search(rf"\b{_SCOPE_WORD} (?:is |to |= |yw )?([a-z ]+?)(?= {_CATEGORY_WORD}\b|$)", rest)
    if match:
        named = _lookup(SCOPES, SCOPE_ALIASES, _TRAILING_AND.sub("", match.group(1)))
        if named is None:
            return _failure(locale)
        scope, found = named, True
        rest = (rest[: match.start()] + rest[match.end() :]).strip()
    match = re.search(rf"\b{_CATEGORY_WORD} (?:is |to |= |yw )?([a-z ]+?)(?= {_SCOPE_WORD}\b|$)", rest)
    if match:
        named = _lookup(CATEGORIES, CATEGORY_ALIASES, _TRAILING_AND.sub("", match.group(1)))
        if named is None:
            return _failure(locale)
        category, found = named, True
        rest = (rest[: match.start()] + rest[match.end() :]).strip()
    if not found:
        bare_scope = _lookup(SCOPES, SCOPE_ALIASES, wanted)
        bare_category = _lookup(CATEGORIES, CATEGORY_ALIASES, wanted)
        if bare_scope is not None:
            scope, found, rest = bare_scope, True, ""
        elif bare_category is not None:
            category, found, rest = bare_category, True, ""
    if not found or rest not in _JOINERS:
        return _failure(locale)
    return make_value(scope, category, proposed, locale)


def _failure(locale: str) -> ParseFailure:
    return ParseFailure(
        t(
            "classification_expected",
            locale,
            scopes=", ".join(f"`{s}`" for s in SCOPES),
            categories=", ".join(f"`{c}`" for c in CATEGORIES),
        ),
        examples("classification", locale),
    )


def why_sentence(proposal: Classification, locale: str = DEFAULT_LOCALE) -> str:
    """One short sentence of why: what the answers point to (the rules' notes) and whether the most
    similar known cases agree; the full reasons are the details."""
    notes = list(dict.fromkeys(n for n in (proposal.scope_note, proposal.category_note) if n))
    agreeing, consulted = proposal.cases_agreeing, proposal.cases_consulted
    if notes and agreeing:
        return t(
            "classification_why_words_cases",
            locale,
            notes=format_list(notes, locale),
            agreeing=agreeing,
            consulted=consulted,
        )
    if notes:
        return t("classification_why_words", locale, notes=format_list(notes, locale))
    if agreeing:
        return t("classification_why_cases", locale, agreeing=agreeing, consulted=consulted)
    return t("classification_why_default", locale)


def describe_proposal(
    proposal: Classification,
    locale: str = DEFAULT_LOCALE,
    escape: Callable[[str], str] = str,
    *,
    learned: int = 0,
) -> str:
    """The proposal in plain words: scope and category, how sure, one sentence of why, how many of the
    team's own decisions it learned from, and how to confirm or change it. The reasons in full (the
    words found, the similar known cases) are behind the message's "Show details" button."""
    sureness = "classification_fairly_sure" if proposal.fairly_sure else "classification_not_sure"
    lines = [
        t(
            "classification_plain",
            locale,
            scope=scope_name(proposal.scope, locale),
            category=category_name(proposal.category, locale),
            sureness=t(sureness, locale),
        ),
        why_sentence(proposal, locale),
    ]
    if learned:
        lines.append(t("classification_learned_line", locale, count=learned))
    lines.append(t("classification_how_to", locale))
    return "\n".join(lines)


def details_lines(
    proposal: Mapping[str, Any],
    escape: Callable[[str], str] = str,
    quotable: Mapping[int, str] | None = None,
    locale: str = DEFAULT_LOCALE,
) -> list[str]:
    """The proposal's reasons in full (stored with a decision, or a fresh proposal's), user words
    escaped: what the details view lists. Of the similar cases, a shipped one is quoted, a
    workspace's only when its session is in ``quotable`` (session id → its root cause, as the reader
    may see it); the others are counted, never quoted. A proposal stored before the cases were kept
    by id has its quoting line left out."""
    quotable = quotable or {}
    reasons = [
        escape(str(reason))
        for reason in proposal.get("reasons") or ()
        if not str(reason).startswith(SIMILAR_CASES_PREFIX)
    ]
    quoted: list[str] = []
    hidden = 0
    for entry in proposal.get("similar") or ():
        if not isinstance(entry, Mapping):
            continue
        session = learned_session(str(entry.get("id") or ""))
        text = entry.get("text") if session is None else quotable.get(session)
        if not text:
            hidden += 1
            continue
        similarity = entry.get("similarity")
        alike = round(100 * similarity) if isinstance(similarity, int | float) else 0
        quoted.append(
            t(
                "classification_similar_known" if session is None else "classification_similar_workspace",
                locale,
                text=escape(shorten_case(str(text))),
                scope=scope_name(str(entry.get("scope")), locale),
                category=category_name(str(entry.get("category")), locale),
                alike=alike,
            )
        )
    lines = []
    if quoted:
        lines.append(t("classification_similar_cases", locale, cases="; ".join(quoted)))
    if hidden:
        key = (
            "classification_similar_hidden_one"
            if plural_category(hidden, locale) == "one"
            else ("classification_similar_hidden_other")
        )
        lines.append(t(key, locale, count=hidden))
    # Where the rules' own reasons end (root cause, scope, category), the cases follow.
    return reasons[:3] + lines + reasons[3:]
