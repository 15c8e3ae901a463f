"""Measure the classifier against labelled five-whys analyses.

    python -m flows.classification_eval PATH.jsonl [--held-out]
    python -m flows.classification_eval --cv PATH.jsonl [PATH.jsonl ...] [--folds 5]

prints scope and category accuracy, both confusion tables (rows = expected, columns = predicted), how
accuracy varies with the confidence, and the misclassified ids.

**The data it expects** (not in this repository: labelled cases that were never used to write the
rules or the known cases, kept apart so that they stay a fair test). Each file is JSON Lines, one
five-whys analysis a line::

    {"id": "ev-001", "problem": "Residents can't pay council tax online",
     "whys": ["The payment form times out", "The supplier caps sessions at two minutes"],
     "root_cause": "The supplier caps sessions at two minutes",
     "scope": "product", "category": "procurement-market"}

``root_cause`` is optional (default: the last why); ``scope`` is one of ``product``, ``service``,
``council-wide``; ``category`` one of the categories in ``flows/classification_labels.py``. Give the
files as arguments; for ``--cv`` with none, the environment variable :data:`EVAL_DIR_VARIABLE`
(``PLAYBOOK_EVAL_DIR``) may name a folder holding ``classification-dev.jsonl`` and
``classification-dev-2.jsonl`` (the project's two development files), which the tests also use when
it is set.

``--held-out`` also estimates how well the rules generalise. The terms were written by someone who had
read the labelled examples, so accuracy on them flatters the rules. To see how much, each example is
classified again with every term that occurs in none of the *other* examples removed (leave one out),
and each half of the file is classified with only the terms that occur in the other half (two folds):
a term only one example could have suggested gets no credit for that example.

``--cv`` is the protocol to trust: the labelled files (or the two development files in the folder
``PLAYBOOK_EVAL_DIR`` names) are split into stratified folds and used **only as test data**:
nothing in them is ever a known case of the classifier. Each fold is scored with

* the classifier as shipped (words + our own known cases);
* words only, and known cases only, to show what each part adds;
* the words limited to terms that occur in our own examples (``flows/data/examples-*.yaml``), so
  that no credit goes to a term someone could only have taken from the evaluation files;
* learning from overrides: the other folds given as a workspace's confirmed classifications, as a
  team's own history would be (this one does learn from the evaluation files, by design).

It prints accuracy per fold, overall, and the mean and standard deviation across folds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from flows.classification import (
    CATEGORIES,
    SCOPES,
    Category,
    Classification,
    ClassificationRules,
    LabelledExample,
    Scope,
    classify,
    load_rules,
    terms_found,
)
from flows.classification_examples import ExampleIndex, packaged_index

DEV_FILES = ("classification-dev.jsonl", "classification-dev-2.jsonl")
# The folder of the development files, when no file is named (see the module's docstring).
EVAL_DIR_VARIABLE = "PLAYBOOK_EVAL_DIR"


def dev_files(environ: Mapping[str, str] = os.environ) -> list[Path] | None:
    """The two development files in the folder ``PLAYBOOK_EVAL_DIR`` names; None when it is unset."""
    folder = environ.get(EVAL_DIR_VARIABLE, "").strip()
    return [Path(folder) / name for name in DEV_FILES] if folder else None


LabelT = TypeVar("LabelT", bound=str)

CONFIDENCE_BANDS: tuple[tuple[float, float], ...] = ((0.0, 0.25), (0.25, 0.5), (0.5, 1.01))


class LabelledAnalysis(BaseModel):
    """One labelled example; other fields (such as ``service_area``) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    problem: str
    whys: list[str]
    root_cause: str | None = None
    scope: Scope
    category: Category

    @property
    def text(self) -> str:
        return "\n".join([self.problem, *self.whys])


@dataclass(frozen=True)
class Miss:
    id: str
    expected_scope: Scope
    predicted_scope: Scope
    expected_category: Category
    predicted_category: Category
    confidence: float


@dataclass(frozen=True)
class EvalReport:
    total: int
    scope_correct: int
    category_correct: int
    scope_confusion: dict[Scope, dict[Scope, int]]
    category_confusion: dict[Category, dict[Category, int]]
    misses: tuple[Miss, ...]
    # (low, high, cases, both right) per confidence band
    by_confidence: tuple[tuple[float, float, int, int], ...]

    @property
    def scope_accuracy(self) -> float:
        return self.scope_correct / self.total if self.total else 0.0

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total if self.total else 0.0


def _classify_record(
    record: LabelledAnalysis,
    rules: ClassificationRules | None,
    examples: ExampleIndex | None = None,
    extra: Sequence[LabelledExample] = (),
) -> Classification:
    return classify(
        record.problem, record.whys, record.root_cause, rules=rules, examples=examples, extra_examples=extra
    )


