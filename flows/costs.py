"""Cost maths for the cost-impacts tool: what a problem costs a year, and who bears it.

A cost line is something that happens again and again ("re-keying a form"), costed as

    staff hours each time × times a year × people involved × hourly rate + direct costs

where direct costs are either so much each time (multiplied by the times a year) or so much a year.
Everything is exact :class:`~decimal.Decimal` arithmetic until the very end, when the figures are
rounded to whole pounds (half up). The rounded figures are apportioned so that the lines add up to each
bearer's total and the bearers add up to the overall total, exactly as a reader would check them; no
figure is more than a pound from its exact value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Final, Literal, get_args

from flows.formatting import format_list, format_money
from flows.i18n import DEFAULT_LOCALE, t
from flows.parsing import DirectCost

Bearer = Literal["residents", "staff", "council services"]
BEARERS: Final[tuple[Bearer, ...]] = get_args(Bearer)

# Wide enough that no product of the parsers' capped inputs is rounded before the final whole pounds.
_EXACT = Context(prec=80)
_POUND = Decimal(1)
_MAX_WHAT = 60
NO_DIRECT_COST: Final = DirectCost(Decimal(0))


@dataclass(frozen=True)
class CostLine:
    """One recurring cost. ``hourly_rate`` None means the default rate from settings."""

    bearer: Bearer
    what: str
    staff_hours_per_occurrence: Decimal
    occurrences_per_year: Decimal
    people: int
    hourly_rate: Decimal | None = None
    direct: DirectCost = NO_DIRECT_COST

    def __post_init__(self) -> None:
        # Lines are rebuilt from stored answers, where neither the Literal nor the sign is enforced.
        if self.bearer not in BEARERS:
            raise ValueError(f"Unknown bearer {self.bearer!r}: expected one of {', '.join(BEARERS)}")
        if self.people < 0:
            raise ValueError(f"people must not be negative, got {self.people}")
        amounts = {
            "staff_hours_per_occurrence": self.staff_hours_per_occurrence,
            "occurrences_per_year": self.occurrences_per_year,
            "hourly_rate": Decimal(0) if self.hourly_rate is None else self.hourly_rate,
            "direct.amount": self.direct.amount,
        }
        for name, value in amounts.items():
            if not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite amount of 0 or more, got {value}")


@dataclass(frozen=True)
class LineCost:
    """A line with its cost a year: ``exact``, and ``annual`` in whole pounds (apportioned, see module)."""

    line: CostLine
    exact: Decimal
    annual: Decimal


@dataclass(frozen=True)
class CostSummary:
    """Costs a year in whole pounds: per line, per bearer (all three, in :data:`BEARERS` order, zero when
    a bearer has no lines) and overall, with the assumptions behind them in the reader's language."""

    lines: tuple[LineCost, ...]
    by_bearer: dict[Bearer, Decimal]
    total: Decimal
    assumptions: list[str]


def annual_cost(line: CostLine, *, hourly_rate_default: Decimal) -> Decimal:
    """The exact (unrounded) cost of ``line`` a year, in pounds. ``hourly_rate_default`` is used when
    the line has no rate of its own."""
    rate = hourly_rate_default if line.hourly_rate is None else line.hourly_rate
    with localcontext(_EXACT):
        staff_time = line.staff_hours_per_occurrence * line.occurrences_per_year * line.people * rate
        if line.direct.basis == "per_occurrence":
            direct = line.direct.amount * line.occurrences_per_year
        else:
            direct = line.direct.amount
        return staff_time + direct


def _apportion(exact: Sequence[Decimal], total: int) -> list[int]:
    """Whole numbers, each the floor or ceiling of its exact value, that add up to ``total``.

    Largest remainder: every value starts at its floor and the units left over go to the values with
    the largest fractions (the earlier one on a tie). ``total`` must lie within one of ``sum(exact)``
    rounded, which holds for the rounded sum and for any figure this function produced from it.
    """
    floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    spare = total - sum(floors)
    by_fraction = sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], i))
    for i in by_fraction[:spare]:
        floors[i] += 1
    return floors


