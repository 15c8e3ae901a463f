"""Cost maths: hand-worked examples, rounding to whole pounds only at the end, figures that add up, and
properties (totals are the sum of the bearers, nothing is negative, staff time grows with people)."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.costs import BEARERS, CostLine, CostSummary, annual_cost, format_pounds, summarise_costs
from flows.parsing import DirectCost

RATE = Decimal(30)
WEEKS = Decimal(52)


def summarise(lines: list[CostLine]) -> CostSummary:
    return summarise_costs(lines, hourly_rate_default=RATE, weeks_per_year=WEEKS)


REKEYING = CostLine(
    bearer="staff",
    what="Re-keying paper forms",
    staff_hours_per_occurrence=Decimal("0.25"),  # 15 minutes
    occurrences_per_year=Decimal(156),  # 3 a week × 52
    people=2,
    direct=DirectCost(Decimal("1.20"), "per_occurrence"),  # postage
)
CHASING = CostLine(
    bearer="residents",
    what="Phoning to chase an application",
    staff_hours_per_occurrence=Decimal("0.5"),
    occurrences_per_year=Decimal(1200),  # 100 a month × 12
    people=1,
    hourly_rate=Decimal(15),
)
LICENCE = CostLine(
    bearer="council services",
    what="Extra licence for the old system",
    staff_hours_per_occurrence=Decimal(0),
    occurrences_per_year=Decimal(12),
    people=1,
    direct=DirectCost(Decimal(1200), "per_year"),
)


def test_annual_cost_worked_examples() -> None:
    # 0.25 h × 156 × 2 people × £30 = £2,340 staff time; £1.20 × 156 = £187.20 postage; £2,527.20
    assert annual_cost(REKEYING, hourly_rate_default=RATE) == Decimal("2527.20")
    # 0.5 h × 1,200 × 1 person × £15 (its own rate, not the default) = £9,000
    assert annual_cost(CHASING, hourly_rate_default=RATE) == Decimal(9000)
    # no time; £1,200 a year, not multiplied by the 12 occurrences
    assert annual_cost(LICENCE, hourly_rate_default=RATE) == Decimal(1200)


def test_summary_worked_example() -> None:
    summary = summarise_costs([REKEYING, CHASING, LICENCE], hourly_rate_default=RATE, weeks_per_year=WEEKS)
    # 2,527.20 + 9,000 + 1,200 = 12,727.20 → £12,727
    assert summary.total == 12_727
    assert summary.by_bearer == {"residents": 9000, "staff": 2527, "council services": 1200}
    assert list(summary.by_bearer) == ["residents", "staff", "council services"]
    assert [line.annual for line in summary.lines] == [2527, 9000, 1200]
    assert [line.exact for line in summary.lines] == [Decimal("2527.20"), 9000, 1200]
    assert [line.line for line in summary.lines] == [REKEYING, CHASING, LICENCE]
    assert summary.assumptions == [
        "Time is costed at £30 an hour, the default rate.",
        "Time for ‘Phoning to chase an application’ is costed at £15 an hour, as given.",
        "A year is counted as 52 weeks.",
        "“Daily” means every working day: 5 a week, 260 a year.",
        "A working day is counted as 7.4 hours.",
        "Figures are rounded to the nearest pound after the sums are done, "
        "so the lines add up to the totals.",
    ]


def test_every_bearer_is_present_even_with_no_lines() -> None:
    summary = summarise_costs([], hourly_rate_default=RATE, weeks_per_year=WEEKS)
    assert summary.by_bearer == {"residents": 0, "staff": 0, "council services": 0}
    assert summary.total == 0
    assert summary.lines == ()
    # No line has staff time: nothing is said about an hourly rate.
    assert summary.assumptions[0] == "A year is counted as 52 weeks."
    assert not any("an hour" in sentence for sentence in summary.assumptions)


def test_assumptions_name_every_rate_and_the_settings() -> None:
    lines = [
        replace(CHASING, what="Chasing", hourly_rate=Decimal("32.50")),
        replace(REKEYING, what="Re-keying", hourly_rate=Decimal("32.5")),
        replace(CHASING, what="Answering", hourly_rate=Decimal(30)),  # the default, given explicitly
        replace(LICENCE, what="Licence", hourly_rate=Decimal(45)),  # no staff time: its rate is not said
    ]
    assumptions = summarise_costs(
        lines, hourly_rate_default=RATE, weeks_per_year=Decimal("46.4"), working_day_hours=Decimal("7.5")
    ).assumptions
    assert assumptions[:5] == [
        "Time is costed at £30 an hour, the default rate.",
        "Time for ‘Chasing’ and ‘Re-keying’ is costed at £32.50 an hour, as given.",
        "A year is counted as 46.4 weeks.",
        "“Daily” means every working day: 5 a week, 232 a year.",
        "A working day is counted as 7.5 hours.",
    ]
    only_own_rate = summarise_costs([CHASING], hourly_rate_default=RATE, weeks_per_year=WEEKS)
    assert not any("default" in sentence for sentence in only_own_rate.assumptions)
    # A direct-cost-only line, whatever rate it carries, says nothing of a rate: not even the default.
    direct_only = summarise_costs([LICENCE], hourly_rate_default=RATE, weeks_per_year=WEEKS)
    assert not any("an hour" in sentence for sentence in direct_only.assumptions)


def test_rounding_is_half_up_and_only_at_the_end() -> None:
    # 0.5 h × 1 × 1 person × £5 = £2.50 → £3 (half up, not to even)
    half = CostLine("staff", "Half", Decimal("0.5"), Decimal(1), 1, Decimal(5))
    assert summarise([half]).total == 3
    # 0.1 h × 5 × 1 × £1.01 = £0.505 → £1. Rounding each step would give 0.1 × £1.01 = £0.10 → £0.
    tiny = CostLine("staff", "Tiny", Decimal("0.1"), Decimal(5), 1, Decimal("1.01"))
    assert summarise([tiny]).total == 1
    # Two lines of £0.40 each: 0.80 overall → £1, so one line shows £1 and the other £0 (the first, on a
    # tie), rather than £0 + £0 = £0 from rounding each line first.
    forty_pence = CostLine("staff", "Forty pence", Decimal("0.4"), Decimal(1), 1, Decimal(1))
    summary = summarise([forty_pence, replace(forty_pence, what="Again")])
    assert summary.total == 1
    assert [line.annual for line in summary.lines] == [1, 0]
    assert summary.by_bearer["staff"] == 1


def test_rounded_bearers_add_up_to_the_rounded_total() -> None:
    # Each bearer £100.60: 301.80 overall → £302. Rounding each bearer alone would give 3 × £101 = £303.
    lines = [
        CostLine(bearer, bearer, Decimal(0), Decimal(1), 1, direct=DirectCost(Decimal("100.60")))
        for bearer in BEARERS
    ]
    summary = summarise(lines)
    assert summary.total == 302
    assert summary.by_bearer == {"residents": 101, "staff": 101, "council services": 100}
    assert [line.annual for line in summary.lines] == [101, 101, 100]


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("12345", "£12,345"),
        ("0", "£0"),
        ("2.5", "£3"),
        ("2.49", "£2"),
        ("1000000000", "£1,000,000,000"),
        ("-5", "-£5"),
    ],
)
def test_format_pounds(amount: str, text: str) -> None:
    assert format_pounds(Decimal(amount)) == text


@pytest.mark.parametrize(
    "changes",
    [
        {"bearer": "partners"},
        {"staff_hours_per_occurrence": Decimal(-1)},
        {"occurrences_per_year": Decimal("NaN")},
        {"people": -1},
        {"hourly_rate": Decimal("-0.01")},
        {"direct": DirectCost(Decimal("Infinity"))},
    ],
)
def test_impossible_lines_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"^(Unknown bearer|\w+(\.amount)? must)"):
        replace(REKEYING, **changes)  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------------------

# Places as the parsers give them (hours to 4 places here, money to the penny), so every product is exact.
lines_strategy = st.builds(
    CostLine,
    bearer=st.sampled_from(BEARERS),
    what=st.text(max_size=80),
    staff_hours_per_occurrence=st.decimals(min_value=0, max_value=1000, places=4),
    occurrences_per_year=st.decimals(min_value=0, max_value=100_000, places=2),
    people=st.integers(min_value=0, max_value=10_000),
    hourly_rate=st.none() | st.decimals(min_value=0, max_value=1000, places=2),
    direct=st.builds(
        DirectCost,
        amount=st.decimals(min_value=0, max_value=1_000_000_000, places=2),
        basis=st.sampled_from(["per_occurrence", "per_year"]),
    ),
)
rates = st.decimals(min_value=0, max_value=1000, places=2)


@given(st.lists(lines_strategy, max_size=12), rates)
def test_figures_add_up_and_stay_within_a_pound(lines: list[CostLine], rate: Decimal) -> None:
    summary = summarise_costs(lines, hourly_rate_default=rate, weeks_per_year=WEEKS)
    assert set(summary.by_bearer) == set(BEARERS)
    assert summary.total == sum(summary.by_bearer.values())
    for bearer in BEARERS:
        in_bearer = [line.annual for line in summary.lines if line.line.bearer == bearer]
        assert summary.by_bearer[bearer] == sum(in_bearer)
    exact_total = sum((line.exact for line in summary.lines), Decimal(0))
    assert summary.total == exact_total.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    for line in summary.lines:
        assert line.annual >= 0
        assert line.exact == annual_cost(line.line, hourly_rate_default=rate)
        assert abs(line.annual - line.exact) < 1
        assert line.annual == line.annual.to_integral_value()


@given(lines_strategy, rates, st.integers(min_value=0, max_value=50))
def test_staff_time_is_linear_in_people(line: CostLine, rate: Decimal, factor: int) -> None:
    # Direct costs do not depend on people; the staff-time part scales exactly with them.
    direct = annual_cost(replace(line, people=0), hourly_rate_default=rate)
    one = annual_cost(line, hourly_rate_default=rate) - direct
    scaled = annual_cost(replace(line, people=line.people * factor), hourly_rate_default=rate) - direct
    assert scaled == one * factor
    assert direct >= 0
    assert one >= 0
