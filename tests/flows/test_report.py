"""The problem report and the classification step's typed replies (no Slack, no database)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from flows import classification_step
from flows.engine import Answer
from flows.parsing import ParseFailure
from flows.report import CostSettings, ProblemReport, ReportInputs, SessionAnswers, build_report
from flows.schema import Template, get_template

# Stand-ins for the pain-points and cost-impacts templates: the summary finds its parts by the kinds of
# question a template asks, so any template asking the same kinds feeds it the same way.
PAIN_POINTS = Template.model_validate(
    {
        "id": "test-pain-points",
        "title": {"en": "Pain points"},
        "description": {"en": "d"},
        "intro": {"en": "i"},
        "completion": {"en": "c"},
        "steps": [
            {
                "id": "points",
                "kind": "repeat",
                "label": {"en": "Pain points"},
                "steps": [
                    {"id": "point", "prompt": {"en": "Pain point?"}, "label": {"en": "Pain point"}},
                    {
                        "id": "severity",
                        "kind": "scale",
                        "prompt": {"en": "Severity?"},
                        "label": {"en": "Severity"},
                    },
                ],
            },
            {"id": "top_three", "kind": "rank", "options_from": "points.point", "prompt": {"en": "Rank"}},
        ],
    }
)
COSTS = Template.model_validate(
    {
        "id": "test-cost-impacts",
        "title": {"en": "Cost impacts"},
        "description": {"en": "d"},
        "intro": {"en": "i"},
        "completion": {"en": "c"},
        "steps": [
            {
                "id": "lines",
                "kind": "repeat",
                "label": {"en": "Cost lines"},
                "steps": [
                    {
                        "id": "bearer",
                        "kind": "choice",
                        "prompt": {"en": "Who bears it?"},
                        "choices": [
                            {"value": "residents", "label": {"en": "Residents"}},
                            {"value": "staff", "label": {"en": "Staff"}},
                            {"value": "council services", "label": {"en": "Council services"}},
                        ],
                    },
                    {"id": "what", "prompt": {"en": "What?"}},
                    {"id": "time", "kind": "duration", "prompt": {"en": "Time?"}},
                    {"id": "often", "kind": "frequency", "prompt": {"en": "How often?"}},
                    {"id": "people", "kind": "count", "prompt": {"en": "People?"}},
                    {"id": "rate", "kind": "money", "optional": True, "prompt": {"en": "Rate?"}},
                    {"id": "direct", "kind": "direct_cost", "optional": True, "prompt": {"en": "Direct?"}},
                ],
            }
        ],
    }
)
FIVE_WHYS = get_template("five-whys")


def report_of(
    main: SessionAnswers, related: list[SessionAnswers] | None = None, costs: CostSettings | None = None
) -> ProblemReport:
    return build_report(ReportInputs(sessions=[main, *(related or [])], costs=costs or CostSettings()))


def answers(values: dict[str, Any], author: str = "U0FAC") -> dict[str, Answer]:
    return {key: Answer(value, author=author) for key, value in values.items()}


def five_whys_values(**extra: Any) -> dict[str, Any]:
    return {
        "problem": "Residents ring us because the form rejects postcodes",
        "whys.1.answer": "The form rejects postcodes without a space",
        "whys.2.answer": "The supplier's validation insists on a space",
        "whys.3.answer": "Our contract gives us no say over the supplier's releases",
        "whys.3.fixes_it": True,
        "root_cause": {"item": 3, "text": "Our contract gives us no say over the supplier's releases"},
        "second_branch": False,
        **extra,
    }


def test_the_summary_shows_chain_root_cause_and_a_change_with_who_made_it() -> None:
    proposed = classification_step.proposal_dict(classification_step.propose(five_whys_values()))
    changed = classification_step.parse_reply("scope council-wide", proposed)
    assert isinstance(changed, dict)
    main = SessionAnswers(1, FIVE_WHYS, answers(five_whys_values(classification=changed), author="U0LEAD"))
    summary = report_of(main)
    assert summary.whys == (
        "The form rejects postcodes without a space",
        "The supplier's validation insists on a space",
        "Our contract gives us no say over the supplier's releases",
    )
    assert summary.root_cause == "Our contract gives us no say over the supplier's releases"
    view = summary.classification
    assert view is not None
    assert (view.scope, view.status) == ("council-wide", "changed")
    assert view.by is not None and view.by.user_id == "U0LEAD"
    assert view.proposed_scope == proposed["scope"] != "council-wide"
    assert view.category == proposed["category"]


def test_an_undecided_classification_is_shown_as_a_proposal() -> None:
    summary = report_of(SessionAnswers(1, FIVE_WHYS, answers(five_whys_values())))
    assert summary.classification is not None and summary.classification.status == "proposed"


def test_pain_points_costs_and_interventions_come_from_every_session_on_the_problem() -> None:
    pains = answers(
        {
            "points.1.point": "Phone queues",
            "points.1.severity": 3,
            "points.2.point": "Re-keying forms",
            "points.2.severity": 5,
            "points.3.point": "Lost letters",
            "points.3.severity": 1,
            "points.done": 3,
            "top_three": [
                {"item": 2, "text": "Re-keying forms"},
                {"item": 1, "text": "Phone queues"},
                {"item": 3, "text": "Lost letters"},
            ],
        }
    )
    costs = answers(
        {
            # 2h x 150 a year x 2 people x £30 = £18,000 (staff)
            "lines.1.bearer": "staff",
            "lines.1.what": "Re-keying",
            "lines.1.time": {"hours": "2"},
            "lines.1.often": {"per_year": "150", "text": "3 a week"},
            "lines.1.people": 2,
            # 0.5h x 1,000 a year x 1 person x £20 + £2 each time = £12,000 (residents)
            "lines.2.bearer": "residents",
            "lines.2.what": "Waiting on the phone",
            "lines.2.time": {"hours": "0.5"},
            "lines.2.often": {"per_year": "1000", "text": "1000 a year"},
            "lines.2.people": 1,
            "lines.2.rate": "20",
            "lines.2.direct": {"amount": "2", "basis": "per_occurrence"},
            # an unfinished line (no frequency yet) is left out
            "lines.3.bearer": "staff",
            "lines.3.what": "Half-entered",
            # a line with only a direct cost counts: £1,200 a month = £14,400 a year (council services)
            "lines.4.bearer": "council services",
            "lines.4.what": "Agency cover",
            "lines.4.often": {"per_year": "12", "text": "monthly"},
            "lines.4.people": 1,
            "lines.4.direct": {"amount": "14400", "basis": "per_year"},
        }
    )
    main = SessionAnswers(
        3,
        FIVE_WHYS,
        answers(
            five_whys_values(
                **{
                    "interventions.1.what": "Renegotiate release notice",
                    "interventions.1.owner": "U0SAM",
                    "interventions.1.first_checkin": "2026-12-01",
                    "interventions.1.cadence": "weekly",
                    "interventions.done": 1,
                }
            )
        ),
    )
    summary = report_of(
        main,
        [SessionAnswers(2, COSTS, costs), SessionAnswers(1, PAIN_POINTS, pains)],
        costs=CostSettings(hourly_rate_default=Decimal(30)),
    )
    assert [p.text for p in summary.pain_points] == ["Re-keying forms", "Phone queues", "Lost letters"]
    assert [(p.rank, p.severity) for p in summary.pain_points] == [(1, 5), (2, 3), (3, 1)]
    assert summary.costs is not None
    assert summary.costs.total == Decimal(44400)
    assert {b.bearer: b.amount for b in summary.costs.by_bearer} == {
        "residents": Decimal(12000),
        "staff": Decimal(18000),
        "council services": Decimal(14400),
    }
    assert [(c.what, c.annual) for c in summary.costs.costliest] == [
        ("Re-keying", Decimal(18000)),
        ("Agency cover", Decimal(14400)),
        ("Waiting on the phone", Decimal(12000)),
    ]
    assert [
        (i.what, i.owner.user_id if i.owner else None, i.first_checkin, i.cadence)
        for i in summary.interventions
    ] == [("Renegotiate release notice", "U0SAM", "2026-12-01", "weekly")]


def test_unranked_pain_points_are_listed_most_severe_first() -> None:
    pains = answers(
        {"points.1.point": "Mild", "points.1.severity": 1, "points.2.point": "Severe", "points.2.severity": 5}
    )
    summary = report_of(SessionAnswers(1, PAIN_POINTS, pains))
    assert [p.text for p in summary.pain_points] == ["Severe", "Mild"]


PROPOSED = {"scope": "product", "category": "technology", "confidence": 0.5, "reasons": ["r"]}


def test_typed_confirmations_and_overrides() -> None:
    confirmed = classification_step.parse_reply("Confirm.", PROPOSED)
    assert isinstance(confirmed, dict)
    assert (confirmed["scope"], confirmed["category"], confirmed["status"]) == (
        "product",
        "technology",
        "confirmed",
    )
    both = classification_step.parse_reply("scope council wide and category funding", PROPOSED)
    assert isinstance(both, dict)
    assert (both["scope"], both["category"], both["status"]) == (
        "council-wide",
        "funding-investment",
        "changed",
    )
    bare = classification_step.parse_reply("service", PROPOSED)
    assert isinstance(bare, dict) and (bare["scope"], bare["category"]) == ("service", "technology")
    # A second change builds on the first decision, not on the proposal.
    again = classification_step.parse_reply("category data", PROPOSED, current=both)
    assert isinstance(again, dict) and (again["scope"], again["category"]) == ("council-wide", "data")
    # Choosing exactly what was proposed is a confirmation.
    same = classification_step.parse_reply("scope product", PROPOSED)
    assert isinstance(same, dict) and same["status"] == "confirmed"


def test_unrecognised_replies_say_what_is_expected() -> None:
    for text in ("scope galaxy", "category vibes", "maybe", "scope service and bananas"):
        failure = classification_step.parse_reply(text, PROPOSED)
        assert isinstance(failure, ParseFailure), text
        assert "`council-wide`" in failure.message and "confirm" in failure.examples


@given(st.text(max_size=200))
def test_any_reply_gives_a_value_or_a_clear_failure(text: str) -> None:
    result = classification_step.parse_reply(text, PROPOSED)
    if isinstance(result, ParseFailure):
        assert result.message and result.examples
    else:
        assert result["scope"] in ("product", "service", "council-wide")
        assert result["status"] in ("confirmed", "changed")


def test_interventions_from_every_path_with_people_by_name() -> None:
    from datetime import date

    from flows.report import FORMER_PARTICIPANT_ID, StoredIntervention

    values = five_whys_values(
        **{
            "interventions.1.what": "Renegotiate (edited since)",
            "interventions.1.owner": "U0SAM",
            "interventions.done": 1,
        }
    )
    stored = [
        # Materialised from the session's list when it completed, before the answer was edited.
        StoredIntervention(1, "Renegotiate", "U0SAM", date(2026, 12, 1), "weekly", source_item=1),
        # Added later with /playbook intervene (no item in the list).
        StoredIntervention(1, "Publish a guide", "U0ALEX", date(2026, 12, 9), "fortnightly"),
        StoredIntervention(1, "Call the supplier", FORMER_PARTICIPANT_ID, date(2026, 12, 10), "monthly"),
        StoredIntervention(1, "Train the team", "U0GONE", None, None),
    ]
    report = build_report(
        ReportInputs(
            sessions=[SessionAnswers(1, FIVE_WHYS, answers(values))],
            interventions=stored,
            names={"U0SAM": "Sam", "U0ALEX": "Alex"},
        )
    )
    assert [(i.what, i.owner.name if i.owner else None) for i in report.interventions] == [
        ("Train the team", "someone no longer in the workspace"),
        ("Renegotiate (edited since)", "Sam"),
        ("Publish a guide", "Alex"),
        ("Call the supplier", "former participant"),
    ]


def test_levels_and_cause_and_effect_are_read_by_what_the_templates_ask() -> None:
    levels = get_template("problem-levels")
    cpi = get_template("cause-problem-impact")
    report = build_report(
        ReportInputs(
            sessions=[
                SessionAnswers(
                    2,
                    cpi,
                    answers(
                        {
                            "problem": "Repairs get lost",
                            "causes.1.cause": "Two queues",
                            "impacts.1.impact": "Residents ring again",
                            "impacts.1.bearer": "residents",
                            "impacts.1.severity": 4,
                            "impacts.2.impact": "Overtime",
                            "impacts.2.bearer": "staff",
                            "impacts.2.severity": 2,
                            "scope": "service",
                        }
                    ),
                ),
                SessionAnswers(
                    1,
                    levels,
                    answers(
                        {
                            "problem": "Older wording",
                            "residents": "They ring",
                            "council_wide": False,
                            "council_wide_why": "Only repairs",
                        }
                    ),
                ),
            ]
        )
    )
    assert report.problem == "Repairs get lost"  # the session the report is for comes first
    assert report.levels is not None and report.levels.chosen == "service or product level"
    assert report.levels.evidence == "Only repairs"
    assert [(lv.label, lv.text) for lv in report.levels.levels] == [("For residents", "They ring")]
    effect = report.cause_effect
    assert effect is not None and effect.causes == ("Two queues",)
    assert [(i.text, i.bearer, i.severity) for i in effect.impacts] == [
        ("Residents ring again", "Residents", 4),
        ("Overtime", "Staff", 2),
    ]
    assert effect.affected == ("Residents", "Staff") and effect.scope == "Service"


def test_a_welsh_reader_is_offered_welsh_examples_that_are_accepted() -> None:
    for locale in ("en", "cy"):
        failure = classification_step.parse_reply("maybe", PROPOSED, locale=locale)
        assert isinstance(failure, ParseFailure)
        assert failure.examples[0] == ("cadarnhau" if locale == "cy" else "confirm")
        for example in failure.examples:
            accepted = classification_step.parse_reply(example, PROPOSED, locale=locale)
            assert isinstance(accepted, dict), example
