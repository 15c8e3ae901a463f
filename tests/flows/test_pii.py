"""Personal-data detectors: property tests over generated emails, UK phone numbers, National
Insurance numbers and postcodes, embedded in text; and the figures the templates ask for are left alone."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.pii import PersonalDataKind, find_personal_data, kinds, looks_personal, redact

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
# Words that surround the data: letters and spaces only, so they can't form data themselves.
prose = st.text(alphabet=LOWER + " ", max_size=30).map(lambda s: f" {s} ")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=DIGITS, min_size=n, max_size=n)


emails = st.builds(
    lambda user, domain, tld: f"{user}@{domain}.{tld}",
    st.text(alphabet=LOWER + DIGITS, min_size=1, max_size=12),
    st.text(alphabet=LOWER, min_size=1, max_size=12),
    st.sampled_from(["gov.uk", "org.uk", "com", "co.uk", "nhs.net"]),
)
mobiles = st.builds(
    lambda rest, style: {
        "plain": f"07{rest}",
        "spaced": f"07{rest[:3]} {rest[3:]}",
        "intl": f"+44 7{rest[:3]} {rest[3:]}",
        "intl0": f"+44 (0)7{rest[:3]} {rest[3:]}",
        "hyphen": f"07{rest[:3]}-{rest[3:]}",
    }[style],
    _digits(9),
    st.sampled_from(["plain", "spaced", "intl", "intl0", "hyphen"]),
)
# Area code and local number together make ten digits after the trunk 0.
landlines = st.sampled_from(["20", "121", "1632", "113"]).flatmap(
    lambda area: _digits(10 - len(area)).map(lambda rest: f"0{area} {rest}")
)
ni_prefixes = [
    a + b
    for a in "ABCEGHJKLMNOPRSTWXYZ"
    for b in "ABCEGHJKLMNPRSTWXYZ"
    if a + b not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
]
ni_numbers = st.builds(
    lambda prefix, digits, suffix, spaced: (
        f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
        if spaced
        else f"{prefix}{digits}{suffix}"
    ),
    st.sampled_from(ni_prefixes),
    _digits(6),
    st.sampled_from("ABCD"),
    st.booleans(),
)
postcodes = st.sampled_from(
    ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX", "LS1 4AP", "cf10 1ea"]
)
personal = st.one_of(
    emails.map(lambda v: (PersonalDataKind.EMAIL, v)),
    mobiles.map(lambda v: (PersonalDataKind.PHONE, v)),
    landlines.map(lambda v: (PersonalDataKind.PHONE, v)),
    ni_numbers.map(lambda v: (PersonalDataKind.NI_NUMBER, v)),
    postcodes.map(lambda v: (PersonalDataKind.POSTCODE, v)),
)


@settings(max_examples=300)
@given(before=prose, item=personal, after=prose)
def test_personal_data_in_prose_is_found_exactly(
    before: str, item: tuple[PersonalDataKind, str], after: str
) -> None:
    kind, value = item
    text = before + value + after
    [finding] = find_personal_data(text)
    assert (finding.kind, finding.text) == (kind, value)
    assert text[finding.start : finding.end] == value


@settings(max_examples=300)
@given(st.lists(st.tuples(prose, personal), min_size=1, max_size=4), prose)
def test_redaction_removes_everything_it_found(
    parts: list[tuple[str, tuple[PersonalDataKind, str]]], end: str
) -> None:
    text = "".join(words + value for words, (_, value) in parts) + end
    assert [k for k in kinds(find_personal_data(text))] == list(dict.fromkeys(kind for _, (kind, _) in parts))
    cleaned = redact(text)
    assert not looks_personal(cleaned)
    for _, (_, value) in parts:
        assert value not in cleaned


@settings(max_examples=500)
@given(st.text(max_size=400))
def test_any_text_gives_ordered_non_overlapping_findings(text: str) -> None:
    findings = find_personal_data(text)
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))


money_and_time = st.one_of(
    st.integers(0, 10_000_000).map(lambda n: f"£{n:,}"),
    st.decimals(0, 1000, places=1, allow_nan=False).map(lambda d: f"£{d}k"),
    st.tuples(st.integers(0, 12), st.integers(0, 59)).map(lambda hm: f"{hm[0]}h {hm[1]}m"),
    st.integers(1, 500).map(lambda n: f"{n} a week"),
    st.integers(1, 500).map(lambda n: f"{n} per month"),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(1, 5).map(lambda n: f"severity {n}"),
)


@settings(max_examples=300)
@given(before=prose, value=money_and_time, after=prose)
def test_the_figures_templates_ask_for_are_not_personal(before: str, value: str, after: str) -> None:
    assert find_personal_data(before + value + after) == ()


@pytest.mark.parametrize(
    "text",
    [
        "QQ 12 34 56 C",  # HMRC's example prefix: Q is never a first letter
        "GB123456A",  # never-issued prefix
        "AB123456E",  # suffix beyond D
        "09012 345678",  # premium-rate, not a person's number
        "0123 456",  # too short
        "Reference 4 8 15 16 23 42",
        "user at example dot com",
    ],
)
def test_near_misses_are_not_flagged(text: str) -> None:
    assert not looks_personal(text)


def test_a_mixed_answer() -> None:
    text = "Mrs Smith (jo@anytown.gov.uk, 07700 900123, AB 12 34 56 C) lives at SW1A 1AA"
    assert kinds(find_personal_data(text)) == [
        PersonalDataKind.EMAIL,
        PersonalDataKind.PHONE,
        PersonalDataKind.NI_NUMBER,
        PersonalDataKind.POSTCODE,
    ]
    assert redact(text) == (
        "Mrs Smith ([email address], [phone number], [National Insurance number]) lives at [postcode]"
    )
