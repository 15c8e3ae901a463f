"""Check-in dispatch under Slack's rate limits: due check-ins (seeded with SQL) sent by the real
dispatcher (``bot.services.checkins.dispatch_due``) through the stand-in, with ``chat.postMessage``
limited per workspace (over the limit: HTTP 429 + ``Retry-After``), timed against the minimum the limit
allows, and every check-in's messages counted: none may be lost or sent twice."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text

from bench.data import WORKSPACE, Database, seed_history
from bench.server import BOT_TOKEN, SIGNING_SECRET
from bench.standin import BenchSlack
from storage.db import make_engine

OWNERS = 100
_CHECKIN_ID = re.compile(r'\\?"c\\?":\s*(\d+)')


def limits(quick: bool) -> tuple[float, int]:
    """(messages a second, burst) for the workspace: below what the dispatcher could send unlimited."""
    return (50.0, 50) if quick else (100.0, 100)


def _seed(url: str, count: int) -> None:
    """``count`` open weekly interventions, each with one check-in due a minute ago, owned by OWNERS
    people (their time zone known, so the dispatcher has no users.info to make)."""
    seed_history(url, count)
    engine = make_engine(url)
    pg = engine.dialect.name == "postgresql"
    moment = datetime.now(UTC) - timedelta(minutes=1)
    values: dict[str, object] = {
        # SQLite compares the stored text, so bind it exactly as SQLAlchemy stores datetimes there.
        "due": moment if pg else moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "today": moment.date() if pg else moment.date().isoformat(),
    }
    now = "now()" if pg else "'2026-11-25 10:00:00.000000'"
    due, today = ":due", ":today"
    owner = "'U0OWN' || lpad(CAST(s.id % 100 AS TEXT), 3, '0')" if pg else "printf('U0OWN%03d', s.id % 100)"
    false = "false" if pg else "0"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO interventions (workspace_id, session_id, source_item, what, owner_id, owner_tz, "
                "created_by, cadence, first_due, day_of_month, status, created_at) "
                f"SELECT s.workspace_id, s.id, 1, 'Give the links between services an owner', {owner}, "
                f"'Europe/London', 'U0HISTORY', 'weekly', {today}, 1, 'open', {now} "
                "FROM sessions s WHERE s.channel_id = 'C0HISTORY'"
            ),
            values,
        )
        connection.execute(
            text(
                "INSERT INTO checkins (intervention_id, workspace_id, due_on, due_at, status, snoozed, "
                f"attempts, catch_up, created_at) SELECT i.id, i.workspace_id, {today}, {due}, 'pending', "
                f"{false}, 0, {false}, {now} FROM interventions i"
            ),
            values,
        )
    engine.dispose()


def run_dispatch(database: Database, slack: BenchSlack, count: int, *, quick: bool) -> dict[str, Any]:
    try:
        from bot.app import build_deps, make_web_client
        from bot.delivery import one_client
        from bot.scheduler import posting_client
        from bot.services.checkins import dispatch_due
        from bot.settings import Settings
    except ImportError as error:
        return {"status": "pending", "checkins": count, "needs": f"the check-in dispatcher: {error}"}
    per_second, burst = limits(quick)
    for number in range(OWNERS):
        slack.add_user(WORKSPACE, f"U0OWN{number:03d}", f"Owner {number}")
    _seed(database.url, count)
    settings = Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
        database_url=database.url,
        _env_file=None,  # type: ignore[call-arg]
    )
    deps = build_deps(settings)
    # As the scheduler gives it (bot/scheduler.py): retrying only 429s, which the dispatcher paces.
    clients = one_client(posting_client(make_web_client(settings, BOT_TOKEN)))
    before = len(slack.calls_to("chat.postMessage"))
    slack.set_rate_limit("chat.postMessage", per_second=per_second, burst=burst, per="workspace")
    started = time.perf_counter()
    try:
        sent = failed = 0
        for _ in range(count):  # each call sends up to MAX_BATCHES × CLAIM_BATCH; loop until none due
            report = dispatch_due(deps, clients)
            sent += report.sent
            failed += report.failed
            if report.claimed == 0:
                break
        seconds = time.perf_counter() - started
    finally:
        slack.clear_rate_limits()
    calls = slack.calls_to("chat.postMessage")[before:]
    delivered: Counter[int] = Counter()
    for call in calls:
        if call.status == 200 and call.error is None:
            blocks = call.params.get("blocks")
            found = set(_CHECKIN_ID.findall(blocks if isinstance(blocks, str) else json.dumps(blocks)))
            delivered.update(int(c) for c in found)
    engine = make_engine(database.url)
    with engine.connect() as connection:
        expected = {
            int(i)
            for i in connection.execute(
                text("SELECT id FROM checkins WHERE due_on <= (SELECT min(due_on) FROM checkins)")
            ).scalars()
        }
    engine.dispose()
    minimum = max(0.0, (count - burst) / per_second)
    return {
        "status": "measured",
        "database": database.label,
        "checkins": count,
        "limit": f"chat.postMessage {per_second:g}/s per workspace, burst {burst}",
        "seconds": round(seconds, 2),
        "minimum_seconds": round(minimum, 2),
        "ratio": round(seconds / minimum, 3) if minimum else float("inf"),
        "sent": sent,
        "send_failures": failed,
        "rate_limited": sum(1 for call in calls if call.status == 429),
        "lost": len(expected - set(delivered)),
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
    }
