"""Dates, times, money, numbers, lists and plurals as a UK council writes them, in English or Welsh.

The words and patterns come from Babel (the Unicode CLDR data), not from tables of our own. Where CLDR's
Welsh differs from how the Welsh Government and councils write, a thin wrapper here adjusts it, and says
why:

* CLDR capitalises ``Dydd Mawrth`` everywhere; in running text Welsh writes ``dydd Mawrth`` (the day's
  name keeps its capital, ``dydd`` does not). ``sentence_start=True`` gives the capital back.
* Babel's full date has a comma (``Tuesday, 8 December 2026``); GOV.UK style, which councils follow,
  has none. The pattern is built from CLDR's own names in GOV.UK order.
* Babel's currency format always shows pence (``£1,200.00``); councils write whole pounds without them.
* CLDR's Welsh list ends ``, a(c)``, leaving the choice to the reader: ``ac`` goes before a vowel,
  ``a`` before a consonant, and Welsh, like British English, puts no comma before it.
* CLDR's Welsh years after 4 nasalise (``4 mlynedd``); it is ``4 blynedd`` (``pedair blynedd``).

Every function takes the bot's locale code (``en`` or ``cy``); anything else is written in English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Final, Literal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import get_datetime_format, get_day_names, get_month_names
from babel.lists import format_list as _babel_list
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit as _babel_unit

# The bot's locale codes and the CLDR locales they are written in (UK conventions for both).
# A bilingual text (``cy+en``, Welsh first) writes its dates and figures the Welsh way.
_CLDR: Final[Mapping[str, str]] = {"en": "en_GB", "cy": "cy_GB", "cy+en": "cy_GB"}
_DEFAULT: Final = "en_GB"

PluralCategory = Literal["zero", "one", "two", "few", "many", "other"]
Unit = Literal["second", "minute", "hour", "day", "week", "month", "year"]

_CATEGORIES: Final[Mapping[str, PluralCategory]] = {
    name: name for name in ("zero", "one", "two", "few", "many", "other")
}
_WELSH_VOWELS: Final = frozenset("aeiouwyâêîôûŵŷáéíóúàèìòù")


@cache
def _locale(locale: str) -> Locale:
    return Locale.parse(_CLDR.get(locale, _DEFAULT))


def _is_welsh(locale: str) -> bool:
    return _locale(locale).language == "cy"


def _capitalised(text: str, sentence_start: bool) -> str:
    return text[:1].upper() + text[1:] if sentence_start else text


def format_day(day: date, locale: str = "en", *, sentence_start: bool = False) -> str:
    """The weekday and date: ``Tuesday 8 December 2026``, ``dydd Mawrth 8 Rhagfyr 2026``."""
    text = _babel_date(day, "EEEE d MMMM y", locale=_locale(locale))
    if _is_welsh(locale):
        text = text[:1].lower() + text[1:]  # "Dydd Mawrth" → "dydd Mawrth"
    return _capitalised(text, sentence_start)


def format_day_month(day: date, locale: str = "en", *, sentence_start: bool = False) -> str:
    """The weekday and date without the year, for a day in the coming weeks: ``Tuesday 8 December``,
    ``dydd Mawrth 8 Rhagfyr``."""
    text = _babel_date(day, "EEEE d MMMM", locale=_locale(locale))
    if _is_welsh(locale):
        text = text[:1].lower() + text[1:]  # "Dydd Mawrth" → "dydd Mawrth"
    return _capitalised(text, sentence_start)


def format_date(day: date, locale: str = "en") -> str:
    """The date without its weekday: ``8 December 2026``, ``8 Rhagfyr 2026``."""
    return _babel_date(day, "d MMMM y", locale=_locale(locale))


def month_name(month: int, locale: str = "en") -> str:
    """The month's name (1 is January): ``February``, ``Chwefror``; for a day and month that may not
    exist in a given year ("29 February"), which :func:`format_date` cannot write."""
    return str(get_month_names("wide", locale=_locale(locale))[month])


def weekday_name(weekday: int, locale: str = "en") -> str:
    """The weekday's own name (0 is Monday): ``Tuesday``; in Welsh the name that follows ``dydd``,
    ``Mawrth``, since a sentence mutates ``dydd`` itself ("ar ddydd Mawrth")."""
    name = str(get_day_names("wide", locale=_locale(locale))[weekday])
    return name.removeprefix("Dydd ") if _is_welsh(locale) else name


def format_time(moment: datetime, locale: str = "en") -> str:
    """The 24-hour clock, as councils write it in both languages: ``10:00``."""
    return _babel_time(moment, "HH:mm", locale=_locale(locale))


def format_day_time(moment: datetime, locale: str = "en", *, sentence_start: bool = False) -> str:
    """Weekday, date and time joined as CLDR joins them: ``Tuesday 8 December 2026, 10:00``,
    ``dydd Mawrth 8 Rhagfyr 2026, 10:00``. ``moment`` is shown as it is: convert it to the reader's time
    zone first."""
    glue = str(get_datetime_format("long", locale=_locale(locale)))
    day = format_day(moment.date(), locale, sentence_start=sentence_start)
    return glue.replace("{1}", day).replace("{0}", format_time(moment, locale))


def format_money(amount: Decimal, locale: str = "en", *, whole_pounds: bool = False) -> str:
    """Pounds: ``£1,200``, ``£32.50``, ``-£5``. Pence are shown only when there are some, unless
    ``whole_pounds``, which rounds half up to the pound (for totals and summaries)."""
    return _money(amount, locale, whole_pounds)


@lru_cache(maxsize=4096)
def _money(amount: Decimal, locale: str, whole_pounds: bool) -> str:
    """:func:`format_money`, kept for the same amount: every question asked quotes the hourly rate,
    and babel's formatting cost more than the rest of building the question."""
    pence = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if whole_pounds:
        pence = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    pattern = "¤#,##0" if pence == pence.to_integral_value() else "¤#,##0.00"
    if pence == 0:
        pence = abs(pence)  # never "-£0"
    return format_currency(pence, "GBP", format=pattern, currency_digits=False, locale=_locale(locale))


