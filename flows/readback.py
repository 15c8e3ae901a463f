"""Saying back what an answer was understood as, and asking before accepting a probable slip.

After a typed answer is parsed, the next message starts with what the bot took it to mean ("First
check-in: Tuesday 8 December 2026, 10:00", "How often: 156 times a year", "Direct cost: £1,200 each
time — £124,800 a year"), so a misreading is caught at once rather than in the summary.

Some answers are read but probably not meant, and are asked about before they are stored:

* a direct cost with no "each time" or "a year" (``£1,200``): which one? On a line that happens 40
  times a week the two differ by a factor of 2,080;
* an hourly rate over :data:`HIGH_HOURLY_RATE`;
* an answer that takes a cost line over :data:`LARGE_LINE_A_YEAR` a year.

Pure: the flow engine calls these with the item's answers as plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from flows import parsing
from flows.calendar import CHECKIN_HOUR
from flows.formatting import format_day, format_day_time, format_money, format_number, plural_category
from flows.i18n import DEFAULT_LOCALE, language_of, t
from flows.schema import Repeat, Step, StepKind

if TYPE_CHECKING:
    from flows.engine import ReplyContext

HIGH_HOURLY_RATE: Final = Decimal(200)
LARGE_LINE_A_YEAR: Final = Decimal(1_000_000)
# The date step whose day is when the first check-in is sent (at CHECKIN_HOUR, so the time is said too).
CHECKIN_DATE_STEP: Final = "first_checkin"


def decimal_of(value: Any, field: str) -> Decimal | None:
    """A stored number, or the number under ``field`` of a stored dict (None when there is none)."""
    raw = value.get(field) if isinstance(value, dict) else value
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def stored_reading(value: Any, locale: str = DEFAULT_LOCALE) -> str | None:
    """A stored time taken or frequency in words, in ``locale`` (None for any other value): written
    from its numbers, so it reads in the reader's language whatever language it was typed in.

    Every such answer also stores its English reading as ``text``; an English reader is shown that. A
    frequency stored before its numbers were kept (``reading``) is shown in another language when its
    words read back to the stored yearly figure, else as the English it was stored with."""
    if not isinstance(value, dict) or "ask" in value:
        return None
    english = language_of(locale) == DEFAULT_LOCALE
    text = value.get("text")
    if "per_year" in value:
        per_year = decimal_of(value, "per_year")
        reading = parsing.FrequencyReading.from_json(value.get("reading"))
        if per_year is not None and per_year.is_finite() and reading is not None:
            return parsing.describe_frequency(per_year, reading, locale)
        if isinstance(text, str) and text:
            if english or per_year is None:
                return text
            again = parsing.parse_frequency(text.split(" (", 1)[0])
            if isinstance(again, parsing.Frequency) and again.per_year == per_year:
                return again.describe(locale)
            return text
        return None
    if "hours" in value:
        if english and isinstance(text, str) and text:
            return text
        hours = decimal_of(value, "hours")
        if hours is None or not hours.is_finite() or hours < 0:
            return text if isinstance(text, str) else None
        return parsing.Duration(hours).describe(locale)
    return None


def value_of_kind(repeat: Repeat, values: Mapping[str, Any], kind: StepKind) -> Any:
    """The answer (in ``values``, by step id) of the item's first step of ``kind``."""
    step = next((s for s in repeat.steps if s.kind is kind), None)
    return None if step is None else values.get(step.id)


def is_cost_line(repeat: Repeat | None) -> bool:
    """Whether ``repeat`` is a list of cost lines (it asks how often something happens)."""
    return repeat is not None and any(step.kind is StepKind.FREQUENCY for step in repeat.steps)


def line_a_year(repeat: Repeat, values: Mapping[str, Any], ctx: ReplyContext) -> Decimal | None:
    """What one cost line comes to a year from the answers given so far (``values``: step id → value,
    skipped answers left out), as the summary will cost it: staff time × times a year × people × rate
    (the default rate when none is given) plus the direct cost. None until how often is known."""
    per_year = decimal_of(value_of_kind(repeat, values, StepKind.FREQUENCY), "per_year")
    if per_year is None:
        return None
    hours = decimal_of(value_of_kind(repeat, values, StepKind.DURATION), "hours") or Decimal(0)
    people_value = value_of_kind(repeat, values, StepKind.COUNT)
    people = Decimal(people_value) if isinstance(people_value, int) else Decimal(1)
    rate = decimal_of(value_of_kind(repeat, values, StepKind.MONEY), "amount")
    direct = value_of_kind(repeat, values, StepKind.DIRECT_COST)
    amount = decimal_of(direct, "amount") or Decimal(0)
    yearly = isinstance(direct, dict) and direct.get("basis") == "per_year"
    yearly_direct = amount if yearly else amount * per_year
    return hours * per_year * people * (ctx.hourly_rate if rate is None else rate) + yearly_direct


def _times_a_year(per_year: Decimal, locale: str) -> str:
    rounded = per_year.quantize(Decimal("0.01")).normalize()
    key = "times_a_year_one" if plural_category(rounded, locale) == "one" else "times_a_year_other"
    return t(key, locale, n=format_number(rounded, locale))


def direct_cost_words(value: Any, per_year: Decimal | None, locale: str) -> str:
    """``£1,200 each time — £124,800 a year``, ``£3,500 a year``, or ``none``."""
    amount = decimal_of(value, "amount") or Decimal(0)
    if amount == 0:
        return t("read_back_no_direct_cost", locale)
    money = format_money(amount, locale)
    if isinstance(value, dict) and value.get("basis") == "per_year":
        return t("read_back_a_year", locale, amount=money)
    if per_year is None:
        return t("read_back_each_time", locale, amount=money)
    yearly = format_money(amount * per_year, locale, whole_pounds=True)
    return t("read_back_each_time_yearly", locale, amount=money, yearly=yearly)


