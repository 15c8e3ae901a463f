"""Parsers for the answers people type: money, time taken, how often, dates, check-in cadences, scores,
yes or no, and how many people.

Every parser takes the raw reply and returns either the value or a :class:`ParseFailure` that says in
plain words what was expected, with examples, in the ``locale`` it is given (the messages and examples
are catalogue keys, ``parse_*``, in English and Welsh). None of them raises, whatever it is given: the flow
engine shows the failure and keeps the prompt, so a typo never costs a session. Limits (money up to
£1bn, a time up to 1,000 hours, up to 100,000 times a year) stop a slip of the keyboard from becoming a
cost nobody would believe, and the failure says what the limit is.

Money and hours are :class:`~decimal.Decimal`, never float. Replies are read leniently: case, spacing,
Slack's formatting marks, curly quotes, full-width digits, number words ("three", "a dozen") and hedges
("about £300", "roughly 2 hours") are all accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal

from dateutil.relativedelta import relativedelta

from flows import welsh, words
from flows.formatting import (
    Unit,
    format_date,
    format_day,
    format_number,
    format_unit,
    month_name,
    plural_category,
)
from flows.formatting import weekday_name as _weekday_name
from flows.i18n import BILINGUAL, DEFAULT_LOCALE, WELSH, bilingual, language_of, t

if TYPE_CHECKING:
    from flows.calendar import Cadence

MAX_REPLY_CHARS: Final = 200
MAX_MONEY: Final = Decimal(1_000_000_000)
MAX_HOURS: Final = Decimal(1000)
MAX_PER_YEAR: Final = Decimal(100_000)
DAYS_IN_YEAR: Final = Decimal(365)

_PENNY = Decimal("0.01")


@dataclass(frozen=True)
class ParseFailure:
    """Why a reply could not be read: ``message`` says what is expected, ``examples`` show replies that
    would be accepted."""

    message: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class DirectCost:
    """Money spent directly (fees, postage, licences), either each time the thing happens or per year.

    Weekly, monthly and similar amounts are turned into a yearly amount when parsed, so the cost maths
    only ever sees these two bases."""

    amount: Decimal
    basis: Literal["per_occurrence", "per_year"] = "per_occurrence"
    # False when the reply named no period ("£1,200"): "each time" was assumed, and is worth asking.
    # Not part of the value: two costs are equal when their amount and basis are.
    basis_stated: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class Duration:
    """Time taken, in hours (a day counts as one working day of hours)."""

    hours: Decimal

    @property
    def minutes(self) -> Decimal:
        """The same duration in minutes, to a millionth of a minute (20 minutes is 1/3 hour, which a
        decimal cannot hold exactly)."""
        return _trim((self.hours * 60).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))

    def describe(self, locale: str = DEFAULT_LOCALE) -> str:
        """Hours, minutes and seconds as a person would say them, e.g. ``"2 hours 30 minutes"``,
        ``"2 awr 30 munud"`` (the units' words and mutations are CLDR's)."""
        seconds = int((self.hours * 3600).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if seconds == 0:
            return t("parse_reading_no_time", language_of(locale))
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts: list[tuple[int, Unit]] = [(hours, "hour"), (minutes, "minute"), (seconds, "second")]
        return " ".join(format_unit(n, unit, language_of(locale)) for n, unit in parts if n)


# The periods a frequency is counted in, as :class:`FrequencyReading` stores them.
Period = Literal[
    "working hour", "working day", "calendar day", "week", "fortnight", "month", "quarter", "year"
]
PERIODS: Final[tuple[Period, ...]] = (
    "working hour", "working day", "calendar day", "week", "fortnight", "month", "quarter", "year"
)  # fmt: skip


@dataclass(frozen=True)
class FrequencyReading:
    """What a frequency reply said, in numbers, so it can be read back in any language: ``count``
    times (``"once"`` and ``"never"`` are readings of their own) every ``gap`` ``period``s, with the
    working pattern the yearly figure was taken on."""

    count: Decimal
    period: Period | Literal["once", "never"]
    gap: Decimal = Decimal(1)
    weeks_per_year: Decimal = Decimal(52)
    working_days_per_week: int = 5
    working_day_hours: Decimal = Decimal("7.4")

    def to_json(self) -> dict[str, str]:
        return {
            "count": str(self.count),
            "period": self.period,
            "gap": str(self.gap),
            "weeks_per_year": str(self.weeks_per_year),
            "working_days_per_week": str(self.working_days_per_week),
            "working_day_hours": str(self.working_day_hours),
        }

    @classmethod
    def from_json(cls, raw: object) -> FrequencyReading | None:
        """The reading stored with an answer, or None when there is none or it cannot be read (answers
        stored before readings were kept have only their English text)."""
        if not isinstance(raw, dict):
            return None
        period = raw.get("period")
        if period not in (*PERIODS, "once", "never"):
            return None
        try:
            reading = cls(
                Decimal(str(raw["count"])),
                period,
                Decimal(str(raw["gap"])),
                Decimal(str(raw["weeks_per_year"])),
                int(str(raw["working_days_per_week"])),
                Decimal(str(raw["working_day_hours"])),
            )
        except (KeyError, ArithmeticError, ValueError):
            return None
        numbers = (reading.count, reading.gap, reading.weeks_per_year, reading.working_day_hours)
        if not all(n.is_finite() and n >= 0 for n in numbers) or reading.gap == 0:
            return None
        return reading

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        """The reading in words, which parses back to the same yearly figure: ``3 times a week``,
        ``3 gwaith yr wythnos``, ``every 2 weeks``, ``bob 2 wythnos``."""
        return _label(self, language_of(locale))

    def assumption(self, locale: str = DEFAULT_LOCALE) -> str:
        """What the yearly figure rests on ("52 weeks a year"), empty when nothing does."""
        return _assumption(self, language_of(locale))


# Readings repeat (most answers are a few times a week or a month): each is written once per language.
@lru_cache(maxsize=1024)
def _label(reading: FrequencyReading, locale: str) -> str:
    if reading.period in ("once", "never"):
        return t(f"parse_reading_{reading.period}", locale)
    per = reading.period.replace(" ", "_")
    if reading.gap != 1:
        category = plural_category(reading.gap, locale)
        key = f"parse_gap_{per}_two" if category == "two" and per in _GAPS_TWO else f"parse_gap_{per}"
        every = t("parse_every_gap", locale, gap=t(key, locale, n=format_number(reading.gap, locale)))
        if reading.count == 1:
            return every
        return t("parse_times_per", locale, times=_times(reading.count, locale), per=every)
    if reading.count == 1 and reading.period == "calendar day":
        return t("parse_per_calendar_day", locale)
    per_period = t(f"parse_per_{per}", locale)
    return t("parse_times_per", locale, times=_times(reading.count, locale), per=per_period)


@lru_cache(maxsize=1024)
def _assumption(reading: FrequencyReading, locale: str) -> str:
    weeks = format_number(_trim(reading.weeks_per_year), locale)
    days = format_number(reading.working_days_per_week, locale)
    if reading.period == "working hour":
        hours = format_number(_trim(reading.working_day_hours), locale)
        return t("parse_assume_working_hours", locale, hours=hours, days=days, weeks=weeks)
    if reading.period == "working day":
        return t("parse_assume_working_days", locale, days=days, weeks=weeks)
    if reading.period in ("week", "fortnight"):
        return t("parse_assume_weeks", locale, weeks=weeks)
    return ""


# The periods whose Welsh word mutates after "2" ("2 fis", "2 ddiwrnod", "2 flynedd").
_GAPS_TWO: Final = frozenset({"working_day", "calendar_day", "month", "year"})


@dataclass(frozen=True)
class Frequency:
    """How often something happens, as a number of times a year.

    ``label`` is the reading in words ("3 times a week") and parses back to the same ``per_year``;
    ``assumption`` names what the yearly figure rests on ("52 weeks a year"), empty when nothing does.
    Both are English; ``reading`` holds the numbers they were written from, to write them in another
    language (:meth:`describe`).
    """

    per_year: Decimal
    label: str
    assumption: str = ""
    # Not part of the value: two frequencies are equal when their yearly figure and English reading are.
    reading: FrequencyReading | None = field(default=None, compare=False)

    def describe(self, locale: str = DEFAULT_LOCALE) -> str:
        """The reading and the yearly figure it gives, e.g.
        ``"3 times a week (156 times a year, taking 52 weeks a year)"``."""
        if self.reading is None:
            if language_of(locale) != DEFAULT_LOCALE:
                return describe_frequency(self.per_year, None, locale)
            return _describe(
                self.per_year, self.label, self.assumption, DEFAULT_LOCALE, once=self.label == "once"
            )
        return describe_frequency(self.per_year, self.reading, locale)


def describe_frequency(
    per_year: Decimal, reading: FrequencyReading | None, locale: str = DEFAULT_LOCALE
) -> str:
    """A frequency as :meth:`Frequency.describe` writes it, from its stored numbers, in ``locale``;
    without a reading, the yearly figure alone ("156 times a year")."""
    locale = language_of(locale)
    if reading is None:
        return _yearly(per_year, locale)
    once = reading.period == "once"
    return _describe(per_year, reading.label(locale), reading.assumption(locale), locale, once=once)


def _yearly(per_year: Decimal, locale: str) -> str:
    times = _times(per_year.quantize(_PENNY, rounding=ROUND_HALF_UP), locale)
    return t("parse_times_per", locale, times=times, per=t("parse_per_year", locale))


def _describe(per_year: Decimal, label: str, assumption: str, locale: str, *, once: bool) -> str:
    yearly = _yearly(per_year, locale)
    if label == yearly or label == t("parse_reading_never", locale):
        return label
    if once:
        return t("parse_reading_once_counted", locale)
    detail = (
        t("parse_reading_assumed", locale, yearly=yearly, assumption=assumption) if assumption else yearly
    )
    return t("parse_reading_described", locale, reading=label, detail=detail)


# --- shared reading of replies -------------------------------------------------------------------------

_FRACTIONS = {"½": ".5", "¼": ".25", "¾": ".75"}
_FRACTION_AFTER_DIGIT = {symbol: re.compile(rf"(?<=[0-9]){symbol}") for symbol in _FRACTIONS}
_PUNCTUATION = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-") | {"’": "'", "‘": "'", "“": '"', "”": '"'})
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe0f\u20e3]|:skin-tone-[0-9]:")
# Slack sends emoji in message text as :shortcodes:; people answer scores and yes/no with them.
_EMOJI = {
    **{f":{word}:": str(n) for n, word in enumerate(("zero", "one", "two", "three", "four", "five"))},
    **{f":{word}:": str(n) for n, word in enumerate(("six", "seven", "eight", "nine"), start=6)},
    ":keycap_ten:": "10",
    ":+1:": "yes",
    ":thumbsup:": "yes",
    ":white_check_mark:": "yes",
    ":heavy_check_mark:": "yes",
    "👍": "yes",
    "✅": "yes",
    ":-1:": "no",
    ":thumbsdown:": "no",
    ":x:": "no",
    "👎": "no",
    "❌": "no",
}
_SPACES = re.compile(r"\s+")
_LEADING = " `'\"*_"
_TRAILING = " `'\"*_.!?"

_HEDGE = re.compile(
    r"^(?:(?:about|around|approximately|approx\.?|roughly|circa|c\.|~|nearly|almost|maybe|probably|"
    r"perhaps|estimated|est\.|up to|at least|at most|just over|just under|over|under|more than|"
    r"less than)(?![a-z])\s*)+"
)

_SMALL_NUMBERS = {
    word: n
    for n, word in enumerate(
        [
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
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    word: 10 * n
    for n, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
_NUMBER_WORD = "|".join(
    sorted([*_SMALL_NUMBERS, *_TENS, "hundred", "thousand", "dozen"], key=len, reverse=True)
)
_WORD_RUN = re.compile(
    rf"(?<![a-z0-9])(?:an?\s+(?=(?:hundred|thousand|dozen)(?![a-z])))?(?:{_NUMBER_WORD})"
    rf"(?:(?:\s+and\s+|\s*-\s*|\s+)(?:{_NUMBER_WORD}))*(?![a-z])"
)
_HALF_DOZEN = re.compile(r"(?<![a-z])half\s+a\s+dozen(?![a-z])")
_COUPLE = re.compile(r"(?<![a-z])(?:a\s+)?couple(?:\s+of)?(?![a-z])")

# A number with optional thousands separators and decimals: 1200, 1,200, 1,200.50, .5
_NUMBER = r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)"
_NUMBER_ONLY = re.compile(_NUMBER)


def _clean(text: str) -> str:
    """The reply in one canonical form: NFKC, lower case, no accents, plain dashes and quotes, single
    spaces, without Slack's formatting marks or trailing punctuation, with emoji shortcodes read as words
    and Welsh numbers, units and dates in the English forms the parsers read (:mod:`flows.welsh`)."""
    for symbol, decimals in _FRACTIONS.items():
        text = _FRACTION_AFTER_DIGIT[symbol].sub(decimals, text).replace(symbol, "0" + decimals)
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).casefold()
    text = _INVISIBLE.sub("", text)
    for code, word in _EMOJI.items():
        text = text.replace(code, f" {word} ")
    text = _SPACES.sub(" ", words.strip_accents(text)).lstrip(_LEADING).rstrip(_TRAILING)
    return welsh.to_english(text)


def _word_run_value(run: str) -> int | None:
    """The number a run of number words spells ("two hundred and fifty", "a dozen", "twenty-five"), or
    None when the words do not make a well-formed number ("one two")."""
    total = group = 0
    previous = "start"
    for word in re.split(r"[\s-]+", run):
        if previous == "dozen":
            return None
        if word in ("a", "an"):
            if previous != "start":
                return None
            group, previous = 1, "a"
        elif word == "and":
            if previous not in ("hundred", "thousand"):
                return None
            previous = "and"
        elif word in _SMALL_NUMBERS:
            value = _SMALL_NUMBERS[word]
            after_tens = previous == "tens" and 0 < value < 10
            if not (previous in ("start", "hundred", "and", "thousand") or after_tens):
                return None
            if value == 0 and previous != "start":
                return None
            group, previous = group + value, "small"
        elif word in _TENS:
            if previous not in ("start", "hundred", "and", "thousand"):
                return None
            group, previous = group + _TENS[word], "tens"
        elif word == "hundred":
            if previous not in ("small", "a") or not 0 < group < 10:
                return None
            group, previous = group * 100, "hundred"
        elif word == "thousand":
            if previous not in ("small", "tens", "hundred", "a") or total or not group:
                return None
            total, group, previous = group * 1000, 0, "thousand"
        else:  # "dozen", the only other word the run pattern lets through
            if previous not in ("small", "tens", "a") or total or not group:
                return None
            group, previous = group * 12, "dozen"
    if previous in ("a", "and"):
        return None
    return total + group


def _numbers_from_words(text: str) -> str:
    """``text`` with spelt-out numbers in digits ("three" → "3", "a dozen" → "12"); words that do not
    make a number are left alone, so the parser that follows rejects them."""

    def digits(match: re.Match[str]) -> str:
        value = _word_run_value(match.group())
        return match.group() if value is None else str(value)

    text = _COUPLE.sub("2", _HALF_DOZEN.sub("6", text))
    return _WORD_RUN.sub(digits, text)


def _prepare(text: str, *, hedges: bool = True) -> str:
    """Cleaned, with number words as digits and (for estimates) a leading "about" or "~" dropped."""
    cleaned = _numbers_from_words(_clean(text))
    return _HEDGE.sub("", cleaned).strip() if hedges else cleaned


def _to_decimal(number: str) -> Decimal:
    """A string matched by ``_NUMBER`` as a Decimal (never NaN or infinite: the pattern has only digits)."""
    return Decimal(number.replace(",", ""))


def _trim(value: Decimal) -> Decimal:
    """``value`` without trailing zeros after the point, and never in exponent form (90.000 → 90)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _plain(value: Decimal) -> str:
    """A number as a person writes it: ``1,924``, ``2.5``."""
    return f"{_trim(value):,f}"


