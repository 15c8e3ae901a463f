"""The four new templates, the team rule, editing and the cost computation, without Slack."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flows import team
from flows.computed import ComputedSection, cost_totals
from flows.editing import editable_answers, read_edits
from flows.engine import (
    Answer,
    ReplyContext,
    apply_reply,
    current_prompt,
    done_key,
    walk,
    with_changes,
)
from flows.report import CostSettings, ReportInputs, SessionAnswers, build_report, cost_lines_of
from flows.schema import Repeat, Template, get_template, load_templates
from flows.summary import build_summary

CTX = ReplyContext(today=date(2026, 11, 25), hourly_rate=Decimal("32.50"))
FAC, ALEX, SAM = "U0FAC", "U0ALEX", "U0SAM"


def session_cost_totals(
    template: Template, answers: Mapping[str, Answer], ctx: ReplyContext
) -> tuple[ComputedSection, ...]:
    """The cost sections of a report of these answers alone, at ``ctx``'s settings."""
    report = build_report(
        ReportInputs(
            sessions=[SessionAnswers(0, template, answers)],
            costs=CostSettings(ctx.hourly_rate, ctx.weeks_per_year, ctx.working_day_hours),
            locale=ctx.locale,
        )
    )
    return cost_totals(report, ctx.locale)


def run(template_id: str, replies: list[str], author: str = FAC) -> dict[str, Answer]:
    return run_on(get_template(template_id), {}, replies, author)


def run_on(
    template: Template, state: dict[str, Answer], replies: list[str], author: str = FAC
) -> dict[str, Answer]:
    for reply in replies:
        outcome = apply_reply(template, state, reply, CTX)
        assert not outcome.rejected, (reply, outcome.message)
        state = with_changes(state, outcome.changes, author)
    return state


def test_all_five_templates_load_with_their_ids() -> None:
    assert set(load_templates()) == {
        "five-whys",
        "problem-levels",
        "pain-points",
        "cause-problem-impact",
        "cost-impacts",
    }
    assert get_template("cost-impacts").computed == ("cost_totals",)
    pain = get_template("pain-points").node("pain_points")
    assert isinstance(pain, Repeat) and pain.collaborative


def test_problem_levels_asks_each_level_then_council_wide() -> None:
    state = run("problem-levels", ["Problem", "r", "s", "t", "i", "no", "only this service"])
    assert current_prompt(get_template("problem-levels"), state) is None
    assert state["council_wide"].value is False


def test_interventions_end_with_none_only_when_empty() -> None:
    template = get_template("cause-problem-impact")
    state = run("cause-problem-impact", ["P", "cause", "done", "impact", "staff", "3", "done", "product"])
    ended = with_changes(state, apply_reply(template, state, "none", CTX).changes)
    assert ended[done_key(template.node("interventions"))].value == 0  # type: ignore[arg-type]
    assert current_prompt(template, ended) is None
    # "none" at a list that needs an item is refused, never stored as an item called "none"...
    causes = run("cause-problem-impact", ["P"])
    refused = apply_reply(template, causes, "none", CTX)
    assert refused.rejected and not refused.changes and "`none`" in (refused.message or "")
    # ...and after the first item it ends the list, as `done` does.
    one = run("cause-problem-impact", ["P", "cause", "done", "impact", "staff", "3", "done", "product"])
    one = run_on(template, one, ["Fix it", "<@U0SAM>", "tomorrow", "weekly"])
    ended = with_changes(one, apply_reply(template, one, "none", CTX).changes)
    assert ended[done_key(template.node("interventions"))].value == 1  # type: ignore[arg-type]
    assert "interventions.2.what" not in ended


def test_hourly_rate_placeholder_shows_the_settings_rate() -> None:
    state = run("cost-impacts", ["P", "staff", "Scanning", "time", "1 hour", "daily", "2"])
    outcome = apply_reply(get_template("cost-impacts"), state, "help", CTX)
    assert outcome.next_prompt is not None and "(£32.50 an hour)" in outcome.next_prompt.text


def test_cost_lines_and_totals_from_answers() -> None:
    template = get_template("cost-impacts")
    # 2.5 h × 156 a year × 2 people × £32.50 (default) = £25,350; plus £1 × 156 = £156 → £25,506.
    staff = ["staff", "Re-keying", "both", "2h 30m", "3 a week", "2", "skip", "£1 each time", "skip"]
    # Money spent only (no time, people or rate asked); £1,200 a year direct → £1,200.
    residents = ["residents", "Postage", "money", "monthly", "£1,200 a year", "skip"]
    state = run("cost-impacts", ["P", *staff, *residents, "done", "skip"])
    assert current_prompt(template, state) is None
    lines = [costed.line for costed in cost_lines_of(SessionAnswers(0, template, state))]
    assert [(line.bearer, line.what) for line in lines] == [("staff", "Re-keying"), ("residents", "Postage")]
    assert lines[1].hourly_rate is None and lines[1].staff_hours_per_occurrence == 0
    assert "costs.2.people" not in state and "costs.2.staff_time" not in state
    sections = session_cost_totals(template, state, CTX)
    rows = {row.label: row.text for row in sections[0].rows}
    assert rows == {
        "Total a year": "£26,706",
        "Residents": "£1,200",
        "Staff": "£25,506",
        "Council services": "£0",
    }
    summary = build_summary(template, state, context=CTX)
    # Each line's yearly cost is shown beside it, so there is no separate list of the same lines.
    assert [s.heading for s in summary.sections][-2:] == ["Cost a year", "Assumptions"]
    cost_section = next(s for s in summary.sections if s.heading == "Cost lines")
    assert [item.text for item in cost_section.items] == ["Re-keying", "Postage"]  # titled by `what`
    assert [item.figure for item in cost_section.items] == ["£25,506 a year", "£1,200 a year"]


