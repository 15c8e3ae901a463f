"""Labelled five-whys analyses the classifier learns from, and finding the ones most like a new one.

Two kinds of example:

* **shipped** — written for this project, in ``flows/data/examples-*.yaml`` (one file per scope), so
  that every proposal can name the known cases it most resembles;
* **workspace** — classifications a team confirmed or changed, passed in at run time, so that later
  proposals in that workspace follow how its facilitators classify.

Similarity is by the words two analyses share (``flows.text_similarity``), weighted like the rules:
the confirmed root cause counts most, the whys leading to it less, the problem statement least.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from flows.classification_labels import Category, Scope
from flows.text_similarity import SparseVector, Vectoriser, WeightedText

Source = Literal["shipped", "workspace"]

EXAMPLE_FILES = "data"
EXAMPLE_GLOB = "examples-*.yaml"

# How much each part of an analysis counts when comparing two analyses.
ROOT_CAUSE_WEIGHT = 1.0
WHY_BEFORE_ROOT_WEIGHT = 0.35
OTHER_WHY_WEIGHT = 0.1
PROBLEM_WEIGHT = 0.25
MIN_SHARED_TERMS = 2
# Vectors of added (workspace) examples remembered per index, up to this many; and the indexes with
# examples added, up to this many (a workspace's decided classifications are added to every proposal
# there until the next decision, and building the index is most of a proposal's cost).
REMEMBERED_VECTORS = 5000
REMEMBERED_INDEXES = 16
_DERIVING = threading.Lock()  # the app classifies on several threads at once


class ExamplesError(ValueError):
    """An examples file is missing, not YAML, or an entry does not follow the layout."""


class LabelledExample(BaseModel):
    """One labelled analysis. ``root_cause`` is the text the team confirmed (one of the whys)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    problem: str = ""
    whys: tuple[str, ...] = Field(min_length=1)
    root_cause: str
    scope: Scope
    category: Category
    area: str = ""
    source: Source = "shipped"

    @model_validator(mode="after")
    def _root_cause_is_given(self) -> LabelledExample:
        if not self.root_cause.strip():
            raise ValueError("the root cause is empty")
        return self


class _ExampleEntry(BaseModel):
    """One entry of an examples file: ``root`` is the number of the confirmed why (default the last)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    area: str = ""
    problem: str
    whys: tuple[str, ...] = Field(min_length=1)
    root: int | None = Field(default=None, ge=1)
    scope: Scope
    category: Category

    @model_validator(mode="after")
    def _root_is_a_why(self) -> _ExampleEntry:
        if self.root is not None and self.root > len(self.whys):
            raise ValueError(f"root {self.root} but only {len(self.whys)} whys")
        return self

    def example(self, example_id: str) -> LabelledExample:
        index = (self.root or len(self.whys)) - 1
        return LabelledExample(
            id=example_id,
            problem=self.problem,
            whys=self.whys,
            root_cause=self.whys[index],
            scope=self.scope,
            category=self.category,
            area=self.area,
        )


def parse_examples(text: str, prefix: str) -> list[LabelledExample]:
    """The examples of one file's text; ids are ``prefix-001``, ``prefix-002``… in file order."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ExamplesError(f"{prefix} is not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise ExamplesError(f"{prefix} must be a list of examples")
    examples = []
    for number, entry in enumerate(data, start=1):
        try:
            examples.append(_ExampleEntry.model_validate(entry).example(f"{prefix}-{number:03d}"))
        except ValidationError as exc:
            raise ExamplesError(f"{prefix}, example {number}:\n{exc}") from exc
    return examples


def load_examples(folder: str | Path | None = None) -> tuple[LabelledExample, ...]:
    """Every example in ``examples-*.yaml`` of ``folder``, or of the packaged data (read once)."""
    if folder is None:
        return _packaged_examples()
    paths = sorted(Path(folder).glob(EXAMPLE_GLOB))
    if not paths:
        raise ExamplesError(f"no {EXAMPLE_GLOB} files in {folder}")
    return tuple(
        example
        for path in paths
        for example in parse_examples(path.read_text(encoding="utf-8"), _prefix(path.name))
    )


def _prefix(name: str) -> str:
    return name.removeprefix("examples-").removesuffix(".yaml")


@cache
def _packaged_examples() -> tuple[LabelledExample, ...]:
    folder = resources.files("flows").joinpath(EXAMPLE_FILES)
    files = sorted(
        (
            item
            for item in folder.iterdir()
            if item.name.startswith("examples-") and item.name.endswith(".yaml")
        ),
        key=lambda item: item.name,
    )
    return tuple(
        example
        for item in files
        for example in parse_examples(item.read_text(encoding="utf-8"), _prefix(item.name))
    )


