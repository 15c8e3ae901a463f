"""The classifier's speed and memory: start-up (rules, shipped examples and their index), classifying
1,000 root causes, "seen elsewhere" against 1,000 root causes, and themes over 1,000, with the
process's resident memory before and after the model is loaded.

    .venv/bin/python -m bench.classification [--count 1000] [--app]

``--app`` imports the Slack app (``bot.app``) first, so the memory figures are the app's own with the
classifier loaded on top.

Each run starts in a fresh process (``python -m``), so the start-up figure includes importing the
modules. The analyses are built from the shipped examples with a running number and a service name
added, so no two are the same text.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.classification")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--app", action="store_true", help="import the Slack app first")
    args = parser.parse_args()
    if args.app:
        import bot.app  # noqa: F401  (the app's own memory, before the classifier)
    before = rss_mb()
    started = time.perf_counter()
    from flows.classification import classify, load_rules
    from flows.classification_examples import LabelledExample, packaged_index
    from flows.related import RootCauseRecord, find_themes, seen_elsewhere

    load_rules()
    index = packaged_index()
    startup = time.perf_counter() - started
    loaded = rss_mb()
    examples = index.examples
    services = ["waste", "planning", "housing", "libraries", "parking", "revenues", "adult social care"]
    analyses = [
        (
            f"{examples[n % len(examples)].problem} ({services[n % len(services)]}, case {n})",
            [f"{why} (note {n})" for why in examples[n % len(examples)].whys],
            f"{examples[n % len(examples)].root_cause} (note {n})",
        )
        for n in range(args.count)
    ]

    started = time.perf_counter()
    for problem, whys, root_cause in analyses:
        classify(problem, whys, root_cause)
    classify_seconds = time.perf_counter() - started

    overrides = [
        LabelledExample(
            id=f"ws-{n}",
            problem=problem,
            whys=tuple(whys),
            root_cause=root_cause,
            scope=examples[n % len(examples)].scope,
            category=examples[n % len(examples)].category,
            source="workspace",
        )
        for n, (problem, whys, root_cause) in enumerate(analyses[:200])
    ]
    started = time.perf_counter()
    problem, whys, root_cause = analyses[0]
    classify(problem, whys, root_cause, extra_examples=overrides)
    first_override_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for problem, whys, root_cause in analyses[:200]:
        classify(problem, whys, root_cause, extra_examples=overrides)
    overrides_ms = (time.perf_counter() - started) / 200 * 1000
    started = time.perf_counter()
    with_workspace = index.with_examples(overrides)  # built once, as a batch or a worker would
    for problem, whys, root_cause in analyses[:200]:
        classify(problem, whys, root_cause, examples=with_workspace)
    prebuilt_ms = (time.perf_counter() - started) / 200 * 1000

    records = [
        RootCauseRecord(
            f"r{n}", root_cause, services[n % len(services)], examples[n % len(examples)].category
        )
        for n, (_problem, _whys, root_cause) in enumerate(analyses)
    ]
    started = time.perf_counter()
    seen = seen_elsewhere(records[0].text, "waste", records[1:])
    seen_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    themes = find_themes(records)
    themes_seconds = time.perf_counter() - started
    after = rss_mb()

    print(f"start-up (import, rules, {len(examples)} examples indexed): {startup * 1000:.0f} ms")
    print(
        f"resident memory: {before:.1f} MB before import, {loaded:.1f} MB loaded, {after:.1f} MB at the end"
    )
    print(
        f"classify {args.count} root causes: {classify_seconds:.2f} s "
        f"({classify_seconds / args.count * 1000:.2f} ms each)"
    )
    print(
        f"classify with 200 workspace examples: {first_override_ms:.0f} ms the first time (their index "
        f"is built), then {overrides_ms:.2f} ms each passed as extra_examples (index remembered), "
        f"{prebuilt_ms:.2f} ms each with the index built by the caller"
    )
    print(f"seen elsewhere against {len(records) - 1} root causes: {seen_ms:.0f} ms")
    print(f"  ({len(seen.related)} related)")
    print(f"themes over {len(records)} root causes: {themes_seconds:.2f} s ({len(themes)} themes)")


if __name__ == "__main__":
    main()