def read_back(
    step: Step,
    value: Any,
    text: str,
    *,
    values: Mapping[str, Any],
    repeat: Repeat | None,
    ctx: ReplyContext,
) -> str | None:
    """What the answer ``text`` to ``step`` was understood as, to say before the next question; None
    for answers that need no reading back (free text, yes or no, a number on a scale, a button)."""
    locale = ctx.locale
    label = step.title(locale)
    kind = step.kind
    said: str | None = None
    if kind is StepKind.DATE and isinstance(value, str):
        day = date.fromisoformat(value)
        if step.id == CHECKIN_DATE_STEP:
            sent = ctx.calendar.next_working_day(day) if ctx.calendar is not None else day
            said = format_day_time(datetime.combine(sent, time(CHECKIN_HOUR)), locale)
            if sent != day:
                holiday = ctx.calendar.holiday_name(day, locale) if ctx.calendar is not None else None
                reason = "read_back_holiday" if holiday else "read_back_weekend"
                said = f"{said} {t(reason, locale, day=format_day(day, locale), holiday=holiday or '')}"
        else:
            said = format_day(day, locale)
        nearer = parsing.next_weekday_alternative(text, today=ctx.today)
        if nearer is not None:
            reading = t(
                "read_back_next_weekday", locale, weekday=" ".join(format_day(day, locale).split(" ")[:-3]),
                nearer=format_day(nearer, locale),
            )  # fmt: skip
            said = f"{said} {reading}"
    elif kind is StepKind.FREQUENCY:
        per_year = decimal_of(value, "per_year")
        if per_year is None:
            return None
        said = _times_a_year(per_year, locale)
        numbers = parsing.FrequencyReading.from_json(
            value.get("reading") if isinstance(value, dict) else None
        )
        if numbers is None:  # a value stored without its numbers: read the reply again
            parsed = parsing.parse_frequency(
                text, weeks_per_year=ctx.weeks_per_year, working_day_hours=ctx.working_day_hours
            )
            numbers = parsed.reading if isinstance(parsed, parsing.Frequency) else None
        typed_as = numbers.label(locale) if numbers is not None else ""
        if typed_as and typed_as != said:
            said = t("read_back_frequency_from", locale, yearly=said, reading=typed_as)
    elif kind is StepKind.DURATION and isinstance(value, dict):
        said = t("read_back_each_time", locale, amount=stored_reading(value, locale) or "")
    elif kind is StepKind.COUNT and isinstance(value, int):
        said = format_number(value, locale)
    elif kind is StepKind.MONEY:
        amount = decimal_of(value, "amount")
        if amount is None:
            return None
        said = t("read_back_an_hour", locale, amount=format_money(amount, locale))
    elif kind is StepKind.DIRECT_COST:
        frequency = value_of_kind(repeat, values, StepKind.FREQUENCY) if repeat is not None else None
        per_year = decimal_of(frequency, "per_year")
        said = direct_cost_words(value, per_year, locale)
    elif kind is StepKind.CADENCE and isinstance(value, str):
        said = t(f"cadence_{value}", locale)
    elif kind is StepKind.CHOICE:
        choice = next((c for c in step.choices if c.value == value), None)
        if choice is None or choice.label.get(locale).casefold() == text.strip().casefold():
            return None
        said = choice.label.get(locale)
    if said is None:
        return None
    return t("read_back", locale, label=label, said=said)


def slip_check(
    step: Step,
    key: str,
    text: str,
    value: Any,
    *,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    repeat: Repeat | None,
    ctx: ReplyContext,
) -> dict[str, Any] | None:
    """What to ask before storing ``value`` as the answer to ``key``, or None to store it.

    The question is returned as the JSON the engine keeps while it waits: ``{"ask": "basis", "key",
    "amount"}`` (each time or a year?) or ``{"ask": "confirm", "key", "value", "reason"}`` (is that
    right?), ``reason`` being ``rate`` or ``line`` (with the line's yearly ``total``). ``before`` and
    ``after``: the item's answers without and with this one."""
    if step.kind is StepKind.DIRECT_COST:
        cost = parsing.parse_direct_cost(text, weeks_per_year=ctx.weeks_per_year)
        if isinstance(cost, parsing.DirectCost) and cost.amount > 0 and not cost.basis_stated:
            return {"ask": "basis", "key": key, "amount": str(cost.amount)}
    if step.kind is StepKind.MONEY and is_cost_line(repeat):
        rate = decimal_of(value, "amount")
        if rate is not None and rate > HIGH_HOURLY_RATE:
            return {"ask": "confirm", "key": key, "value": value, "reason": "rate"}
    return line_check(key, value, before=before, after=after, repeat=repeat, ctx=ctx)


def line_check(
    key: str,
    value: Any,
    *,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    repeat: Repeat | None,
    ctx: ReplyContext,
) -> dict[str, Any] | None:
    """Ask when this answer takes its cost line over :data:`LARGE_LINE_A_YEAR` a year."""
    if repeat is None or not is_cost_line(repeat):
        return None
    was = line_a_year(repeat, before, ctx)
    now = line_a_year(repeat, after, ctx)
    if now is not None and now > LARGE_LINE_A_YEAR and (was is None or was <= LARGE_LINE_A_YEAR):
        return {"ask": "confirm", "key": key, "value": value, "reason": "line", "total": str(now)}
    return None
