"""The sandbox for tests: the whole thing (stand-in, real app, page server) on free loopback ports and
a SQLite file in the test's temporary directory; and the rules a test follows to answer whatever the
five-whys session asks next, so new steps added to the template do not break the walk-through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from bot.settings import Settings
from sandbox import Sandbox

PROBLEM = "Residents ring us because the moving-home form rejects their postcode"
WHYS = (
    "The form won't accept postcodes without a space",
    "The validation pattern insists on a space",
    "The platform's October release changed validation & we can't override it",
)
ROOT_CAUSE = WHYS[-1]
INTERVENTION = "Ask the platform supplier to accept postcodes without a space"
MAX_STEPS = 30


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sandbox.db'}",
        # The sandbox's tests run no background sender: on a busy machine the request path must send
        # everything it queued before the ack, however long that takes.
        playbook_outbox_request_budget_seconds=30,
        _env_file=None,  # type: ignore[call-arg]
    )
    with Sandbox(settings, port=0) as running:
        yield running


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright waits for what the page shows; only a failure waits the bound out, so it is generous (a
# loaded 2-core machine renders slowly).
STEP_TIMEOUT_MS = 60_000


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            locale="en-GB",
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        # expect() has a timeout of its own (5 s): on a loaded machine the bot's answer can take longer.
        expect.set_options(timeout=STEP_TIMEOUT_MS)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


@dataclass(frozen=True)
class Move:
    """What to do about a prompt: click the button with this label, or type this text."""

    kind: Literal["click", "type"]
    text: str


@dataclass
class FiveWhysDriver:
    """Answers whatever the session asks, as a facilitator would, with a bounded number of steps.

    Whys get the answers in :data:`WHYS`; "would fixing this stop it recurring?" gets the *Yes*
    button; the suggested root cause is confirmed by typing ``yes``; a proposal with a *Confirm*
    button is confirmed; one intervention is added (owned by @Sam), then ``done``."""

    whys: int = 0
    interventions: int = 0
    steps: int = 0

    def next_move(self, prompt: str, buttons: Sequence[str]) -> Move:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise AssertionError(f"no summary after {MAX_STEPS} answers; the last prompt was:\n{prompt}")
        text = prompt.lower()
        labels = {label.lower(): label for label in buttons}
        if "why does that happen" in text:
            self.whys += 1
            return Move("type", WHYS[self.whys - 1] if self.whys <= len(WHYS) else "done")
        if "stop recurring" in text:
            return Move("click", labels["yes"]) if "yes" in labels else Move("type", "yes")
        if "second branch" in text or "another reason" in text:
            return Move("click", labels["no"]) if "no" in labels else Move("type", "no")
        if "root cause" in text and "confirm the suggestion" in text:
            return Move("type", "yes")
        if "intervention" in text and "what will" in text:
            self.interventions += 1
            return Move("type", INTERVENTION if self.interventions == 1 else "done")
        if "who owns" in text:
            return Move("type", "@Sam")
        if "check in" in text and "when" in text:
            return Move("type", "in 2 weeks")
        if "how often" in text:
            return Move("type", "weekly")
        for wanted in ("confirm", "yes", "done"):
            if wanted in labels:
                return Move("click", labels[wanted])
        if "`yes`" in text:
            return Move("type", "yes")
        return Move("type", "done")