def analysis_parts(problem: str, whys: Sequence[str], root_cause: str) -> list[WeightedText]:
    """The texts of an analysis with the weight each has when comparing analyses."""
    stripped = [why.strip() for why in whys]
    confirmed = root_cause.strip()
    root_index = stripped.index(confirmed) if confirmed in stripped else len(stripped)
    parts = [WeightedText(problem, PROBLEM_WEIGHT), WeightedText(confirmed, ROOT_CAUSE_WEIGHT)]
    for index, why in enumerate(stripped):
        if index == root_index:
            continue
        weight = WHY_BEFORE_ROOT_WEIGHT if index < root_index else OTHER_WHY_WEIGHT
        parts.append(WeightedText(why, weight))
    return parts


def example_parts(example: LabelledExample) -> list[WeightedText]:
    return analysis_parts(example.problem, example.whys, example.root_cause)


@dataclass(frozen=True)
class Neighbour:
    """A labelled example and how alike it is to the analysis being classified (0 to 1)."""

    example: LabelledExample
    similarity: float


class ExampleIndex:
    """Labelled examples as vectors, to find the ones most like a new analysis.

    Term weights (IDF) come from the shipped examples only, so adding a workspace's examples never
    changes how the shipped ones compare with each other."""

    def __init__(self, examples: Iterable[LabelledExample], vectoriser: Vectoriser | None = None) -> None:
        self.examples = tuple(examples)
        self.vectoriser = vectoriser or Vectoriser(example_parts(example) for example in self.examples)
        self._vectors = [self.vectoriser.vector(example_parts(example)) for example in self.examples]
        # Inverted indexes, searched in turn: this index's own, then each set of examples added.
        self._postings: tuple[dict[str, list[tuple[int, float]]], ...] = (_postings(self._vectors),)
        self._remembered: dict[LabelledExample, dict[str, float]] = {}
        self._derived: dict[tuple[LabelledExample, ...], ExampleIndex] = {}

    def with_examples(self, extra: Iterable[LabelledExample]) -> ExampleIndex:
        """This index plus ``extra`` examples, compared with the same term weights."""
        added = tuple(extra)
        if not added:
            return self
        with _DERIVING:
            index = self._derived.get(added)
            if index is None:
                index = self._derived[added] = self._build_with(added)
                while len(self._derived) > REMEMBERED_INDEXES:
                    del self._derived[next(iter(self._derived))]
            return index

    def _build_with(self, added: tuple[LabelledExample, ...]) -> ExampleIndex:
        index = ExampleIndex.__new__(ExampleIndex)
        index.examples = self.examples + added
        index.vectoriser = self.vectoriser
        new_vectors = [self._vector_of(example) for example in added]
        index._vectors = self._vectors + new_vectors
        # This index's postings are shared, not copied (the shipped examples' are thousands of terms,
        # and a workspace's decided set changes with every decision); the new examples' come after.
        index._postings = (*self._postings, _postings(new_vectors, start=len(self._vectors)))
        index._remembered = self._remembered
        index._derived = {}
        return index

    def _vector_of(self, example: LabelledExample) -> dict[str, float]:
        """An added example's vector, remembered: a workspace's decided classifications are added
        to every proposal there, and turning their words into a vector is most of the cost."""
        vector = self._remembered.get(example)
        if vector is None:
            if len(self._remembered) >= REMEMBERED_VECTORS:
                self._remembered.clear()
            vector = self._remembered[example] = self.vectoriser.vector(example_parts(example))
        return vector

    def vector(self, problem: str, whys: Sequence[str], root_cause: str) -> dict[str, float]:
        return self.vectoriser.vector(analysis_parts(problem, whys, root_cause))

    def nearest(self, query: SparseVector, k: int) -> list[Neighbour]:
        """The ``k`` most similar examples, most similar first. An example must share at least
        ``MIN_SHARED_TERMS`` terms with the query: one word in common ("reasons") is chance."""
        totals: dict[int, float] = {}
        shared: dict[int, int] = {}
        for term, value in query.items():
            for postings in self._postings:
                for position, other in postings.get(term, ()):
                    totals[position] = totals.get(position, 0.0) + value * other
                    shared[position] = shared.get(position, 0) + 1
        candidates = [
            (position, similarity)
            for position, similarity in totals.items()
            if similarity > 0 and shared[position] >= MIN_SHARED_TERMS
        ]
        best = sorted(candidates, key=lambda item: (-item[1], item[0]))[:k]
        return [Neighbour(self.examples[position], similarity) for position, similarity in best]


def _postings(vectors: Sequence[SparseVector], start: int = 0) -> dict[str, list[tuple[int, float]]]:
    """For each term, the examples that have it and its weight there (an inverted index); the
    examples are numbered from ``start``."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for position, vector in enumerate(vectors, start=start):
        for term, value in vector.items():
            postings.setdefault(term, []).append((position, value))
    return postings


@cache
def packaged_index() -> ExampleIndex:
    """The index of the shipped examples (built once)."""
    return ExampleIndex(_packaged_examples())