def format_number(value: Decimal | int, locale: str = "en") -> str:
    """A number with the locale's separators and no trailing zeros: ``1,924``, ``2.5``, ``0.125``."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return format_decimal(number.quantize(Decimal(1)), format="#,##0", locale=_locale(locale))
    places = max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]
    return format_decimal(number, format="#,##0." + "#" * places, locale=_locale(locale))


def plural_category(count: Decimal | int, locale: str = "en") -> PluralCategory:
    """CLDR's plural category of ``count``: English has ``one`` and ``other``; Welsh also ``zero``,
    ``two``, ``few`` (3) and ``many`` (6), since the word after a number changes with it."""
    category = _locale(locale).plural_form(Decimal(count))
    if category not in _CATEGORIES:  # CLDR has no other categories
        raise ValueError(f"unknown plural category {category!r}")
    return _CATEGORIES[category]


def plural(count: Decimal | int, forms: Mapping[str, str], locale: str = "en") -> str:
    """The form of ``forms`` (keyed by plural category, ``other`` required) for ``count``, with
    ``{n}`` filled: ``plural(2, {"one": "{n} cost line", "other": "{n} cost lines"})`` →
    ``2 cost lines``; ``plural(2, {"two": "{n} linell gostau", "other": "{n} llinell gostau"}, "cy")``
    → ``2 linell gostau``. A missing category falls back to ``other``."""
    form = forms.get(plural_category(count, locale)) or forms["other"]
    return form.replace("{n}", format_number(count, locale))


def format_unit(count: Decimal | int, unit: Unit, locale: str = "en") -> str:
    """A count of a unit of time with the word (and, in Welsh, the mutation) CLDR gives it:
    ``2 hours``, ``2 ddiwrnod``, ``2 flynedd``, ``5 mlynedd``."""
    if _is_welsh(locale) and unit == "year" and Decimal(count) == 4:
        return "4 blynedd"  # CLDR's "other" form nasalises; four years is "pedair blynedd"
    text: str = _babel_unit(Decimal(count), f"duration-{unit}", length="long", locale=_locale(locale))
    digits = format_number(count, locale)
    babel_digits = format_decimal(Decimal(count), locale=_locale(locale))
    return text.replace(babel_digits, digits, 1)


def format_list(items: Sequence[str], locale: str = "en", *, style: Literal["and", "or"] = "and") -> str:
    """``a, b and c`` / ``a, b a c``, ``a, b ac ebrill`` (``ac`` before a vowel); ``a or b`` / ``a neu b``.
    (Welsh also mutates a word after ``a``: ``a thechnoleg``; items are people's own words, so they are
    left as written.)"""
    if not items:
        return ""
    text: str = _babel_list(list(items), style="standard" if style == "and" else "or", locale=_locale(locale))
    if not (_is_welsh(locale) and style == "and" and len(items) > 1):
        return text
    last = items[-1]
    joiner = "ac" if last[:1].casefold() in _WELSH_VOWELS else "a"
    head = text[: -len(last)].removesuffix(" ").removesuffix("a(c)").rstrip(" ,")
    return f"{head} {joiner} {last}"