def _times(count: Decimal, locale: str = DEFAULT_LOCALE) -> str:
    """``once``, ``twice``, ``3 times`` (``unwaith``, ``dwywaith``, ``3 gwaith``)."""
    if count == 1:
        return t("parse_times_once", locale)
    if count == 2:
        return t("parse_times_twice", locale)
    return t("parse_times", locale, n=format_number(_trim(count), locale))


def examples(name: str, locale: str = DEFAULT_LOCALE, **values: object) -> tuple[str, ...]:
    """The replies offered as examples with a failure (catalogue key ``parse_examples_<name>``, the
    examples separated by ``|``), each accepted by the parser that offers it."""
    text = t(f"parse_examples_{name}", language_of(locale), **values)
    return tuple(part.strip() for part in text.split("|"))


@dataclass(frozen=True)
class _Words:
    """A value that is itself a catalogue key, written in each language of the message it goes in."""

    key: str


def _failure(key: str, examples: tuple[str, ...], locale: str, **values: object) -> ParseFailure:
    """The failure whose message is catalogue key ``parse_<key>``, in ``locale``; for a bilingual
    locale, the Welsh message then the English (the examples, like any figures, are the Welsh ones)."""

    def message(language: str) -> str:
        words = {name: t(v.key, language) if isinstance(v, _Words) else v for name, v in values.items()}
        return t(f"parse_{key}", language, **words)

    if locale == BILINGUAL:
        return ParseFailure(bilingual(message(WELSH), message(DEFAULT_LOCALE)), examples)
    return ParseFailure(message(language_of(locale)), examples)


