"""An interaction's channel is the one its payload claims in both ``channel`` and ``container``."""

from __future__ import annotations

from bot.request import caller_of


def _action(channel: str | None, container_channel: str | None) -> dict[str, object]:
    body: dict[str, object] = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}}
    if channel is not None:
        body["channel"] = {"id": channel}
    if container_channel is not None:
        body["container"] = {"type": "message", "channel_id": container_channel, "message_ts": "1.1"}
    return body


def test_agreeing_claims_name_the_channel() -> None:
    assert caller_of(_action("C1", "C1")).channel_id == "C1"
    assert caller_of(_action("C1", None)).channel_id == "C1"
    assert caller_of(_action(None, "C1")).channel_id == "C1"


def test_disagreeing_or_missing_claims_name_none() -> None:
    assert caller_of(_action("C1", "C2")).channel_id == ""
    assert caller_of(_action(None, None)).channel_id == ""
