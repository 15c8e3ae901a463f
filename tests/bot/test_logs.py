"""One record, one line: what a request or an answer contains can neither forge a log line nor fill the
log (bot.logs, used by every playbook-bot command)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logs import FORMAT, MAX_MESSAGE_CHARS, OneLineFormatter, configure_logging, one_line


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_a_newline_in_an_answer_cannot_start_a_line_of_its_own(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    answer = "fine\n2026-01-01 00:00:00,000 ERROR playbook.security: admin password reset\r\nok"
    logger.info("answer received: %s", answer)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "answer received: fine\\n2026-01-01 00:00:00,000 ERROR" in lines[0]
    assert "\\r\\nok" in lines[0]


def test_a_long_message_is_clipped_and_says_so(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.warning("body: %s", "a" * 1_000_000)
    (line,) = stream.getvalue().splitlines()
    assert len(line) < 2048
    assert line.endswith(f"… [{1_000_000 + 6 - MAX_MESSAGE_CHARS} more characters]")


def test_a_traceback_stays_under_its_record(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        int("12\n2026-01-01 00:00:00,000 ERROR forged")
    except ValueError:
        logger.exception("could not parse")
    first, *rest = stream.getvalue().splitlines()
    assert "could not parse" in first
    assert rest and all(line.startswith("    ") for line in rest)


def test_bolts_note_on_a_bad_signature_leaves_the_body_out(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    _logger, stream = logged
    configure_logging("INFO")
    verification = logging.getLogger("slack_bolt.RequestVerification")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(FORMAT))
    verification.addHandler(handler)
    level = verification.level
    verification.setLevel(logging.INFO)
    try:
        verification.info("Invalid request signature detected (signature: x, body: text=my+home+address)")
    finally:
        verification.removeHandler(handler)
        verification.setLevel(level)
    assert "request body not logged" in stream.getvalue() and "home" not in stream.getvalue()


@given(st.text())
def test_one_line_is_one_line(text: str) -> None:
    assert len(one_line(text).splitlines()) <= 1
