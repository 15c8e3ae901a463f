"""Reading answers back, the questions before a probable slip, cancel, the steering words and the
progress shown in prompts: the pure flow engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import parsing, team, words
from flows.calendar import WorkingCalendar
from flows.engine import (
    PENDING,
    Answer,
    Outcome,
    ReplyContext,
    apply_reply,
    current_prompt,
    display_value,
    pending_of,
    walk,
    with_changes,
)
from flows.formatting import format_day
from flows.parsing import DirectCost, next_weekday_alternative, parse_date, parse_direct_cost
from flows.schema import StepKind, get_template
from flows.words import Command

MONDAY = date(2026, 11, 30)
CTX = ReplyContext(today=MONDAY, hourly_rate=Decimal(30))
FAC = "U0FAC"
DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=200)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def reply(template_id: str, state: dict[str, Answer], text: str) -> tuple[Outcome, dict[str, Answer]]:
    outcome = apply_reply(get_template(template_id), state, text, CTX)
    return outcome, with_changes(state, outcome.changes, FAC)


def run(template_id: str, replies: list[str]) -> dict[str, Answer]:
    state: dict[str, Answer] = {}
    for text in replies:
        outcome, state = reply(template_id, state, text)
        assert not outcome.rejected, (text, outcome.message)
    return state


def prompt_text(outcome: Outcome) -> str:
    assert outcome.next_prompt is not None
    return outcome.next_prompt.text


FIVE_WHYS_TO_INTERVENTIONS = ["P", "w1", "w2", "w3", "yes", "yes", "no", "confirm"]


# --- dates the UK way ----------------------------------------------------------------------------------


@DETERMINISTIC
@given(today=st.dates(date(2025, 1, 1), date(2030, 12, 31)), weekday=st.integers(0, 6))
def test_next_weekday_is_in_next_week_and_the_nearer_reading_is_offered(today: date, weekday: int) -> None:
    name = WEEKDAYS[weekday]
    taken = parse_date(f"next {name.title()}", today=today)
    assert isinstance(taken, date) and taken.weekday() == weekday
    # In the week (Monday to Sunday) after this one.
    assert taken - timedelta(days=taken.weekday()) == today - timedelta(days=today.weekday()) + timedelta(7)
    this = parse_date(f"this {name}", today=today)
    assert isinstance(this, date) and this.weekday() == weekday and 1 <= (this - today).days <= 7
    assert parse_date(name, today=today) == this
    nearer = next_weekday_alternative(f"next {name}", today=today)
    assert nearer == (this if this != taken else None)
    assert next_weekday_alternative(f"this {name}", today=today) is None


def test_next_tuesday_said_on_a_monday_is_a_week_tomorrow() -> None:
    assert parse_date("next Tuesday", today=MONDAY) == date(2026, 12, 8)
    assert next_weekday_alternative("next Tuesday", today=MONDAY) == date(2026, 12, 1)
    assert parse_date("dydd Mawrth nesaf", today=MONDAY) == date(2026, 12, 8)
    assert parse_date("Tuesday", today=MONDAY) == date(2026, 12, 1)


# --- direct costs: whether "each time" or "a year" was said --------------------------------------------


@DETERMINISTIC
@given(
    pounds=st.integers(1, 80_000_000),
    said=st.sampled_from(["", " each time", " a year", " per year", " bob tro", " y flwyddyn", " a month"]),
)
def test_a_direct_cost_knows_whether_its_period_was_said(pounds: int, said: str) -> None:
    cost = parse_direct_cost(f"£{pounds:,}{said}")
    assert isinstance(cost, DirectCost)
    assert cost.basis_stated is (said != "")


# --- reading back ---------------------------------------------------------------------------------------


def test_each_kind_of_answer_is_read_back_before_the_next_question() -> None:
    state = run("cost-impacts", ["P", "staff", "Re-keying", "both"])
    outcome, state = reply("cost-impacts", state, "2h 30m")
    assert outcome.message == "Got it. Time taken: 2 hours 30 minutes each time"
    assert "How often" in prompt_text(outcome)
    outcome, state = reply("cost-impacts", state, "3 a week")
    assert outcome.message == "Got it. How often: 156 times a year (3 times a week)"
    outcome, state = reply("cost-impacts", state, "twelve")
    assert outcome.message == "Got it. People involved: 12"
    outcome, state = reply("cost-impacts", state, "£32.50")
    assert outcome.message == "Got it. Hourly cost: £32.50 an hour"
    outcome, state = reply("cost-impacts", state, "£2 each time")
    assert outcome.message == "Got it. Direct cost: £2 each time — £312 a year"
    outcome, state = reply("cost-impacts", state, "none")  # an optional question: left out
    assert state["costs.1.evidence"].skipped
    yearly = run("cost-impacts", ["P", "staff", "Re-keying", "money"])
    outcome, _ = reply("cost-impacts", yearly, "1,200 a year")
    assert outcome.message == "Got it. How often: 1,200 times a year"
    outcome, _ = reply("cost-impacts", yearly, "once a year")
    assert outcome.message == "Got it. How often: once a year"


def test_a_choice_typed_as_an_alias_is_read_back_by_its_label() -> None:
    state = run("cost-impacts", ["P"])
    outcome, _ = reply("cost-impacts", state, "council")
    assert outcome.message == "Got it. Who bears it: Council services"
    outcome, _ = reply("cost-impacts", state, "Staff")
    assert outcome.message is None  # typed as the label: nothing to add


def test_the_first_check_in_and_cadence_are_read_back() -> None:
    state = run("five-whys", [*FIVE_WHYS_TO_INTERVENTIONS, "Fix it", "<@U0SAM>"])
    outcome, state = reply("five-whys", state, "next Tuesday")
    assert outcome.message == (
        "Got it. First check-in: Tuesday 8 December 2026, 10:00 (the Tuesday of next week; if you meant "
        "Tuesday 1 December 2026, type `this Tuesday`)"
    )
    outcome, _ = reply("five-whys", state, "every 2 weeks")
    assert outcome.message == "Got it. Check-in cadence: fortnightly"


# --- asking before a probable slip ------------------------------------------------------------------------


def test_a_direct_cost_without_a_period_is_asked_about_then_stored_either_way() -> None:
    state = run("cost-impacts", ["P", "residents", "Postage", "money", "2 a week"])
    outcome, asked = reply("cost-impacts", state, "£1,200")
    assert outcome.next_prompt is not None and outcome.next_prompt.key == PENDING
    assert "(that's £124,800 a year)" in prompt_text(outcome)
    assert [o.reply for o in outcome.next_prompt.options] == ["each time", "a year"]
    assert "costs.1.direct_cost" not in asked
    assert current_prompt(get_template("cost-impacts"), asked) == outcome.next_prompt  # shown again as is
    outcome, after = reply("cost-impacts", asked, "each time")
    assert after["costs.1.direct_cost"].value == {"amount": "1200.00", "basis": "per_occurrence"}
    assert pending_of(after) is None
    assert outcome.message == "Got it. Direct cost: £1,200 each time — £124,800 a year"
    _, after = reply("cost-impacts", asked, "y flwyddyn")
    assert after["costs.1.direct_cost"].value == {"amount": "1200.00", "basis": "per_year"}
    # Typing a full answer instead works too, and "back" returns to the question.
    _, after = reply("cost-impacts", asked, "£15 each time")
    assert after["costs.1.direct_cost"].value == {"amount": "15.00", "basis": "per_occurrence"}
    outcome, after = reply("cost-impacts", asked, "back")
    assert PENDING not in after and "costs.1.occurrences" in after
    assert "What is the direct cost" in prompt_text(outcome)


def test_a_line_over_a_million_a_year_and_a_high_rate_are_confirmed_first() -> None:
    state = run("cost-impacts", ["P", "council", "Courier", "money", "40 a week"])
    outcome, asked = reply("cost-impacts", state, "£1,200 each time")
    assert "*£2,496,000 a year*, over £1,000,000" in prompt_text(outcome)
    _, kept = reply("cost-impacts", asked, "yes")
    assert kept["costs.1.direct_cost"].value == {"amount": "1200.00", "basis": "per_occurrence"}
    outcome, declined = reply("cost-impacts", asked, "no")
    assert "costs.1.direct_cost" not in declined and PENDING not in declined
    assert "What is the direct cost" in prompt_text(outcome)
    # Each time, once chosen, is checked against the million too.
    _, asked = reply("cost-impacts", state, "£1,200")
    outcome, _ = reply("cost-impacts", asked, "each time")
    assert "*£2,496,000 a year*" in prompt_text(outcome)

    state = run("cost-impacts", ["P", "staff", "Advice", "time", "1 hour", "weekly", "1"])
    outcome, asked = reply("cost-impacts", state, "£250")
    assert "*£250 an hour* is more than £200 an hour" in prompt_text(outcome)
    outcome, kept = reply("cost-impacts", asked, "yes")
    assert kept["costs.1.hourly_rate"].value == "250.00" and outcome.message is not None
    assert outcome.message == "Got it. Hourly cost: £250 an hour"
    _, fine = reply("cost-impacts", state, "£200")
    assert fine["costs.1.hourly_rate"].value == "200.00" and PENDING not in fine


@pytest.mark.parametrize("text", ["0 a week", "never", "0 per month"])
def test_zero_occurrences_are_refused(text: str) -> None:
    state = run("cost-impacts", ["P", "staff", "Re-keying", "time", "1 hour"])
    outcome, after = reply("cost-impacts", state, text)
    assert outcome.rejected and not outcome.changes and "at least once" in (outcome.message or "")
    assert "costs.1.occurrences" not in after


# --- only the questions that apply, and progress -----------------------------------------------------------


def test_a_money_only_line_skips_time_people_and_rate_and_counts_its_questions() -> None:
    template = get_template("cost-impacts")
    state = run("cost-impacts", ["P", "staff", "A", "time", "1 hour", "weekly", "1", "skip", "skip"])
    state = run_on(state, ["residents", "Postage"])
    prompt = current_prompt(template, state)
    assert prompt is not None and prompt.progress == "Cost line 2 · 3 of 9 questions"
    state = run_on(state, ["money"])
    prompt = current_prompt(template, state)
    assert prompt is not None and prompt.progress == "Cost line 2 · 4 of 6 questions"
    state = run_on(state, ["monthly", "£5 each time", "skip"])
    assert not any(key.startswith("costs.2.") and key.split(".")[2] in ("staff_time", "people", "hourly_rate")
                   for key in state)  # fmt: skip
    position = walk(template, state).current
    assert position is not None and position.key == "costs.3.bearer"


def run_on(state: dict[str, Answer], replies: list[str]) -> dict[str, Answer]:
    for text in replies:
        outcome, state = reply("cost-impacts", state, text)
        assert not outcome.rejected, (text, outcome.message)
    return state


def test_whys_show_how_far_the_list_may_go() -> None:
    state = run("five-whys", ["P", "w1", "w2"])
    prompt = current_prompt(get_template("five-whys"), state)
    assert prompt is not None and prompt.progress == "Why 3 · up to 7"
    assert current_prompt(get_template("five-whys"), {}) is not None
    assert current_prompt(get_template("five-whys"), {}).progress is None  # type: ignore[union-attr]


# --- steering words ---------------------------------------------------------------------------------------

STATES = {
    "a free-text why": ("five-whys", ["P"]),
    "a yes or no": ("five-whys", ["P", "w1", "w2", "w3"]),
    "the first question of an optional list item": ("five-whys", FIVE_WHYS_TO_INTERVENTIONS),
    "an intervention's owner": ("five-whys", [*FIVE_WHYS_TO_INTERVENTIONS, "Fix it"]),
    "an optional duration": ("cost-impacts", ["P", "staff", "Re-keying", "both"]),
    "a direct cost": ("cost-impacts", ["P", "staff", "Re-keying", "money", "weekly"]),
    "a choice": ("cost-impacts", ["P"]),
}
FORMS = sorted(words.vocabulary().commands)


@DETERMINISTIC
@given(where=st.sampled_from(sorted(STATES)), form=st.sampled_from(FORMS))
def test_no_steering_word_is_ever_stored_as_an_answer(where: str, form: str) -> None:
    template_id, replies = STATES[where]
    outcome, after = reply(template_id, run(template_id, replies), form)
    for change in outcome.changes:
        assert not (isinstance(change.value, str) and words.fold(change.value) == form), (where, form)
    for key, answer in after.items():
        assert not (isinstance(answer.value, str) and words.fold(answer.value) == form and key != "problem")


def test_cancel_asks_and_only_a_yes_cancels() -> None:
    state = run("five-whys", ["P", "w1"])
    for word in ("cancel", "stop", "canslo", "Stop."):
        outcome, asked = reply("five-whys", state, word)
        assert outcome.control is None and pending_of(asked) == {"ask": "cancel"}
        assert "Cancel this session?" in prompt_text(outcome)
    for yes in ("yes", "cancel", "ie", "confirm"):
        outcome, after = reply("five-whys", asked, yes)
        assert outcome.control == "cancel" and PENDING not in after and after["whys.1.answer"].value == "w1"
    outcome, after = reply("five-whys", asked, "no")
    assert outcome.control is None and PENDING not in after and "Not cancelled" in (outcome.message or "")
    outcome, after = reply("five-whys", asked, "w2 after all")  # carrying on without a no
    assert outcome.control is None and after["whys.2.answer"].value == "w2 after all"
    assert PENDING not in after


def test_help_lists_every_steering_word() -> None:
    outcome, _ = reply("five-whys", run("five-whys", ["P"]), "help")
    for command in Command:
        if command in (Command.KEEP, Command.NEXT):  # answers to a held statement; the team facilitator's
            continue
        assert f"`{command.value}`" in (outcome.message or ""), command


def test_resume_in_a_running_session_says_so_and_stores_nothing() -> None:
    outcome, after = reply("five-whys", run("five-whys", ["P"]), "resume")
    assert outcome.rejected and not outcome.changes and "isn't paused" in (outcome.message or "")
    assert set(after) == {"problem"}


def test_stored_values_read_with_pounds_and_one_date_style() -> None:
    assert display_value("250.00", StepKind.MONEY) == "£250"
    assert display_value("1234.5", StepKind.MONEY) == "£1,234.50"
    assert display_value("2026-12-08", StepKind.DATE) == "Tuesday 8 December 2026"
    assert display_value("fortnightly", StepKind.CADENCE) == "fortnightly"
    assert display_value({"amount": "1200.00", "basis": "per_occurrence"}) == "£1,200 each time"
    assert display_value({"amount": "3500.00", "basis": "per_year"}) == "£3,500 a year"
    state = run("cost-impacts", ["P", "staff", "Advice", "time", "1 hour", "weekly", "1", "£1,250.5"])
    outcome, _ = reply("cost-impacts", state, "yes")  # over £200 an hour: confirmed
    outcome, _ = reply("cost-impacts", with_changes(state, outcome.changes), "back")
    assert outcome.message == "Going back. Your previous answer was: £1,250.50"


def test_cancel_during_a_team_list_asks_everyone_the_same_question() -> None:
    template = get_template("pain-points")
    state = run("pain-points", ["P", "Bulky waste bookings"])
    assert team.collecting(template, state) is not None
    _, asked = reply("pain-points", state, "cancel")
    prompt = team.prompt_for(template, asked, "U0ALEX", FAC, CTX)
    assert prompt is not None and prompt.key == PENDING and "Cancel this session?" in prompt.text


def test_a_first_check_in_on_a_weekend_or_bank_holiday_is_read_back_as_the_day_it_is_sent() -> None:
    ctx = replace(CTX, calendar=WorkingCalendar("england-and-wales"))
    template = get_template("five-whys")
    state = run("five-whys", [*FIVE_WHYS_TO_INTERVENTIONS, "Fix it", "<@U0SAM>"])
    saturday = apply_reply(template, state, "5 December", ctx)
    assert saturday.message == (
        "Got it. First check-in: Monday 7 December 2026, 10:00 (the first working day from Saturday "
        "5 December 2026: I send check-ins on working days)"
    )
    christmas = apply_reply(template, state, "25/12", ctx)
    assert christmas.message is not None
    assert christmas.message.startswith("Got it. First check-in: Tuesday 29 December 2026, 10:00")
    assert "which is Christmas Day" in christmas.message
    stored = with_changes(state, christmas.changes)
    assert stored["interventions.1.first_checkin"].value == "2026-12-25"  # the schedule moves it
    welsh = apply_reply(template, state, "28 Rhagfyr", replace(ctx, locale="cy"))  # Boxing Day, observed
    assert welsh.message is not None and "Gŵyl San Steffan (diwrnod yn lle)" in welsh.message, welsh.message


def test_a_confirmed_rate_that_takes_the_line_over_a_million_is_asked_about_too() -> None:
    # 40 hours × 52 a year × 2 people at £10,000 an hour: £41.6m a year.
    state = run("cost-impacts", ["P", "staff", "Consultants", "time", "40 hours", "weekly", "2"])
    _, asked = reply("cost-impacts", state, "£10,000")
    outcome, asked = reply("cost-impacts", asked, "yes")
    assert "*£41,600,000 a year*" in prompt_text(outcome) and "costs.1.hourly_rate" not in asked
    _, kept = reply("cost-impacts", asked, "yes")
    assert kept["costs.1.hourly_rate"].value == "10000.00" and PENDING not in kept


@DETERMINISTIC
@given(day=st.dates(date(2025, 1, 1), date(2035, 12, 31)))
def test_parsing_writes_dates_as_formatting_does(day: date) -> None:
    for locale in ("en", "cy"):
        past = parse_date((day - timedelta(days=1)).isoformat(), today=day, locale=locale)
        assert isinstance(past, parsing.ParseFailure) and f" {format_day(day, locale)})" in past.message
