"""How alike two pieces of text are, by the words they share: TF-IDF vectors and cosine similarity.

Pure Python and small on purpose. Words are normalised (lower case, punctuation removed), common
words dropped and endings trimmed (``recruiting`` and ``recruitment`` both become ``recruit``), and
each text becomes the set of those word stems plus adjacent pairs of them (``capital programme``).
A term that occurs in few documents of the reference collection counts more than one that occurs in
many (inverse document frequency), so "MTFS" says more than "system". Two texts are alike by the
cosine of their vectors: 0 when they share no term, 1 when they use the same terms equally.

The reference collection is whatever the caller fits the vectoriser on: the classifier's labelled
examples, or a workspace's root causes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

SparseVector = Mapping[str, float]

# Words too common to tell two root causes apart. "no", "not", "never" and "nobody" are kept: "no
# budget" and "no training" are the point of many root causes.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "d",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "ll",
        "m",
        "ma",
        "me",
        "might",
        "more",
        "most",
        "must",
        "mustn",
        "my",
        "myself",
        "now",
        "o",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "re",
        "s",
        "same",
        "shan",
        "she",
        "should",
        "shouldn",
        "so",
        "some",
        "such",
        "t",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "ve",
        "very",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won",
        "would",
        "wouldn",
        "y",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "one",
        "two",
        "three",
        "its",
        "it's",
        "we've",
        "they're",
        "tbh",
        "eg",
        "ie",
        "lot",
        "lots",
        "really",
        "still",
        "even",
        "way",
        "ways",
        "thing",
        "things",
    ]
)

_WORD = re.compile(r"[a-z0-9]+")
# Texts whose term counts are kept (a few thousand short texts: a few megabytes at most).
TERM_COUNTS_KEPT = 8192
# Endings trimmed from words of five letters or more, longest first; what is left keeps at least three.
_ENDINGS: tuple[tuple[str, str], ...] = (
    ("isations", "is"),
    ("isation", "is"),
    ("ations", "at"),
    ("ation", "at"),
    ("ments", ""),
    ("ment", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ers", ""),
    ("er", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A crude but consistent stem: ``recruiting``/``recruitment``/``recruited`` → ``recruit``."""
    if len(word) < 5 or word.isdigit():
        return word
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: len(word) - len(ending)] + replacement
    return word


def _content_words(text: str) -> list[str]:
    folded = text.casefold().replace("&", " and ").replace("'", "").replace("’", "")
    return [word for word in _WORD.findall(folded) if word not in STOPWORDS]


def words(text: str) -> list[str]:
    """The stems of the words of ``text`` that are not stop words, in order."""
    return [stem(word) for word in _content_words(text)]


def surface_forms(text: str) -> dict[str, str]:
    """Each term of ``text`` (a stem or a pair of stems) and the words it was made from, as first
    written there: ``{"tend": "tender", "full tend": "full tender"}``; for showing terms to people."""
    return dict(_surface_forms(text))


@lru_cache(maxsize=TERM_COUNTS_KEPT)
def _surface_forms(text: str) -> tuple[tuple[str, str], ...]:
    """Kept like the term counts: a workspace's root causes are shown with their shared words on every
    confirmed root cause, and stemming them again each time grew with the workspace's history."""
    plain = _content_words(text)
    stems = [stem(word) for word in plain]
    forms: dict[str, str] = {}
    for position, term in enumerate(stems):
        forms.setdefault(term, plain[position])
    for position in range(len(stems) - 1):
        forms.setdefault(
            f"{stems[position]} {stems[position + 1]}", f"{plain[position]} {plain[position + 1]}"
        )
    return tuple(forms.items())


def terms(text: str) -> list[str]:
    """Word stems and adjacent pairs of them (``capital programme``), in order; repeats kept."""
    stems = words(text)
    return stems + [f"{first} {second}" for first, second in itertools.pairwise(stems)]


@dataclass(frozen=True)
class WeightedText:
    """A piece of text and how much its terms count in the whole (the root cause more than the problem)."""

    text: str
    weight: float = 1.0