def _pain_points_open() -> dict[str, Answer]:
    return run("pain-points", ["Problem", "Bulky waste"])


def _team(state: dict[str, Answer], text: str, author: str, steer: bool = False) -> dict[str, Answer]:
    outcome = team.apply_team_reply(
        get_template("pain-points"), state, team.TeamReply(text, author, steer, FAC), CTX
    )
    assert not outcome.rejected, outcome.message
    return with_changes(state, outcome.changes, author)


def test_each_person_fills_their_own_item() -> None:
    template = get_template("pain-points")
    state = _pain_points_open()
    assert team.collecting(template, state) is not None
    state = _team(state, "Forms time out", ALEX)
    state = _team(state, "No reminders", SAM)
    state = _team(state, "staff", SAM)
    state = _team(state, "residents", ALEX)
    assert state["pain_points.1.what"].author == ALEX and state["pain_points.1.who"].value == "residents"
    assert state["pain_points.2.what"].author == SAM and state["pain_points.2.who"].value == "staff"
    prompt = team.prompt_for(template, state, ALEX, FAC, CTX)
    assert prompt is not None and prompt.key == "pain_points.1.level" and prompt.text.startswith(f"<@{ALEX}>")
    invitation = team.prompt_for(template, state, FAC, FAC, CTX)
    assert invitation is not None and invitation.key == "pain_points.3.what"
    assert [o.reply for o in invitation.options] == ["next"]


def test_only_the_facilitator_closes_the_list_and_unfinished_items_follow() -> None:
    template = get_template("pain-points")
    state = _team(_pain_points_open(), "Forms time out", ALEX)
    refused = team.apply_team_reply(template, state, team.TeamReply("next", ALEX, False, FAC), CTX)
    assert refused.rejected and not refused.changes and f"<@{FAC}>" in (refused.message or "")
    state = _team(state, "next", FAC, steer=True)
    assert state["pain_points.done"].value == 1
    assert team.collecting(template, state) is None
    position = walk(template, state).current
    assert position is not None and position.key == "pain_points.1.who"


def test_back_never_leaves_a_gap() -> None:
    template = get_template("pain-points")
    state = _team(_pain_points_open(), "Forms time out", ALEX)
    state = _team(state, "No reminders", SAM)
    gap = team.apply_team_reply(template, state, team.TeamReply("back", ALEX, False, FAC), CTX)
    assert gap.rejected and not gap.changes
    undone = team.apply_team_reply(template, state, team.TeamReply("back", SAM, False, FAC), CTX)
    assert [c.key for c in undone.changes] == ["pain_points.2.what"] and undone.changes[0].retract


def test_editing_reads_answers_like_the_thread() -> None:
    template = get_template("problem-levels")
    state = run("problem-levels", ["Problem", "r", "s", "t", "i", "no", "why"])
    state["residents"] = Answer("r", author=ALEX)
    raw = {key: None for key in state}
    mine = editable_answers(template, state, raw, user=ALEX, may_steer=False, locale="en")
    assert [e.key for e in mine] == ["residents"]
    everything = editable_answers(template, state, raw, user=FAC, may_steer=True, locale="en")
    allowed = {e.key: e for e in everything}
    assert allowed["council_wide"].text == "No"
    result = read_edits(
        template, state, {"council_wide": "perhaps", "service": "new", "forged": "x"}, allowed, CTX
    )
    assert set(result.errors) == {"council_wide"} and "yes or no" in result.errors["council_wide"]
    assert [(c.key, c.value) for c in result.changes] == [("service", "new")]
    unchanged = read_edits(template, state, {"council_wide": "No"}, allowed, CTX)
    assert unchanged.changes == () and unchanged.errors == {}


# A five-whys at its root-cause pick, where a number is read.
AT_THE_PICK = ["Forms reject postcodes", "why one", "why two", "why three", "yes"]


@settings(max_examples=150, deadline=None)
@given(
    template_id=st.sampled_from(sorted(load_templates())),
    replies=st.lists(st.text(max_size=60) | st.sampled_from(["done", "none", "back", "skip", "next", "3"])),
)
# Found by Hypothesis: "²" is a digit to ``str.isdigit`` but not a number ``int`` reads.
@example(template_id="five-whys", replies=[*AT_THE_PICK, "²"])
@example(template_id="five-whys", replies=[*AT_THE_PICK, "#²"])
def test_any_replies_to_any_template_never_raise(template_id: str, replies: list[str]) -> None:
    template = get_template(template_id)
    state: dict[str, Answer] = {}
    for reply in replies[:25]:
        outcome = apply_reply(template, state, reply, CTX)
        if outcome.rejected:
            assert outcome.message
        state = with_changes(state, outcome.changes)
    walk(template, state)
    build_summary(template, state, context=CTX)


def test_a_superscript_or_other_non_ascii_digit_is_not_a_pick_number() -> None:
    template = get_template("five-whys")
    state = run("five-whys", AT_THE_PICK)
    for reply in ("²", "#²", "٣", "１"):
        outcome = apply_reply(template, state, reply, CTX)
        assert outcome.rejected and outcome.message is not None
        assert "a number from 1 to 3" in outcome.message, outcome.message
    picked = apply_reply(template, state, "2", CTX)
    assert not picked.rejected
    assert [(change.key, change.value) for change in picked.changes] == [
        ("root_cause", {"item": 2, "text": "why two"})
    ]