def _too_long(what: str, examples: tuple[str, ...], locale: str) -> ParseFailure:
    """A reply too long to read as ``what`` (catalogue key ``parse_what_<what>``)."""
    limit = format_number(MAX_REPLY_CHARS, language_of(locale))
    return _failure("too_long", examples, locale, what=_Words(f"parse_what_{what}"), limit=limit)


# --- money -------------------------------------------------------------------------------------------

MONEY_EXAMPLES: Final = examples("money")
_MONEY_PATTERN = rf"""
    (?P<minus>-\s*)?
    (?:(?P<symbol>£|gbp)\s*)?
    (?P<minus_after_symbol>-\s*)?
    (?P<number>{_NUMBER})
    \s*(?P<multiplier>k|thousand|grand|mn|m|million|bn|billion)?
    (?:\s*(?P<unit>pounds?|quid|gbp|sterling|pence|p))?
"""
_MONEY = re.compile(_MONEY_PATTERN, re.VERBOSE)
_MULTIPLIERS = {
    "k": Decimal(1000),
    "thousand": Decimal(1000),
    "grand": Decimal(1000),
    "m": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}
_NOTHING = frozenset({"none", "nothing", "nil", "free", "no cost", "n/a", "0"})
_FOREIGN_CURRENCY = re.compile(r"[$€¥]|(?<![a-z])(?:usd|eur|euros?|dollars?)(?![a-z])")


def _amount(match: re.Match[str], locale: str) -> Decimal | ParseFailure:
    """The amount in pounds (unrounded) that a ``_MONEY_PATTERN`` match spells."""
    if match["minus"] or match["minus_after_symbol"]:
        return _failure("money_negative", examples("money", locale), locale)
    pence = match["unit"] in ("p", "pence")
    if pence and (match["symbol"] or match["multiplier"]):
        return _failure("money_unreadable", examples("money", locale), locale)
    amount = _to_decimal(match["number"]) * _MULTIPLIERS.get(match["multiplier"] or "", Decimal(1))
    return amount / 100 if pence else amount


