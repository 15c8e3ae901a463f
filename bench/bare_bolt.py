"""The throughput baselines: bare Bolt apps served with the server configuration ``playbook-bot serve``
uses (``bot.server``: the same server, worker class and listener-thread count,
``process_before_response=True``), driven by the same client in the same run as the bot.

* ``ack``: the message listener only acks (``python -m bench.bare_bolt --port P``).
* ``same-io``: the message listener does the I/O one answer needs and nothing else: one transaction
  with one insert (``storage.db.make_engine``, as the bot's engine), then one ``chat.postMessage`` to
  the stand-in, in the thread, with a text and a section block (``--same-io``; the database is
  ``DATABASE_URL``, the processes as many as the bot gets on that database)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, insert, select

from bot.server import run_server, server_config
from bot.settings import Settings
from storage.db import make_engine

METADATA = MetaData()
# The one row a same-I/O request writes (a table of its own, beside the bot's, in the scratch database).
ANSWERS = Table(
    "bench_same_io_answers",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def create_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        METADATA.create_all(engine)
    finally:
        engine.dispose()


def rows_written(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(ANSWERS)) or 0)
    finally:
        engine.dispose()


def make_app(
    settings: Settings, *, same_io: bool = False
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    app = App(
        client=WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    def only_ack(ack: Ack) -> None:
        ack()

    if same_io:
        engine = make_engine(settings.database_url)

        def answer(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
            ack()
            with engine.begin() as connection:  # one transaction, one insert, committed before the post
                connection.execute(
                    insert(ANSWERS).values(
                        channel=event["channel"],
                        user_id=event.get("user", ""),
                        ts=event["ts"],
                        text=event.get("text", ""),
                        created_at=datetime.now(UTC),
                    )
                )
            prompt = "*Why 2 of 5.* Why does that happen?"
            client.chat_postMessage(
                channel=event["channel"],
                thread_ts=event.get("thread_ts") or event["ts"],
                text=prompt,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": prompt}}],
                unfurl_links=False,
                unfurl_media=False,
            )

        app.event("message")(answer)
    else:
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
    parser.add_argument("--same-io", action="store_true", help="one insert and one chat.postMessage")
    args = parser.parse_args()
    settings = Settings()
    if args.same_io:
        create_table(settings.database_url)
        # As many processes as the bot gets on this database.
        database_url = settings.database_url
    else:
        # As many processes as the bot gets on PostgreSQL (one per core): the strongest ack-only baseline.
        database_url = "postgresql"
    config = server_config(
        "127.0.0.1", args.port, database_url=database_url, threads=settings.playbook_listener_threads
    )
    run_server(config, lambda: make_app(settings, same_io=args.same_io))


if __name__ == "__main__":
    main()
