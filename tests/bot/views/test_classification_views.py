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
