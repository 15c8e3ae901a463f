"""Themes as one viewer may see them: every root cause counts, only readable ones are shown."""

from __future__ import annotations

from flows.themes import ThemeSource, themes_for

SAME = (
    "The supplier contract does not let us change the system settings",
    "The supplier contract stops us changing the system settings",
    "We cannot change system settings because of the supplier's contract",
)
HIDDEN = "The supplier contract forbids changing settings for the confidential casework system"


def _sources(readable_private: bool) -> list[ThemeSource]:
    found = [
        ThemeSource(f"{n}:root_cause", n, text, f"C{n}", "procurement-market", True)
        for n, text in enumerate(SAME)
    ]
    found.append(ThemeSource("9:root_cause", 9, HIDDEN, "CPRIV", "procurement-market", readable_private))
    return found


def test_a_private_root_cause_counts_but_is_not_shown() -> None:
    [theme] = themes_for(
        _sources(False), service_names={"C0": "housing", "C1": "waste", "C2": "parking", "CPRIV": "casework"}
    )
    assert (theme.root_causes, theme.services, theme.council_wide_candidate) == (4, 4, True)
    assert theme.hidden_services == 1 and theme.hidden_root_causes == 1
    assert HIDDEN not in theme.shown and "casework" not in theme.shown_services
    assert set(theme.shown_services) == {"housing", "waste", "parking"}
    assert not any("confidential" in word or "casework" in word for word in theme.key_words)


def test_a_member_reads_it() -> None:
    [theme] = themes_for(_sources(True), service_names={"CPRIV": "casework"})
    assert theme.hidden_services == 0 and "casework" in theme.shown_services


def test_a_theme_of_only_hidden_root_causes_is_numbers_alone() -> None:
    sources = [
        ThemeSource(f"{n}:r", n, text, f"C{n}", "procurement-market", False) for n, text in enumerate(SAME)
    ]
    [theme] = themes_for(sources, service_names={"C0": "housing"})
    assert theme.shown == () and theme.shown_services == () and theme.key_words == ()
    assert (theme.root_causes, theme.services, theme.hidden_services, theme.council_wide_candidate) == (
        3,
        3,
        3,
        True,
    )


def test_two_services_are_not_council_wide_and_other_categories_are_apart() -> None:
    sources = [
        ThemeSource("1:r", 1, SAME[0], "C1", "procurement-market", True),
        ThemeSource("2:r", 2, SAME[1], "C1", "procurement-market", True),
        ThemeSource("3:r", 3, SAME[2], "C2", "procurement-market", True),
        ThemeSource("4:r", 4, SAME[0], "C3", "technology", True),
    ]
    [theme] = themes_for(sources, service_names={})
    assert (theme.root_causes, theme.services, theme.council_wide_candidate) == (3, 2, False)
