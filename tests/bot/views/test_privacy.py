"""The forget-me confirmation's blocks (no Slack, no database)."""

from __future__ import annotations

from bot.codec import workspace_of_button
from bot.ids import PrivacyActionId
from bot.views.privacy import forget_me_confirmation


def test_the_confirmation_says_it_cant_be_undone_and_has_one_button_naming_the_workspace() -> None:
    blocks = [b.to_dict() for b in forget_me_confirmation("T0COUNCIL")]
    notice, actions = blocks
    assert "former participant" in notice["text"]["text"] and "can't be undone" in notice["text"]["text"]
    assert "`/playbook forget-me confirm`" in notice["text"]["text"]  # typeable, not only a button
    [button] = actions["elements"]
    assert (button["action_id"], button["style"], button["text"]["text"]) == (
        PrivacyActionId.FORGET_ME,
        "danger",
        "Forget me",
    )
    assert workspace_of_button(button["value"]) == "T0COUNCIL"
    assert workspace_of_button("") is None and workspace_of_button(None) is None