def _money_checks(text: str, what: str, locale: str) -> str | ParseFailure:
    """The prepared reply, or the failure for a reply that is too long or in another currency."""
    if len(text) > MAX_REPLY_CHARS:
        return _too_long(what, examples("money", locale), locale)
    cleaned = _prepare(text)
    if _FOREIGN_CURRENCY.search(cleaned):
        return _failure("money_foreign", examples("money", locale), locale)
    return cleaned


def parse_money(text: str, *, locale: str = DEFAULT_LOCALE) -> Decimal | ParseFailure:
    """An amount in pounds, to the penny: ``£1,200``, ``£3.5k``, ``1.2 million``, ``GBP 300``, ``50p``."""
    cleaned = _money_checks(text, "money", locale)
    if isinstance(cleaned, ParseFailure):
        return cleaned
    if cleaned in _NOTHING:
        return Decimal("0.00")
    match = _MONEY.fullmatch(cleaned)
    if match is None:
        return _failure("money_unreadable", examples("money", locale), locale)
    amount = _amount(match, locale)
    if isinstance(amount, ParseFailure):
        return amount
    if amount > MAX_MONEY:
        return _failure("money_too_much", examples("money", locale), locale)
    return amount.quantize(_PENNY, rounding=ROUND_HALF_UP)


DIRECT_COST_EXAMPLES: Final = examples("direct_cost")
_PER = r"(?:per|a|an|each|every|for\s+each|in\s+an?|/)"
_DIRECT_COST = re.compile(
    _MONEY_PATTERN
    + rf"""
    (?:\s*,?\s*(?:
        (?P<occurrence>(?:{_PER}\s*)?(?:time|occurrence|instance|go)|each)
      | {_PER}\s*(?P<period>years?|yrs?|annum|months?|mo|weeks?|wks?|fortnights?|quarters?|
                            working\s+days?|days?)
      | (?P<adverb>annually|yearly|pa|p\.a|p/a|monthly|pcm|weekly|pw|p/w|fortnightly|quarterly|daily)
    ))?
    """,
    re.VERBOSE,
)
_PERIOD_WORDS = {
    "year": "year",
    "yr": "year",
    "annum": "year",
    "annually": "year",
    "yearly": "year",
    "pa": "year",
    "p.a": "year",
    "p/a": "year",
    "month": "month",
    "mo": "month",
    "monthly": "month",
    "pcm": "month",
    "week": "week",
    "wk": "week",
    "weekly": "week",
    "pw": "week",
    "p/w": "week",
    "fortnight": "fortnight",
    "fortnightly": "fortnight",
    "quarter": "quarter",
    "quarterly": "quarter",
    "day": "working day",
    "working day": "working day",
    "daily": "working day",
}


def _period_word(word: str) -> str:
    """The canonical period for a (possibly plural, possibly spaced) period word."""
    word = _SPACES.sub(" ", word)
    return _PERIOD_WORDS.get(word) or _PERIOD_WORDS[word.removesuffix("s")]


def parse_direct_cost(
    text: str,
    *,
    weeks_per_year: Decimal = Decimal(52),
    working_days_per_week: int = 5,
    locale: str = DEFAULT_LOCALE,
) -> DirectCost | ParseFailure:
    """Money spent directly, each time (the default) or per year: ``£40 each time``, ``£1,200 a year``.

    Weekly, fortnightly, monthly, quarterly and daily amounts become a yearly amount (a week counts
    ``weeks_per_year`` times a year, a day is a working day). ``none`` or ``0`` is no direct cost.
    """
    cleaned = _money_checks(text, "direct_cost", locale)
    if isinstance(cleaned, ParseFailure):
        return cleaned
    if cleaned in _NOTHING:
        return DirectCost(Decimal("0.00"))
    match = _DIRECT_COST.fullmatch(cleaned)
    if match is None:
        return _failure("direct_cost_unreadable", examples("direct_cost", locale), locale)
    amount = _amount(match, locale)
    if isinstance(amount, ParseFailure):
        return ParseFailure(amount.message, examples("direct_cost", locale))
    word = match["period"] or match["adverb"]
    stated = word is not None or match["occurrence"] is not None
    if word is None:
        basis: Literal["per_occurrence", "per_year"] = "per_occurrence"
    else:
        basis = "per_year"
        weeks = Decimal(weeks_per_year)
        amount *= {
            "year": Decimal(1),
            "quarter": Decimal(4),
            "month": Decimal(12),
            "fortnight": weeks / 2,
            "week": weeks,
            "working day": weeks * working_days_per_week,
        }[_period_word(word)]
    if amount > MAX_MONEY:
        return _failure("direct_cost_too_much", examples("direct_cost", locale), locale)
    return DirectCost(amount.quantize(_PENNY, rounding=ROUND_HALF_UP), basis, stated)


# --- durations -----------------------------------------------------------------------------------------

DURATION_EXAMPLES: Final = examples("duration")
_DURATION_UNIT = (
    r"(?:working\s+days?|work\s*days?|weeks?|wks?|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)"
)
_DURATION_PART = rf"(?P<number>{_NUMBER})\s*(?P<unit>{_DURATION_UNIT})(?![a-z])"
_ANY_DURATION_PART = rf"{_NUMBER}\s*{_DURATION_UNIT}(?![a-z])"
_DURATION = re.compile(rf"{_ANY_DURATION_PART}(?:\s*(?:,|and|\+|&)?\s*{_ANY_DURATION_PART})*")
_DURATION_PARTS = re.compile(_DURATION_PART)
_HALF = re.compile(r"(?<![a-z0-9.])(?:a\s+)?half\s+(?:an?\s+)?(?=(?:hour|day|working day|week)(?![a-z]))")
_QUARTER = re.compile(
    rf"(?<![a-z0-9.])(?:(?P<count>{_NUMBER}|a)\s+)?quarters?\s+(?:of\s+)?(?:an?\s+)?"
    r"(?=(?:hour|day)(?![a-z]))"
)
_ONE = re.compile(r"(?<![a-z0-9.])an?\s+(?=(?:hour|hr|day|working day|minute|min|week|second)s?(?![a-z]))")
_AND_A_HALF_BEFORE = re.compile(rf"(?P<number>{_NUMBER})\s+and\s+a\s+half\s+(?=[a-z])")
_AND_A_HALF_AFTER = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>{_DURATION_UNIT})\s+and\s+a\s+half$")
_CLOCK = re.compile(r"(?P<hours>[0-9]{1,4}):(?P<minutes>[0-5][0-9])")
_HOURS_THEN_MINUTES = re.compile(r"(?P<hours>[0-9]+)\s*(?:hours?|hrs?|h)\s*(?P<minutes>[0-9]{1,2})")
_NO_TIME = frozenset({"0", "none", "nothing", "nil", "no time"})
_UNIT_SECONDS = {"second": Decimal(1), "minute": Decimal(60), "hour": Decimal(3600)}


