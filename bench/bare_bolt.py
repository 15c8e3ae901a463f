"""The throughput baseline: a Bolt app whose listeners only ack, served with the server configuration
``playbook-bot serve`` uses (``bot.server``: the same server, worker class and listener-thread count,
``process_before_response=True``). Run as ``python -m bench.bare_bolt --port P``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.server import run_server, server_config
from bot.settings import Settings


def make_app(settings: Settings) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    app = App(
        client=WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.event("message")(only_ack)
    app.command("/playbook")(only_ack)
    handler = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"ok": True}).encode()]
        response: Iterable[bytes] = handler(environ, start_response)
        return response

    return application


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    settings = Settings()
    # As many processes as our server gets on PostgreSQL (one per core): the strongest baseline.
    config = server_config(
        "127.0.0.1", port, database_url="postgresql", threads=settings.playbook_listener_threads
    )
    run_server(config, lambda: make_app(settings))


if __name__ == "__main__":
    main()
