"""Detectors for personal data in answers: email addresses, UK phone numbers, National Insurance numbers
and full UK postcodes. Pure functions; the bot asks the person to redact or keep what they find.

They aim at what people actually type in a problem-analysis session ("call Mrs Smith on 07700 900123"),
so they favour catching a real number over ignoring an odd-looking one, while leaving the figures the
templates ask for (``£1,200``, ``2h 30m``, ``3 a week``, dates) alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from flows.i18n import DEFAULT_LOCALE, join_and, t


class PersonalDataKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NI_NUMBER = "ni_number"
    POSTCODE = "postcode"


@dataclass(frozen=True)
class Finding:
    kind: PersonalDataKind
    start: int
    end: int
    text: str


_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)

# +44 7700 900123, +44 (0)20 7946 0018, 0044 ..., 07700-900123, (01632) 960 001. Digits may be grouped
# with spaces, hyphens or brackets; the digit count is checked after the match.
_PHONE = re.compile(
    # After the prefix, at most ten more digits: a longer run of digits is not a phone number.
    r"(?<![\w+])(?:(?:\+|00)44[\s-]*(?:\(0\)[\s-]*)?|\(?0)\d(?:[\s\-()]{0,2}\d){7,9}(?![\w])"
)
# The first digit after the trunk prefix of a UK number: geographic (1, 2), non-geographic (3, 5, 8),
# mobile (7). 9 (premium rate) and 4/6 are not given to people.
_UK_LEADING_DIGITS = frozenset("123578")

# National Insurance number: two prefix letters (D, F, I, Q, U, V never; O not second), six digits,
# suffix A-D; optionally spaced in pairs. Prefixes never issued are excluded.
_NI = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?(\d{2})\s?(\d{2})\s?(\d{2})\s?([A-D])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NI_NEVER_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

# A full postcode (outward and inward code), after the Royal Mail format rules.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR\s?0AA|"
    r"(?:[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPS-UW]|[A-HK-Y]\d[ABEHMNPRV-Y]))"
    r"\s?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def label(kind: PersonalDataKind, locale: str = DEFAULT_LOCALE) -> str:
    """What a kind of personal data is called (``phone number``), from the message catalogue."""
    return t(f"pii_kind_{kind.value}", locale)


def describe(findings: tuple[Finding, ...], locale: str = DEFAULT_LOCALE) -> str:
    """``phone number and postcode``: the kinds found, for telling the person what we saw."""
    return join_and([label(kind, locale) for kind in kinds(findings)], locale)


def _phone_digits_ok(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if digits.startswith("0044"):
        national = digits[4:]
    elif digits.startswith("44") and match.lstrip().startswith("+"):
        national = digits[2:]
    else:
        national = digits[1:]  # the trunk 0
    national = national.removeprefix("0")  # the (0) in +44 (0)20 …
    return len(national) in (9, 10) and national[0] in _UK_LEADING_DIGITS


def find_personal_data(text: str) -> tuple[Finding, ...]:
    """Everything in ``text`` that looks like personal data, in order, without overlaps."""
    found: list[Finding] = []
    for match in _EMAIL.finditer(text):
        found.append(Finding(PersonalDataKind.EMAIL, match.start(), match.end(), match.group()))
    for match in _NI.finditer(text):
        if match.group(1).upper() not in _NI_NEVER_ISSUED:
            found.append(Finding(PersonalDataKind.NI_NUMBER, match.start(), match.end(), match.group()))
    for match in _PHONE.finditer(text):
        if _phone_digits_ok(match.group()):
            found.append(Finding(PersonalDataKind.PHONE, match.start(), match.end(), match.group()))
    for match in _POSTCODE.finditer(text):
        found.append(Finding(PersonalDataKind.POSTCODE, match.start(), match.end(), match.group()))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue  # inside an earlier finding (a postcode-like run inside an email address)
        kept.append(finding)
    return tuple(kept)


def looks_personal(text: str) -> bool:
    return bool(find_personal_data(text))


def kinds(findings: tuple[Finding, ...]) -> list[PersonalDataKind]:
    """The kinds found, each once, in the order they first appear."""
    return list(dict.fromkeys(f.kind for f in findings))


def redact(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """``text`` with each finding replaced by a label such as ``[phone number]``."""
    parts: list[str] = []
    last = 0
    for finding in find_personal_data(text):
        parts.append(text[last : finding.start])
        parts.append(f"[{label(finding.kind, locale)}]")
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)