def _duration_unit(unit: str) -> str:
    unit = _SPACES.sub("", unit)
    if unit.startswith(("working", "work", "d")):
        return "day"
    if unit.startswith("w"):
        return "week"
    if unit.startswith("h"):
        return "hour"
    if unit.startswith("m"):
        return "minute"
    return "second"


def _half_more(number: str) -> str:
    return _plain(_to_decimal(number) + Decimal("0.5"))


def parse_duration(
    text: str,
    *,
    working_day_hours: Decimal = Decimal("7.4"),
    working_days_per_week: int = 5,
    locale: str = DEFAULT_LOCALE,
) -> Duration | ParseFailure:
    """Time taken: ``2h 30m``, ``45 minutes``, ``1.5 hours``, ``half a day``, ``1 day 2 hours``, ``1:30``.

    A day is a working day of ``working_day_hours`` and a week is ``working_days_per_week`` of them.
    ``0`` or ``none`` is no time at all. A bare number is refused, since it could be hours or minutes.
    """
    if len(text) > MAX_REPLY_CHARS:
        return _too_long("duration", examples("duration", locale), locale)
    cleaned = _prepare(text)
    if cleaned in _NO_TIME:
        return Duration(Decimal(0))
    cleaned = _HALF.sub("0.5 ", cleaned)
    cleaned = _QUARTER.sub(
        lambda m: (
            _plain(Decimal("0.25") * (1 if m["count"] in (None, "a") else _to_decimal(m["count"]))) + " "
        ),
        cleaned,
    )
    cleaned = _ONE.sub("1 ", cleaned)
    cleaned = _AND_A_HALF_BEFORE.sub(lambda m: _half_more(m["number"]) + " ", cleaned)
    cleaned = _AND_A_HALF_AFTER.sub(lambda m: f"{_half_more(m['number'])} {m['unit']}", cleaned)
    if clock := _CLOCK.fullmatch(cleaned) or _HOURS_THEN_MINUTES.fullmatch(cleaned):
        cleaned = f"{clock['hours']} hours {clock['minutes']} minutes"
    if _DURATION.fullmatch(cleaned) is None:
        if _NUMBER_ONLY.fullmatch(cleaned):
            return _failure("duration_unit_missing", examples("duration_units", locale), locale)
        return _failure("duration_unreadable", examples("duration", locale), locale)
    seconds_per = dict(_UNIT_SECONDS)
    seconds_per["day"] = Decimal(working_day_hours) * 3600
    seconds_per["week"] = seconds_per["day"] * working_days_per_week
    seen: set[str] = set()
    seconds = Decimal(0)
    for part in _DURATION_PARTS.finditer(cleaned):
        unit = _duration_unit(part["unit"])
        if unit in seen:
            units = _Words(f"parse_units_{unit}")
            return _failure("duration_twice", examples("duration_parts", locale), locale, units=units)
        seen.add(unit)
        seconds += _to_decimal(part["number"]) * seconds_per[unit]
    hours = seconds / 3600
    if hours > MAX_HOURS:
        return _failure("duration_too_long", examples("duration", locale), locale)
    return Duration(hours)


# --- how often -----------------------------------------------------------------------------------------

FREQUENCY_EXAMPLES: Final = examples("frequency")


@dataclass(frozen=True)
class _Period:
    name: Period
    per_year: Decimal


