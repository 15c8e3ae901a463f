"""Who may do what: the rules that need no session."""

from __future__ import annotations

from flows.policy import may_set_nation


def test_anyone_sets_the_nation_until_leads_are_named_then_only_a_lead() -> None:
    assert may_set_nation(frozenset(), "U0ANYONE")
    assert may_set_nation(frozenset({"U0LEAD"}), "U0LEAD")
    assert not may_set_nation(frozenset({"U0LEAD"}), "U0ANYONE")
