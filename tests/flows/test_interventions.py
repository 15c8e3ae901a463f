"""Interventions from a session's answers, and an owner's typed answer to a check-in (pure)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from flows.engine import Answer
from flows.interventions import (
    MAX_REASON,
    CheckInAnswer,
    NewIntervention,
    ParsedCheckInReply,
    interventions_from_answers,
    parse_checkin_reply,
)


def test_typed_answers_are_read() -> None:
    parse = parse_checkin_reply
    assert parse("on track") == ParsedCheckInReply(CheckInAnswer.ON_TRACK)
    assert parse("On-track.") == ParsedCheckInReply(CheckInAnswer.ON_TRACK)
    assert parse("blocked: supplier late") == ParsedCheckInReply(CheckInAnswer.BLOCKED, "supplier late")
    assert parse("blocked because Supplier is late") == ParsedCheckInReply(
        CheckInAnswer.BLOCKED, "Supplier is late"
    )
    assert parse("blocked") == ParsedCheckInReply(CheckInAnswer.BLOCKED, None)
    assert parse("done") == ParsedCheckInReply(CheckInAnswer.DONE)
    assert parse("not doing: no budget") == ParsedCheckInReply(CheckInAnswer.NOT_DOING, "no budget")
    assert parse("snooze") == ParsedCheckInReply(CheckInAnswer.SNOOZE_DAY)
    assert parse("snooze 1 day") == ParsedCheckInReply(CheckInAnswer.SNOOZE_DAY)
    assert parse("snooze week") == ParsedCheckInReply(CheckInAnswer.SNOOZE_WEEK)
    assert parse("Snooze for a week") == ParsedCheckInReply(CheckInAnswer.SNOOZE_WEEK)
    assert parse("The validation pattern insists on a space") is None
    assert parse("doneish") is None


_REASON = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200)
    .map(lambda s: " ".join(s.split()))
    .filter(
        lambda s: (
            s.strip(" .!:-–—,") == s and s != "" and not s.lower().startswith(("because", "as ", "due to"))
        )
    )
)


@given(reason=_REASON, separator=st.sampled_from([": ", " - ", " — ", ", ", " "]))
def test_a_blocked_reason_is_kept_as_typed(reason: str, separator: str) -> None:
    parsed = parse_checkin_reply(f"Blocked{separator}{reason}")
    assert parsed == ParsedCheckInReply(CheckInAnswer.BLOCKED, reason)


@given(text=st.text(max_size=300))
def test_any_text_is_an_answer_or_none_never_an_error(text: str) -> None:
    parsed = parse_checkin_reply(text)
    assert parsed is None or isinstance(parsed.kind, CheckInAnswer)
    if parsed is not None and parsed.reason is not None:
        assert parsed.reason.strip() and len(parsed.reason) <= MAX_REASON


def test_which_answers_close_snooze_or_need_a_reason() -> None:
    assert {a for a in CheckInAnswer if a.closes} == {CheckInAnswer.DONE, CheckInAnswer.NOT_DOING}
    assert {a for a in CheckInAnswer if a.snoozes} == {CheckInAnswer.SNOOZE_DAY, CheckInAnswer.SNOOZE_WEEK}
    assert {a for a in CheckInAnswer if a.needs_reason} == {CheckInAnswer.BLOCKED, CheckInAnswer.NOT_DOING}


def test_only_complete_items_of_the_interventions_list_become_interventions() -> None:
    answers = {
        "interventions.1.what": Answer("Fix the form", author="U0FAC"),
        "interventions.1.owner": Answer("U0SAM"),
        "interventions.1.first_checkin": Answer("2026-12-01"),
        "interventions.1.cadence": Answer("fortnightly"),
        # No owner yet.
        "interventions.2.what": Answer("Publish repair times"),
        "interventions.2.first_checkin": Answer("2026-12-01"),
        "interventions.2.cadence": Answer("weekly"),
        # A cadence we don't run.
        "interventions.3.what": Answer("Train staff"),
        "interventions.3.owner": Answer("U0ALEX"),
        "interventions.3.first_checkin": Answer("2026-12-01"),
        "interventions.3.cadence": Answer("daily"),
    }
    assert interventions_from_answers(answers) == [
        (1, NewIntervention("Fix the form", "U0SAM", date(2026, 12, 1), "fortnightly"))
    ]
