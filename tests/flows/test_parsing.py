"""Parsers for typed answers: exact values for the documented examples, plain failures for bad input, and
properties: whatever the text, a parser returns a value or a ParseFailure, never raises."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.calendar import Cadence
from flows.costs import format_pounds
from flows.parsing import (
    DirectCost,
    Duration,
    Frequency,
    ParseFailure,
    parse_cadence,
    parse_count,
    parse_date,
    parse_direct_cost,
    parse_duration,
    parse_frequency,
    parse_money,
    parse_scale,
    parse_yes_no,
)

TUESDAY = date(2026, 3, 3)  # a Tuesday
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def failure(result: object) -> ParseFailure:
    assert isinstance(result, ParseFailure), f"expected a ParseFailure, got {result!r}"
    return result


# --- money ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("£1,200", "1200"),
        ("1200", "1200"),
        ("£3.5k", "3500"),
        ("£1.2m", "1200000"),
        ("£1,200.50", "1200.50"),
        ("1,200 pounds", "1200"),
        ("£0", "0"),
        ("1.2 million", "1200000"),
        ("GBP 300", "300"),
        ("300 gbp", "300"),
        ("  `£1,200`  ", "1200"),
        ("£1.005", "1.01"),  # to the penny, half up
        ("50p", "0.50"),
        ("about £300", "300"),
        ("five hundred quid", "500"),
        ("a thousand pounds", "1000"),
        ("£１２", "12"),  # full-width digits
        ("£1bn", "1000000000"),
        ("none", "0"),
    ],
)
def test_money_examples(text: str, pounds: str) -> None:
    assert parse_money(text) == Decimal(pounds)


def test_money_is_to_the_penny() -> None:
    amount = parse_money("£3.5k")
    assert isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("-£5", "can't be negative"),
        ("£-5", "can't be negative"),
        ("£1,000,000,000.01", "more than £1bn"),
        ("£2bn", "more than £1bn"),
        ("$40", "in pounds"),
        ("40 euros", "in pounds"),
        ("lots", "couldn't read that as an amount of money"),
        ("1,2", "couldn't read"),
        ("£50p", "couldn't read"),
        ("", "couldn't read"),
        ("NaN", "couldn't read"),
        ("£" + "9" * 10_000, "too long"),
    ],
)
def test_money_failures(text: str, says: str) -> None:
    result = failure(parse_money(text))
    assert says in result.message
    assert "£1,200" in result.examples


# --- direct costs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "basis"),
    [
        ("£40 each time", "40", "per_occurrence"),
        ("£40 per occurrence", "40", "per_occurrence"),
        ("£40", "40", "per_occurrence"),
        ("£40 each", "40", "per_occurrence"),
        ("£1,200 a year", "1200", "per_year"),
        ("£3.5k per year", "3500", "per_year"),
        ("£1,200/year", "1200", "per_year"),
        ("£1,200 pa", "1200", "per_year"),
        ("£1,200 annually", "1200", "per_year"),
        ("£100 a month", "1200", "per_year"),  # 100 × 12
        ("£50 a week", "2600", "per_year"),  # 50 × 52
        ("£300 a quarter", "1200", "per_year"),  # 300 × 4
        ("£20 a day", "5200", "per_year"),  # 20 × 5 working days × 52 weeks
        ("none", "0", "per_occurrence"),
        ("0", "0", "per_occurrence"),
        ("nothing", "0", "per_occurrence"),
    ],
)
def test_direct_cost_examples(text: str, amount: str, basis: str) -> None:
    assert parse_direct_cost(text) == DirectCost(Decimal(amount), basis)  # type: ignore[arg-type]


def test_direct_cost_weekly_uses_the_weeks_a_year_setting() -> None:
    # £50 a week over 46.4 working weeks = 50 × 46.4 = £2,320 a year
    assert parse_direct_cost("£50 a week", weeks_per_year=Decimal("46.4")) == DirectCost(
        Decimal("2320.00"), "per_year"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("-£40 each time", "can't be negative"),
        ("£100m a month", "more than £1bn"),  # £1.2bn a year
        ("£40 per person", "couldn't read that as a cost"),
        ("€40 a year", "in pounds"),
    ],
)
def test_direct_cost_failures(text: str, says: str) -> None:
    result = failure(parse_direct_cost(text))
    assert says in result.message
    assert len(result.examples) >= 2


# --- durations -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2h 30m", "2.5"),
        ("45 minutes", "0.75"),
        ("1.5 hours", "1.5"),
        ("90 mins", "1.5"),
        ("half a day", "3.7"),  # 7.4 / 2
        ("2 days", "14.8"),  # 2 × 7.4
        ("an hour", "1"),
        ("1 hr", "1"),
        ("30m", "0.5"),
        ("quarter of an hour", "0.25"),
        ("1 day 2 hours", "9.4"),  # 7.4 + 2
        ("half an hour", "0.5"),
        ("three quarters of an hour", "0.75"),
        ("an hour and a half", "1.5"),
        ("2 and a half hours", "2.5"),
        ("1½ hours", "1.5"),
        ("1:30", "1.5"),
        ("1h30", "1.5"),
        ("2 hours and 15 minutes", "2.25"),
        ("a couple of hours", "2"),
        ("about 3 hours", "3"),
        ("1 week", "37"),  # 5 × 7.4
        ("90 seconds", "0.025"),
        ("0", "0"),
        ("none", "0"),
        ("1000 hours", "1000"),
    ],
)
def test_duration_examples(text: str, hours: str) -> None:
    assert parse_duration(text) == Duration(Decimal(hours))


def test_duration_days_use_the_working_day_setting() -> None:
    assert parse_duration("half a day", working_day_hours=Decimal("7.5")) == Duration(Decimal("3.75"))


def test_duration_minutes_and_description() -> None:
    duration = parse_duration("20 minutes")
    assert isinstance(duration, Duration)
    assert duration.minutes == 20
    assert duration.describe() == "20 minutes"
    assert Duration(Decimal("3.7")).describe() == "3 hours 42 minutes"
    assert Duration(Decimal(1)).describe() == "1 hour"
    assert Duration(Decimal(0)).describe() == "no time"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("90", "minutes, hours or days"),
        ("1001 hours", "more than 1,000 hours"),
        ("136 days", "more than 1,000 hours"),  # 136 × 7.4 = 1,006.4 hours
        ("2 hours 3 hours", "each unit once"),
        ("-2 hours", "couldn't read that as a length of time"),
        ("a while", "couldn't read"),
        ("2 months", "couldn't read"),
    ],
)
def test_duration_failures(text: str, says: str) -> None:
    result = failure(parse_duration(text))
    assert says in result.message


# --- how often -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_year"),
    [
        ("3 a week", "156"),  # 3 × 52
        ("10 per month", "120"),  # 10 × 12
        ("daily", "260"),  # 5 working days × 52
        ("every day", "365"),
        ("every weekday", "260"),
        ("twice a year", "2"),
        ("once a quarter", "4"),
        ("weekly", "52"),
        ("monthly", "12"),
        ("fortnightly", "26"),
        ("annually", "1"),
        ("hourly", "1924"),  # 7.4 hours × 5 days × 52 weeks
        ("5 times a day", "1300"),  # 5 × 260 working days
        ("200 a year", "200"),
        ("once", "1"),
        ("one-off", "1"),
        ("3x per week", "156"),
        ("3/week", "156"),
        ("twice daily", "520"),
        ("every 2 weeks", "26"),
        ("every other week", "26"),
        ("every 3 months", "4"),
        ("every monday", "52"),
        ("every Monday and Thursday", "104"),
        ("three times a week", "156"),
        ("about 10 a month", "120"),
        ("never", "0"),
        ("100000 a year", "100000"),
    ],
)
def test_frequency_examples(text: str, per_year: str) -> None:
    frequency = parse_frequency(text)
    assert isinstance(frequency, Frequency)
    assert frequency.per_year == Decimal(per_year)


def test_frequency_settings() -> None:
    # 3 a week over 46 weeks = 138; daily with a 4-day week over 46 weeks = 184
    assert parse_frequency("3 a week", weeks_per_year=Decimal(46)) == Frequency(
        Decimal(138), "3 times a week", "46 weeks a year"
    )
    daily = parse_frequency("daily", weeks_per_year=Decimal(46), working_days_per_week=4)
    assert isinstance(daily, Frequency)
    assert daily.per_year == 184


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("3 a week", "3 times a week (156 times a year, taking 52 weeks a year)"),
        ("daily", "once a working day (260 times a year, taking 5 working days a week and 52 weeks a year)"),
        ("every day", "every day (365 times a year)"),
        ("twice a year", "twice a year"),
        ("once a quarter", "once a quarter (4 times a year)"),
        (
            "hourly",
            "once a working hour (1,924 times a year, "
            "taking 7.4-hour working days, 5 days a week and 52 weeks a year)",
        ),
        ("once", "once (counted as once a year)"),
        ("every 2 weeks", "every 2 weeks (26 times a year, taking 52 weeks a year)"),
    ],
)
def test_frequency_describe(text: str, description: str) -> None:
    frequency = parse_frequency(text)
    assert isinstance(frequency, Frequency)
    assert frequency.describe() == description


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("12", "how often"),
        ("60 times an hour", "more than 100,000 times a year"),
        ("every 0 weeks", "more than zero"),
        ("sometimes", "couldn't read that as how often"),
        ("3 weekly", "couldn't read"),  # could mean every 3 weeks: ask
    ],
)
def test_frequency_failures(text: str, says: str) -> None:
    assert says in failure(parse_frequency(text)).message


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next Tuesday", date(2026, 3, 10)),  # the first Tuesday after today
        ("Tuesday", date(2026, 3, 10)),
        ("on Friday", date(2026, 3, 6)),
        ("wed", date(2026, 3, 4)),
        ("Tuesday week", date(2026, 3, 17)),
        ("in 2 weeks", date(2026, 3, 17)),
        ("in two weeks", date(2026, 3, 17)),
        ("in 3 days", date(2026, 3, 6)),
        ("in a month", date(2026, 4, 3)),
        ("next month", date(2026, 4, 3)),
        ("in 2 weeks' time", date(2026, 3, 17)),
        ("tomorrow", date(2026, 3, 4)),
        ("today", date(2026, 3, 3)),
        ("3 March", date(2026, 3, 3)),
        ("March 3", date(2026, 3, 3)),
        ("3/3/2026", date(2026, 3, 3)),
        ("2026-03-03", date(2026, 3, 3)),
        ("3rd March 2027", date(2027, 3, 3)),
        ("2 March", date(2027, 3, 2)),  # no year: the next 2 March on or after today
        ("the 14th of April", date(2026, 4, 14)),
        ("Monday 9 March", date(2026, 3, 9)),
        ("5/4", date(2026, 4, 5)),  # day first
        ("5.4.26", date(2026, 4, 5)),
        ("Sept 1st", date(2026, 9, 1)),
    ],
)
def test_date_examples(text: str, expected: date) -> None:
    assert parse_date(text, today=TUESDAY) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2/3/2026", "That date is in the past (today is Tuesday 3 March 2026)"),
        ("2026-01-01", "in the past"),
        ("5 March 2027", "more than a year away"),  # 367 days ahead; 366 is the limit
        ("in 13 months", "more than a year away"),
        ("in 99999 years", "more than a year away"),
        ("29 February", "more than a year away"),  # the next is 29 February 2028
        ("31 April", "no such date"),
        ("0.20", "no such date"),  # day 0 of month 20, not a US-style date to swap
        ("29/2/2027", "There's no 29 February in 2027"),
        ("3/14", "day first"),
        ("Tuesday 9 March", "9 March 2026 is a Monday, not a Tuesday"),
        ("soon", "couldn't read that as a date"),
    ],
)
def test_date_failures(text: str, says: str) -> None:
    result = failure(parse_date(text, today=TUESDAY))
    assert says in result.message
    assert "17 March" in result.examples or "14/3" in result.examples


def test_date_limit_is_inclusive() -> None:
    assert parse_date("4 March 2027", today=TUESDAY) == date(2027, 3, 4)  # exactly 366 days
    assert (
        "more than 30 days away"
        in failure(parse_date("in 5 weeks", today=TUESDAY, max_days_ahead=30)).message
    )


# --- cadences, scores, yes/no, counts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cadence"),
    [
        ("every week", "weekly"),
        ("weekly", "weekly"),
        ("once a week", "weekly"),
        ("every 2 weeks", "fortnightly"),
        ("every two weeks", "fortnightly"),
        ("every other week", "fortnightly"),
        ("biweekly", "fortnightly"),
        ("bi-weekly", "fortnightly"),
        ("fortnightly", "fortnightly"),
        ("every 14 days", "fortnightly"),
        ("each month", "monthly"),
        ("Monthly.", "monthly"),
    ],
)
def test_cadence_examples(text: str, cadence: str) -> None:
    assert parse_cadence(text) == cadence


@pytest.mark.parametrize("text", ["every 4 weeks", "daily", "every day", "quarterly", ""])
def test_cadence_failures(text: str) -> None:
    assert "weekly, fortnightly or monthly" in failure(parse_cadence(text)).message


@pytest.mark.parametrize(
    ("text", "score"),
    [("3", 3), ("3/5", 3), ("three", 3), ("4 out of 5", 4), ("5 of 5", 5), ("1", 1), ("3️⃣", 3), (":four:", 4)],
)
def test_scale_examples(text: str, score: int) -> None:
    assert parse_scale(text) == score


@pytest.mark.parametrize("text", ["0", "6", "2.5", "4 out of 10", "high", "-3", ""])
def test_scale_failures(text: str) -> None:
    result = failure(parse_scale(text))
    assert "from 1 to 5" in result.message


def test_scale_other_ranges() -> None:
    assert parse_scale("7/10", 1, 10) == 7
    assert parse_scale("0", 0, 3) == 0
    assert "from 0 to 3" in failure(parse_scale("4", 0, 3)).message


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        *[(word, True) for word in ("yes", "y", "Yeah", "yep", "yup", "sure", "OK", "YES!", ":+1:", "👍")],
        *[(word, False) for word in ("no", "n", "nope", "nah", "not yet", "No.", "not really", ":-1:")],
        ("Yes, it affects every service", True),
        ("no - only housing", False),
    ],
)
def test_yes_no_examples(text: str, answer: bool) -> None:
    assert parse_yes_no(text) is answer


@pytest.mark.parametrize("text", ["maybe", "no idea", "yesterday", "", "nobody"])
def test_yes_no_failures(text: str) -> None:
    assert failure(parse_yes_no(text)).message == "Please answer yes or no."


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("3", 3),
        ("three", 3),
        ("a dozen", 12),
        ("half a dozen", 6),
        ("twenty-five", 25),
        ("two hundred and fifty", 250),
        ("about 20 people", 20),
        ("5 staff", 5),
        ("1,000", 1000),
        ("just me", 1),
        ("10000", 10_000),
    ],
)
def test_count_examples(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0", "from 1 to 10,000"),
        ("10001", "from 1 to 10,000"),
        ("2.5", "whole number"),
        ("2-3", "one number"),
    ],
)
def test_count_failures(text: str, says: str) -> None:
    assert says in failure(parse_count(text)).message


# --- never raises, whatever the text -------------------------------------------------------------------

PARSERS: dict[str, Callable[..., Any]] = {
    "money": parse_money,
    "direct cost": parse_direct_cost,
    "duration": parse_duration,
    "frequency": parse_frequency,
    "date": lambda text, **kw: parse_date(text, today=TUESDAY, **kw),
    "cadence": parse_cadence,
    "scale": parse_scale,
    "yes/no": parse_yes_no,
    "count": parse_count,
}
VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    "money": Decimal,
    "direct cost": DirectCost,
    "duration": Duration,
    "frequency": Frequency,
    "date": date,
    "cadence": str,
    "scale": int,
    "yes/no": bool,
    "count": int,
}

TOKENS = [
    *"£$€-.,/:~+&'`*_",
    *[
        "k",
        "m",
        "bn",
        "p",
        "pence",
        "gbp",
        "pounds",
        "million",
        "a",
        "an",
        "per",
        "each",
        "every",
        "other",
        "times",
        "x",
        "of",
        "and",
    ],
    *[
        "week",
        "weeks",
        "month",
        "year",
        "day",
        "days",
        "hour",
        "hours",
        "h",
        "mins",
        "minutes",
        "half",
        "quarter",
        "next",
        "in",
        "this",
    ],
    *[
        "tuesday",
        "March",
        "feb",
        "sept",
        "29",
        "31",
        "0",
        "1",
        "3",
        "12",
        "2026",
        "9999",
        "once",
        "twice",
        "daily",
        "yes",
        "no",
        "about",
    ],
    *["one", "twenty", "hundred", "thousand", "dozen", "couple"],
    "99999999999999999999999999999999999999",
    "1e9",
    "NaN",
    "-Infinity",
    "sNaN",
    "½",
    "１２",
    "٣",
    "🎉",
    "👍",
    ":+1:",
    ":three:",
    "\u200b",
    "\ufe0f",
    "\n",
    "ǅ",
    "ﷺ",
]
adversarial = st.tuples(
    st.lists(
        st.sampled_from(TOKENS) | st.from_regex(r"[0-9]{1,30}(?:[.,][0-9]{1,6}){0,3}", fullmatch=True),
        max_size=10,
    ),
    st.sampled_from(["", " ", "  "]),
).map(lambda parts: parts[1].join(parts[0]))
huge_numbers = st.one_of(
    st.integers(min_value=0, max_value=10**60).map(lambda n: f"£{n:,}"),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)


def check_any_text(text: str) -> None:
    """Every parser gives a value or a failure, in each language: the same value whatever the
    language of the session, and a failure whose examples are each accepted; the Welsh failure is
    written in Welsh (not the English message) and offers Welsh examples."""
    for name, parse in PARSERS.items():
        result = parse(text)
        if isinstance(result, ParseFailure):
            welsh = parse(text, locale="cy")
            assert isinstance(welsh, ParseFailure), (name, welsh)
            assert welsh.message != result.message, (name, welsh.message)
            for failure in (result, welsh):
                assert failure.message.strip(), name
                assert len(failure.examples) >= 2, name
                for example in failure.examples:  # every example offered is itself accepted
                    assert not isinstance(parse(example), ParseFailure), (name, example)
        else:
            assert isinstance(result, VALUE_TYPES[name]), (name, result)
            assert parse(text, locale="cy") == result, name


@settings(max_examples=150)
@given(st.text(max_size=300))
def test_any_unicode_text_gives_a_value_or_a_failure(text: str) -> None:
    check_any_text(text)


@settings(max_examples=300)
@given(adversarial)
def test_adversarial_text_gives_a_value_or_a_failure(text: str) -> None:
    check_any_text(text)


@given(huge_numbers)
def test_huge_and_odd_numbers_give_a_value_or_a_failure(text: str) -> None:
    check_any_text(text)


@pytest.mark.parametrize(
    "text", ["9" * 10_000, "£" + "9" * 10_000, "a " * 5_000, "🎉" * 10_000, "1," * 5_000, "\n" * 10_000]
)
def test_very_long_replies_are_refused_plainly(text: str) -> None:
    check_any_text(text)
    assert isinstance(parse_money(text), ParseFailure)


@given(adversarial | st.text(max_size=50))
def test_values_respect_the_limits(text: str) -> None:
    money = parse_money(text)
    if isinstance(money, Decimal):
        assert 0 <= money <= 1_000_000_000
    cost = parse_direct_cost(text)
    if isinstance(cost, DirectCost):
        assert 0 <= cost.amount <= 1_000_000_000
    duration = parse_duration(text)
    if isinstance(duration, Duration):
        assert 0 <= duration.hours <= 1000
    frequency = parse_frequency(text)
    if isinstance(frequency, Frequency):
        assert 0 <= frequency.per_year <= 100_000
    count = parse_count(text)
    if isinstance(count, int):
        assert 1 <= count <= 10_000


@given(adversarial | st.text(max_size=50), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_dates_are_never_past_nor_too_far(text: str, today: date) -> None:
    result = parse_date(text, today=today)
    if isinstance(result, date):
        assert today <= result <= today + timedelta(days=366)


# --- round trips ---------------------------------------------------------------------------------------


@given(st.decimals(min_value=0, max_value=1_000_000_000, places=2))
def test_money_round_trip(amount: Decimal) -> None:
    assert parse_money(f"£{amount:,.2f}") == amount
    assert parse_money(f"{amount} pounds") == amount
    assert parse_money(format_pounds(amount)) == Decimal(format_pounds(amount)[1:].replace(",", ""))
    assert parse_direct_cost(f"£{amount:,} a year") == DirectCost(amount, "per_year")


@given(st.integers(min_value=0, max_value=60_000))
def test_duration_round_trip(minutes: int) -> None:
    duration = parse_duration(f"{minutes} minutes")
    assert isinstance(duration, Duration)
    assert duration.minutes == minutes
    assert parse_duration(duration.describe()) == duration
    assert parse_duration(duration.describe("cy")) == duration  # "2 awr 30 munud", "2 funud"


@given(
    st.decimals(min_value=0, max_value=250, places=2),  # 250 every day is under 100,000 a year
    st.sampled_from(["a week", "per month", "a day", "a year", "a quarter", "a fortnight", "every day"]),
)
def test_frequency_label_round_trip(count: Decimal, period: str) -> None:
    frequency = parse_frequency(f"{count} times {period}")
    assert isinstance(frequency, Frequency) and frequency.reading is not None
    assert frequency.reading.label() == frequency.label
    for label in (frequency.label, frequency.reading.label("cy")):
        again = parse_frequency(label)
        assert isinstance(again, Frequency), label
        assert again.per_year == frequency.per_year


@given(
    st.sampled_from(
        ["every 2 weeks", "every other month", "every 3 working days", "hourly", "once", "never"]
    ),
)
def test_frequency_special_labels_round_trip(text: str) -> None:
    frequency = parse_frequency(text)
    assert isinstance(frequency, Frequency) and frequency.reading is not None
    for label in (frequency.label, frequency.reading.label("cy")):
        again = parse_frequency(label)
        assert isinstance(again, Frequency), label
        assert again.per_year == frequency.per_year


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=364)
)
def test_date_round_trip(today: date, days_ahead: int) -> None:
    day = today + timedelta(days=days_ahead)
    month = MONTHS[day.month - 1]
    for text in (day.isoformat(), f"{day.day}/{day.month}/{day.year}", f"{day.day} {month} {day.year}"):
        assert parse_date(text, today=today) == day
    assert parse_date(f"{day.day} {month}", today=today) == day  # within a year: no year needed
    assert parse_date(f"{month} {day.day}", today=today) == day


@pytest.mark.parametrize("cadence", get_args(Cadence))
def test_cadence_round_trip(cadence: str) -> None:
    assert parse_cadence(cadence) == cadence


UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
]
UNITS += ["sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell(n: int) -> str:
    """British English words for 1 to 9,999, written independently of the parser."""
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    words = []
    if thousands:
        words.append(f"{UNITS[thousands]} thousand")
    if hundreds:
        words.append(f"{UNITS[hundreds]} hundred")
    if below:
        if words:
            words.append("and")
        tens, units = divmod(below, 10)
        words.append(UNITS[below] if below < 20 else TENS[tens] + (f"-{UNITS[units]}" if units else ""))
    return " ".join(words)


@given(st.integers(min_value=1, max_value=9_999))
def test_count_round_trip(n: int) -> None:
    assert parse_count(f"{n:,}") == n
    assert parse_count(f"{n} people") == n
    assert parse_count(spell(n)) == n


@given(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=20))
def test_scale_round_trip(low: int, span: int) -> None:
    high = low + span
    for score in range(low, high + 1):
        assert parse_scale(str(score), low, high) == score
        assert parse_scale(f"{score}/{high}", low, high) == score
        assert parse_scale(f"{score} out of {high}", low, high) == score
    assert isinstance(parse_scale(str(high + 1), low, high), ParseFailure)
