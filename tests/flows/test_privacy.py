"""Pure rules behind forget-me and the retention setting."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from flows.privacy import is_free_text, retention_days


def test_typed_answers_are_free_text_and_figures_or_choices_are_not() -> None:
    assert is_free_text("five-whys", "problem")
    assert is_free_text("five-whys", "whys.2.answer")
    assert not is_free_text("five-whys", "second_branch")  # yes / no
    assert not is_free_text("cost-impacts", "lines.1.time")  # a duration
    assert not is_free_text("five-whys", "whys.x.answer")
    assert not is_free_text("five-whys", "nowhere.1.answer")
    assert not is_free_text("no-such-template", "problem")


def test_retention_days_are_plain_numbers() -> None:
    assert retention_days("730") == 730
    assert retention_days(" 90 ") == 90
    for text in ("", "²", "٣٠", "1e3", "-30", "30 days", "9" * 40):
        assert retention_days(text) is None


@given(st.text(max_size=12))
@example("²")  # a digit to ``str.isdigit`` that ``int`` cannot read: it once failed the command
@example("٣٠")
def test_retention_days_never_raise(text: str) -> None:
    days = retention_days(text)
    plain = text.strip()
    assert days is None or (plain.isascii() and plain.isdigit() and days == int(plain))
