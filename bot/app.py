"""The Bolt app factory (as in Slack's bolt-python starter template)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import oauth
from bot.deps import Deps
from bot.keepalive import KeepAliveWebClient
from bot.listeners import register_listeners
from bot.request import context_middleware
from bot.settings import Settings
from flows.clock import Clock, SystemClock
from storage.db import ensure_schema, make_engine, make_session_factory

log = logging.getLogger("playbook.app")


def make_web_client(
    settings: Settings, token: str | None = None, *, retries: bool = True, timeout: int = 15
) -> WebClient:
    """A WebClient on ``SLACK_API_URL`` that retries 429s (honouring Retry-After), 5xx and dropped
    connections. Every client the app creates comes from here. The outbox's sender asks for one
    without retries (``retries=False``): it owns them, and never sleeps out a Retry-After."""
    # retry_handlers=[]: not even slack_sdk's default connection-error retry, which could post a
    # message twice when a connection drops after Slack took it.
    client = KeepAliveWebClient(
        token=token, base_url=settings.slack_api_url, timeout=timeout, retry_handlers=[]
    )
    if retries:
        client.retry_handlers.extend(
            [
                RateLimitErrorRetryHandler(max_retry_count=2),
                ServerErrorRetryHandler(max_retry_count=2),
                ConnectionErrorRetryHandler(max_retry_count=1),
            ]
        )
    return client


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False) -> App:
    """The Bolt app. ``process_before_response=True``: Slack gets its HTTP 200 only after the listener
    returned, so every accepted answer is committed before the ack (a crash makes Slack retry).

    No Web API call is made here (``token_verification_enabled=False``): the bot's identity comes from
    ``auth.test`` on the first request, cached once it succeeds, so a server (re)started while Slack is
    unreachable comes up and serves as soon as Slack is back.

    In Socket Mode there are no HTTP requests to sign (the WebSocket is authenticated by the app
    token), so the signing secret is optional there and required otherwise."""
    oauth_mode = settings.oauth_enabled and not socket_mode
    if (settings.slack_bot_token is None and not oauth_mode) or (
        settings.slack_signing_secret is None and not socket_mode
    ):
        missing = ", ".join(settings.missing_for_http())
        raise RuntimeError(f"Slack settings missing: {missing}")
    # OAuth (many workspaces): each request's token comes from the encrypted installation store, which
    # App gets as well as OAuthSettings so that token rotation uses this client (and SLACK_API_URL).
    multi: dict[str, Any] = {}
    store: oauth.EncryptedInstallationStore | None = None
    if oauth_mode:
        oauth_settings, store = oauth.build_oauth(settings, deps)
        multi = {"oauth_settings": oauth_settings, "installation_store": store}
    token = None if oauth_mode or settings.slack_bot_token is None else settings.slack_bot_token
    client = make_web_client(settings, token.get_secret_value() if token is not None else None)
    secret = settings.slack_signing_secret
    app = App(
        **multi,
        client=client,
        signing_secret=secret.get_secret_value() if secret is not None else None,
        request_verification_enabled=not socket_mode,
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=settings.playbook_listener_threads),
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
    )

    app.use(context_middleware(deps))
    register_listeners(app)
    if store is not None:
        oauth.register(app, store)
    return app


def build_deps(settings: Settings, clock: Clock | None = None) -> Deps:
    engine = make_engine(settings.database_url)
    ensure_schema(settings.database_url, engine)
    clock = clock or SystemClock(timedelta(seconds=settings.playbook_clock_offset_seconds))
    return Deps(settings=settings, session_factory=make_session_factory(engine), clock=clock)
