"""What a time taken or a frequency was read as, in the reader's language: stored with its numbers when
parsed, written in English or Welsh when shown, so an answer typed in Welsh reads in English to an
English reader and the other way round. Answers stored before the numbers were kept still show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flows import words
from flows.engine import ReplyContext, display_value, parse_answer
from flows.parsing import (
    PERIODS,
    Duration,
    Frequency,
    FrequencyReading,
    ParseFailure,
    describe_frequency,
    examples,
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
from flows.readback import stored_reading
from flows.schema import Step, StepKind, load_templates
from flows.summary import shown_value

CTX = ReplyContext(today=date(2026, 11, 25), hourly_rate=Decimal(30))
CTX_CY = ReplyContext(today=date(2026, 11, 25), hourly_rate=Decimal(30), locale="cy")
ENGLISH_WEEKLY = "3 times a week (156 times a year, taking 52 weeks a year)"
WELSH_WEEKLY = "3 gwaith yr wythnos (156 gwaith y flwyddyn, ar sail 52 wythnos y flwyddyn)"


def _step(kind: StepKind) -> Step:
    template = load_templates()["cost-impacts"]
    return next(s for node in template.steps for s in getattr(node, "steps", [node]) if s.kind is kind)


def _stored(kind: StepKind, text: str, ctx: ReplyContext) -> dict[str, object]:
    step = _step(kind)
    value = parse_answer(step, text, {}, ctx)
    assert isinstance(value, dict), value
    return value


@pytest.mark.parametrize("typed_in", [CTX, CTX_CY])
def test_a_frequency_reads_in_the_readers_language_whatever_it_was_typed_in(typed_in: ReplyContext) -> None:
    typed = "3 gwaith yr wythnos" if typed_in.locale == "cy" else "3 a week"
    value = _stored(StepKind.FREQUENCY, typed, typed_in)
    assert value["text"] == ENGLISH_WEEKLY  # the English reading, as answers have always stored it
    assert display_value(value, StepKind.FREQUENCY, "en") == ENGLISH_WEEKLY
    assert display_value(value, StepKind.FREQUENCY, "cy") == WELSH_WEEKLY
    assert shown_value(_step(StepKind.FREQUENCY), value, "cy") == WELSH_WEEKLY


@pytest.mark.parametrize("typed_in", [CTX, CTX_CY])
def test_a_time_taken_reads_in_the_readers_language(typed_in: ReplyContext) -> None:
    typed = "2 awr 30 munud" if typed_in.locale == "cy" else "2h 30m"
    value = _stored(StepKind.DURATION, typed, typed_in)
    assert display_value(value, StepKind.DURATION, "en") == "2 hours 30 minutes"
    assert display_value(value, StepKind.DURATION, "cy") == "2 awr 30 munud"


def test_a_welsh_session_is_told_why_a_reply_was_refused_in_welsh() -> None:
    refused = parse_answer(_step(StepKind.FREQUENCY), "3", {}, CTX_CY)
    assert isinstance(refused, ParseFailure)
    assert refused.message.startswith("Dywedwch pa mor aml")
    assert refused.examples == ("3 yr wythnos", "10 y mis", "200 y flwyddyn")
    never = parse_answer(_step(StepKind.FREQUENCY), "byth", {}, CTX_CY)
    assert isinstance(never, ParseFailure) and never.examples == ("3 yr wythnos", "10 y mis")
    english = parse_answer(_step(StepKind.FREQUENCY), "3", {}, CTX)
    assert isinstance(english, ParseFailure)
    assert english.message == "Please say how often: that many times a week, a month or a year?"


@pytest.mark.parametrize(
    ("value", "english", "welsh"),
    [
        # Stored before the numbers were kept: the English reading, read again for a Welsh reader.
        ({"per_year": "156", "text": ENGLISH_WEEKLY}, ENGLISH_WEEKLY, WELSH_WEEKLY),
        (
            {"per_year": "365", "text": "every day (365 times a year)"},
            None,
            "bob dydd (365 gwaith y flwyddyn)",
        ),
        (
            {"per_year": "1", "text": "once (counted as once a year)"},
            None,
            "unwaith (wedi'i gyfrif fel unwaith y flwyddyn)",
        ),
        # Taken on 46 weeks a year: the words alone give another figure, so the English stays.
        (
            {"per_year": "138", "text": "3 times a week (138 times a year, taking 46 weeks a year)"},
            None,
            "3 times a week (138 times a year, taking 46 weeks a year)",
        ),
        (
            {"per_year": "52", "text": "weekly"},
            "weekly",
            "unwaith yr wythnos (52 gwaith y flwyddyn, ar sail 52 wythnos y flwyddyn)",
        ),
        ({"hours": "2.5", "text": "2 hours 30 minutes"}, None, "2 awr 30 munud"),
        ({"hours": "1.5"}, "1 hour 30 minutes", "1 awr 30 munud"),
    ],
)
def test_answers_stored_before_readings_were_kept_still_show(
    value: dict[str, str], english: str | None, welsh: str
) -> None:
    assert stored_reading(value, "en") == (english or value["text"])
    assert stored_reading(value, "cy") == welsh


@pytest.mark.parametrize(
    "value",
    [
        {"per_year": "156", "text": "x", "reading": {"period": "fortnightly"}},
        {"per_year": "156", "text": "x", "reading": {"count": "NaN", "period": "week", "gap": "1"}},
        {"per_year": "156", "text": "x", "reading": "3 a week"},
        {"per_year": "Infinity", "text": "x"},
        {"hours": "-1", "text": "x"},
    ],
)
def test_a_damaged_reading_falls_back_to_the_stored_text(value: dict[str, object]) -> None:
    assert stored_reading(value, "cy") == "x"
    assert stored_reading(value, "en") == "x"


def test_other_values_have_no_reading() -> None:
    for value in ({"item": 1, "text": "Root"}, {"amount": "40", "basis": "per_year"}, "3", None):
        assert stored_reading(value, "cy") is None


readings = st.builds(
    FrequencyReading,
    count=st.decimals(min_value=Decimal("0.01"), max_value=200, places=2),
    period=st.sampled_from(PERIODS),
    gap=st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal("1.5")]),
    weeks_per_year=st.integers(min_value=40, max_value=52).map(Decimal),
    working_days_per_week=st.integers(min_value=1, max_value=7),
    working_day_hours=st.sampled_from([Decimal("7.4"), Decimal("7.5"), Decimal(8), Decimal("3.25")]),
)


@given(readings)
@example(FrequencyReading(Decimal(2), "month", Decimal(2)))  # "dwywaith bob 2 fis"
@example(FrequencyReading(Decimal(1), "calendar day", Decimal(2)))  # "bob 2 ddiwrnod"
def test_a_reading_in_either_language_parses_back_to_the_same_figure(reading: FrequencyReading) -> None:
    settings = {
        "weeks_per_year": reading.weeks_per_year,
        "working_days_per_week": reading.working_days_per_week,
        "working_day_hours": reading.working_day_hours,
    }
    first = parse_frequency(reading.label(), **settings)
    if isinstance(first, ParseFailure):  # over 100,000 a year: refused in both languages alike
        assert isinstance(parse_frequency(reading.label("cy"), **settings), ParseFailure)
        return
    assert first.reading == reading
    for locale in ("en", "cy"):
        again = parse_frequency(reading.label(locale), **settings)
        assert isinstance(again, Frequency), (locale, reading.label(locale))
        assert again.per_year == first.per_year
        assert describe_frequency(first.per_year, reading, locale).startswith(reading.label(locale))
    assert FrequencyReading.from_json(reading.to_json()) == reading


@given(st.integers(min_value=0, max_value=3_600_000))
def test_a_time_in_either_language_parses_back_to_the_same_time(seconds: int) -> None:
    duration = Duration(Decimal(seconds) / 3600)
    for locale in ("en", "cy"):
        again = parse_duration(duration.describe(locale))
        assert isinstance(again, Duration), duration.describe(locale)
        assert abs(again.hours - duration.hours) < Decimal("0.000001")


@given(
    st.dictionaries(
        st.sampled_from(
            ["count", "period", "gap", "weeks_per_year", "working_days_per_week", "working_day_hours", "x"]
        ),
        st.text(max_size=8) | st.sampled_from(PERIODS),
    )
)
def test_any_stored_reading_is_read_or_refused_without_raising(raw: dict[str, str]) -> None:
    reading = FrequencyReading.from_json(raw)
    if reading is not None:
        for locale in ("en", "cy"):
            assert reading.label(locale) and isinstance(reading.assumption(locale), str)


EXAMPLE_PARSERS = {
    "money": parse_money,
    "direct_cost": parse_direct_cost,
    "duration": parse_duration,
    "duration_units": parse_duration,
    "duration_parts": parse_duration,
    "frequency": parse_frequency,
    "frequency_periods": parse_frequency,
    "frequency_zero": parse_frequency,
    "date": lambda text: parse_date(text, today=date(2026, 11, 25)),
    "cadence": parse_cadence,
    "scale": parse_scale,
    "yes_no": parse_yes_no,
    "count": parse_count,
}


@pytest.mark.parametrize("locale", ["en", "cy"])
@pytest.mark.parametrize("name", [*EXAMPLE_PARSERS, "pick"])
def test_every_example_a_refusal_offers_is_accepted(name: str, locale: str) -> None:
    offered = examples(
        name, locale, day_month="9 Rhagfyr" if locale == "cy" else "9 December", middle=3, high=5
    )
    assert len(offered) >= 2
    for text in offered:
        if name == "pick":  # "yes" takes the suggested item, or a number picks one
            assert words.is_confirmation(text) or text.isdecimal(), text
        else:
            assert not isinstance(EXAMPLE_PARSERS[name](text), ParseFailure), (name, text)


def test_a_bilingual_refusal_is_welsh_then_english() -> None:
    """A session posting in both languages refuses a reply in both, Welsh first, each with its own words
    (not the Welsh word for "an amount of money" inside the English)."""
    refused = parse_money("x" * 300, locale="cy+en")
    assert isinstance(refused, ParseFailure)
    welsh, english = refused.message.split("\n")
    assert welsh == parse_money("x" * 300, locale="cy").message
    assert english == parse_money("x" * 300).message
    assert "swm o arian" in welsh and "an amount of money" in english
    assert refused.examples == examples("money", "cy")
