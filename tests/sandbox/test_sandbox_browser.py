"""The sandbox in real headless Chromium (Debian's ``chromium``, driven by Playwright; no browser is
downloaded): a whole five-whys session typed and clicked through the page, from the slash command in
#team to the summary in #leads, then checks that every control is labelled and that the page still
fits at 200% zoom. Saves ``test-artifacts/sandbox.png``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from sandbox import Sandbox
from tests.sandbox.conftest import ARTIFACTS, PROBLEM, ROOT_CAUSE, WHYS, FiveWhysDriver

pytestmark = pytest.mark.slow


def last_prompt(page: Page) -> Locator:
    return page.locator("#thread-messages article.from-app:not(.ephemeral)").last


def become(page: Page, name: str) -> None:
    page.get_by_role("radio", name=re.compile(rf"^{name}\b")).check()
    expect(page.locator("#status")).to_have_text(f"You are now {name}.")


def unlabelled_controls(page: Page) -> list[str]:
    """Controls with no accessible name (label, aria-label, aria-labelledby or visible text)."""
    result: list[str] = page.evaluate(
        """() => Array.from(document.querySelectorAll('button, input, select, textarea, a[href]'))
          .filter((el) => el.offsetParent !== null || el.closest('dialog[open]'))
          .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.getAttribute('aria-labelledby') || el.textContent.trim()))
          .map((el) => el.outerHTML.slice(0, 120))"""
    )
    return result


def test_a_five_whys_session_typed_and_clicked_through_the_page(sandbox: Sandbox, page: Page) -> None:
    page.goto(sandbox.url)
    expect(page.locator("#banner")).to_contain_text("Local sandbox — nothing leaves this machine")
    expect(page.locator("#database")).to_have_text(sandbox.database)
    expect(page.get_by_role("radio", name=re.compile(r"^Fran\b"))).to_be_checked()

    composer = page.get_by_role("textbox", name="Message #team")
    composer.fill(f"/playbook start five-whys {PROBLEM}")
    composer.press("Enter")
    expect(page.locator("#messages article.ephemeral")).to_contain_text("Only visible to you")
    anchor = page.locator("#messages article.from-app:not(.ephemeral)").filter(has_text="Five whys").last
    expect(anchor).to_contain_text("@Fran")  # the <@U…> mention is shown by name
    anchor.get_by_role("button", name=re.compile("open thread")).click()
    reply_box = page.get_by_role("textbox", name="Reply in thread")
    expect(reply_box).to_be_focused()
    expect(last_prompt(page)).to_contain_text("Why 1")

    driver = FiveWhysDriver()
    while (
        not page.locator("#thread-messages .bk-header").filter(has_text=re.compile("summary", re.I)).count()
    ):
        prompt = last_prompt(page)
        before = prompt.get_attribute("data-ts")
        text = prompt.inner_text()
        labels = [b.inner_text().strip() for b in prompt.locator(".bk-actions button").all()]
        move = driver.next_move(text, labels)
        asking_why = "why does that happen" in text.lower()
        if asking_why and driver.whys == 1:
            become(page, "Alex")  # a team session: someone else answers the first why
        if move.kind == "click":
            prompt.get_by_role("button", name=move.text, exact=True).click()
        else:
            reply_box.fill(move.text)
            reply_box.press("Enter")
        if asking_why and driver.whys == 1:
            expect(
                page.locator("#thread-messages article:not(.from-app)").filter(has_text=WHYS[0])
            ).to_contain_text("Alex")
            become(page, "Fran")
        expect(last_prompt(page)).not_to_have_attribute("data-ts", before or "")

    # The summary also went to #leads: the page says so, and shows it there.
    leads = page.get_by_role("button", name=re.compile(r"^#leads"))
    expect(leads).to_contain_text("new")
    leads.click()
    expect(page.get_by_role("heading", name="#leads")).to_be_visible()
    summary = page.locator("#messages article.from-app").filter(has_text=re.compile("summary", re.I)).last
    expect(summary).to_contain_text(PROBLEM)
    expect(summary).to_contain_text(ROOT_CAUSE)  # "&" typed, stored as &amp;, shown as "&"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox.png"), full_page=True)

    assert unlabelled_controls(page) == []

    # The summary's link to the session opens the thread here, not on slack.com.
    summary.locator("a.permalink").first.click()
    expect(page.get_by_role("heading", name="#team")).to_be_visible()
    expect(page.locator("#thread-messages")).to_contain_text(ROOT_CAUSE)
    assert page.url.startswith(sandbox.url)

    # 200% zoom of a 1280-pixel window: everything reflows into 640 CSS pixels, no sideways scrolling.
    page.set_viewport_size({"width": 640, "height": 450})
    expect(page.get_by_role("textbox", name="Reply in thread")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert unlabelled_controls(page) == []
    page.screenshot(path=str(ARTIFACTS / "sandbox-200-percent.png"), full_page=True)


def test_the_page_works_by_keyboard_alone(sandbox: Sandbox, page: Page) -> None:
    page.goto(sandbox.url)
    expect(page.locator("#database")).to_have_text(sandbox.database)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    page.keyboard.press("Enter")
    composer = page.get_by_role("textbox", name="Message #team")
    expect(composer).to_be_focused()
    page.keyboard.type("/playbook start five-whys Bulky waste bookings fail")
    page.keyboard.press("Enter")
    anchor = page.locator("#messages article.from-app:not(.ephemeral)").filter(has_text="Five whys").last
    thread_button = anchor.get_by_role("button", name=re.compile("open thread"))
    thread_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Reply in thread")).to_be_focused()
    for answer in ("Bookings time out", "The booking system is slow", "It runs on one old server"):
        page.keyboard.type(answer)
        page.keyboard.press("Enter")
        expect(page.locator("#thread-messages article:not(.from-app)").filter(has_text=answer)).to_have_count(
            1
        )
    yes = last_prompt(page).get_by_role("button", name="Yes", exact=True)
    expect(yes).to_be_visible()
    # Shift+Tab from the reply box walks back through the thread to the prompt's buttons.
    for _ in range(10):
        if page.evaluate("document.activeElement.textContent.trim() === 'Yes'"):
            break
        page.keyboard.press("Shift+Tab")
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(last_prompt(page)).to_contain_text("root cause")
    page.keyboard.press("Escape")
    expect(page.locator("#thread-pane")).to_be_hidden()
    expect(thread_button).to_be_focused()
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring == "solid"


def test_typed_text_is_shown_as_text_with_slacks_formatting(sandbox: Sandbox, page: Page) -> None:
    page.goto(sandbox.url)
    become(page, "Alex")
    composer = page.get_by_role("textbox", name="Message #team")
    composer.fill(
        "@Sam see #leads: <img src=x onerror=alert(1)> <b>not bold</b> *bold* _italic_ `code` & more"
    )
    composer.press("Enter")
    message = page.locator("#messages article").filter(has_text="not bold").last
    expect(message.locator(".author")).to_have_text("Alex")
    expect(message.locator(".mention")).to_have_text(["@Sam", "#leads"])
    expect(message.locator("strong")).to_have_text("bold")
    expect(message.locator("em")).to_have_text("italic")
    expect(message.locator("code")).to_have_text("code")
    expect(message.locator(".message-body")).to_contain_text("<img src=x onerror=alert(1)> <b>not bold</b>")
    expect(message.locator(".message-body")).to_contain_text("& more")
    assert message.locator("img, b").count() == 0


def test_what_is_typed_while_a_message_is_being_sent_stays_typed(sandbox: Sandbox, page: Page) -> None:
    """The message box is emptied as a message goes, not when the app has answered: words typed in the
    meantime are kept (they were wiped when the send finished)."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/message", hold)
    page.goto(sandbox.url)
    composer = page.get_by_role("textbox", name="Message #team")
    with page.expect_request("**/api/message"):
        composer.fill("The first message")
        composer.press("Enter")
    composer.press_sequentially("The next one, half typed")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#messages article").filter(has_text="The first message")).to_have_count(1)
    expect(composer).to_have_value("The next one, half typed")
    expect(page.locator("#status")).to_have_text("Message sent.")
    expect(composer).to_have_value("The next one, half typed")
