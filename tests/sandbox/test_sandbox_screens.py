"""What a council officer receives, seen in the sandbox in real headless Chromium, with screenshots
saved to ``test-artifacts/`` for a person to look at:

- ``five-whys-thread.png``: a five-whys session started from the start form (``/playbook`` alone),
  its thread from the first question to the summary;
- ``classification.png``: the classification message;
- ``cost-impacts-summary.png``: a cost-impacts session's summary;
- ``home-lead.png``: the Home tab of a lead;
- ``help-card.png`` and ``start-form.png``: ``/playbook help`` and the start form.

On the way it checks what the sandbox owes to Slack's fidelity: a slash command typed in a thread
is refused as Slack refuses it, emoji shortcodes are shown as emoji, and an export's files are
downloadable from the page.
"""

from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from sandbox import Sandbox
from sandbox.workspace import TEAM_CHANNEL, TEAM_ID
from tests.sandbox.conftest import ARTIFACTS, PROBLEM, ROOT_CAUSE, STEP_TIMEOUT_MS, FiveWhysDriver
from tests.sandbox.test_sandbox_browser import last_prompt

pytestmark = pytest.mark.slow

FRAN = "U0FRAN"
WIDE = {"width": 1280, "height": 900}
COST_PROBLEM = "Missed bin collections lead to repeat calls"
MAX_COST_STEPS = 40


