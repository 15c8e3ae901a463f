"""Logging for every command: one line per record, whatever a request or a person's answer contained.

A message is clipped (``MAX_MESSAGE_CHARS``) and its line breaks are escaped, so text from outside
(a request body, a typed answer) can neither fill the log nor start a line that looks like a record of
its own; the lines of a traceback that follow a record are indented for the same reason. Bolt's note
about a request with a bad signature carries the whole request body: it is logged without it."""

from __future__ import annotations

import logging

MAX_MESSAGE_CHARS = 1000
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Everything str.splitlines() breaks a line on, as a visible escape.
_LINE_BREAKS = str.maketrans(
    {
        "\n": "\\n",
        "\r": "\\r",
        "\v": "\\x0b",
        "\f": "\\x0c",
        "\x1c": "\\x1c",
        "\x1d": "\\x1d",
        "\x1e": "\\x1e",
        "\x85": "\\x85",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters of it."""
    if len(text) > limit:
        text = f"{text[:limit]}… [{len(text) - limit} more characters]"
    return text.translate(_LINE_BREAKS)


class OneLineFormatter(logging.Formatter):
    """Each record's message on one line, clipped; a traceback below it indented and clipped."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)  # other handlers still see the original
        safe.msg, safe.args = one_line(record.getMessage()), None
        first, *rest = super().format(safe).split("\n")
        return "\n".join([first, *(f"    {one_line(line)}" for line in rest)])


class _SignatureNoteWithoutBody(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature detected"):
            record.msg, record.args = "Invalid request signature detected (request body not logged)", None
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # APScheduler logs every run of every job at INFO (once a minute); our jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    verification = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _SignatureNoteWithoutBody) for f in verification.filters):
        verification.addFilter(_SignatureNoteWithoutBody())