def _report(records: Sequence[LabelledAnalysis], predictions: Sequence[Classification]) -> EvalReport:
    scope_confusion = {expected: dict.fromkeys(SCOPES, 0) for expected in SCOPES}
    category_confusion = {expected: dict.fromkeys(CATEGORIES, 0) for expected in CATEGORIES}
    misses: list[Miss] = []
    bands = {band: [0, 0] for band in CONFIDENCE_BANDS}
    for record, predicted in zip(records, predictions, strict=True):
        scope_confusion[record.scope][predicted.scope] += 1
        category_confusion[record.category][predicted.category] += 1
        right = predicted.scope == record.scope and predicted.category == record.category
        if not right:
            misses.append(
                Miss(
                    record.id,
                    record.scope,
                    predicted.scope,
                    record.category,
                    predicted.category,
                    predicted.confidence,
                )
            )
        band = next(b for b in CONFIDENCE_BANDS if b[0] <= predicted.confidence < b[1])
        bands[band][0] += 1
        bands[band][1] += int(right)
    return EvalReport(
        total=len(records),
        scope_correct=sum(scope_confusion[label][label] for label in SCOPES),
        category_correct=sum(category_confusion[label][label] for label in CATEGORIES),
        scope_confusion=scope_confusion,
        category_confusion=category_confusion,
        misses=tuple(misses),
        by_confidence=tuple((low, high, cases, right) for (low, high), (cases, right) in bands.items()),
    )


def _labelled(records: Iterable[Mapping[str, Any] | LabelledAnalysis]) -> list[LabelledAnalysis]:
    return [
        record if isinstance(record, LabelledAnalysis) else LabelledAnalysis.model_validate(record)
        for record in records
    ]


def evaluate(
    records: Iterable[Mapping[str, Any] | LabelledAnalysis], rules: ClassificationRules | None = None
) -> EvalReport:
    """Classify each labelled record and compare with its ``scope`` and ``category``."""
    listed = _labelled(records)
    return _report(listed, [_classify_record(record, rules) for record in listed])


def restrict_rules(rules: ClassificationRules, keep: set[str]) -> ClassificationRules:
    """The rules with only the terms in ``keep`` (as written in the rules); groups left empty go."""
    data = rules.model_dump()
    for dimension in ("scope", "category"):
        labels = data[dimension]["labels"]
        for label, groups in labels.items():
            trimmed = [
                {**group, "terms": [term for term in group["terms"] if term in keep]} for group in groups
            ]
            labels[label] = [group for group in trimmed if group["terms"]]
    return ClassificationRules.model_validate(data)


def leave_one_out(
    records: Iterable[Mapping[str, Any] | LabelledAnalysis], rules: ClassificationRules | None = None
) -> EvalReport:
    """Each record classified with only the terms that occur in at least one other record."""
    rules = rules or load_rules()
    listed = _labelled(records)
    found = [terms_found(record.text, rules) for record in listed]
    predictions = []
    for index, record in enumerate(listed):
        others = set().union(*(terms for other, terms in enumerate(found) if other != index))
        predictions.append(_classify_record(record, restrict_rules(rules, others)))
    return _report(listed, predictions)


def two_fold(
    records: Iterable[Mapping[str, Any] | LabelledAnalysis], rules: ClassificationRules | None = None
) -> EvalReport:
    """Records split into alternate halves; each half classified with only the terms that occur in the
    other half. The two halves' results are reported together."""
    rules = rules or load_rules()
    listed = _labelled(records)
    halves = (listed[0::2], listed[1::2])
    ordered: list[LabelledAnalysis] = []
    predictions: list[Classification] = []
    for held, taught in (halves, halves[::-1]):
        keep = set().union(*(terms_found(record.text, rules) for record in taught))
        restricted = restrict_rules(rules, keep)
        ordered.extend(held)
        predictions.extend(_classify_record(record, restricted) for record in held)
    return _report(ordered, predictions)


def _table(
    title: str, labels: Sequence[LabelT], confusion: Mapping[LabelT, Mapping[LabelT, int]]
) -> list[str]:
    """A confusion table; columns are numbered like the rows to keep it narrow."""
    width = max(len(label) for label in labels) + 5
    lines = [f"{title} (rows = expected, columns = predicted)"]
    lines.append(" " * width + "".join(f"({number})".rjust(6) for number in range(1, len(labels) + 1)))
    for number, expected in enumerate(labels, start=1):
        counts = "".join(str(confusion[expected][predicted]).rjust(6) for predicted in labels)
        lines.append(f"({number}) {expected}".ljust(width) + counts)
    return lines


