"""The "seen elsewhere" blocks and the private answer to ``/playbook similar``: what a person reads."""

from __future__ import annotations

from datetime import date

from bot.delivery import as_dicts
from bot.views.classification import seen_elsewhere_blocks, similar_answer_blocks
from flows.related import ElsewhereFound, ShownRootCause

LINK = "https://anytown.slack.com/archives/C0REV/p1700000000000100"


def _text(blocks: list[dict[str, object]]) -> str:
    return "\n".join(str(block["text"]["text"]) for block in blocks)  # type: ignore[index]


def _found(*, council_wide: bool = False, link: str | None = LINK) -> ElsewhereFound:
    shown = (
        ShownRootCause(12, "Staff were never trained <!channel> & left", "revenues", date(2026, 11, 2), link),
        ShownRootCause(15, "Nobody trained the officers", "housing", date(2026, 11, 20), None),
    )
    return ElsewhereFound(
        "Crews not trained",
        shown,
        ("waste", "revenues", "housing"),
        3 if council_wide else 2,
        council_wide,
    )


def test_each_similar_root_cause_names_its_channel_date_and_link() -> None:
    text = _text(as_dicts(seen_elsewhere_blocks(_found())))
    assert "Seen elsewhere in the council" in text
    assert f"#revenues, 2 November 2026 · <{LINK}|session 12>" in text
    # No link from Slack: the session is named without one.
    assert "#housing, 20 November 2026 · session 15" in text
    # User words are escaped: no channel-wide ping from a root cause.
    assert "&lt;!channel&gt; &amp; left" in text and "<!channel>" not in text
    assert "council-wide" not in text


def test_three_services_say_it_may_be_council_wide() -> None:
    text = _text(as_dicts(seen_elsewhere_blocks(_found(council_wide=True))))
    assert "come up in 3 services (#waste, #revenues and #housing)" in text
    assert "*this may be council-wide*" in text


def test_a_link_that_is_not_a_slack_https_url_is_not_made_a_link() -> None:
    text = _text(as_dicts(seen_elsewhere_blocks(_found(link="javascript:alert(1)|x"))))
    assert "javascript" not in text and "· session 12" in text


def test_the_similar_answer_says_when_there_is_nothing_to_show() -> None:
    empty = ElsewhereFound("The budget was cut", (), (), 1, False)
    text = _text(as_dicts(similar_answer_blocks(7, [_found(), empty])))
    assert "Root causes like session 7's* (“Crews not trained”)" in text
    assert "Root causes like session 7's* (“The budget was cut”)" in text
    assert "No similar root causes in other sessions you can see." in text


def test_a_service_without_a_channel_name_is_this_session() -> None:
    found = ElsewhereFound("Crews not trained", _found().shown, ("revenues", "housing"), 3, True)
    text = _text(as_dicts(seen_elsewhere_blocks(found)))
    assert "come up in 3 services (this session, #revenues and #housing)" in text


# --- the proposal in plain words, and its details -----------------------------------------------------


def _proposal(whys: list[str], root: str | None = None) -> str:
    from bot.mrkdwn import escape
    from flows.classification import classify
    from flows.classification_step import describe_proposal

    return describe_proposal(classify("Residents can't pay online", whys, root), "en", escape)


def test_the_proposal_reads_as_a_sentence_with_one_line_of_why() -> None:
    text = _proposal(
        ["The payment form times out", "The supplier's product caps sessions at two minutes"],
        "The supplier's product caps sessions at two minutes",
    )
    lines = text.splitlines()
    assert lines[0].startswith("I'd put this at *product* scope, in the *")
    assert lines[0].endswith("_fairly sure_.") or lines[0].endswith("_not sure, please check_.")
    assert lines[1].startswith("Why: the answers point to ") and lines[1].count(".") <= 2
    for internal in ("margin", "Confidence", "mentions", "Most similar", "0.", "%"):
        assert internal not in text
    assert len(lines) == 3  # the proposal, why, how to confirm or change it


def test_a_proposal_with_nothing_to_go_on_says_so_and_is_not_sure() -> None:
    text = _proposal(["xyzzy"])
    assert "_not sure, please check_" in text
    assert "Why: " in text.splitlines()[1]


def test_the_menus_carry_a_show_details_button_for_the_session() -> None:
    from bot.views.classification import menus

    elements = as_dicts(menus(7, "classification"))[0]["elements"]
    details = next(e for e in elements if e["action_id"] == "classification.details")
    assert details["type"] == "button" and details["text"]["text"] == "Show details"
    assert details["value"] == "7"


def test_the_details_modal_lists_every_reason_escaped() -> None:
    from bot.views.classification import details_modal

    view = details_modal(
        "Proposed: *service* scope", ["Root cause: why 3.", "&lt;!here&gt; mentions"]
    ).to_dict()
    assert view["type"] == "modal" and len(view["title"]["text"]) <= 24
    body = "\n".join(b["text"]["text"] for b in view["blocks"])
    assert "• Root cause: why 3." in body and "<!here>" not in body
    assert "submit" not in view  # nothing to submit: it is for reading
