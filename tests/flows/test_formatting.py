"""Dates, money, numbers, lists and plurals in English and Welsh, from Babel's CLDR data with the few
changes a council's style needs; everything the bot writes, its parsers read back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flows.costs import format_pounds
from flows.formatting import (
    format_date,
    format_day,
    format_day_month,
    format_day_time,
    format_list,
    format_money,
    format_number,
    format_unit,
    plural,
    plural_category,
)
from flows.parsing import parse_date, parse_money

TUESDAY = date(2026, 12, 8)
# Written independently of Babel, as the Welsh Government writes them.
DIAU = ["dydd Llun", "dydd Mawrth", "dydd Mercher", "dydd Iau", "dydd Gwener", "dydd Sadwrn", "dydd Sul"]
MISOEDD = ["Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi"]
MISOEDD += ["Hydref", "Tachwedd", "Rhagfyr"]


def test_a_day_in_each_language() -> None:
    assert format_day(TUESDAY, "en") == "Tuesday 8 December 2026"
    assert format_day(TUESDAY, "cy") == "dydd Mawrth 8 Rhagfyr 2026"
    assert format_day(TUESDAY, "cy", sentence_start=True) == "Dydd Mawrth 8 Rhagfyr 2026"
    assert format_date(TUESDAY, "en") == "8 December 2026"
    assert format_date(TUESDAY, "cy") == "8 Rhagfyr 2026"
    assert format_day(TUESDAY, "fr") == "Tuesday 8 December 2026"  # no such locale here: English


def test_every_welsh_weekday_and_month() -> None:
    for offset in range(7):
        day = date(2026, 12, 7) + timedelta(days=offset)  # Monday 7 December onwards
        assert format_day(day, "cy").startswith(DIAU[offset] + " "), day
    for month in range(1, 13):
        assert format_date(date(2026, month, 1), "cy") == f"1 {MISOEDD[month - 1]} 2026"


def test_day_and_time() -> None:
    moment = datetime(2026, 12, 8, 10, 0)
    assert format_day_time(moment, "en") == "Tuesday 8 December 2026, 10:00"
    assert format_day_time(moment, "cy") == "dydd Mawrth 8 Rhagfyr 2026, 10:00"


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=0, max_value=365),
    st.sampled_from(["en", "cy"]),
    st.booleans(),
)
@example(date(2026, 3, 3), 280, "cy", False)
def test_the_bot_reads_back_every_day_it_writes(today: date, ahead: int, locale: str, start: bool) -> None:
    day = today + timedelta(days=ahead)
    assert parse_date(format_day(day, locale, sentence_start=start), today=today) == day
    assert parse_date(format_date(day, locale), today=today) == day


@pytest.mark.parametrize("locale", ["en", "cy"])
@pytest.mark.parametrize(
    ("amount", "text"),
    [("1200", "£1,200"), ("32.5", "£32.50"), ("0", "£0"), ("-5", "-£5"), ("0.5", "£0.50")],
)
def test_money(locale: str, amount: str, text: str) -> None:
    assert format_money(Decimal(amount), locale) == text


def test_whole_pounds_round_half_up_and_never_show_minus_zero() -> None:
    assert format_money(Decimal("1200.5"), whole_pounds=True) == "£1,201"
    assert format_money(Decimal("-0.4"), whole_pounds=True) == "£0"
    assert format_money(Decimal("-0.001")) == "£0"


@given(
    st.decimals(min_value=-1_000_000_000, max_value=1_000_000_000, places=2), st.sampled_from(["en", "cy"])
)
def test_money_reads_back_and_whole_pounds_match_the_summaries(amount: Decimal, locale: str) -> None:
    if amount >= 0:
        assert parse_money(format_money(amount, locale)) == amount
    pounds = int(amount.to_integral_value(rounding="ROUND_HALF_UP"))
    assert format_money(amount, locale, whole_pounds=True) == f"{'-' if pounds < 0 else ''}£{abs(pounds):,}"
    assert format_pounds(amount, locale) == format_money(amount, locale, whole_pounds=True)


def test_numbers() -> None:
    assert format_number(Decimal("1924"), "cy") == "1,924"
    assert format_number(Decimal("2.50"), "en") == "2.5"
    assert format_number(Decimal("0.083333"), "en") == "0.083333"
    assert format_number(7) == "7"


def test_welsh_plural_categories() -> None:
    assert [plural_category(n, "cy") for n in (0, 1, 2, 3, 4, 6, 10)] == [
        "zero",
        "one",
        "two",
        "few",
        "other",
        "many",
        "other",
    ]
    assert [plural_category(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]


def test_plural_picks_the_form_and_falls_back_to_other() -> None:
    lines = {"one": "{n} linell gostau", "two": "{n} linell gostau", "other": "{n} llinell gostau"}
    assert plural(1, lines, "cy") == "1 linell gostau"
    assert plural(2, lines, "cy") == "2 linell gostau"
    assert plural(3, lines, "cy") == "3 llinell gostau"
    assert plural(1000, {"one": "{n} cost line", "other": "{n} cost lines"}) == "1,000 cost lines"
    assert plural(1, {"one": "{n} cost line", "other": "{n} cost lines"}) == "1 cost line"


def test_units_of_time_mutate_in_welsh() -> None:
    assert [format_unit(n, "day", "cy") for n in (1, 2, 3)] == ["1 diwrnod", "2 ddiwrnod", "3 diwrnod"]
    assert [format_unit(n, "year", "cy") for n in (1, 2, 3, 4, 5)] == [
        "1 flwyddyn",
        "2 flynedd",
        "3 blynedd",
        "4 blynedd",
        "5 mlynedd",
    ]
    assert format_unit(2, "minute", "cy") == "2 funud"
    assert format_unit(Decimal("2.5"), "hour", "en") == "2.5 hours"
    assert format_unit(1000, "day", "en") == "1,000 days"


def test_lists() -> None:
    assert format_list(["residents", "staff", "council services"]) == "residents, staff and council services"
    assert format_list(["trigolion", "staff", "gwasanaethau'r cyngor"], "cy") == (
        "trigolion, staff a gwasanaethau'r cyngor"
    )
    assert format_list(["staff", "arweinwyr"], "cy") == "staff ac arweinwyr"
    assert format_list(["weekly", "monthly"], "en", style="or") == "weekly or monthly"
    assert format_list(["wythnosol", "misol"], "cy", style="or") == "wythnosol neu misol"
    assert format_list([], "cy") == ""
    assert format_list(["a(c)", "b"], "en") == "a(c) and b"


def test_a_day_in_the_coming_weeks_has_no_year() -> None:
    assert format_day_month(TUESDAY, "en") == "Tuesday 8 December"
    assert format_day_month(TUESDAY, "cy") == "dydd Mawrth 8 Rhagfyr"
    assert format_day_month(TUESDAY, "cy", sentence_start=True) == "Dydd Mawrth 8 Rhagfyr"
