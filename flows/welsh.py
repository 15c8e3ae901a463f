"""Reading Welsh in typed answers: numbers, units, periods and dates, whatever the session's language.

The parsers in :mod:`flows.parsing` read English forms ("3 a week", "every day", "half a day", "next
Tuesday"). :func:`to_english` rewrites the Welsh a person types into those forms first, so one set of
parsers (and one set of limits and checks) serves both languages:

=========================  ==========================
``3 yr wythnos``           ``3 a week``
``dair gwaith y mis``      ``3 times a month``
``bob dydd``               ``every day``
``hanner diwrnod``         ``half day``
``dwy awr a hanner``       ``2 hour and a half``
``£1,200 y mis``           ``£1,200 a month``
``£12 bob tro``            ``£12 each time``
``dydd Mawrth nesaf``      ``next tuesday``
``mewn pythefnos``         ``in a fortnight``
``3ydd Mawrth``            ``3 march``
``dau ddeg pump o bobl``   ``25 people``
=========================  ==========================

Every rewrite is set off by a Welsh word, so English replies pass through unchanged (a property test
checks this). The text is expected as :func:`flows.parsing._clean` leaves it: lower case, without
accents, single spaces. Welsh mutates the start of words after numbers and some small words (``dau
ddiwrnod``, ``y flwyddyn``, ``pum mlynedd``), so the tables below list the mutated forms too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

# --- number words --------------------------------------------------------------------------------------

_DIGITS: Final[Mapping[str, int]] = {
    "un": 1,
    "dau": 2,
    "ddau": 2,
    "dwy": 2,
    "ddwy": 2,
    "tri": 3,
    "dri": 3,
    "thri": 3,
    "tair": 3,
    "dair": 3,
    "thair": 3,
    "pedwar": 4,
    "bedwar": 4,
    "phedwar": 4,
    "pedair": 4,
    "bedair": 4,
    "phedair": 4,
    "pump": 5,
    "bump": 5,
    "phump": 5,
    "pum": 5,
    "bum": 5,
    "phum": 5,
    "chwech": 6,
    "chwe": 6,
    "saith": 7,
    "wyth": 8,
    "naw": 9,
}
_TEN: Final = frozenset({"deg", "ddeg", "deng", "ddeng"})
_HUNDRED: Final = frozenset({"cant", "gant", "chant"})
_THOUSAND: Final = frozenset({"mil", "fil"})
# Whole numbers of the traditional (vigesimal) system still in everyday use, and a dozen.
_WHOLE: Final[Mapping[str, int]] = {
    "sero": 0,
    "deuddeg": 12,
    "ddeuddeg": 12,
    "pymtheg": 15,
    "bymtheg": 15,
    "deunaw": 18,
    "ddeunaw": 18,
    "ugain": 20,
    "deugain": 40,
    "ddeugain": 40,
    "trigain": 60,
    "dwsin": 12,
}
# "un ar ddeg" 11, "dau ar bymtheg" 17, "un ar hugain" 21.
_ADDED: Final[Mapping[str, int]] = {"ddeg": 10, "bymtheg": 15, "hugain": 20}

_AND: Final = frozenset({"a", "ac"})  # "cant a phump" 105, "mil ac un" 1001
_NUMBER_WORD = "|".join(
    sorted([*_DIGITS, *_TEN, *_HUNDRED, *_THOUSAND, *_WHOLE, *_AND, "ar"], key=len, reverse=True)
)
_NUMBER_RUN = re.compile(rf"(?<![a-z0-9'])(?:{_NUMBER_WORD})(?:\s+(?:{_NUMBER_WORD}))*(?![a-z0-9'])")


def _below_hundred(words: list[str], i: int) -> tuple[int, int] | None:
    """(value, next index) of a number under 100 starting at ``words[i]``, or None."""
    word = words[i] if i < len(words) else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if word in _WHOLE:
        return _WHOLE[word], i + 1
    if word in _TEN:
        return 10, i + 1
    if word not in _DIGITS:
        return None
    value = _DIGITS[word]
    if after == "ar" and i + 2 < len(words) and words[i + 2] in _ADDED:
        return value + _ADDED[words[i + 2]], i + 3
    if after in _TEN:  # decimal tens: "dau ddeg" 20, "tri deg pump" 35
        units = words[i + 2] if i + 2 < len(words) else ""
        if units in _DIGITS:
            return value * 10 + _DIGITS[units], i + 3
        return value * 10, i + 2
    return value, i + 1


def _below_thousand(words: list[str], i: int) -> tuple[int, int] | None:
    word = words[i] if i < len(words) else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    hundreds = 0
    if word in _DIGITS and after in _HUNDRED:
        hundreds, i = _DIGITS[word] * 100, i + 2
    elif word in _HUNDRED:
        hundreds, i = 100, i + 1
    if hundreds and i < len(words) and words[i] in _AND and _below_hundred(words, i + 1) is not None:
        i += 1
    rest = _below_hundred(words, i)
    if rest is None:
        return (hundreds, i) if hundreds else None
    return hundreds + rest[0], rest[1]


def _number_at(words: list[str], i: int) -> tuple[int, int] | None:
    """The longest number spelt from ``words[i]`` on: thousands, hundreds, tens and units."""
    if i < len(words) and words[i] in _THOUSAND:
        thousands, i = 1000, i + 1
    else:
        below = _below_thousand(words, i)
        if below is None:
            return None
        value, i = below
        if i < len(words) and words[i] in _THOUSAND:
            thousands, i = value * 1000, i + 1
        else:
            return value, i
    if i < len(words) and words[i] in _AND and _below_thousand(words, i + 1) is not None:
        i += 1
    rest = _below_thousand(words, i)
    return (thousands, i) if rest is None else (thousands + rest[0], rest[1])


def _numbers(text: str) -> str:
    """Welsh number words as digits: ``dau ddeg pump`` → ``25``, ``tair mil`` → ``3000``."""

    def digits(match: re.Match[str]) -> str:
        words = match.group().split()
        out: list[str] = []
        i = 0
        while i < len(words):
            found = _number_at(words, i)
            if found is None:
                out.append(words[i])
                i += 1
            else:
                out.append(str(found[0]))
                i = found[1]
        return " ".join(out)

    return _NUMBER_RUN.sub(digits, text)


# --- words ------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_B = r"(?<![a-z0-9'])"  # a word starts here
_E = r"(?![a-z0-9'])"  # a word ends here

# Whole replies that mean nothing, never, once or only me.
_WHOLE_REPLIES: Final[Mapping[str, str]] = {
    "dim": "none",
    "dim un": "none",
    "dim byd": "nothing",
    "dim o gwbl": "none",
    "am ddim": "free",
    "dim cost": "no cost",
    "dim costau": "no cost",
    "dim amser": "no time",
    "byth": "never",
    "dim ond unwaith": "only once",
    "unwaith yn unig": "once only",
    "fi": "just me",
    "dim ond fi": "just me",
    "fi yn unig": "just me",
    "fi fy hun": "just me",
    "dim ond fi fy hun": "just me",
}

_HEDGES = (
    "tua'r|tua|oddeutu|o gwmpas|rhyw|bron i|bron|efallai|hyd at|o leiaf|ychydig dros|ychydig o dan|"
    "ychydig yn llai na|dros|mwy na|llai na|amcangyfrif o|amcangyfrif"
)

_WEEKDAYS: Final[Mapping[str, str]] = {
    "llun": "monday",
    "mawrth": "tuesday",
    "mercher": "wednesday",
    "iau": "thursday",
    "gwener": "friday",
    "sadwrn": "saturday",
    "sul": "sunday",
}
_WEEKDAY = "|".join(_WEEKDAYS)
_DYDD = r"(?:dydd|ddydd)"

_MONTHS: Final[Mapping[str, str]] = {
    "ionawr": "january",
    "chwefror": "february",
    "mawrth": "march",
    "ebrill": "april",
    "mai": "may",
    "mehefin": "june",
    "gorffennaf": "july",
    "gorffenaf": "july",
    "awst": "august",
    "medi": "september",
    "hydref": "october",
    "tachwedd": "november",
    "rhagfyr": "december",
}
# Short forms, read only straight after a day number ("3 chwef") since some are also everyday words.
_MONTH_ABBREVIATIONS: Final[Mapping[str, str]] = {
    "ion": "january",
    "chwef": "february",
    "maw": "march",
    "ebr": "april",
    "meh": "june",
    "gorff": "july",
    "hyd": "october",
    "tach": "november",
    "rhag": "december",
}

# Units of time and their English words (plural Welsh forms give plural English).
_UNITS: Final[Mapping[str, str]] = {
    "awr waith": "working hour",
    "awr gwaith": "working hour",
    "oriau gwaith": "working hours",
    "awr": "hour",
    "awran": "hour",
    "oriau": "hours",
    "munud": "minute",
    "funud": "minute",
    "mun": "minute",
    "munudau": "minutes",
    "funudau": "minutes",
    "eiliad": "second",
    "eiliadau": "seconds",
    "diwrnod gwaith": "working day",
    "ddiwrnod gwaith": "working day",
    "niwrnod gwaith": "working day",
    "dydd gwaith": "working day",
    "diwrnodau gwaith": "working days",
    "ddiwrnodau gwaith": "working days",
    "dyddiau gwaith": "working days",
    "diwrnod": "day",
    "ddiwrnod": "day",
    "niwrnod": "day",
    "dydd": "day",
    "ddydd": "day",
    "diwrnodau": "days",
    "ddiwrnodau": "days",
    "dyddiau": "days",
    "wythnos": "week",
    "wythnosau": "weeks",
    "pythefnos": "fortnight",
    "bythefnos": "fortnight",
    "phythefnos": "fortnight",
    "pythefnosau": "fortnights",
    "mis": "month",
    "fis": "month",
    "misoedd": "months",
    "fisoedd": "months",
    "chwarter": "quarter",
    "chwarterau": "quarters",
    "blwyddyn": "year",
    "flwyddyn": "year",
    "mlwyddyn": "year",
    "blynedd": "years",
    "flynedd": "years",
    "mlynedd": "years",
    "blynyddoedd": "years",
    "flynyddoedd": "years",
    "tro": "time",
    "dro": "time",
}
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
# What comes before a unit: "bob wythnos" every week, "yr wythnos" a week, "mewn wythnos" in a week.
_BEFORE_UNIT: Final[Mapping[str, str]] = {
    "bob yn ail": "every other",
    "pob yn ail": "every other",
    "am bob": "each",
    "bob": "every",
    "pob": "every",
    "fesul": "per",
    "yr": "a",
    "y": "a",
    "mewn": "in a",
    "ymhen": "in a",
}
_BEFORE = "|".join(sorted(_BEFORE_UNIT, key=len, reverse=True))
_NEXT = r"(?:nesaf|nesa)"

_ADVERBS: Final[Mapping[str, str]] = {
    "flynyddol": "yearly",
    "blynyddol": "yearly",
    "fisol": "monthly",
    "misol": "monthly",
    "wythnosol": "weekly",
    "ddyddiol": "daily",
    "dyddiol": "daily",
    "bythefnosol": "fortnightly",
    "pythefnosol": "fortnightly",
    "chwarterol": "quarterly",
    "gwarterol": "quarterly",
}
_DAY_WORDS: Final[Mapping[str, str]] = {
    "heddiw": "today",
    "yfory": "tomorrow",
    "fory": "tomorrow",
    "drennydd": "the day after tomorrow",
    "trennydd": "the day after tomorrow",
    "nawr": "now",
    "rwan": "now",
}
_NOUNS: Final[Mapping[str, str]] = {
    "punt": "pounds",
    "bunt": "pounds",
    "phunt": "pounds",
    "punnoedd": "pounds",
    "bunnoedd": "pounds",
    "phunnoedd": "pounds",
    "punnau": "pounds",
    "bunnau": "pounds",
    "ceiniog": "pence",
    "geiniog": "pence",
    "cheiniog": "pence",
    "ceiniogau": "pence",
    "pobl": "people",
    "bobl": "people",
    "phobl": "people",
    "berson": "person",
    "pherson": "person",
    "mherson": "person",
    "personau": "people",
    "swyddog": "officer",
    "swyddogion": "officers",
    "aelod o staff": "staff",
    "aelodau o staff": "staff",
    "aelod staff": "staff",
    "aelodau staff": "staff",
    "cydweithiwr": "colleague",
    "cydweithwyr": "colleagues",
    "ohonom ni": "of us",
    "ohonom": "of us",
    "ohonon ni": "of us",
    "ohonon": "of us",
}


def _alternation(words: Mapping[str, str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _unit(match: re.Match[str]) -> str:
    unit = _UNITS[match["unit"]]
    before = match["before"]
    if unit == "time":  # "bob tro", "y tro", "am bob tro": each time
        return "each time" if before else "time"
    if match["next"]:  # "wythnos nesaf", "y mis nesaf": next week, next month
        return f"next {unit}"
    if before:
        return f"{_BEFORE_UNIT[before]} {unit}"
    # On its own a unit is one of it: "awr" an hour, "awr a hanner" an hour and a half.
    start = match.string[: match.start()]
    if start in ("", "about ") and not unit.endswith("s"):
        return f"1 {unit}"
    return unit


def _weekday(match: re.Match[str]) -> str:
    day = _WEEKDAYS[match["day"]]
    if match["week"]:  # "wythnos i ddydd Mawrth": a week on Tuesday
        return f"{day} week"
    after = match["after"]
    if after is not None and after.startswith("ar"):
        return f"{day} after next"
    if after is not None:
        return f"{'this' if after in ('yma', 'hwn') else 'next'} {day}"
    before = {"bob": "every ", "pob": "every ", "ar": "on "}.get(match["before"] or "", "")
    return before + day


def _lookup(words: Mapping[str, str], group: str = "word") -> Callable[[re.Match[str]], str]:
    return lambda match: words[match[group]]


_RULES: Final[tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...]] = (
    (re.compile(rf"^(?:{_HEDGES}){_E}\s*"), "about "),
    (re.compile(rf"^(?:erbyn){_E}\s*"), "by "),
    (re.compile(rf"{_B}allan o{_E}"), "out of"),
    (re.compile(rf"{_B}unwaith{_E}"), "once"),
    (re.compile(rf"{_B}d?dwywaith{_E}"), "twice"),
    (re.compile(rf"{_B}[td]eirgwaith{_E}"), "3 times"),
    (re.compile(rf"(?<=[0-9]) (?:gwaith|waith|o weithiau){_E}"), " times"),
    # Weekdays, before months: "dydd Mawrth" is Tuesday, "Mawrth" alone is March.
    (re.compile(rf" (?:a|ac) (?={_DYDD} (?:{_WEEKDAY}){_E})"), " and "),
    (
        re.compile(
            rf"{_B}(?:(?P<week>wythnos i) )?(?:(?P<before>bob|pob|ar) )?{_DYDD} (?P<day>{_WEEKDAY})"
            rf"(?: (?P<after>{_NEXT}|yma|hwn|ar ol {_NEXT}))?{_E}"
        ),
        _weekday,
    ),
    (re.compile(rf"{_B}(?:(?:ym|o) )?(?:mis|fis) (?=(?:{_alternation(_MONTHS)}){_E})"), ""),
    (re.compile(rf"{_B}(?P<word>{_alternation(_MONTHS)}){_E}"), _lookup(_MONTHS)),
    (
        re.compile(rf"(?<=[0-9] )(?P<word>{_alternation(_MONTH_ABBREVIATIONS)}){_E}"),
        _lookup(_MONTH_ABBREVIATIONS),
    ),
    # Halves: "awr a hanner" an hour and a half, "hanner diwrnod" half a day.
    (re.compile(rf"(?<=[a-z0-9]) a hanner{_E}"), " and a half"),
    (re.compile(rf"{_B}hanner{_E}"), "half"),
    # "2 awr a 30 munud": "a" is "and" between the parts of a length of time.
    (re.compile(rf"{_B}(?P<unit>{_UNIT}) (?:a|ac) (?=[0-9])"), lambda m: m["unit"] + " and "),
    (
        re.compile(rf"{_B}(?:(?P<before>{_BEFORE}) )?(?P<unit>{_UNIT})(?: (?P<next>{_NEXT}))?{_E}"),
        _unit,
    ),
    (re.compile(rf"{_B}(?:mewn|ymhen) (?=[0-9])"), "in "),
    (re.compile(rf"{_B}(?:bob|pob) yn ail (?=[0-9a-z])"), "every other "),
    (re.compile(rf"{_B}(?:bob|pob) (?=[0-9])"), "every "),
    (re.compile(rf"{_B}o (?=(?:heddiw|nawr|rwan){_E})"), "from "),
    (re.compile(rf"{_B}(?P<word>{_alternation(_DAY_WORDS)}){_E}"), _lookup(_DAY_WORDS)),
    (re.compile(rf"{_B}(?:yn )?(?P<word>{_alternation(_ADVERBS)}){_E}"), _lookup(_ADVERBS)),
    (re.compile(rf"{_B}(?:o )?(?P<word>{_alternation(_NOUNS)}){_E}"), _lookup(_NOUNS)),
    (re.compile(rf"(?<=[0-9]) o (?=(?:staff|officers?){_E})"), " "),
    (re.compile(rf"^ar{_E}\s*"), "on "),
)
_ORDINAL = re.compile(r"(?<=[0-9])(?:af|il|ydd|edd|ed|fed|eg|ain)(?![a-z])")
_FIRST = re.compile(rf"{_B}(?:yr un{_E}|hanner cant{_E}|hanner dwsin{_E})")
_FIRST_WORDS: Final[Mapping[str, str]] = {"yr un": "each", "hanner cant": "50", "hanner dwsin": "6"}


def to_english(text: str) -> str:
    """``text`` (cleaned: lower case, no accents, single spaces) with its Welsh numbers, units, periods
    and dates in the English forms the parsers read; text without Welsh words comes back unchanged."""
    if text in _WHOLE_REPLIES:
        return _WHOLE_REPLIES[text]
    text = _FIRST.sub(lambda m: _FIRST_WORDS[m.group()], text)
    text = _ORDINAL.sub("", text)
    text = _numbers(text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _SPACES.sub(" ", text).strip()
