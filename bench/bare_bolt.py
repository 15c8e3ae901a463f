"""The throughput baselines: bare Bolt apps served with the server configuration ``playbook-bot serve``
uses (``bot.server``: the same server, worker class and listener-thread count,
``process_before_response=True``), driven by the same client in the same run as the bot.

* ``ack``: the message listener only acks (``python -m bench.bare_bolt --port P``).
* ``same-io``: the message listener does the I/O one answer needs and nothing else: one transaction
  with one insert (``storage.db.make_engine``, as the bot's engine), then one ``chat.postMessage`` to
  the stand-in, in the thread, with a text and a section block (``--same-io``; the database is
  ``DATABASE_URL``, the processes as many as the bot gets on that database).
* ``our-io``: the I/O one of our answers does because the design asks for it, done with the fewest
  statements and no logic (``--our-io``): one transaction that reads the session by its thread, stores
  the answer, moves the session on, drops the kept payload of the prompt it answered and queues the
  next prompt in the outbox (SQLite's ``BEGIN IMMEDIATE`` and writer lock, as the bot's engine); then
  the next prompt's ``chat.postMessage`` (a section and a button, with the outbox id as metadata), the
  ``chat.update`` that replaces the answered prompt's buttons, and a second transaction marking the
  outbox row sent. What the bot does beyond this is its own work: parsing, the template engine, the
  ORM, Block Kit, policy. Not the target's anchor (that is ``same-io``); it says how much of the gap
  is I/O the design needs. ``--leave update`` / ``--leave mark`` leave out the buttons' replacement or
  the second transaction, to price each part (``python -m bench.io_parts``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

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
# What an ``our-io`` request reads and moves on: a session per thread, and its outbox.
SESSIONS = Table(
    "bench_our_io_sessions",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("thread_ts", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "thread_ts"),
)
OUTBOX = Table(
    "bench_our_io_outbox",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("payload", JSON(none_as_null=True), nullable=True),
    Column("sent_ts", String(32), nullable=True),
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


LEAVABLE = ("update", "mark")


def _our_io(engine: Engine, event: dict[str, Any], client: WebClient, leave: Collection[str] = ()) -> None:
    """One answer's designed I/O (see the module docstring), with Core statements and dict blocks;
    ``leave``: parts left out ("update", "mark")."""
    channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
    now = datetime.now(UTC)
    with engine.begin() as connection:
        session = connection.execute(
            select(SESSIONS.c.id, SESSIONS.c.step).where(
                SESSIONS.c.channel == channel, SESSIONS.c.thread_ts == thread
            )
        ).first()
        if session is None:
            session_id = connection.execute(
                insert(SESSIONS).values(channel=channel, thread_ts=thread, step=0, updated_at=now)
            ).inserted_primary_key[0]
            step = 0
        else:
            session_id, step = session
        connection.execute(
            insert(ANSWERS).values(
                channel=channel,
                user_id=event.get("user", ""),
                ts=event["ts"],
                text=event.get("text", ""),
                created_at=now,
            )
        )
        connection.execute(
            update(SESSIONS).where(SESSIONS.c.id == session_id).values(step=step + 1, updated_at=now)
        )
        answered = connection.execute(
            select(OUTBOX.c.id, OUTBOX.c.sent_ts)
            .where(OUTBOX.c.session_id == session_id, OUTBOX.c.payload.is_not(None))
            .order_by(OUTBOX.c.id.desc())
            .limit(1)
        ).first()
        if answered is not None:
            connection.execute(update(OUTBOX).where(OUTBOX.c.id == answered.id).values(payload=None))
        prompt = f"*Why {step + 2}.* Why does that happen?"
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": prompt}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": "skip", "text": {"type": "plain_text", "text": "Skip"}}
                ],
            },
        ]
        outbox_id = connection.execute(
            insert(OUTBOX).values(
                session_id=session_id,
                status="pending",
                payload={"text": prompt, "blocks": blocks},
                created_at=now,
            )
        ).inserted_primary_key[0]
    posted = client.chat_postMessage(
        channel=channel,
        thread_ts=thread,
        text=prompt,
        blocks=blocks,
        metadata={"event_type": "playbook_outbox", "event_payload": {"id": outbox_id}},
        unfurl_links=False,
        unfurl_media=False,
    )
    if answered is not None and answered.sent_ts and "update" not in leave:
        client.chat_update(
            channel=channel,
            ts=answered.sent_ts,
            text="Answered",
            blocks=[blocks[0], {"type": "context", "elements": [{"type": "mrkdwn", "text": "Answered"}]}],
        )
    if "mark" in leave:
        return
    with engine.begin() as connection:
        connection.execute(
            update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(status="sent", sent_ts=posted["ts"])
        )


def make_app(
    settings: Settings, *, same_io: bool = False, our_io: bool = False, leave: Collection[str] = ()
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
    elif our_io:
        our_engine = make_engine(settings.database_url)

        def our_answer(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
            ack()
            _our_io(our_engine, event, client, leave)

        app.event("message")(our_answer)
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
    parser.add_argument("--our-io", action="store_true", help="the I/O one of our answers does by design")
    parser.add_argument("--leave", action="append", choices=LEAVABLE, default=[], help="with --our-io")
    args = parser.parse_args()
    settings = Settings()
    if args.same_io or args.our_io:
        create_table(settings.database_url)
        # As many processes as the bot gets on this database.
        database_url = settings.database_url
    else:
        # As many processes as the bot gets on PostgreSQL (one per core): the strongest ack-only baseline.
        database_url = "postgresql"
    config = server_config(
        "127.0.0.1", args.port, database_url=database_url, threads=settings.playbook_listener_threads
    )
    run_server(config, lambda: make_app(settings, same_io=args.same_io, our_io=args.our_io, leave=args.leave))


if __name__ == "__main__":
    main()
