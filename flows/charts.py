"""Charts for leads as PNG bytes: the yearly cost by who bears it, and root causes by category week by
week. Each comes with alt text that states every figure drawn, for people who cannot see the image.

The figures are given (from :class:`flows.report.CostReport` or the digest); nothing here works one
out. matplotlib is imported only when a chart is drawn, with the headless Agg backend, so the bot's
start-up and memory do not grow for it. Pure: no Slack, no SQL.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flows.costs import format_pounds
from flows.i18n import DEFAULT_LOCALE, join_and, t
from flows.report import CostReport

# pyplot keeps global state; one chart is drawn at a time in a process.
_DRAWING = threading.Lock()
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#d4351c", "#505a5f", "#28a197", "#ffdd00", "#0b0c0c")


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    png: bytes
    alt_text: str


@dataclass(frozen=True)
class Share:
    label: str
    amount: Decimal


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot

    return pyplot


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def cost_alt_text(title: str, total: Decimal, shares: Sequence[Share], locale: str = DEFAULT_LOCALE) -> str:
    parts = [t("chart_cost_share", locale, bearer=s.label, amount=format_pounds(s.amount)) for s in shares]
    return t(
        "chart_cost_alt", locale, title=title, total=format_pounds(total), shares=join_and(parts, locale)
    )


def cost_by_bearer(
    title: str, total: Decimal, shares: Sequence[Share], *, filename: str, locale: str = DEFAULT_LOCALE
) -> Chart:
    """A horizontal bar for each bearer's yearly cost, labelled with its amount."""
    alt = cost_alt_text(title, total, shares, locale)
    with _DRAWING:
        plt = _pyplot()
        figure, axes = plt.subplots(figsize=(7, 0.6 * max(len(shares), 2) + 1.4))
        try:
            labels = [s.label for s in shares][::-1]
            values = [float(s.amount) for s in shares][::-1]
            bars = axes.barh(labels, values, color=COLOURS[: len(values)][::-1])
            axes.bar_label(bars, labels=[format_pounds(s.amount) for s in shares][::-1], padding=4)
            axes.set_title(f"{title}\n{t('chart_cost_total', locale, total=format_pounds(total))}")
            axes.set_xlabel(t("chart_cost_axis", locale))
            axes.margins(x=0.25)
            axes.xaxis.set_major_formatter(lambda value, _pos: format_pounds(Decimal(int(value))))
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            png = _png(figure)
        finally:
            plt.close(figure)
    return Chart(filename=filename, title=title, png=png, alt_text=alt)


@dataclass(frozen=True)
class WeekCounts:
    label: str  # the week as people read it
    counts: dict[str, int]  # category → root causes


def categories_alt_text(title: str, weeks: Sequence[WeekCounts], locale: str = DEFAULT_LOCALE) -> str:
    lines = []
    for week in weeks:
        found = [
            t("chart_category_count", locale, category=c, count=n)
            for c, n in sorted(week.counts.items())
            if n
        ]
        lines.append(
            t(
                "chart_category_week",
                locale,
                week=week.label,
                counts=join_and(found, locale) if found else t("chart_category_none", locale),
            )
        )
    return t("chart_category_alt", locale, title=title, weeks="; ".join(lines))


def root_causes_by_category(
    title: str, weeks: Sequence[WeekCounts], *, filename: str, locale: str = DEFAULT_LOCALE
) -> Chart:
    """Stacked bars: one per week, a colour per category."""
    alt = categories_alt_text(title, weeks, locale)
    categories = sorted({c for week in weeks for c, n in week.counts.items() if n})
    with _DRAWING:
        plt = _pyplot()
        figure, axes = plt.subplots(figsize=(9, 4.5))
        try:
            positions = list(range(len(weeks)))
            bottom = [0] * len(weeks)
            for number, category in enumerate(categories):
                values = [week.counts.get(category, 0) for week in weeks]
                axes.bar(
                    positions, values, bottom=bottom, label=category, color=COLOURS[number % len(COLOURS)]
                )
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            axes.set_xticks(positions, [week.label for week in weeks], rotation=45, ha="right")
            axes.set_ylabel(t("chart_category_axis", locale))
            axes.set_title(title)
            axes.yaxis.get_major_locator().set_params(integer=True)
            if categories:
                axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            png = _png(figure)
        finally:
            plt.close(figure)
    return Chart(filename=filename, title=title, png=png, alt_text=alt)


def problem_cost_chart(costs: CostReport, *, filename: str, locale: str = DEFAULT_LOCALE) -> Chart:
    """One problem's yearly cost by who bears it, from its report's figures (every bearer shown)."""
    return cost_by_bearer(
        t("chart_problem_cost_title", locale),
        costs.total,
        [Share(share.label, share.amount) for share in costs.by_bearer],
        filename=filename,
        locale=locale,
    )


# --- charts drawn later ---------------------------------------------------------------------------------
# A chart as plain JSON (its figures, title, file name and language), stored where the PNG is owed (the
# outbox) and drawn by whoever sends it: drawing needs matplotlib, seconds to import, which has no place
# in a request or a transaction. The alt text comes from the same figures without drawing anything.

COST_BY_BEARER = "cost_by_bearer"


def problem_cost_spec(costs: CostReport, *, filename: str, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """:func:`problem_cost_chart`, to draw later (:func:`draw`)."""
    return {
        "chart": COST_BY_BEARER,
        "title": t("chart_problem_cost_title", locale),
        "total": str(costs.total),
        "shares": [[share.label, str(share.amount)] for share in costs.by_bearer],
        "filename": filename,
        "locale": locale,
    }


def _cost_args(spec: Mapping[str, Any]) -> tuple[str, Decimal, list[Share], str]:
    if spec.get("chart") != COST_BY_BEARER:
        raise ValueError(f"not a chart this version draws: {spec.get('chart')!r}")
    shares = [Share(str(label), Decimal(str(amount))) for label, amount in spec["shares"]]
    return str(spec["title"]), Decimal(str(spec["total"])), shares, str(spec.get("locale") or DEFAULT_LOCALE)


def spec_title(spec: Mapping[str, Any]) -> str:
    return str(spec["title"])


def spec_alt_text(spec: Mapping[str, Any]) -> str:
    """The drawn chart's alt text, every figure in it, without drawing it."""
    title, total, shares, locale = _cost_args(spec)
    return cost_alt_text(title, total, shares, locale)


def draw(spec: Mapping[str, Any]) -> Chart:
    """Draw a chart described by a spec (:func:`problem_cost_spec`)."""
    title, total, shares, locale = _cost_args(spec)
    return cost_by_bearer(title, total, shares, filename=str(spec["filename"]), locale=locale)
