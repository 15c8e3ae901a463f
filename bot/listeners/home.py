"""The App Home tab: published on ``app_home_opened``, and its Resume buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.codec import session_of_button
from bot.deps import Deps
from bot.ids import ActionId, HomeActionId, LanguageActionId
from bot.request import Caller
from bot.services import conversation, home, language

HOME_TAB = "home"


def handle_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    caller: Caller = context["caller"]
    if event.get("tab", HOME_TAB) != HOME_TAB or not caller.user_id:
        return
    delivery.deliver(client, home.publish(context["deps"], client, caller))


def handle_resume(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Resume from Home: a paused session carries on; an active one gets its question posted again;
    then the Home tab is published again to show where the session now stands."""
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    session_id = session_of_button(action.get("value"))
    if session_id is None:
        ack()
        return
    shown = conversation.show_current(deps, client, caller, session_id)
    ack()
    delivery.deliver(client, shown, deps)
    delivery.deliver(client, home.publish(deps, client, caller))


def handle_language(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The Home tab's language menu: the person's language is set, and the tab is published again in it."""
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    ack()
    delivery.deliver(client, language.choose(deps, caller, chosen))
    delivery.deliver(client, home.publish(deps, client, caller))


def handle_start(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A Start button on the Home tab: the start form with that template chosen."""
    template_id = str(action.get("value") or "")
    if not template_id:
        ack()
        return
    shown = home.start_template(context["deps"], context["caller"], template_id)
    ack()
    delivery.deliver(client, shown)


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ActionId.RESUME)(handle_resume)
    app.action(LanguageActionId.CHOOSE)(handle_language)
    app.action(HomeActionId.START)(handle_start)
