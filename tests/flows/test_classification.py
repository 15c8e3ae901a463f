"""The explainable classifier: properties over any text, readable cases written for these tests, the
rules file, the JSONL runner and the evaluation (including the accuracy targets on the dev set)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from _pytest.mark.structures import ParameterSet
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import classification_step
from flows.classification import (
    CATEGORIES,
    FAIRLY_SURE,
    SCOPES,
    Classification,
    ClassificationRulesError,
    classify,
    load_rules,
    normalise,
    run_classify_jsonl,
    terms_found,
)
from flows.classification_eval import (
    PROTOCOLS,
    LabelledAnalysis,
    cross_validate,
    dev_files,
    evaluate,
    format_cross_validation,
    format_report,
    leave_one_out,
    main,
    read_labelled_files,
    restrict_rules,
    stratified_folds,
    two_fold,
)
from flows.classification_examples import ExamplesError, LabelledExample, load_examples, packaged_index

# The development files are not in the repository: PLAYBOOK_EVAL_DIR names their folder when present.
DEV_FILES = dev_files() or []
DEV_SET = DEV_FILES[0] if DEV_FILES else Path("PLAYBOOK_EVAL_DIR is not set/classification-dev.jsonl")
RULES_FILE = Path(__file__).resolve().parents[2] / "flows/data/classification.yaml"

# --- properties -------------------------------------------------------------------------------------

answer = st.text(max_size=300)


@settings(max_examples=150, deadline=None)
@given(problem=answer, whys=st.lists(answer, max_size=7), root_cause=st.none() | answer)
def test_any_text_gives_a_valid_classification(problem: str, whys: list[str], root_cause: str | None) -> None:
    result = classify(problem, whys, root_cause)
    assert isinstance(result, Classification)
    assert result.scope in SCOPES
    assert result.category in CATEGORIES
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasons
    assert all(reason.strip() for reason in result.reasons)
    if root_cause is not None and root_cause.strip():
        assert result.root_cause == root_cause.strip()
    else:
        answered = [why.strip() for why in whys if why.strip()]
        assert result.root_cause == (answered[-1] if answered else "")


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["MTFS", "supplier", "defect", "handoff", "training", "policy", "culture", "statutory"]
        ),
        max_size=6,
    ),
    noise=answer,
)
def test_lexicon_words_mixed_with_noise_never_break_it(words: list[str], noise: str) -> None:
    result = classify(noise, [" ".join(words), noise])
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasons[0].startswith("Root cause:")
    assert result.reasons[1].startswith("Scope ") and result.reasons[2].startswith("Category ")
    assert result.reasons[-1].startswith("Confidence ")
    assert len(result.reasons) in (4, 5)  # the most similar known cases, when any shares a word


# --- readable cases (written for these tests) -------------------------------------------------------

CASES = [
    pytest.param(
        "Residents paying for bulky waste collections online are charged twice if they press back.",
        [
            "The payment is taken again when the page reloads.",
            "The booking form resubmits the payment request when the browser goes back.",
            "The form builder's payment widget has no protection against a second submission; the supplier "
            "says a fix is planned for the next release.",
        ],
        None,
        "product",
        "technology",
        id="payment-widget-defect",
    ),
    pytest.param(
        "Freedom pass renewals are taking ten weeks.",
        [
            "Applications wait a long time before anyone looks at them.",
            "They go to the customer services inbox first and are forwarded to the travel team.",
            "Nobody owns the end to end journey: customer services think their job ends when they forward it "
            "and the travel team don't know it has arrived.",
        ],
        None,
        "service",
        "process",
        id="nobody-owns-the-journey",
    ),
    pytest.param(
        "Building control applications take three weeks longer than in neighbouring councils.",
        [
            "Plans checks are taking too long.",
            "We only have two qualified surveyors after three left last year.",
            "We haven't trained anyone new and can't recruit experienced surveyors at our salary level.",
        ],
        None,
        "service",
        "people-skills",
        id="surveyor-skills",
    ),
    pytest.param(
        "We can't tell which residents are in contact with several services at once.",
        [
            "Every service keeps its own list of residents.",
            "Records can't be matched across systems because there is no common identifier.",
            "There is no council-wide approach to master data and no data owner for resident records.",
        ],
        None,
        "council-wide",
        "data",
        id="no-master-data",
    ),
    pytest.param(
        "Invoices to commercial waste customers are going to businesses that closed years ago.",
        [
            "The customer list in the billing system is out of date.",
            "The data migration loaded every account as active because the closure date was left out of "
            "the extract.",
        ],
        None,
        "product",
        "data",
        id="migration-lost-closures",
    ),
    pytest.param(
        "Residents get very different decisions on discretionary housing payments for similar cases.",
        [
            "Officers use their own judgement.",
            "The discretionary housing payment policy has no clear criteria for awards and hasn't been "
            "reviewed since 2016.",
        ],
        None,
        "service",
        "governance-policy",
        id="service-policy-unreviewed",
    ),
    pytest.param(
        "Our customer portal hasn't been improved for three years.",
        [
            "There is no team working on it.",
            "The savings programme removed all development budgets and there is no corporate fund for "
            "digital investment, so every service has to find the money from existing budgets.",
        ],
        None,
        "council-wide",
        "funding-investment",
        id="no-corporate-fund",
    ),
    pytest.param(
        "Our room booking system for community centres can't take online payments.",
        [
            "The payments add-on isn't switched on.",
            "The contract we signed only covers the core product and the supplier won't vary it without a "
            "price increase.",
        ],
        None,
        "product",
        "procurement-market",
        id="add-on-not-in-contract",
    ),
    pytest.param(
        "Teams wanting to try small digital tools wait six months for approval.",
        [
            "Buying any software goes through a full tender.",
            "Procurement rules across the council don't allow buying from frameworks such as G-Cloud, so "
            "small suppliers can't bid.",
        ],
        None,
        "council-wide",
        "procurement-market",
        id="procurement-rules",
    ),
    pytest.param(
        "Front-line staff in the repairs team stopped suggesting improvements.",
        [
            "Ideas raised in team meetings are never taken forward.",
            "The repairs managers have a blame culture and staff fear being singled out if they speak up.",
        ],
        None,
        "service",
        "culture-leadership",
        id="team-blame-culture",
    ),
    pytest.param(
        "Digital projects keep starting without a business owner.",
        [
            "Senior managers don't sponsor projects.",
            "The senior leadership team has never treated digital change as their job and the culture "
            "across the council is to hand it to IT.",
        ],
        None,
        "council-wide",
        "culture-leadership",
        id="leadership-culture",
    ),
    pytest.param(
        "All services are rewriting their privacy notices at short notice.",
        [
            "The existing notices don't meet the new requirements.",
            "New national data protection legislation applies to every service and the ICO guidance came "
            "out only weeks before it took effect.",
        ],
        None,
        "council-wide",
        "external-statutory",
        id="new-legislation",
    ),
]


@pytest.mark.parametrize(("problem", "whys", "root_cause", "scope", "category"), CASES)
def test_readable_cases(
    problem: str, whys: list[str], root_cause: str | None, scope: str, category: str
) -> None:
    result = classify(problem, whys, root_cause)
    assert (result.scope, result.category) == (scope, category), result.reasons


def test_the_confirmed_root_cause_outweighs_later_whys() -> None:
    whys = [
        "Requests wait weeks for an assessment.",
        "Only one officer has been trained to do the assessments and nobody else has the skills.",
        "Nationally there is a shortage and the government sets the rates.",
    ]
    confirmed = classify("Adaptations are delayed.", whys, root_cause=whys[1])
    last = classify("Adaptations are delayed.", whys)
    assert confirmed.root_cause == whys[1]
    assert confirmed.category == "people-skills"
    assert last.category == "external-statutory"
    assert confirmed.reasons[0] == "Root cause: the answer the team confirmed (why 2)."


def test_a_system_named_in_the_problem_does_not_make_it_product_level() -> None:
    result = classify(
        "Repairs jobs raised in the CRM are going missing and the housing management system shows none.",
        [
            "Jobs are keyed into two places.",
            "The contact centre and the repairs team both key jobs in and neither checks what the other did; "
            "there is no handoff between the two teams.",
        ],
    )
    assert result.scope == "service"
    assert result.category == "process"


def test_reasons_name_the_words_and_the_part_they_came_from() -> None:
    result = classify(
        "Projects stop at year end.",
        ["The money runs out.", "The MTFS only funds work that pays back in cash, in every service."],
    )
    assert result.scope == "council-wide"
    assert result.category == "funding-investment"
    scope_reason = result.reasons[1]
    assert scope_reason.startswith("Scope council-wide: the root cause mentions")
    assert '"MTFS"' in scope_reason
    assert '"every service"' in scope_reason
    assert "council-wide finance rules" in scope_reason
    assert result.reasons[2].startswith("Category funding-investment: the root cause mentions")


def test_confidence_is_higher_for_a_clear_case_than_a_mixed_one() -> None:
    clear = classify("Forms fail.", ["The supplier's release has a known defect in the API interface."])
    mixed = classify("Forms fail.", ["The supplier's contract has a defect clause."])
    nothing = classify("Things are slowish.", ["Because of reasons."])
    assert clear.confidence >= FAIRLY_SURE > mixed.confidence
    assert clear.confidence > mixed.confidence + 0.2
    assert "(fairly sure)" in clear.reasons[-1] and "(not sure)" in mixed.reasons[-1]
    assert nothing.confidence == 0.0
    assert "no scope words or phrases were found" in nothing.reasons[1]


def test_blank_confirmed_root_cause_falls_back_to_the_last_answered_why() -> None:
    result = classify("Problem", ["First answer", "Last answer", "   "], root_cause="  ")
    assert result.root_cause == "Last answer"
    assert result.reasons[0] == "Root cause: no answer was confirmed, so the last why (why 2) is used."


def test_normalise_reads_punctuation_as_spaces() -> None:
    assert normalise("The council's L&D offer — can't   wait; end-to-end!") == (
        "the council s l and d offer can t wait end to end"
    )


# --- the rules file ---------------------------------------------------------------------------------


def test_default_rules_are_cached_and_cover_every_label() -> None:
    rules = load_rules()
    assert load_rules() is rules
    assert set(rules.scope.labels) == set(SCOPES)
    assert set(rules.category.labels) == set(CATEGORIES)
    assert all(rules.category.labels[label] for label in CATEGORIES)


def _rules_data() -> dict[str, Any]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_an_officer_can_add_a_term_and_it_is_used(tmp_path: Path) -> None:
    data = _rules_data()
    data["category"]["labels"]["data"].append(
        {"why": "a made-up local word", "weight": 9, "terms": ["zorblat*"]}
    )
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    rules = load_rules(path)
    before = classify("Trouble", ["The zorblatting went wrong after training."])
    after = classify("Trouble", ["The zorblatting went wrong after training."], rules=rules)
    assert before.category == "people-skills"
    assert after.category == "data"
    assert '"zorblatting" (a made-up local word)' in after.reasons[2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["scope"]["labels"].pop("service"), "scope has no entry for: service"),
        (
            lambda data: data["category"]["labels"]["data"][0]["terms"].append("bad*term"),
            "'*' only at the end of a word",
        ),
        (lambda data: data["category"]["labels"]["data"][0].update(weight=-1), "greater than 0"),
        (
            lambda data: data["category"]["labels"]["data"][0]["terms"].append("records"),
            "listed twice",
        ),
    ],
    ids=["missing-label", "bad-term", "negative-weight", "repeated-term"],
)
def test_broken_rules_files_are_rejected_with_a_clear_message(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = _rules_data()
    change(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ClassificationRulesError, match=message):
        load_rules(path)


def test_unreadable_or_non_yaml_rules_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ClassificationRulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    path = tmp_path / "broken.yaml"
    path.write_text("scope: [unclosed", encoding="utf-8")
    with pytest.raises(ClassificationRulesError, match="not valid YAML"):
        load_rules(path)


# --- the JSONL runner -------------------------------------------------------------------------------


def _line(**fields: object) -> str:
    return json.dumps(fields) + "\n"


def test_jsonl_runner_reports_bad_lines_and_carries_on() -> None:
    lines = [
        _line(id="a", problem="Forms fail", whys=["The supplier's release has a known defect."]),
        "\n",
        "{not json\n",
        _line(id="c", problem="x"),
        _line(id="d", problem="x", whys="one answer"),
        _line(id="e", problem="x", whys=[]),
        "[1, 2]\n",
        _line(
            id=7,
            problem="Projects stop",
            whys=["Money runs out", "The MTFS only funds cashable savings in every service"],
            root_cause="The MTFS only funds cashable savings in every service",
            scope="ignored extra field",
        ),
    ]
    out, err = io.StringIO(), io.StringIO()
    assert run_classify_jsonl(lines, out, err) == 1
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [result["id"] for result in results] == ["a", 7]
    assert set(results[0]) == {"id", "root_cause", "scope", "category", "confidence", "reasons"}
    assert (results[0]["scope"], results[0]["category"]) == ("product", "technology")
    assert (results[1]["scope"], results[1]["category"]) == ("council-wide", "funding-investment")
    errors = err.getvalue().splitlines()
    assert len(errors) == 5
    assert errors[0].startswith("line 3: not valid JSON")
    assert errors[1] == "line 4: 'whys' is missing"
    assert errors[2] == "line 5: 'whys' must be a list of text answers"
    assert errors[3] == "line 6: 'whys' is empty: give at least one answer"
    assert errors[4] == "line 7: expected a JSON object with 'id', 'problem' and 'whys'"


def test_jsonl_runner_returns_zero_when_every_line_is_fine() -> None:
    out, err = io.StringIO(), io.StringIO()
    lines = [_line(id="only", problem="p", whys=["Nobody owns the handoff between teams"]), "   \n"]
    assert run_classify_jsonl(lines, out, err) == 0
    assert err.getvalue() == ""
    assert json.loads(out.getvalue())["scope"] == "service"


# --- evaluation -------------------------------------------------------------------------------------


def _labelled(case: ParameterSet) -> dict[str, object]:
    problem, whys, root_cause, scope, category = case.values
    return {
        "id": case.id,
        "problem": problem,
        "whys": whys,
        "root_cause": root_cause,
        "scope": scope,
        "category": category,
    }


def test_evaluate_counts_and_tables() -> None:
    records = [_labelled(case) for case in CASES]
    wrong = {**records[0], "id": "wrong-on-purpose", "category": "culture-leadership"}
    report = evaluate([*records, wrong])
    assert report.total == len(CASES) + 1
    assert report.scope_correct == len(CASES) + 1
    assert report.category_correct == len(CASES)
    assert report.category_confusion["culture-leadership"]["technology"] == 1
    assert sum(sum(row.values()) for row in report.scope_confusion.values()) == report.total
    assert [miss.id for miss in report.misses] == ["wrong-on-purpose"]
    text = format_report(report)
    assert f"Category accuracy: {len(CASES)}/{len(CASES) + 1}" in text
    assert "wrong-on-purpose: scope product; category culture-leadership -> technology" in text


def test_held_out_checks_drop_terms_the_other_examples_never_use() -> None:
    rules = load_rules()
    restricted = restrict_rules(rules, {"MTFS", "training"})
    assert terms_found("MTFS training defect supplier", restricted) == {"MTFS", "training"}
    records = [_labelled(case) for case in CASES]
    for report in (leave_one_out(records, rules), two_fold(records, rules)):
        assert report.total == len(CASES)
        assert report.scope_correct <= len(CASES)


def test_eval_command_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(_labelled(case)) + "\n" for case in CASES[:3]), encoding="utf-8")
    assert main([str(path)]) == 0
    printed = capsys.readouterr().out
    assert "Scope accuracy:    3/3 = 100.0%" in printed
    assert "Scope (rows = expected, columns = predicted)" in printed
    assert "Misclassified: none" in printed


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"{DEV_SET} is not present")
def test_dev_set_accuracy_meets_the_targets() -> None:
    records = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = evaluate(records)
    assert report.scope_accuracy >= 0.85, format_report(report)
    assert report.category_accuracy >= 0.75, format_report(report)


# --- known cases: the shipped examples and a workspace's own ----------------------------------------


def test_shipped_examples_load_with_unique_ids_and_cover_every_label() -> None:
    examples = load_examples(Path(__file__).resolve().parents[2] / "flows/data")
    assert examples == packaged_index().examples
    assert len({example.id for example in examples}) == len(examples) >= 150
    assert {example.scope for example in examples} == set(SCOPES)
    assert {example.category for example in examples} == set(CATEGORIES)
    for scope in SCOPES:
        assert sum(example.scope == scope for example in examples) >= 40
    assert all(example.root_cause in example.whys for example in examples)


def test_a_broken_examples_file_is_rejected_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "examples-bad.yaml").write_text(
        "- {problem: p, whys: [a, b], root: 3, scope: product, category: data}\n", encoding="utf-8"
    )
    with pytest.raises(ExamplesError, match="bad, example 1"):
        load_examples(tmp_path)
    with pytest.raises(ExamplesError, match="no examples"):
        load_examples(tmp_path / "empty")


def test_paper_bills_from_a_system_fault_are_product_technology() -> None:
    result = classify(
        "Paper council tax bills were printed with last year's discount for 300 households.",
        [
            "The print file carried the old discount.",
            "The revenues system's annual billing job reads the discount table before the year-end "
            "update is applied, a fault the supplier has confirmed in this version.",
        ],
    )
    assert (result.scope, result.category) == ("product", "technology"), result.reasons


def test_contract_and_licence_words_in_a_skills_story_stay_people_skills() -> None:
    result = classify(
        "The team stopped using the mapping tool the council bought a licence for.",
        [
            "Nobody opens it any more.",
            "The two officers who were trained on it left when their contracts ended and nobody else "
            "has been trained or knows how to use it.",
        ],
    )
    assert result.category == "people-skills", result.reasons
    assert result.scope == "service", result.reasons


def test_reasons_name_the_most_similar_known_cases() -> None:
    result = classify(
        "Adaptations are delayed.",
        ["We can't recruit occupational therapists at our salary and the team has two vacancies."],
    )
    similar = next(reason for reason in result.reasons if reason.startswith("Most similar:"))
    assert "known case: service, people-skills" in similar and "% alike" in similar
    assert "most similar known cases are people-skills" in result.reasons[2]


def _workspace_example(number: int, root_cause: str, scope: str, category: str) -> LabelledExample:
    return LabelledExample.model_validate(
        {
            "id": f"ws-{number}",
            "problem": "Residents are unhappy with the grass verges.",
            "whys": [root_cause],
            "root_cause": root_cause,
            "scope": scope,
            "category": category,
            "source": "workspace",
        }
    )


def test_a_workspaces_confirmed_classifications_are_used_and_counted() -> None:
    problem = "Verges are cut too rarely."
    whys = ["The grounds maintenance schedule mows urban verges four times a year."]
    before = classify(problem, whys)
    confirmed = [
        _workspace_example(n, text, "council-wide", "funding-investment")
        for n, text in enumerate(
            [
                "The grounds maintenance schedule was cut to four times a year to meet the savings target.",
                "The urban verges maintenance schedule was reduced when the budget was cut.",
                "Grounds maintenance cuts to the verge schedule came from the council's savings plan.",
            ]
        )
    ]
    after = classify(problem, whys, extra_examples=confirmed)
    assert (before.scope, before.category) != ("council-wide", "funding-investment")
    assert (after.scope, after.category) == ("council-wide", "funding-investment"), after.reasons
    assert (
        "Learning from 3 classifications confirmed or changed in this workspace; 3 are among the most "
        "similar cases." in after.reasons
    )
    assert "confirmed in this workspace: council-wide, funding-investment" in after.reasons[3]
    # The same index can be built once and reused (a batch, a worker).
    reused = classify(problem, whys, examples=packaged_index().with_examples(confirmed))
    assert (reused.scope, reused.category) == (after.scope, after.category)


# --- cross-validation -------------------------------------------------------------------------------


def test_stratified_folds_split_every_record_once_and_spread_the_scopes() -> None:
    records = [LabelledAnalysis.model_validate(_labelled(case)) for case in CASES]
    folds = stratified_folds(records, 3)
    assert sorted(r.id for fold in folds for r in fold) == sorted(r.id for r in records)
    assert max(len(fold) for fold in folds) - min(len(fold) for fold in folds) <= 1
    assert folds == stratified_folds(list(reversed(records)), 3)
    with pytest.raises(ValueError, match="folds"):
        stratified_folds(records, 1)


def test_cv_command_prints_every_protocol_per_fold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(_labelled(case)) + "\n" for case in CASES[:6]), encoding="utf-8")
    second.write_text("".join(json.dumps(_labelled(case)) + "\n" for case in CASES[6:]), encoding="utf-8")
    assert main(["--cv", "--folds", "3", str(first), str(second)]) == 0
    printed = capsys.readouterr().out
    for protocol in PROTOCOLS:
        assert f"{protocol}: {len(CASES)} analyses in 3 folds" in printed
    assert "  fold 3 (" in printed and "overall scope:" in printed and "sd " in printed
    assert "a.jsonl: scope" in printed and "b.jsonl: scope" in printed


def test_cv_without_files_names_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The repository holds no evaluation data: with no file and no PLAYBOOK_EVAL_DIR it says so.
    monkeypatch.delenv("PLAYBOOK_EVAL_DIR", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["--cv"])
    assert exited.value.code == 2
    assert "give the labelled JSONL file(s)" in capsys.readouterr().err
    # PLAYBOOK_EVAL_DIR names the folder of the two development files.
    for name, cases in (("classification-dev.jsonl", CASES[:6]), ("classification-dev-2.jsonl", CASES[6:])):
        (tmp_path / name).write_text(
            "".join(json.dumps(_labelled(c)) + "\n" for c in cases), encoding="utf-8"
        )
    monkeypatch.setenv("PLAYBOOK_EVAL_DIR", str(tmp_path))
    assert main(["--cv", "--folds", "3"]) == 0
    assert "classification-dev-2.jsonl: scope" in capsys.readouterr().out


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"{DEV_SET} is not present")
def test_cross_validated_accuracy_on_both_dev_files_meets_the_targets() -> None:
    records, files = read_labelled_files([DEV_SET, DEV_SET.with_name("classification-dev-2.jsonl")])
    shipped = cross_validate(records, files, folds=5)[0]
    assert shipped.name == "shipped"
    assert shipped.scope_accuracy >= 0.85, format_cross_validation([shipped])
    assert shipped.category_accuracy >= 0.75, format_cross_validation([shipped])


def test_a_decided_session_becomes_a_workspace_example() -> None:
    values = {
        "problem": "Forms are lost",
        "whys.1.answer": "Nobody owns the inbox",
        "whys.2.answer": "The team was never told to",
        "root_cause": {"item": 1, "text": "Nobody owns the inbox"},
        "classification": {"scope": "service", "category": "process", "status": "changed"},
    }
    example = classification_step.learned_example(7, values, "classification")
    assert example is not None
    assert (example.id, example.source, example.scope, example.category) == (
        "session-7",
        "workspace",
        "service",
        "process",
    )
    assert example.root_cause == "Nobody owns the inbox" and example.problem == "Forms are lost"
    assert example.whys == ("Nobody owns the inbox", "The team was never told to")
    # No decision, no whys, or a label the classifier doesn't know: nothing to learn from.
    assert (
        classification_step.learned_example(7, {**values, "classification": None}, "classification") is None
    )
    assert (
        classification_step.learned_example(7, {"classification": values["classification"]}, "classification")
        is None
    )
    odd = {**values, "classification": {"scope": "galaxy", "category": "process"}}
    assert classification_step.learned_example(7, odd, "classification") is None


def test_the_proposal_says_how_many_team_decisions_it_learned_from() -> None:
    proposal = classify("Forms are lost", ["Nobody owns the inbox"])
    assert "Learned from 4 of your team's decisions" in classification_step.describe_proposal(
        proposal, learned=4
    )
    assert "Learned from" not in classification_step.describe_proposal(proposal)


def test_the_short_why_says_what_the_answers_point_to_and_whether_known_cases_agree() -> None:
    from flows.classification import Classification
    from flows.classification_step import why_sentence

    def proposal(**fields: object) -> Classification:
        base: dict[str, object] = {
            "root_cause": "x",
            "scope": "service",
            "category": "process",
            "confidence": 0.3,
            "reasons": ["r"],
        }
        return Classification.model_validate(base | fields)

    both = proposal(scope_note="a", category_note="b", cases_agreeing=3, cases_consulted=7)
    assert why_sentence(both) == (
        "Why: the answers point to a and b, and 3 of the 7 most similar known cases agree."
    )
    assert why_sentence(proposal(scope_note="a", category_note="a")) == "Why: the answers point to a."
    assert why_sentence(proposal(cases_agreeing=2, cases_consulted=7)) == (
        "Why: 2 of the 7 most similar known cases were classified this way."
    )
    assert why_sentence(proposal()).startswith("Why: nothing in the answers points clearly")


def test_a_real_proposal_carries_the_notes_behind_its_strongest_evidence() -> None:
    result = classify(
        "Residents can't pay council tax online",
        ["The payment form times out", "The supplier's product caps sessions at two minutes"],
    )
    assert result.scope_note and result.category_note
    assert 0 <= result.cases_agreeing <= result.cases_consulted
    assert "margin" not in " ".join(result.reasons)


def test_only_terms_whose_first_word_an_answer_has_are_tried_and_none_that_matches_is_missed() -> None:
    rules = load_rules()
    texts = [
        normalise(text)
        for example in packaged_index().examples
        for text in (example.problem, *example.whys, example.root_cause)
    ]
    texts.append(normalise("Repayment of the L&D budget, end-to-end"))
    tried = everything = 0
    for index in (rules._scope_terms, rules._category_terms):
        for text in texts:
            candidates = index.candidates(text)
            words = set(text.split())
            matching = [term for term in index.terms if term[2].pattern.search(text)]
            # In the rules' order, every term that matches among them.
            assert [term for term in candidates if term in matching] == matching
            assert all(
                term.first_word in words if term.whole_first_word else term.first_word in text
                for _label, _group, term in candidates
            )
            tried += len(candidates)
            everything += len(index.terms)
    assert tried * 10 < everything


def test_a_proposal_is_made_once_from_the_same_learned_examples_and_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply at the classification step is checked against the proposal and, when not understood,
    asked again with it: one classification for the same examples and answers, kept with the examples
    (a session's, kept by the app while no erasure touches its workspace)."""
    decided = {
        "problem": "Forms are lost",
        "whys.1.answer": "Nobody owns the inbox",
        "root_cause": {"item": 1, "text": "Nobody owns the inbox"},
        "classification": {"scope": "service", "category": "process", "status": "changed"},
    }
    example = classification_step.learned_example(7, decided, "classification")
    assert example is not None
    values = {"problem": "Letters go missing", "whys.1.answer": "Nobody owns the post tray"}
    classified: list[str] = []
    real = classification_step.classify

    def counting(*args: Any, **kwargs: Any) -> Classification:
        classified.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(classification_step, "classify", counting)
    learned = classification_step.LearnedExamples([example])
    first = classification_step.propose(values, learned)
    again = classification_step.propose(values, learned)
    assert again is first and len(classified) == 1
    # Other examples (another request's read, or the same read anew) make their own proposal.
    other = classification_step.propose(values, classification_step.LearnedExamples([example]))
    assert other == first and other is not first and len(classified) == 2
    # Other answers: another proposal, kept beside the first.
    changed = {**values, "whys.1.answer": "Nobody owns the shared mailbox"}
    classification_step.propose(changed, learned)
    assert classification_step.propose(values, learned) is first and len(classified) == 3
    # A plain sequence of examples keeps nothing.
    classification_step.propose(values, [example])
    classification_step.propose(values, [example])
    assert len(classified) == 5