def summarise_costs(
    lines: Iterable[CostLine],
    *,
    hourly_rate_default: Decimal,
    weeks_per_year: Decimal,
    working_day_hours: Decimal = Decimal("7.4"),
    locale: str = DEFAULT_LOCALE,
) -> CostSummary:
    """Per-line, per-bearer and overall costs a year in whole pounds, and the assumptions behind them.

    ``weeks_per_year`` and ``working_day_hours`` were applied when the answers were parsed ("3 a week",
    "half a day"); they are passed here so the summary can state them.
    """
    lines = tuple(lines)
    exact = [annual_cost(line, hourly_rate_default=hourly_rate_default) for line in lines]
    with localcontext(_EXACT):
        bearer_exact = [
            sum((e for e, line in zip(exact, lines, strict=True) if line.bearer == bearer), Decimal(0))
            for bearer in BEARERS
        ]
        total = int(sum(bearer_exact, Decimal(0)).quantize(_POUND, rounding=ROUND_HALF_UP))
    bearer_pounds = _apportion(bearer_exact, total)
    annual = [0] * len(lines)
    for bearer, pounds in zip(BEARERS, bearer_pounds, strict=True):
        indices = [i for i, line in enumerate(lines) if line.bearer == bearer]
        for i, value in zip(indices, _apportion([exact[i] for i in indices], pounds), strict=True):
            annual[i] = value
    return CostSummary(
        lines=tuple(LineCost(line, e, Decimal(a)) for line, e, a in zip(lines, exact, annual, strict=True)),
        by_bearer={b: Decimal(p) for b, p in zip(BEARERS, bearer_pounds, strict=True)},
        total=Decimal(total),
        assumptions=_assumptions(lines, hourly_rate_default, weeks_per_year, working_day_hours, locale),
    )


# "Daily" and "a day" are parsed as working days (flows.parsing), five a week.
WORKING_DAYS_A_WEEK: Final = 5


def _assumptions(
    lines: Sequence[CostLine],
    hourly_rate_default: Decimal,
    weeks_per_year: Decimal,
    working_day_hours: Decimal,
    locale: str,
) -> list[str]:
    """What the figures rest on, in the reader's language: the rate each line with staff time was
    costed at (the default only if some line used it; none when no line has staff time), a year in
    weeks, what "daily" counts as, the length of a working day, and how figures are rounded."""
    # Only a line with staff time is costed at a rate: a direct-cost-only line says nothing of one.
    timed = [line for line in lines if has_staff_time(line)]
    own_rates: dict[Decimal, list[str]] = {}
    for line in timed:
        if line.hourly_rate is not None and line.hourly_rate != hourly_rate_default:
            own_rates.setdefault(line.hourly_rate, []).append(_quoted(line.what, locale))
    uses_default = any(line.hourly_rate is None or line.hourly_rate == hourly_rate_default for line in timed)
    sentences = []
    if uses_default:
        sentences.append(
            t("cost_assumption_default_rate", locale, rate=format_money(hourly_rate_default, locale))
        )
    for rate, whats in own_rates.items():
        sentences.append(
            t(
                "cost_assumption_own_rate",
                locale,
                what=format_list(whats, locale),
                rate=format_money(rate, locale),
            )
        )
    sentences += [
        t("cost_assumption_weeks", locale, weeks=_number(weeks_per_year)),
        t(
            "cost_assumption_daily",
            locale,
            days=WORKING_DAYS_A_WEEK,
            working_days=_number(weeks_per_year * WORKING_DAYS_A_WEEK),
        ),
        t("cost_assumption_day_hours", locale, hours=_number(working_day_hours)),
        t("cost_assumption_rounding", locale),
    ]
    return sentences


def has_staff_time(line: CostLine) -> bool:
    """Whether ``line`` costs staff time (hours, times and people all above zero)."""
    return line.staff_hours_per_occurrence > 0 and line.occurrences_per_year > 0 and line.people > 0


def _quoted(what: str, locale: str) -> str:
    what = " ".join(what.split()) or t("cost_unnamed_line", locale)
    return f"‘{what if len(what) <= _MAX_WHAT else what[: _MAX_WHAT - 1] + '…'}’"


def _number(value: Decimal) -> str:
    """``52`` or ``46.4``: no trailing zeros, never exponent form."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_pounds(amount: Decimal, locale: str = "en") -> str:
    """Whole pounds with thousands separators, rounded half up: ``£12,345``, ``-£5``."""
    return format_money(amount, locale, whole_pounds=True)