@lru_cache(maxsize=TERM_COUNTS_KEPT)
def _term_counts(text: str) -> tuple[tuple[str, float], ...]:
    """Each term of ``text`` and how much it counts there: sub-linear in how often it occurs (a word
    said three times is not three times the evidence). Kept for the most recent texts: the shipped
    examples and a workspace's root causes are compared again on every proposal and every confirmed
    root cause, and stemming them each time was most of that work."""
    return tuple((term, 1.0 + math.log(count)) for term, count in Counter(terms(text)).items())


def forget_kept_texts() -> None:
    """Drop the term counts kept for recent texts (after an erasure: none of an erased text's words
    stay in this process)."""
    _term_counts.cache_clear()
    _surface_forms.cache_clear()


def _counts(parts: Iterable[WeightedText]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for part in parts:
        if part.weight <= 0:
            continue
        for term, count in _term_counts(part.text):
            counts[term] = counts.get(term, 0.0) + part.weight * count
    return counts


def _terms_of(parts: Iterable[WeightedText]) -> set[str]:
    """The terms of the weighted texts that count (the keys of ``_counts``, without weighing them)."""
    return {term for part in parts if part.weight > 0 for term, _count in _term_counts(part.text)}


def shares_terms(text: str, vector: SparseVector) -> bool:
    """Whether ``text`` has a term of ``vector``: unless it does, its cosine with ``vector`` is 0 (every
    term weighs more than 0), and its own vector need not be worked out."""
    return any(term in vector for term, _count in _term_counts(text))


class Vectoriser:
    """TF-IDF over a reference collection of documents (each one or more weighted texts).

    ``extends``: a vectoriser whose collection this one's adds to, read without being copied (the
    classifier's shipped examples are the same in every comparison; only the workspace's root causes
    differ). A term's weight is worked out when a vector first needs it, not for the whole vocabulary
    up front: a comparison needs the terms of a few hundred short texts out of thousands known."""

    def __init__(
        self, documents: Iterable[Sequence[WeightedText]], *, extends: Vectoriser | None = None
    ) -> None:
        document_frequency: Counter[str] = Counter()
        total = 0
        for document in documents:
            total += 1
            document_frequency.update(_terms_of(document))
        self._base = extends
        self._frequency = document_frequency
        self.documents: int = total + (extends.documents if extends is not None else 0)
        self._idf: dict[str, float] = {}
        # Smoothed so a term in every document still counts a little; an unseen term counts most.
        self._unseen_idf = math.log(1 + self.documents) + 1.0

    def _document_frequency(self, term: str) -> int:
        own = self._frequency.get(term, 0)
        return own + self._base._document_frequency(term) if self._base is not None else own

    def idf(self, term: str) -> float:
        known = self._idf.get(term)
        if known is None:
            frequency = self._document_frequency(term)
            if not frequency:
                # Not kept: a long-lived vectoriser would otherwise hold every word it was shown.
                return self._unseen_idf
            known = self._idf[term] = math.log((1 + self.documents) / (1 + frequency)) + 1.0
        return known

    def vector(self, parts: Iterable[WeightedText]) -> dict[str, float]:
        """The unit-length TF-IDF vector of the weighted texts (empty if they have no terms)."""
        weighted = {term: count * self.idf(term) for term, count in _counts(parts).items()}
        norm = math.sqrt(sum(value * value for value in weighted.values()))
        if norm == 0:
            return {}
        return {term: value / norm for term, value in weighted.items()}


def cosine(first: SparseVector, second: SparseVector) -> float:
    """The cosine of two unit-length vectors: 0 (nothing shared) to 1 (the same terms, equally)."""
    if len(first) > len(second):
        first, second = second, first
    return sum(value * second.get(term, 0.0) for term, value in first.items())


def shared_terms(first: SparseVector, second: SparseVector, limit: int = 4) -> list[str]:
    """The terms that contribute most to the similarity of two vectors, strongest first. A single
    word that is already part of a pair shown is left out ("full tender" hides "tender")."""
    products = [(value * second[term], term) for term, value in first.items() if term in second]
    products.sort(key=lambda item: (-item[0], item[1]))
    pairs = {word for _product, term in products if " " in term for word in term.split(" ")}
    chosen = [term for _product, term in products if " " in term or term not in pairs]
    return chosen[:limit]
