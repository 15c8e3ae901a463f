"""One resolver for the language: a person's choice, else the workspace's default, else English; a
channel follows the facilitator unless the workspace is bilingual. Read from the real database."""

from __future__ import annotations

from bot.services import language
from flows.i18n import BILINGUAL
from tests.bot.conftest import ALEX, FACILITATOR, TEAM, Harness


def _set(h: Harness, *, person: str | None = None, workspace: str | None = None) -> None:
    with h.deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        if person is not None:
            uow.people.set_locale(TEAM, FACILITATOR, person)
        if workspace is not None:
            uow.workspaces.change_settings(TEAM, language=workspace)
        uow.commit()


def _resolved(h: Harness) -> tuple[str, str, str, str]:
    with h.deps.uow() as uow:
        return (
            language.person_locale(uow, TEAM, FACILITATOR),
            language.person_locale(uow, TEAM, ALEX),
            language.session_locale(uow, TEAM, FACILITATOR, in_dm=False),
            language.session_locale(uow, TEAM, FACILITATOR, in_dm=True),
        )


def test_nobody_has_chosen_english(harness: Harness) -> None:
    assert _resolved(harness) == ("en", "en", "en", "en")


def test_a_persons_choice_is_theirs_and_their_channel_sessions(harness: Harness) -> None:
    _set(harness, person="cy")
    assert _resolved(harness) == ("cy", "en", "cy", "cy")
    _set(harness, person="en")  # changed again: one row, updated
    assert _resolved(harness) == ("en", "en", "en", "en")


def test_the_workspace_default_is_for_those_who_have_not_chosen(harness: Harness) -> None:
    _set(harness, person="en", workspace="cy")
    assert _resolved(harness) == ("en", "cy", "en", "en")


def test_a_bilingual_workspace_posts_both_in_channels_whatever_the_facilitator_chose(
    harness: Harness,
) -> None:
    _set(harness, person="en", workspace="bilingual")
    # Alex has not chosen: bilingual. The facilitator's own DM session stays English.
    assert _resolved(harness) == ("en", BILINGUAL, BILINGUAL, "en")


def test_forgetting_a_person_removes_their_choice(harness: Harness) -> None:
    _set(harness, person="cy")
    with harness.deps.uow() as uow:
        assert uow.people.forget(TEAM, FACILITATOR) == 1
        uow.commit()
    assert _resolved(harness)[0] == "en"
