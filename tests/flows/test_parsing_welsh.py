"""Welsh in typed answers: numbers, units, periods and dates read to the same values as their English
forms, English replies are untouched by the Welsh reading, and no Welsh text makes a parser raise."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

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
)
from flows.welsh import to_english
from tests.flows.test_parsing import TOKENS, check_any_text

TUESDAY = date(2026, 3, 3)  # a Tuesday


def per_year(text: str) -> Decimal:
    result = parse_frequency(text)
    assert isinstance(result, Frequency), (text, result)
    return result.per_year


def hours(text: str) -> Decimal:
    result = parse_duration(text)
    assert isinstance(result, Duration), (text, result)
    return result.hours


# --- the forms people type --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("welsh", "english"),
    [
        ("3 yr wythnos", "3 a week"),
        ("3 gwaith yr wythnos", "3 times a week"),
        ("dair gwaith y mis", "3 times a month"),
        ("bob dydd", "every day"),
        ("dyddiol", "daily"),
        ("yn ddyddiol", "daily"),
        ("bob diwrnod gwaith", "every working day"),
        ("3 y dydd", "3 a day"),
        ("unwaith y mis", "once a month"),
        ("ddwywaith y flwyddyn", "twice a year"),
        ("teirgwaith y dydd", "3 times a day"),
        ("10 y mis", "10 per month"),
        ("bob wythnos", "weekly"),
        ("bob pythefnos", "fortnightly"),
        ("bob chwarter", "quarterly"),
        ("bob yn ail wythnos", "every other week"),
        ("bob 3 mis", "every 3 months"),
        ("bob dydd Llun", "every Monday"),
        ("bob dydd Llun a dydd Mercher", "every Monday and Wednesday"),
        ("bob awr", "hourly"),
        ("tua 20 y flwyddyn", "about 20 a year"),
        ("pum gwaith y flwyddyn", "5 times a year"),
        ("dau ddeg gwaith y mis", "20 times a month"),
        ("unwaith", "once"),
        ("dim", "never"),
        ("byth", "never"),
    ],
)
def test_frequency_in_welsh(welsh: str, english: str) -> None:
    assert per_year(welsh) == per_year(english)


@pytest.mark.parametrize(
    ("welsh", "english"),
    [
        ("hanner diwrnod", "half a day"),
        ("hanner awr", "half an hour"),
        ("awr", "1 hour"),
        ("awran", "1 hour"),
        ("awr a hanner", "1.5 hours"),
        ("dwy awr a hanner", "2.5 hours"),
        ("2 awr 30 munud", "2h 30m"),
        ("2 awr a 30 munud", "2h 30m"),
        ("45 munud", "45 minutes"),
        ("pum munud", "5 minutes"),
        ("deg munud", "10 minutes"),
        ("chwarter awr", "15 minutes"),
        ("tri chwarter awr", "45 minutes"),
        ("diwrnod", "1 day"),
        ("2 ddiwrnod", "2 days"),
        ("dau ddiwrnod a hanner", "2.5 days"),
        ("3 diwrnod gwaith", "3 working days"),
        ("wythnos", "1 week"),
        ("tua awr", "1 hour"),
        ("90 eiliad", "90 seconds"),
        ("dim amser", "none"),
    ],
)
def test_duration_in_welsh(welsh: str, english: str) -> None:
    assert hours(welsh) == hours(english)


@pytest.mark.parametrize(
    ("welsh", "pounds"),
    [
        ("£1,200", "1200"),
        ("mil o bunnoedd", "1000"),
        ("pum cant o bunnoedd", "500"),
        ("dwy fil o bunnoedd", "2000"),
        ("pum punt", "5"),
        ("50 ceiniog", "0.50"),
        ("tua £300", "300"),
        ("dim", "0"),
        ("am ddim", "0"),
    ],
)
def test_money_in_welsh(welsh: str, pounds: str) -> None:
    assert parse_money(welsh) == Decimal(pounds)


def test_a_thousand_after_digits_is_not_guessed() -> None:
    # "£3 mil" is £3,000 in Welsh but "3 mil" is sometimes 3 million in English: refuse, don't guess.
    assert isinstance(parse_money("£3 mil"), ParseFailure)


@pytest.mark.parametrize(
    ("welsh", "english"),
    [
        ("£1,200 y mis", "£1,200 a month"),
        ("£12 bob tro", "£12 each time"),
        ("£12 y tro", "£12 each time"),
        ("£20 fesul tro", "£20 each time"),
        ("£5 yr un", "£5 each"),
        ("£3.5k y flwyddyn", "£3.5k a year"),
        ("£1,200 yn flynyddol", "£1,200 a year"),
        ("£40 yr wythnos", "£40 a week"),
        ("£100 y chwarter", "£100 a quarter"),
        ("£10 y dydd", "£10 a day"),
        ("£100 bob mis", "£100 a month"),
        ("dim", "none"),
    ],
)
def test_direct_cost_in_welsh(welsh: str, english: str) -> None:
    assert parse_direct_cost(welsh) == parse_direct_cost(english)
    assert isinstance(parse_direct_cost(welsh), DirectCost)


@pytest.mark.parametrize(
    ("welsh", "count"),
    [
        ("tri", 3),
        ("un", 1),
        ("5 o bobl", 5),
        ("dau ddeg o bobl", 20),
        ("tua 20 o bobl", 20),
        ("3 o staff", 3),
        ("pedwar swyddog", 4),
        ("dau berson", 2),
        ("fi", 1),
        ("dim ond fi", 1),
        ("deuddeg", 12),
        ("un ar ddeg", 11),
        ("dau ar bymtheg", 17),
        ("hanner cant", 50),
        ("hanner dwsin", 6),
        ("dwsin", 12),
        ("cant a phump", 105),
        ("tair mil pum cant", 3500),
    ],
)
def test_count_in_welsh(welsh: str, count: int) -> None:
    assert parse_count(welsh) == count


def test_scale_in_welsh() -> None:
    assert parse_scale("tri") == 3
    assert parse_scale("4 allan o 5") == 4


@pytest.mark.parametrize(
    ("welsh", "cadence"),
    [
        ("bob wythnos", "weekly"),
        ("wythnosol", "weekly"),
        ("unwaith yr wythnos", "weekly"),
        ("bob pythefnos", "fortnightly"),
        ("pythefnosol", "fortnightly"),
        ("bob yn ail wythnos", "fortnightly"),
        ("bob 2 wythnos", "fortnightly"),
        ("bob mis", "monthly"),
        ("yn fisol", "monthly"),
        ("unwaith y mis", "monthly"),
    ],
)
def test_cadence_in_welsh(welsh: str, cadence: str) -> None:
    assert parse_cadence(welsh) == cadence


@pytest.mark.parametrize(
    ("welsh", "expected"),
    [
        ("heddiw", TUESDAY),
        ("yfory", date(2026, 3, 4)),
        ("drennydd", date(2026, 3, 5)),
        ("dydd Mawrth nesaf", date(2026, 3, 10)),
        ("dydd Mawrth nesa", date(2026, 3, 10)),
        ("dydd Mawrth", date(2026, 3, 10)),
        ("ddydd Gwener", date(2026, 3, 6)),
        ("ar ddydd Gwener", date(2026, 3, 6)),
        ("dydd Gwener yma", date(2026, 3, 6)),
        ("erbyn dydd Gwener", date(2026, 3, 6)),
        ("wythnos i ddydd Gwener", date(2026, 3, 13)),
        ("dydd Mawrth ar ôl nesaf", date(2026, 3, 17)),
        ("mewn pythefnos", date(2026, 3, 17)),
        ("ymhen pythefnos", date(2026, 3, 17)),
        ("mewn pythefnos o heddiw", date(2026, 3, 17)),
        ("mewn wythnos", date(2026, 3, 10)),
        ("mewn 2 wythnos", date(2026, 3, 17)),
        ("mewn dwy wythnos", date(2026, 3, 17)),
        ("mewn mis", date(2026, 4, 3)),
        ("ymhen 3 mis", date(2026, 6, 3)),
        ("wythnos nesaf", date(2026, 3, 10)),
        ("y mis nesaf", date(2026, 4, 3)),
        ("12 Mawrth", date(2026, 3, 12)),
        ("12fed Mawrth", date(2026, 3, 12)),
        ("1af Mehefin", date(2026, 6, 1)),
        ("3ydd Mai 2026", date(2026, 5, 3)),
        ("ar 12 Ebrill", date(2026, 4, 12)),
        ("12 Chwef", date(2027, 2, 12)),
        ("dydd Mawrth 8 Rhagfyr 2026", date(2026, 12, 8)),
        ("Dydd Mawrth, 8 Rhagfyr 2026", date(2026, 12, 8)),
    ],
)
def test_dates_in_welsh(welsh: str, expected: date) -> None:
    assert parse_date(welsh, today=TUESDAY) == expected


def test_a_welsh_date_with_the_wrong_weekday_is_refused() -> None:
    assert isinstance(parse_date("dydd Llun 8 Rhagfyr 2026", today=TUESDAY), ParseFailure)


# --- properties ---------------------------------------------------------------------------------------------

UNITS = ["", "un", "dau", "tri", "pedwar", "pump", "chwech", "saith", "wyth", "naw"]
HUNDREDS = ["", "cant", "dau gant", "tri chant", "pedwar cant", "pum cant", "chwe chant", "saith cant"]
HUNDREDS += ["wyth cant", "naw cant"]
THOUSANDS = ["", "mil", "dwy fil", "tair mil", "pedair mil", "pum mil", "chwe mil", "saith mil", "wyth mil"]
THOUSANDS += ["naw mil"]
TENS = ["", "un deg", "dau ddeg", "tri deg", "pedwar deg", "pum deg", "chwe deg", "saith deg", "wyth deg"]
TENS += ["naw deg"]


def spell_welsh(n: int) -> str:
    """Welsh words for 1 to 9,999 in the decimal system taught in schools, written independently of the
    parser: 12 is "un deg dau", 25 "dau ddeg pump", 1,205 "mil dau gant pump"."""
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    tens, units = divmod(below, 10)
    parts = [THOUSANDS[thousands], HUNDREDS[hundreds], TENS[tens], UNITS[units]]
    return " ".join(part for part in parts if part)


@given(st.integers(min_value=1, max_value=9_999))
@example(2)
@example(12)
@example(100)
@example(1000)
@example(1001)
@example(2020)
def test_welsh_number_words_round_trip(n: int) -> None:
    assert parse_count(spell_welsh(n)) == n
    assert parse_count(f"{spell_welsh(n)} o bobl") == n


PERIODS = [
    ("yr wythnos", "a week"),
    ("y mis", "a month"),
    ("y flwyddyn", "a year"),
    ("y dydd", "a day"),
    ("y diwrnod", "a day"),
    ("y pythefnos", "a fortnight"),
    ("y chwarter", "a quarter"),
    ("bob wythnos", "every week"),
    ("bob mis", "every month"),
    ("bob blwyddyn", "every year"),
    ("bob dydd", "every day"),
]


@given(st.integers(min_value=1, max_value=200), st.sampled_from(PERIODS), st.booleans())
def test_welsh_frequency_equals_the_english(count: int, period: tuple[str, str], times: bool) -> None:
    welsh, english = period
    gwaith = " gwaith" if times else ""
    assert parse_frequency(f"{count}{gwaith} {welsh}") == parse_frequency(f"{count} times {english}")


@given(st.decimals(min_value=0, max_value=1_000_000, places=2), st.sampled_from(PERIODS[:7]))
@example(Decimal("1200"), ("y mis", "a month"))
def test_welsh_direct_cost_equals_the_english(amount: Decimal, period: tuple[str, str]) -> None:
    welsh, english = period
    assert parse_direct_cost(f"£{amount:,} {welsh}") == parse_direct_cost(f"£{amount:,} {english}")


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=59))
def test_welsh_hours_and_minutes_equal_the_english(whole_hours: int, minutes: int) -> None:
    english = parse_duration(f"{whole_hours} hours {minutes} minutes")
    assert parse_duration(f"{whole_hours} awr {minutes} munud") == english
    assert parse_duration(f"{whole_hours} awr a {minutes} munud") == english


WEEKDAYS = [("Llun", "Monday"), ("Mawrth", "Tuesday"), ("Mercher", "Wednesday"), ("Iau", "Thursday")]
WEEKDAYS += [("Gwener", "Friday"), ("Sadwrn", "Saturday"), ("Sul", "Sunday")]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.sampled_from(WEEKDAYS))
def test_welsh_weekdays_equal_the_english(today: date, weekday: tuple[str, str]) -> None:
    welsh, english = weekday
    assert parse_date(f"dydd {welsh} nesaf", today=today) == parse_date(f"next {english}", today=today)
    assert parse_date(f"ddydd {welsh}", today=today) == parse_date(english, today=today)
    assert parse_date(f"wythnos i ddydd {welsh}", today=today) == parse_date(f"{english} week", today=today)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=1, max_value=12),
    st.sampled_from([("wythnos", "weeks"), ("mis", "months"), ("diwrnod", "days")]),
)
def test_welsh_in_so_long_equals_the_english(today: date, count: int, unit: tuple[str, str]) -> None:
    welsh, english = unit
    assert parse_date(f"mewn {count} {welsh}", today=today) == parse_date(
        f"in {count} {english}", today=today
    )
    assert parse_date(f"ymhen {count} {welsh}", today=today) == parse_date(
        f"in {count} {english}", today=today
    )


ENGLISH_TOKENS = [t for t in TOKENS if t.isascii() and t.strip() and t == t.lower()]


@given(st.lists(st.sampled_from(ENGLISH_TOKENS) | st.from_regex(r"[0-9]{1,6}", fullmatch=True), max_size=8))
@example(["3", "a", "week"])
@example(["every", "other", "month"])
@example(["half", "a", "day"])
def test_english_replies_pass_the_welsh_reading_unchanged(tokens: list[str]) -> None:
    text = " ".join(tokens)
    assert to_english(text) == text


WELSH_TOKENS = [
    *["yr", "y", "bob", "pob", "mewn", "ymhen", "nesaf", "yma", "ar", "ol", "i", "o", "a", "ac", "gwaith"],
    *["wythnos", "mis", "flwyddyn", "dydd", "ddydd", "diwrnod", "awr", "munud", "hanner", "chwarter", "tro"],
    *["un", "dau", "dwy", "tair", "deg", "ddeg", "cant", "mil", "fil", "ar", "ddeg", "bymtheg", "unwaith"],
    *["llun", "mawrth", "mai", "rhagfyr", "heddiw", "yfory", "dim", "fi", "bobl", "bunnoedd", "tua", "erbyn"],
    *["1af", "3ydd", "£", "k", "9", "12", "2026", "."],
]


@given(st.lists(st.sampled_from(WELSH_TOKENS) | st.from_regex(r"[0-9]{1,8}", fullmatch=True), max_size=10))
@example(["mil", "mil", "mil"])
@example(["ar", "ddeg"])
@example(["dau", "ar"])
@example(["cant", "a", "a"])
def test_welsh_text_gives_a_value_or_a_failure(tokens: list[str]) -> None:
    check_any_text(" ".join(tokens))


@given(st.lists(st.sampled_from(WELSH_TOKENS), max_size=10), st.dates(min_value=date(2000, 1, 1)))
def test_welsh_dates_are_never_past_nor_too_far(tokens: list[str], today: date) -> None:
    found = parse_date(" ".join(tokens), today=today)
    if isinstance(found, date):
        assert today <= found <= today + timedelta(days=366)