def format_report(report: EvalReport, heading: str = "Classification") -> str:
    """The report as plain text."""
    lines = [
        f"{heading}: {report.total} analyses",
        f"Scope accuracy:    {report.scope_correct}/{report.total} = {report.scope_accuracy:.1%}",
        f"Category accuracy: {report.category_correct}/{report.total} = {report.category_accuracy:.1%}",
        "",
        *_table("Scope", SCOPES, report.scope_confusion),
        "",
        *_table("Category", CATEGORIES, report.category_confusion),
        "",
        "Both right, by confidence:",
    ]
    for low, high, cases, right in report.by_confidence:
        share = f"{right / cases:.0%}" if cases else "-"
        lines.append(f"  {low:.2f} to {min(high, 1.0):.2f}: {right}/{cases} ({share})")
    lines.append("")
    if report.misses:
        lines.append("Misclassified:")
        for miss in report.misses:
            scope = (
                miss.expected_scope
                if miss.expected_scope == miss.predicted_scope
                else (f"{miss.expected_scope} -> {miss.predicted_scope}")
            )
            category = (
                miss.expected_category
                if miss.expected_category == miss.predicted_category
                else (f"{miss.expected_category} -> {miss.predicted_category}")
            )
            lines.append(
                f"  {miss.id}: scope {scope}; category {category} (confidence {miss.confidence:.2f})"
            )
    else:
        lines.append("Misclassified: none")
    return "\n".join(lines)


def read_records(path: Path) -> list[LabelledAnalysis]:
    """The labelled records of a JSONL file (blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [LabelledAnalysis.model_validate_json(line) for line in handle if line.strip()]


def stratified_folds(records: Sequence[LabelledAnalysis], folds: int) -> list[list[LabelledAnalysis]]:
    """``folds`` test folds with the scopes (then categories) spread evenly: records are sorted by
    scope, category and id and dealt out in turn. Deterministic, so every run scores the same folds."""
    if folds < 2 or folds > len(records):
        raise ValueError(f"folds must be between 2 and the number of records ({len(records)})")
    ordered = sorted(records, key=lambda record: (record.scope, record.category, record.id))
    dealt: list[list[LabelledAnalysis]] = [[] for _ in range(folds)]
    for position, record in enumerate(ordered):
        dealt[position % folds].append(record)
    return dealt


def as_example(record: LabelledAnalysis) -> LabelledExample:
    """A labelled record as a workspace's confirmed classification (a known case at run time)."""
    answered = [why for why in record.whys if why.strip()]
    return LabelledExample(
        id=record.id,
        problem=record.problem,
        whys=tuple(record.whys),
        root_cause=record.root_cause or answered[-1],
        scope=record.scope,
        category=record.category,
        source="workspace",
    )


def with_example_weight(rules: ClassificationRules, weight: float) -> ClassificationRules:
    """The rules with the known cases given ``weight`` (0: words only; 1: known cases only)."""
    data = rules.model_dump()
    data["examples"]["weight"] = weight
    return ClassificationRules.model_validate(data)


@dataclass(frozen=True)
class FoldScore:
    fold: int
    total: int
    scope_correct: int
    category_correct: int

    @property
    def scope_accuracy(self) -> float:
        return self.scope_correct / self.total

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total


@dataclass(frozen=True)
class CrossValidation:
    """One protocol's scores over every fold."""

    name: str
    folds: tuple[FoldScore, ...]
    by_file: dict[str, tuple[int, int, int]]  # file -> (total, scope right, category right)

    @property
    def total(self) -> int:
        return sum(fold.total for fold in self.folds)

    @property
    def scope_accuracy(self) -> float:
        return sum(fold.scope_correct for fold in self.folds) / self.total

    @property
    def category_accuracy(self) -> float:
        return sum(fold.category_correct for fold in self.folds) / self.total

    def spread(self, attribute: str) -> tuple[float, float, float, float]:
        """(mean, standard deviation, lowest, highest) of a per-fold accuracy."""
        values = [float(getattr(fold, attribute)) for fold in self.folds]
        return statistics.mean(values), statistics.pstdev(values), min(values), max(values)


PROTOCOLS = (
    "shipped",
    "words only",
    "known cases only",
    "words from our examples only",
    "learning from overrides",
)