def shoot(target: Page | Locator, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if isinstance(target, Page):
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    return path


def shoot_whole(page: Page, pane: str, name: str, element: Locator | None = None) -> Path:
    """A screenshot of the page (or of ``element``) with the window tall enough for all of ``pane``
    (a scrolling list of messages) to show, so nothing is cut off by the pane's own scrolling; then
    the window as it was."""
    height = page.evaluate("(selector) => document.querySelector(selector).scrollHeight", pane)
    page.set_viewport_size({"width": WIDE["width"], "height": min(int(height) + 480, 30_000)})
    try:
        return shoot(element if element is not None else page, name)
    finally:
        page.set_viewport_size(WIDE)


def anchor_of(page: Page, text: str) -> Locator:
    return page.locator("#messages article.from-app:not(.ephemeral)").filter(has_text=text).last


def test_a_five_whys_started_from_the_form_to_its_summary(sandbox: Sandbox, page: Page) -> None:
    page.goto(sandbox.url)
    expect(page.locator("#database")).to_have_text(sandbox.database)
    composer = page.get_by_role("textbox", name="Message #team")
    composer.fill("/playbook help")
    composer.press("Enter")
    card = page.locator("#messages article.ephemeral").filter(has_text="Commands").last
    expect(card.locator(".bk-header")).to_have_text("Playbook bot")
    expect(card).to_contain_text("/playbook forget-me")
    shoot_whole(page, "#messages", "help-card.png", card)

    composer.fill("/playbook")
    composer.press("Enter")
    dialog = page.get_by_role("dialog", name="Start a session")
    expect(dialog).to_be_visible()
    shoot(dialog, "start-form.png")
    dialog.get_by_label("Template").select_option("five-whys")
    dialog.get_by_label("The problem").fill(PROBLEM)
    dialog.get_by_role("button", name="Start").click()
    expect(dialog).to_be_hidden()

    anchor = anchor_of(page, "Five whys")
    expect(anchor).to_contain_text(PROBLEM)  # the anchor says what the problem is
    expect(anchor).to_contain_text("facilitated by @Fran")
    anchor.get_by_role("button", name=re.compile("open thread")).click()
    reply_box = page.get_by_role("textbox", name="Reply in thread")
    expect(last_prompt(page)).to_contain_text("Why 1")
    # The privacy reminder's :lock: is an emoji, as Slack shows it.
    thread = page.locator("#thread-messages")
    expect(thread).to_contain_text("🔒")
    expect(thread).not_to_contain_text(":lock:")

    # As in Slack, a slash command typed in a thread is not run; the page says so.
    reply_box.fill("/playbook status")
    reply_box.press("Enter")
    expect(page.locator("#alert")).to_contain_text("/playbook is not supported in threads")
    expect(reply_box).to_have_value("/playbook status")
    reply_box.fill("")

    driver = FiveWhysDriver()
    classification_shot = False
    while not thread.locator(".bk-header").filter(has_text=re.compile("summary", re.I)).count():
        prompt = last_prompt(page)
        before = prompt.get_attribute("data-ts")
        text = prompt.inner_text()
        if not classification_shot and re.search(r"\bscope\b", text, re.I) and "categor" in text.lower():
            shoot_whole(page, "#thread-messages", "classification.png", prompt)
            classification_shot = True
        labels = [b.inner_text().strip() for b in prompt.locator(".bk-actions button").all()]
        move = driver.next_move(text, labels)
        if move.kind == "click":
            prompt.get_by_role("button", name=move.text, exact=True).click()
        else:
            reply_box.fill(move.text)
            reply_box.press("Enter")
        expect(last_prompt(page)).not_to_have_attribute("data-ts", before or "")
    assert classification_shot, "no classification message was seen"
    expect(thread).to_contain_text(ROOT_CAUSE)

    expect(page.locator("#alert")).to_be_hidden(timeout=STEP_TIMEOUT_MS)
    shoot_whole(page, "#thread-messages", "five-whys-thread.png")

    # The export's files appear in the thread and download from the page.
    page.get_by_role("button", name="Close thread").click()
    composer.fill("/playbook export 1")
    composer.press("Enter")
    anchor.get_by_role("button", name=re.compile("open thread")).click()
    files = thread.locator("a.file")
    expect(files.first).to_be_visible()
    href = files.first.get_attribute("href")
    assert href is not None
    with urllib.request.urlopen(sandbox.url + href, timeout=30) as download:  # noqa: S310 - loopback
        assert download.status == 200
        assert "attachment" in download.headers["Content-Disposition"]
        assert PROBLEM.encode() in download.read()


@dataclass
class CostDriver:
    """Answers a cost-impacts session one prompt at a time: one staff line, one resident line."""

    lines: int = 0
    steps: int = 0

    def reply(self, prompt: str) -> str:
        self.steps += 1
        if self.steps > MAX_COST_STEPS:
            raise AssertionError(f"no summary after {MAX_COST_STEPS} answers; the last prompt was:\n{prompt}")
        # The question, without the reading back of the last answer ("Got it. How often: …").
        text = "\n".join(line for line in prompt.lower().splitlines() if not line.startswith("got it."))
        if "staff time, money spent" in text:
            return "both"
        if "who bears" in text:
            self.lines += 1
            return {1: "staff", 2: "residents"}.get(self.lines, "done")
        if "what is the cost" in text:
            return "Re-keying missed-bin reports" if self.lines == 1 else "Calls chasing collections"
        if "how long" in text:
            return "2h 30m" if self.lines == 1 else "45 minutes"
        if "how often" in text:
            return "3 a week" if self.lines == 1 else "10 per month"
        if "how many people" in text:
            return "2" if self.lines == 1 else "1"
        if "based on" in text:
            return "Team estimate"
        if "money doesn't show" in text:
            return "Residents lose trust in the service"
        if "hour" in text and self.lines == 2:
            return "£15"
        if "`yes`" in text or "is that right" in text:
            return "yes"
        return "skip"


def _bot_messages(state: dict[str, Any], thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in state["conversations"][TEAM_CHANNEL] if m["thread_ts"] == thread_ts and m["bot"]]


def _readable(message: dict[str, Any]) -> str:
    parts = [message.get("text") or ""]
    for block in message["blocks"]:
        for obj in [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(obj, dict):
                inner = obj.get("text")
                parts.append(str(inner.get("text") if isinstance(inner, dict) else inner or ""))
    return "\n".join(parts)


def test_a_cost_impacts_summary_and_the_home_tab_of_a_lead(sandbox: Sandbox, page: Page) -> None:
    workspace = sandbox.workspace
    workspace.run_command(FRAN, TEAM_CHANNEL, f"/playbook start cost-impacts {COST_PROBLEM}", None)
    anchors = [
        m
        for m in workspace.state(FRAN)["conversations"][TEAM_CHANNEL]
        if m["bot"] and not m["thread_ts"] and not m["ephemeral"]
    ]
    thread_ts = anchors[-1]["ts"]
    driver = CostDriver()
    while True:
        messages = _bot_messages(workspace.state(FRAN), thread_ts)
        last = _readable(messages[-1])
        if "summary" in last.lower() and "total a year" in last.lower():
            break
        workspace.post_message(FRAN, TEAM_CHANNEL, driver.reply(last), thread_ts)

    page.goto(sandbox.url)
    anchor = anchor_of(page, "Cost impacts")
    expect(anchor).to_contain_text(COST_PROBLEM)
    anchor.get_by_role("button", name=re.compile("open thread")).click()
    summary = (
        page.locator("#thread-messages article.from-app").filter(has_text=re.compile("Total a year")).last
    )
    expect(summary).to_contain_text("£")
    expect(summary).to_contain_text("Re-keying missed-bin reports")
    shoot_whole(page, "#thread-messages", "cost-impacts-summary.png", summary)

    # Fran is a lead: her Home tab shows what leads see.
    assert sandbox.deps is not None
    with sandbox.deps.uow() as uow:
        uow.workspaces.change_settings(TEAM_ID, lead_user_ids=(FRAN,))
        uow.commit()
    page.get_by_role("button", name=re.compile(r"^Home")).click()
    home = page.locator("#home")
    expect(home).to_contain_text("Cost impacts")
    shoot_whole(page, "#home", "home-lead.png")