_FREQUENCY_UNIT = (
    r"(?:calendar\s+days?|working\s+days?|work\s*days?|business\s+days?|weekdays?|days?|"
    r"working\s+hours?|hours?|hrs?|weeks?|wks?|fortnights?|months?|mths?|mos?|quarters?|qtrs?|"
    r"years?|yrs?|annum)"
)
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS: dict[str, int] = {
    **{name: n for n, name in enumerate(_WEEKDAY_NAMES)},
    **{name[:3]: n for n, name in enumerate(_WEEKDAY_NAMES)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_TIMES = rf"(?P<count>{_NUMBER})\s*(?:x|times?)"
_PER_PERIOD = re.compile(
    rf"(?P<count>{_NUMBER})\s*(?:x|times?)?\s*(?P<per>per|a|an|each|every|/|in\s+an?)\s*(?P<unit>{_FREQUENCY_UNIT})"
)
_ADVERB = re.compile(
    rf"(?:{_TIMES}\s*)?(?P<adverb>hourly|daily|weekly|fortnightly|bi-?weekly|monthly|quarterly|annually|"
    r"yearly|per\s+annum|p\.?a|pw)"
)
_EVERY = re.compile(
    rf"(?:{_TIMES}\s*)?(?P<per>every|each)\s+(?:(?P<gap>{_NUMBER}|other|second|third|fourth)\s+)?"
    rf"(?P<unit>{_FREQUENCY_UNIT})"
)
_ON_WEEKDAYS = re.compile(
    rf"(?:(?:every|each|on)\s+)?(?P<days>(?:{_WEEKDAY})s?(?:\s*(?:,|and|&)\s*(?:{_WEEKDAY})s?)*)"
)
_WEEKDAY_WORD = re.compile(rf"(?<![a-z])(?:{_WEEKDAY})(?=s?(?![a-z]))")
_ONCE_ONLY = frozenset({"once", "one-off", "one off", "a one-off", "a one off", "just once", "only once"})
_ONCE_ONLY |= frozenset({"once only", "one time", "one-time", "a single time"})
_NEVER = frozenset({"never", "0", "none", "0 times"})
_TIMES_WORD = re.compile(r"(?<![a-z])(?:once|twice|thrice)(?![a-z])")
_TIMES_COUNTS = {"once": "1 times", "twice": "2 times", "thrice": "3 times"}
_GAP_WORDS = {"other": Decimal(2), "second": Decimal(2), "third": Decimal(3), "fourth": Decimal(4)}


def _periods(
    weeks_per_year: Decimal, working_days_per_week: int, working_day_hours: Decimal
) -> dict[str, _Period]:
    working_days = weeks_per_year * working_days_per_week
    per_year: dict[Period, Decimal] = {
        "working hour": working_days * working_day_hours,
        "working day": working_days,
        "calendar day": DAYS_IN_YEAR,
        "week": weeks_per_year,
        "fortnight": weeks_per_year / 2,
        "month": Decimal(12),
        "quarter": Decimal(4),
        "year": Decimal(1),
    }
    return {name: _Period(name, count) for name, count in per_year.items()}


def _frequency_unit(unit: str, *, every: bool) -> str:
    """The period a unit word names. A plain "day" is a working day ("5 times a day", "daily"), but
    "every day" and "each day" mean every calendar day."""
    unit = _SPACES.sub(" ", unit)
    if unit.startswith("calendar") or (every and unit in ("day", "days")):
        return "calendar day"
    if unit.startswith(("working d", "work d", "workd", "business", "weekday", "day")):
        return "working day"
    if unit.startswith(("working h", "h")):
        return "working hour"
    for prefix, period in (("w", "week"), ("f", "fortnight"), ("m", "month"), ("q", "quarter")):
        if unit.startswith(prefix):
            return period
    return "year"


def _adverb_period(adverb: str) -> str:
    adverb = adverb.replace(" ", "")
    for prefix, period in (
        ("h", "working hour"),
        ("d", "working day"),
        ("f", "fortnight"),
        ("bi", "fortnight"),
    ):
        if adverb.startswith(prefix):
            return period
    for prefix, period in (("w", "week"), ("pw", "week"), ("m", "month"), ("q", "quarter")):
        if adverb.startswith(prefix):
            return period
    return "year"


@dataclass(frozen=True)
class _Pattern:
    """The working pattern a frequency is counted over, and the locale a failure is written in."""

    weeks_per_year: Decimal
    working_days_per_week: int
    working_day_hours: Decimal
    locale: str


def _frequency(
    count: Decimal, period: _Period, pattern: _Pattern, gap: Decimal = Decimal(1)
) -> Frequency | ParseFailure:
    locale = pattern.locale
    if gap == 0:
        return _failure("frequency_gap_zero", examples("frequency", locale), locale)
    per_year = count * period.per_year / gap
    if per_year > MAX_PER_YEAR:
        return _failure("frequency_too_often", examples("frequency", locale), locale)
    reading = FrequencyReading(
        _trim(count),
        period.name,
        _trim(gap),
        _trim(pattern.weeks_per_year),
        pattern.working_days_per_week,
        _trim(pattern.working_day_hours),
    )
    return Frequency(per_year, reading.label(), reading.assumption(), reading)


def _special(period: Literal["once", "never"], pattern: _Pattern) -> Frequency:
    reading = FrequencyReading(
        Decimal(1 if period == "once" else 0),
        period,
        weeks_per_year=_trim(pattern.weeks_per_year),
        working_days_per_week=pattern.working_days_per_week,
        working_day_hours=_trim(pattern.working_day_hours),
    )
    return Frequency(reading.count, reading.label(), "", reading)


def parse_frequency(
    text: str,
    *,
    weeks_per_year: Decimal = Decimal(52),
    working_days_per_week: int = 5,
    working_day_hours: Decimal = Decimal("7.4"),
    locale: str = DEFAULT_LOCALE,
) -> Frequency | ParseFailure:
    """How often something happens: ``3 a week``, ``10 per month``, ``daily``, ``every 2 weeks``,
    ``once a quarter``, ``every Monday``, ``once``.

    "Daily", "a day" and "every weekday" mean working days (``working_days_per_week`` ×
    ``weeks_per_year``); "every day" means all 365; "hourly" means working hours. A one-off ("once")
    counts as once a year. A bare number is refused, since it says nothing about how often.
    """
    if len(text) > MAX_REPLY_CHARS:
        return _too_long("frequency", examples("frequency", locale), locale)
    pattern = _Pattern(Decimal(weeks_per_year), working_days_per_week, Decimal(working_day_hours), locale)
    if _clean(text) in _ONCE_ONLY:  # before "one-off" becomes "1-off"
        return _special("once", pattern)
    cleaned = _prepare(text)
    if cleaned in _NEVER:
        return _special("never", pattern)
    cleaned = _TIMES_WORD.sub(lambda m: _TIMES_COUNTS[m.group()], cleaned)
    periods = _periods(pattern.weeks_per_year, working_days_per_week, pattern.working_day_hours)
    if match := _PER_PERIOD.fullmatch(cleaned):
        every = match["per"] in ("every", "each")
        period = periods[_frequency_unit(match["unit"], every=every)]
        return _frequency(_to_decimal(match["count"]), period, pattern)
    if match := _ADVERB.fullmatch(cleaned):
        count = Decimal(1) if match["count"] is None else _to_decimal(match["count"])
        return _frequency(count, periods[_adverb_period(match["adverb"])], pattern)
    if match := _EVERY.fullmatch(cleaned):
        count = Decimal(1) if match["count"] is None else _to_decimal(match["count"])
        gap = match["gap"]
        gap_value = Decimal(1) if gap is None else _GAP_WORDS.get(gap) or _to_decimal(gap)
        return _frequency(count, periods[_frequency_unit(match["unit"], every=True)], pattern, gap_value)
    if cleaned in ("weekdays", "on weekdays", "working days", "on working days"):
        return _frequency(Decimal(1), periods["working day"], pattern)
    if match := _ON_WEEKDAYS.fullmatch(cleaned):
        days = {_WEEKDAYS[name] for name in _WEEKDAY_WORD.findall(match["days"])}
        return _frequency(Decimal(len(days)), periods["week"], pattern)
    if _NUMBER_ONLY.fullmatch(cleaned):
        return _failure("frequency_period_missing", examples("frequency_periods", locale), locale)
    return _failure("frequency_unreadable", examples("frequency", locale), locale)


# --- dates ---------------------------------------------------------------------------------------------

_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTHS: dict[str, int] = {
    **{name: n for n, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ON_WEEKDAY = rf"(?:(?P<weekday>{_WEEKDAY})\.?,?\s+)?(?:the\s+)?"
_ORDINAL = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(
    rf"{_ON_WEEKDAY}{_ORDINAL}\s*(?:of\s+)?(?P<month_name>{_MONTH})\.?(?:,?\s+(?P<year>[0-9]{{4}}))?"
)
_MONTH_DAY = re.compile(
    rf"(?:(?P<weekday>{_WEEKDAY})\.?,?\s+)?(?P<month_name>{_MONTH})\.?\s+(?:the\s+)?{_ORDINAL}"
    r"(?:,?\s+(?P<year>[0-9]{4}))?"
)
_NUMERIC_DATE = re.compile(
    rf"{_ON_WEEKDAY}(?P<day>[0-9]{{1,2}})(?P<separator>[/.-])(?P<month>[0-9]{{1,2}})"
    r"(?:(?P=separator)(?P<year>[0-9]{4}|[0-9]{2}))?"
)
_ISO_DATE = re.compile(
    r"(?P<year>[0-9]{4})(?P<separator>[-/])(?P<month>[0-9]{1,2})(?P=separator)(?P<day>[0-9]{1,2})"
)
_IN_TIME = re.compile(
    r"(?:in\s+)?(?P<count>[0-9]{1,6}|an?)\s+(?P<unit>days?|weeks?|fortnights?|months?|years?)'?"
    r"(?:\s+(?:from\s+(?:now|today)|time|today))?"
)
_NEXT = re.compile(r"next\s+(?P<unit>week|fortnight|month|year)")
_WEEKDAY_AHEAD = re.compile(
    rf"(?:(?P<which>next|this|coming|this\s+coming|on|on\s+the)\s+)?(?P<weekday>{_WEEKDAY})"
    r"(?P<later>\s+week|\s+after\s+next)?"
)
_DATE_WORDS = re.compile(r"^(?:on|by|from|for|starting)\s+")
_LEAD_DAYS = {"today": 0, "now": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "day after tomorrow": 2}
_LEAD_DAYS["the day after tomorrow"] = 2


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shifted(today: date, unit: str, count: int, locale: str) -> date | ParseFailure:
    """``today`` moved on by ``count`` days, weeks, fortnights, months or years."""
    unit = unit.removesuffix("s")
    try:
        if unit in ("day", "week", "fortnight"):
            return today + timedelta(days=count * {"day": 1, "week": 7, "fortnight": 14}[unit])
        moved: date = today + relativedelta(**{f"{unit}s": count})
    except (OverflowError, ValueError):  # past the year 9999
        return _failure("date_too_far_year", _date_examples(today, locale), locale)
    return moved


def _date_examples(today: date, locale: str) -> tuple[str, ...]:
    later = today + timedelta(days=14)
    day_month = f"{later.day} {month_name(later.month, language_of(locale))}"
    return examples("date", locale, day_month=day_month)


def _explicit_date(match: re.Match[str], today: date, locale: str) -> date | ParseFailure:
    """The date a day-month(-year) match names; without a year, the next such date on or after today."""
    language = language_of(locale)
    examples = _date_examples(today, locale)
    day = int(match["day"])
    named = match.groupdict().get("month_name")
    month = _MONTHS[named] if named else int(match["month"])
    if not named and 1 <= day <= 12 < month <= 31:
        return _failure("date_day_first", (f"{month}/{day}", *examples[:2]), locale, swapped=f"{month}/{day}")
    if not 1 <= month <= 12 or _safe_date(2000, month, day) is None:  # 2000 was a leap year
        return _failure("date_no_such_date", examples, locale)
    if match["year"] is None:
        candidates = (_safe_date(today.year + n, month, day) for n in range(9))
        found = next((c for c in candidates if c is not None and c >= today), None)
        if found is None:  # only 29 February can be missing for 8 years, and only far beyond year 9990
            return _failure("date_none_ahead", examples, locale)
    else:
        year = int(match["year"])
        found = _safe_date(year + 2000 if year < 100 else year, month, day)
        if found is None:
            day_month = f"{day} {month_name(month, language)}"
            return _failure("date_not_in_year", examples, locale, day_month=day_month, year=year)
    weekday = match.groupdict().get("weekday")
    if weekday and _WEEKDAYS[weekday] != found.weekday():
        return _failure(
            "date_wrong_weekday", examples, locale, date=format_date(found, language),
            weekday=_weekday_name(found.weekday(), language),
            typed=_weekday_name(_WEEKDAYS[weekday], language),
        )  # fmt: skip
    return found


def _read_date(cleaned: str, today: date, locale: str) -> date | ParseFailure | None:
    """The date ``cleaned`` names, a failure for a date that cannot exist, or None if it is no date."""
    if cleaned in _LEAD_DAYS:
        return today + timedelta(days=_LEAD_DAYS[cleaned])
    if match := _IN_TIME.fullmatch(cleaned):
        count = 1 if match["count"] in ("a", "an") else int(match["count"])
        return _shifted(today, match["unit"], count, locale)
    if match := _NEXT.fullmatch(cleaned):
        return _shifted(today, match["unit"], 1, locale)
    if match := _WEEKDAY_AHEAD.fullmatch(cleaned):
        weekday = _WEEKDAYS[match["weekday"]]
        if match["which"] == "next" and not match["later"]:
            return _in_next_week(today, weekday)
        return _first_after(today, weekday) + timedelta(days=7 if match["later"] else 0)
    for pattern in (_ISO_DATE, _NUMERIC_DATE, _DAY_MONTH, _MONTH_DAY):
        if match := pattern.fullmatch(cleaned):
            return _explicit_date(match, today, locale)
    return None


def _first_after(today: date, weekday: int) -> date:
    """The first ``weekday`` (0 is Monday) after ``today``: "Tuesday", "this Tuesday"."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _in_next_week(today: date, weekday: int) -> date:
    """``weekday`` in the week (Monday to Sunday) after this one, as "next Tuesday" is meant in the UK:
    said on a Monday it is a week tomorrow, not tomorrow."""
    return today + timedelta(days=7 - today.weekday() + weekday)


def next_weekday_alternative(text: str, *, today: date) -> date | None:
    """When ``text`` is "next <weekday>" (``dydd Mawrth nesaf``) and the weekday also falls later this
    week, that nearer date (which people sometimes mean): the reading back names both. None otherwise."""
    if len(text) > MAX_REPLY_CHARS:
        return None
    match = _WEEKDAY_AHEAD.fullmatch(_DATE_WORDS.sub("", _prepare(text, hedges=False)))
    if match is None or match["which"] != "next" or match["later"]:
        return None
    weekday = _WEEKDAYS[match["weekday"]]
    nearer = _first_after(today, weekday)
    return nearer if nearer != _in_next_week(today, weekday) else None


def parse_date(
    text: str, *, today: date, max_days_ahead: int = 366, locale: str = DEFAULT_LOCALE
) -> date | ParseFailure:
    """A date from today up to ``max_days_ahead`` days ahead: ``tomorrow``, ``next Tuesday``,
    ``in 2 weeks``, ``3 March``, ``March 3``, ``3/3/2026`` (day first), ``2026-03-03``.

    A weekday on its own ("Tuesday", "this Tuesday") is the first one after today; "Tuesday week" is
    seven days after that. "Next Tuesday" is UK usage: the Tuesday of next week (Monday to Sunday), so
    on a Monday it is eight days away (:func:`next_weekday_alternative` gives the nearer reading). A
    day and month without a year is the next such date on or after today.
    """
    language = language_of(locale)
    examples = _date_examples(today, locale)
    if len(text) > MAX_REPLY_CHARS:
        return _too_long("date", examples, locale)
    cleaned = _DATE_WORDS.sub("", _prepare(text, hedges=False))
    found = _read_date(cleaned, today, locale)
    if found is None:
        return _failure("date_unreadable", examples, locale)
    if isinstance(found, ParseFailure):
        return found
    if found < today:
        return _failure("date_past", examples, locale, today=format_day(today, language))
    if (found - today).days > max_days_ahead:
        if max_days_ahead in (365, 366):
            return _failure("date_too_far", examples, locale, date=format_day(found, language))
        return _failure(
            "date_too_far_days", examples, locale, date=format_day(found, language),
            days=format_number(max_days_ahead, language),
        )  # fmt: skip
    return found


# --- check-in cadence ----------------------------------------------------------------------------------

CADENCE_EXAMPLES: Final = examples("cadence")
_CADENCE = re.compile(
    rf"(?:(?:once|1)\s+(?:a|per|every)\s+|(?:every|each|per|a)\s+(?:(?P<gap>{_NUMBER}|other|second)\s+)?)?"
    r"(?P<unit>weeks?|fortnights?|months?|days?)"
)
_CADENCE_ADVERBS: dict[str, Cadence] = {
    "weekly": "weekly",
    "once weekly": "weekly",
    "fortnightly": "fortnightly",
    "biweekly": "fortnightly",
    "bi-weekly": "fortnightly",
    "monthly": "monthly",
    "once monthly": "monthly",
}
_CADENCE_GAPS: dict[tuple[str, Decimal], Cadence] = {
    ("week", Decimal(1)): "weekly",
    ("day", Decimal(7)): "weekly",
    ("week", Decimal(2)): "fortnightly",
    ("fortnight", Decimal(1)): "fortnightly",
    ("day", Decimal(14)): "fortnightly",
    ("month", Decimal(1)): "monthly",
}


def parse_cadence(text: str, *, locale: str = DEFAULT_LOCALE) -> Cadence | ParseFailure:
    """How often to check in: weekly, fortnightly or monthly (``every week``, ``every 2 weeks``,
    ``every other week``, ``biweekly``, ``each month``)."""
    failure = _failure("cadence_unreadable", examples("cadence", locale), locale)
    if len(text) > MAX_REPLY_CHARS:
        return _too_long("cadence", examples("cadence", locale), locale)
    cleaned = _prepare(text, hedges=False)
    if cleaned in _CADENCE_ADVERBS:
        return _CADENCE_ADVERBS[cleaned]
    match = _CADENCE.fullmatch(cleaned)
    if match is None:
        return failure
    gap = match["gap"]
    gap_value = Decimal(1) if gap is None else _GAP_WORDS.get(gap) or _to_decimal(gap)
    return _CADENCE_GAPS.get((match["unit"].removesuffix("s"), gap_value), failure)


# --- scores, yes or no, counts -------------------------------------------------------------------------

_SCORE = re.compile(r"(?P<score>[0-9]{1,6})(?:\s*(?:/|out\s+of|of)\s*(?P<out_of>[0-9]{1,6}))?")


def parse_scale(
    text: str, low: int = 1, high: int = 5, *, locale: str = DEFAULT_LOCALE
) -> int | ParseFailure:
    """A whole-number score from ``low`` to ``high``: ``3``, ``3/5``, ``4 out of 5``, ``three``."""
    middle = (low + high) // 2
    scale = examples("scale", locale, middle=middle, high=high)
    failure = _failure("whole_number", scale, locale, low=low, high=high)
    if len(text) > MAX_REPLY_CHARS:
        return failure
    match = _SCORE.fullmatch(_prepare(text, hedges=False))
    if match is None:
        return failure
    if match["out_of"] is not None and int(match["out_of"]) != high:
        return _failure("scale_out_of", scale, locale, low=low, high=high)
    score = int(match["score"])
    return score if low <= score <= high else failure


YES_NO_EXAMPLES: Final = examples("yes_no")


def parse_yes_no(text: str, *, locale: str = DEFAULT_LOCALE) -> bool | ParseFailure:
    """Yes or no, in any language (the words are in ``flows/data/words.yaml``): ``yes``, ``y``, ``yep``,
    ``no``, ``not yet``, ``ie``, ``ydy``, ``nac oes``, ``naddo``, or one of the short ones followed by
    punctuation and a reason ("Yes, it affects every service", "Nac ydy, dim ond y gwasanaeth hwn")."""
    failure = _failure("yes_no", examples("yes_no", locale), locale)
    if len(text) > MAX_REPLY_CHARS * 10:  # a yes or no may come with a reason
        return failure
    answer = words.yes_or_no(_clean(text))
    return failure if answer is None else answer


COUNT_EXAMPLES: Final = examples("count")
_PEOPLE = (
    r"people|persons?|staff|officers?|colleagues?|members?|team\s+members?|users?|residents?|workers?|"
    r"employees?|advis[eo]rs?|of\s+us|of\s+them|fte"
)
_COUNT = re.compile(rf"(?P<number>{_NUMBER})(?:\s+(?:{_PEOPLE}))?")
_JUST_ME = frozenset({"me", "just me", "only me", "myself", "just myself", "me only", "only myself"})


def parse_count(
    text: str, *, low: int = 1, high: int = 10_000, locale: str = DEFAULT_LOCALE
) -> int | ParseFailure:
    """A whole number from ``low`` to ``high``, for how many people are involved: ``3``, ``three``,
    ``a dozen``, ``about 20 people``, ``just me``."""
    language = language_of(locale)
    bounds = {"low": format_number(low, language), "high": format_number(high, language)}
    failure = _failure("whole_number", examples("count", locale), locale, **bounds)
    if len(text) > MAX_REPLY_CHARS:
        return failure
    cleaned = _prepare(text)
    if cleaned in _JUST_ME:
        return 1 if low <= 1 <= high else failure
    match = _COUNT.fullmatch(cleaned)
    if match is None:
        if re.fullmatch(rf"{_NUMBER}\s*(?:-|to|or)\s*{_NUMBER}.*", cleaned):
            return _failure("count_one_number", examples("count", locale), locale)
        return failure
    number = _to_decimal(match["number"])
    if number != number.to_integral_value():
        return failure
    if not low <= number <= high:
        return failure
    return int(number)