def cross_validate(
    records: Sequence[LabelledAnalysis],
    files: Mapping[str, str],
    folds: int = 5,
    rules: ClassificationRules | None = None,
    examples: ExampleIndex | None = None,
) -> list[CrossValidation]:
    """Every protocol of ``PROTOCOLS`` over the same stratified folds. ``files`` maps a record id to
    the file it came from, for the per-file lines. The records are test data only, except in
    "learning from overrides", where the other folds are the workspace's confirmed classifications."""
    rules = rules or load_rules()
    examples = examples or packaged_index()
    dealt = stratified_folds(records, folds)
    own_terms = set().union(*(terms_found("\n".join([e.problem, *e.whys]), rules) for e in examples.examples))
    variants: dict[str, ClassificationRules] = {
        "shipped": rules,
        "words only": with_example_weight(rules, 0.0),
        "known cases only": with_example_weight(rules, 1.0),
        "words from our examples only": restrict_rules(rules, own_terms),
        "learning from overrides": rules,
    }
    results = []
    for name in PROTOCOLS:
        scores = []
        by_file: dict[str, list[int]] = {}
        for number, fold in enumerate(dealt, start=1):
            extra: list[LabelledExample] = []
            if name == "learning from overrides":
                extra = [as_example(r) for other, rs in enumerate(dealt, 1) if other != number for r in rs]
            scope_right = category_right = 0
            for record in fold:
                result = _classify_record(record, variants[name], examples, extra)
                scope_ok, category_ok = result.scope == record.scope, result.category == record.category
                scope_right += scope_ok
                category_right += category_ok
                tally = by_file.setdefault(files.get(record.id, "?"), [0, 0, 0])
                tally[0] += 1
                tally[1] += scope_ok
                tally[2] += category_ok
            scores.append(FoldScore(number, len(fold), scope_right, category_right))
        results.append(
            CrossValidation(name, tuple(scores), {file: (t[0], t[1], t[2]) for file, t in by_file.items()})
        )
    return results


def format_cross_validation(results: Sequence[CrossValidation]) -> str:
    lines: list[str] = []
    for result in results:
        lines.append(f"{result.name}: {result.total} analyses in {len(result.folds)} folds")
        for fold in result.folds:
            lines.append(
                f"  fold {fold.fold} ({fold.total}): scope {fold.scope_correct}/{fold.total} = "
                f"{fold.scope_accuracy:.1%}, category {fold.category_correct}/{fold.total} = "
                f"{fold.category_accuracy:.1%}"
            )
        for label, attribute, overall in (
            ("scope", "scope_accuracy", result.scope_accuracy),
            ("category", "category_accuracy", result.category_accuracy),
        ):
            mean, spread, low, high = result.spread(attribute)
            lines.append(
                f"  overall {label}: {overall:.1%} (per fold mean {mean:.1%}, sd {spread:.1%}, "
                f"range {low:.1%} to {high:.1%})"
            )
        for file, (total, scope_right, category_right) in sorted(result.by_file.items()):
            lines.append(
                f"  {file}: scope {scope_right}/{total} = {scope_right / total:.1%}, "
                f"category {category_right}/{total} = {category_right / total:.1%}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def read_labelled_files(paths: Sequence[Path]) -> tuple[list[LabelledAnalysis], dict[str, str]]:
    """Records of several files, and which file each record id came from (ids must be unique)."""
    records: list[LabelledAnalysis] = []
    files: dict[str, str] = {}
    for path in paths:
        for record in read_records(path):
            if record.id in files:
                raise ValueError(f"{path}: id {record.id!r} is also in {files[record.id]}")
            files[record.id] = path.name
            records.append(record)
    return records, files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flows.classification_eval", description="Measure the classifier."
    )
    parser.add_argument(
        "paths",
        type=Path,
        nargs="*",
        help=(
            "labelled JSONL file(s): one analysis a line with id, problem, whys, root_cause (optional), "
            f"scope and category; with --cv and none given, the development files in ${EVAL_DIR_VARIABLE}"
        ),
    )
    parser.add_argument(
        "--held-out", action="store_true", help="also run the leave-one-out and two-fold checks"
    )
    parser.add_argument(
        "--cv", action="store_true", help="cross-validate over stratified folds (the files as test data only)"
    )
    parser.add_argument("--folds", type=int, default=5, help="number of folds for --cv (default 5)")
    parser.add_argument("--rules", type=Path, default=None, help="a rules file other than the packaged one")
    args = parser.parse_args(argv)
    rules = load_rules(args.rules)
    if args.cv:
        paths = args.paths or dev_files()
        if not paths:
            parser.error(
                f"give the labelled JSONL file(s) to cross-validate over (or set {EVAL_DIR_VARIABLE})"
            )
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            parser.error(f"not found: {', '.join(missing)}")
        records, files = read_labelled_files(paths)
        print(format_cross_validation(cross_validate(records, files, args.folds, rules)), end="")
        return 0
    if len(args.paths) != 1:
        parser.error("give one labelled JSONL file (or --cv)")
    records = read_records(args.paths[0])
    print(format_report(evaluate(records, rules), "All terms"))
    if args.held_out:
        print()
        print(format_report(leave_one_out(records, rules), "Leave one out (terms from the other examples)"))
        print()
        print(format_report(two_fold(records, rules), "Two folds (terms from the other half only)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
