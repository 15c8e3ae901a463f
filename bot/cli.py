"""``playbook-bot``: serve (HTTP), socket (Socket Mode), worker (scheduler), sandbox, db, classify."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from bot.settings import Settings

log = logging.getLogger("playbook.cli")

# A server behind a platform router must listen on every interface; the sandbox listens on loopback only.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104

SETUP_HELP = """\
Playbook bot needs Slack credentials to connect to a workspace:
  SLACK_BOT_TOKEN       Bot User OAuth Token (xoxb-…), from your app's "OAuth & Permissions" page
  SLACK_SIGNING_SECRET  from your app's "Basic Information" page (HTTP mode)
  SLACK_APP_TOKEN       an app-level token (xapp-…) with connections:write (Socket Mode)
Create the app from manifest.yml at https://api.slack.com/apps ("Create New App" → "From a manifest"),
install it to your workspace, then put these in the environment or a .env file. See README.md.
"""


def _configure_logging() -> None:
    from bot.logs import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))


def cmd_serve(settings: Settings, host: str, port: int, scheduler: bool) -> int:
    missing = settings.missing_for_http()
    if missing:
        print(f"Missing: {', '.join(missing)}\n\n{SETUP_HELP}", file=sys.stderr)
        return 2
    from bot.app import build_deps, create_app
    from bot.server import run_server, server_config
    from bot.web import make_wsgi_app

    # Migrate once before workers start, so two workers never race to create tables.
    build_deps(settings)

    def load() -> Any:
        deps = build_deps(settings)
        if scheduler:
            from bot.scheduler import start_background_scheduler

            start_background_scheduler(deps)
        else:
            # The schedule runs in a worker; the outbox's sender runs here too (bot/scheduler.py).
            from bot.scheduler import start_outbox_sender

            start_outbox_sender(deps)
        return make_wsgi_app(create_app(settings, deps), ready=deps.database_ready)

    config = server_config(
        host, port, database_url=settings.database_url, threads=settings.playbook_listener_threads
    )
    print(f"Playbook bot listening on http://{host}:{port}/slack/events", file=sys.stderr)
    run_server(config, load)
    return 0


def cmd_socket(settings: Settings) -> int:
    if settings.slack_app_token is None or settings.slack_bot_token is None:
        print(f"Socket Mode needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN.\n\n{SETUP_HELP}", file=sys.stderr)
        return 2
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_deps, create_app
    from bot.scheduler import start_background_scheduler

    deps = build_deps(settings)
    app = create_app(settings, deps, socket_mode=True)
    start_background_scheduler(deps)
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]
    return 0


def cmd_worker(settings: Settings) -> int:
    from bot.app import build_deps
    from bot.scheduler import run_blocking_scheduler

    run_blocking_scheduler(build_deps(settings))
    return 0


def cmd_sandbox(settings: Settings, port: int) -> int:
    try:
        from sandbox.server import run_sandbox
    except ImportError:
        print(
            "The local sandbox is not available in this version.\n"
            f"Missing: {', '.join(settings.missing_for_http()) or 'nothing'}\n\n{SETUP_HELP}",
            file=sys.stderr,
        )
        return 2
    status: int = run_sandbox(settings, port=port)
    return status


def cmd_db(settings: Settings, action: str) -> int:
    from storage.db import upgrade

    if action == "upgrade":
        upgrade(settings.database_url)
        print("Database is up to date.", file=sys.stderr)
    return 0


def cmd_digest(settings: Settings, workspaces: Sequence[str], now: bool) -> int:
    """Send the weekly digest: with ``--now`` the seven days up to now at once, else whatever the
    schedule owes and no worker has sent yet."""
    from bot.app import build_deps
    from bot.scheduler import client_factory
    from bot.services import digest

    deps = build_deps(settings)
    clients = client_factory(deps)
    if clients is None:
        print(f"Missing: SLACK_BOT_TOKEN\n\n{SETUP_HELP}", file=sys.stderr)
        return 2
    send = digest.send_now if now else digest.send_due
    report = send(deps, clients, list(workspaces) or None)
    print(
        f"digest sent: {', '.join(report.sent) or 'none'}; "
        f"queued for the outbox's sender: {', '.join(report.queued) or 'none'}; "
        f"failed: {', '.join(report.failed) or 'none'}",
        file=sys.stderr,
    )
    return 1 if report.failed else 0


def cmd_classify(path: str) -> int:
    from flows.classification import run_classify_jsonl

    with open(path, encoding="utf-8") as handle:
        return run_classify_jsonl(handle, sys.stdout, sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playbook-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="HTTP mode: Slack events at POST /slack/events")
    serve.add_argument("--host", default=ALL_INTERFACES)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-scheduler", action="store_true", help="do not run check-ins in this process")
    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    sub.add_parser("worker", help="the scheduler alone")
    sandbox = sub.add_parser("sandbox", help="the local workspace in a browser, no Slack account needed")
    sandbox.add_argument("--port", type=int, default=3000)
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    digest = sub.add_parser("digest", help="send the weekly digest to the leads channel")
    digest.add_argument("--workspace", action="append", default=[], help="a workspace (team) id; repeatable")
    digest.add_argument("--now", action="store_true", help="send the seven days up to now at once")
    classify = sub.add_parser("classify", help="classify five-whys analyses from a JSONL file")
    classify.add_argument("file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _configure_logging()
    args = build_parser().parse_args(argv)
    if args.command == "classify":
        return cmd_classify(args.file)
    settings = Settings()
    command = args.command
    if command is None:
        if settings.slack_app_token is not None:
            command = "socket"
        elif settings.has_http_credentials:
            command = "serve"
        else:
            command = "sandbox"
    if command == "serve":
        port = getattr(args, "port", None) or settings.port
        host = getattr(args, "host", ALL_INTERFACES)
        return cmd_serve(settings, host, port, not getattr(args, "no_scheduler", False))
    if command == "socket":
        return cmd_socket(settings)
    if command == "worker":
        return cmd_worker(settings)
    if command == "sandbox":
        return cmd_sandbox(settings, getattr(args, "port", 3000))
    if command == "digest":
        return cmd_digest(settings, args.workspace, args.now)
    if command == "db":
        return cmd_db(settings, args.action)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
