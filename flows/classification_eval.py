"""Measure the classifier against labelled five-whys analyses.

    python -m flows.classification_eval PATH.jsonl [--held-out]

prints scope and category accuracy, both confusion tables (rows = expected, columns = predicted), how
accuracy varies with the confidence, and the misclassified ids. Each line of the file has ``id``,
``problem``, ``whys``, ``root_cause`` (optional), ``scope`` and ``category``.

``--held-out`` also estimates how well the rules generalise. The terms were written by someone who had
read the labelled examples, so accuracy on them flatters the rules. To see how much, each example is
classified again with every term that occurs in none of the *other* examples removed (leave one out),
and each half of the file is classified with only the terms that occur in the other half (two folds):
a term only one example could have suggested gets no credit for that example.
"""

from __future__ import annotations

import argparse
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
    Scope,
    classify,
    load_rules,
    terms_found,
)

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


def _classify_record(record: LabelledAnalysis, rules: ClassificationRules | None) -> Classification:
    return classify(record.problem, record.whys, record.root_cause, rules=rules)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flows.classification_eval", description="Measure the classifier."
    )
    parser.add_argument("path", type=Path, help="labelled JSONL file")
    parser.add_argument(
        "--held-out", action="store_true", help="also run the leave-one-out and two-fold checks"
    )
    parser.add_argument("--rules", type=Path, default=None, help="a rules file other than the packaged one")
    args = parser.parse_args(argv)
    records = read_records(args.path)
    rules = load_rules(args.rules)
    print(format_report(evaluate(records, rules), "All terms"))
    if args.held_out:
        print()
        print(format_report(leave_one_out(records, rules), "Leave one out (terms from the other examples)"))
        print()
        print(format_report(two_fold(records, rules), "Two folds (terms from the other half only)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
