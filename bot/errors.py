"""Typed domain errors, and the one ``@app.error`` handler that decides where the user sees them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery import Ephemeral, send
from bot.request import caller_of
from bot.views.errors import modal_notice
from flows.i18n import t
from storage.uow import DatabaseUnavailable

log = logging.getLogger("playbook.errors")


class PlaybookError(Exception):
    """An error the user should see, in plain English. ``public`` messages may go in the thread."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class SessionNotFound(PlaybookError):
    pass


class NotAllowed(PlaybookError):
    pass


class BotNotInChannel(PlaybookError):
    pass


def _body_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return str(body.get("type", ""))


def _ephemeral(status: int, text: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=json.dumps({"response_type": "ephemeral", "text": text}),
        headers={"content-type": ["application/json;charset=utf-8"]},
    )


def _modal_notice(text: str) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps({"response_action": "update", "view": modal_notice(text).to_dict()}),
        headers={"content-type": ["application/json;charset=utf-8"]},
    )


def user_message(error: Exception, logger: logging.Logger) -> str:
    """What the person is told about ``error`` (and what the log says about it): a domain error's
    own words, else that the database is down or that something went wrong. Used by
    :func:`handle_error`, and by a command answered after its ack (a lazy listener, which Bolt runs
    outside its error handler)."""
    if isinstance(error, PlaybookError):
        logger.info("refused: %s (%s)", type(error).__name__, error.user_message)
        return error.user_message
    if isinstance(error, DatabaseUnavailable):
        # Nothing was stored: an event gets a 500 (Slack retries it), a person is told to try again.
        logger.error("the database did not answer: %s", error)
        return t("database_unavailable")
    if isinstance(error, SlackApiError):
        logger.error("Slack API error: %s", error.response.get("error") if error.response else error)
    else:
        logger.exception("listener failed", exc_info=error)
    return t("something_went_wrong")


def handle_error(
    error: Exception, body: dict[str, Any], client: WebClient, logger: logging.Logger
) -> BoltResponse | None:
    """Slash commands get an ephemeral reply in the HTTP response; buttons an ephemeral message; events
    a 500 (Slack then retries, and nothing half-done was committed) unless the error was for the user."""
    kind = _body_kind(body)
    message = user_message(error, logger)
    if kind == "command":
        return _ephemeral(200, message)
    if kind in ("block_actions", "view_submission", "shortcut", "message_action"):
        caller = caller_of(body)
        if caller.channel_id and caller.user_id:
            # Only the person who clicked sees it, in the thread where the button was.
            notice = Ephemeral(
                channel=caller.channel_id,
                user=caller.user_id,
                thread_ts=caller.thread_ts,
                text=message,
                best_effort=True,
            )
            send(client, [notice])
        # Slack never retries interactivity, so a 500 would only add its own warning to ours: a refused
        # or failed submission says why in the modal, and a button's ephemeral message was sent above.
        if kind == "view_submission":
            return _modal_notice(message)
        return BoltResponse(status=200, body="")
    if isinstance(error, PlaybookError):
        return BoltResponse(status=200, body="")
    return None


def register(app: App) -> None:
    app.error(handle_error)
