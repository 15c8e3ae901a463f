"""Root causes seen elsewhere in the council, and themes across many analyses (pure, no Slack)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from flows.related import (
    RELATED_THRESHOLD,
    ChannelFacts,
    RootCauseRecord,
    find_themes,
    may_show_elsewhere,
    seen_elsewhere,
    similar_root_causes,
)
from flows.text_similarity import Vectoriser, WeightedText

# The same cause told by different services in their own words (written for these tests). The
# related threshold is chosen so that pairs within a group score above it and pairs across groups
# below it.
SAME_CAUSE_GROUPS: dict[str, list[tuple[str, str]]] = {
    "no-invest-to-save": [
        (
            "waste",
            "There's no invest to save fund, so the route software has to come out of this year's budget.",
        ),
        (
            "libraries",
            "Without an invest to save fund the new kiosks would have to be paid from our own budget.",
        ),
        (
            "highways",
            "No invest-to-save budget exists, so the upfront cost of LED lighting falls on the service.",
        ),
    ],
    "procurement-rules": [
        ("planning", "Procurement rules force a full tender for any software, even small tools."),
        ("housing", "The contract procedure rules mean even a small software purchase needs a full tender."),
        ("libraries", "Buying a small piece of software means a full tender under the procurement rules."),
    ],
    "pay-grades": [
        ("planning", "We can't recruit planners at our pay grades; neighbouring councils pay more."),
        (
            "building control",
            "Surveyor posts stay vacant because our pay grades are below neighbouring councils.",
        ),
        ("children's services", "Social worker vacancies can't be filled at our pay grades."),
    ],
    "no-data-standard": [
        ("housing repairs", "Addresses are typed as free text with no UPRN, so records can't be matched."),
        ("waste", "Our records hold addresses without UPRNs so reports can't be matched to properties."),
    ],
    "blame-culture": [
        ("customer services", "Staff fear being blamed so problems are hidden from senior managers."),
        ("adult social care", "People hide problems because of a blame culture from senior managers."),
    ],
}
UNRELATED = [
    ("parking", "The permit system only stores one vehicle per permit."),
    ("registrars", "Death registrations are only offered at one office."),
    ("environmental health", "The sampling qualification is held by one officer."),
]


def _records() -> list[RootCauseRecord]:
    records = []
    for name, members in SAME_CAUSE_GROUPS.items():
        for number, (service, text) in enumerate(members, start=1):
            records.append(RootCauseRecord(f"{name}-{number}", text, service))
    for number, (service, text) in enumerate(UNRELATED, start=1):
        records.append(RootCauseRecord(f"unrelated-{number}", text, service))
    return records


def _group(record: RootCauseRecord) -> str:
    return record.id.rsplit("-", 1)[0]


def test_the_threshold_separates_the_same_cause_from_different_causes() -> None:
    records = _records()
    same, different = [], []
    for first, second in itertools.combinations(records, 2):
        found = similar_root_causes(first.text, [second])
        score = found[0].score if found else 0.0
        paired = _group(first) == _group(second) and not first.id.startswith("unrelated")
        (same if paired else different).append(score)
    assert min(same) >= RELATED_THRESHOLD > max(different)


def test_similar_root_causes_ranks_and_marks_related() -> None:
    records = _records()
    query = "The procurement rules make us run a full tender for a small bit of software."
    found = similar_root_causes(query, records, k=3)
    assert [_group(item.record) for item in found] == ["procurement-rules"] * 3
    assert all(item.related for item in found)
    assert found[0].score >= found[1].score >= found[2].score
    assert "full tender" in found[0].shared_words


def test_seen_elsewhere_counts_distinct_services_including_the_asking_one() -> None:
    candidates = [r for r in _records() if _group(r) == "pay-grades"][:2] + _records()[-3:]
    result = seen_elsewhere(
        "Nobody applies for our environmental health officer posts at our pay grades.",
        "environmental health",
        candidates,
    )
    assert result.services[0] == "environmental health"
    assert set(result.services) == {"environmental health", "planning", "building control"}
    assert result.council_wide_candidate
    assert {item.record.id for item in result.related} == {"pay-grades-1", "pay-grades-2"}


def test_the_same_service_twice_is_not_council_wide() -> None:
    candidates = [
        RootCauseRecord("a", "We can't recruit planners at our pay grades.", "Planning"),
        RootCauseRecord("b", "Planner posts stay empty at our pay grades.", " planning "),
    ]
    result = seen_elsewhere("Our pay grades are too low to recruit planners.", "planning", candidates)
    assert len(result.related) == 2
    assert result.services == ("planning",)
    assert not result.council_wide_candidate


def test_nothing_in_common_gives_nothing() -> None:
    result = seen_elsewhere("Zorblats misfire.", "waste", _records())
    assert result.similar == ()
    assert result.services == ("waste",)
    assert not result.council_wide_candidate


def test_themes_group_by_similarity_and_flag_three_services() -> None:
    themes = find_themes(_records())
    grouped = {frozenset(_group(member) for member in theme.members) for theme in themes}
    assert grouped == {frozenset({name}) for name in SAME_CAUSE_GROUPS}
    first = themes[0]
    assert len(first.services) == 3 and first.council_wide_candidate
    two_services = [theme for theme in themes if len(theme.services) == 2]
    assert two_services and not any(theme.council_wide_candidate for theme in two_services)
    assert all(theme.key_words for theme in themes)


def test_themes_keep_categories_apart() -> None:
    records = [
        RootCauseRecord(
            "1", "There's no invest to save fund for new software.", "waste", "funding-investment"
        ),
        RootCauseRecord(
            "2", "There's no invest to save fund for new software.", "libraries", "funding-investment"
        ),
        RootCauseRecord(
            "3", "There's no invest to save fund for new software.", "parking", "governance-policy"
        ),
    ]
    themes = find_themes(records)
    assert [(theme.category, len(theme.members)) for theme in themes] == [("funding-investment", 2)]


def test_themes_are_repeatable() -> None:
    assert find_themes(_records()) == find_themes(_records())


def test_only_a_public_channels_root_causes_are_shown_and_only_inside_the_workspace() -> None:
    public = ChannelFacts("C1", "revenues", private=False, shared=False)
    private = ChannelFacts("G1", "hr", private=True, shared=False)
    dm = ChannelFacts("D1", None, private=True, shared=False)
    connect = ChannelFacts("C2", "partners", private=False, shared=True)
    # A public channel's root cause may be seen from a public channel, a private one or a DM.
    assert all(may_show_elsewhere(public, audience) for audience in (public, private, dm))
    # Never a private channel's or a DM's, whoever asks.
    assert not any(
        may_show_elsewhere(source, audience) for source in (private, dm) for audience in (public, dm)
    )
    # Never into a channel shared with another organisation; a shared public channel's may be shown here.
    assert not may_show_elsewhere(public, connect)
    assert may_show_elsewhere(connect, public)
    # What Slack did not tell us is a no.
    assert not may_show_elsewhere(None, public) and not may_show_elsewhere(public, None)


def test_a_candidate_with_no_word_in_common_is_not_weighed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its score is 0 whatever its words weigh: only the query and the candidates sharing a term with
    it are turned into vectors (a workspace's hundreds of root causes are compared on every one)."""
    weighed: list[str] = []
    vector = Vectoriser.vector

    def counting(self: Vectoriser, parts: Iterable[WeightedText]) -> dict[str, float]:
        parts = list(parts)
        weighed.extend(part.text for part in parts)
        return vector(self, parts)

    monkeypatch.setattr(Vectoriser, "vector", counting)
    query = "Procurement rules force a full tender for any software"
    candidates = [
        RootCauseRecord("1", "The parking permit printer is broken", "parking"),
        RootCauseRecord("2", "A full tender is needed for small software", "housing"),
        RootCauseRecord("3", "Nobody answers the phones at lunchtime", "contact centre"),
    ]
    [found] = similar_root_causes(query, candidates, k=3)
    assert found.record.id == "2" and found.related
    assert weighed == [query, candidates[1].text]
