"""How long building the weekly digest takes, at 50, 200 and 1,000 sessions finished in the week.

    .venv/bin/python -m bench.digest                      # 50 / 200 / 1000 on SQLite
    .venv/bin/python -m bench.digest --sizes 200 --profile  # with cProfile's top functions
    .venv/bin/python -m bench.digest --postgres-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.digest --slack-latency-ms 100  # every Web API call takes 100 ms

For each size a fresh database is seeded (directly, not through Slack) with that many finished
five-whys sessions in the week, spread over 24 services (channels, four of them private), a third of
them sharing a problem with another, a classification decided on most, a cost line on one in four and
an intervention on every other. Then, against the local Slack stand-in:

* ``preview``: ``/playbook digest`` as a lead asks it (the service call the command makes after its ack:
  read, themes as the caller may read them, the blocks);
* ``send``: what ``playbook-bot digest --now`` builds for the leads channel (read with twelve weeks of
  history, themes for the channel, the blocks, both charts drawn);
* ``themes``: ``/playbook themes``.

Each is run twice in the same process (``first``: cold, with imports and the classifier loading;
``again``: warm), with the number of SQL statements and of Web API calls. Figures only: nothing is
asserted here (tests/bot/test_digest_statements.py bounds the statements).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event

from bench.data import postgres_available, postgres_database, sqlite_database
from localslack.webapi import SlackWebApiStandIn

TEAM = "T0DIGEST"
LEAD = "U0LEAD"
LEADS_CHANNEL = "C0LEADS"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SERVICES = 24
PRIVATE_EVERY = 6  # one service in six runs in a private channel
CATEGORIES = ("process", "technology", "data", "people-skills", "procurement-market", "governance-policy")
ROOT_CAUSES = (
    "The supplier contract does not let us change the system settings",
    "The online form rejects postcodes without a space",
    "Nobody owns the shared mailbox so requests sit unread",
    "Staff re-key the same details into three systems",
    "The budget for training was cut so new starters learn on the job",
    "Case notes are kept in spreadsheets nobody else can open",
    "The booking system does not show cancelled slots again",
    "Approvals wait for a monthly board meeting",
)


class SlowSlack(SlackWebApiStandIn):
    """The stand-in, with every Web API call taking ``latency`` seconds (as Slack does from afar)."""

    def __init__(self, latency: float) -> None:
        super().__init__()
        self.latency = latency

    def _handle_http(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if self.latency and path.startswith("/api/"):
            time.sleep(self.latency)
        return super()._handle_http(verb, path, headers, body)


def seed(
    session_factory: Any,
    count: int,
    *,
    team: str = TEAM,
    now: datetime = NOW,
    weeks: int = 13,
    batch: int = 0,
) -> None:
    """``count`` finished five-whys sessions in the week up to ``now`` (plus a tenth as many in each of
    the ``weeks - 1`` weeks before, for the category chart), written directly. (Also the data of
    tests/bot/test_digest_statements.py.)"""
    from storage.models import Intervention, Participant, Problem, Session, SessionStatus, Workspace

    shared: Any = None
    with session_factory() as orm:
        if orm.get(Workspace, team) is None:
            orm.add(Workspace(id=team, name="Bench Council", settings={}, created_at=now))
            orm.flush()
        for week in range(weeks):
            for number in range(count if week == 0 else max(1, count // 10)):
                when = now - timedelta(days=7 * week, hours=1 + number % 100)
                service = number % SERVICES
                channel = f"C0SVC{service:02d}"
                problem = None
                if number % 3 == 1:  # a problem, which the next session shares
                    problem = Problem(
                        workspace_id=team,
                        statement=f"Problem {week}-{number}",
                        created_by=LEAD,
                        created_at=when,
                    )
                    orm.add(problem)
                    orm.flush()
                elif number % 3 == 2:
                    problem = shared
                shared = problem
                session = Session(
                    workspace_id=team,
                    problem_id=problem.id if problem else None,
                    template_id="five-whys",
                    status=SessionStatus.COMPLETED,
                    facilitator_id=f"U0FAC{service:02d}",
                    channel_id=channel,
                    thread_ts=f"17{batch:08d}.{week:02d}{number:06d}",
                    created_at=when - timedelta(hours=1),
                    updated_at=when,
                    completed_at=when,
                )
                orm.add(session)
                orm.flush()
                cause = f"{ROOT_CAUSES[number % len(ROOT_CAUSES)]} ({channel}, case {number})"
                answers: dict[str, Any] = {
                    "problem": f"Residents wait too long, case {number}",
                    "whys.1.answer": "Requests are re-keyed by hand",
                    "whys.2.answer": cause,
                    "whys.2.fixes_it": True,
                    "root_cause": {"item": 2, "text": cause},
                    "second_branch": False,
                }
                if number % 5:  # most have a decided classification; the rest show the proposal
                    category = CATEGORIES[number % len(CATEGORIES)]
                    answers["classification"] = {
                        "scope": "service",
                        "category": category,
                        "status": "confirmed",
                        "proposed": {"scope": "service", "category": category, "confidence": 0.7},
                    }
                for key, value in answers.items():
                    orm.add(
                        _answer(session.id, key, value, session.facilitator_id, when),
                    )
                orm.add(
                    Participant(
                        session_id=session.id,
                        user_id=session.facilitator_id,
                        role="facilitator",
                        joined_at=when,
                    )
                )
                if number % 2 == 0:
                    orm.add(
                        Intervention(
                            workspace_id=team,
                            session_id=session.id,
                            source_item=1,
                            what=f"Fix it, case {number}",
                            owner_id=session.facilitator_id,
                            created_by=session.facilitator_id,
                            cadence="weekly",
                            first_due=date(2026, 12, 1),
                            day_of_month=1,
                            status="open" if number % 4 else "done",
                            progress="blocked" if number % 8 == 2 else None,
                            created_at=when,
                            closed_at=None if number % 4 else when,
                        )
                    )
        orm.commit()


def _answer(session_id: int, key: str, value: Any, author: str, when: datetime) -> Any:
    from storage.models import AnswerVersion

    return AnswerVersion(
        session_id=session_id,
        key=key,
        version=1,
        value=value,
        raw_text=str(value),
        skipped=False,
        retracted=False,
        author_id=author,
        created_at=when,
    )


def slack_for(latency: float) -> SlowSlack:
    slack = SlowSlack(latency)
    slack.start()
    slack.add_team(TEAM, "Bench Council", bot_user_id="UBOT", bot_token=f"xoxb-{TEAM}")
    slack.add_user(TEAM, LEAD, "Lee")
    slack.add_channel(TEAM, LEADS_CHANNEL, "leads", members=[LEAD])
    for service in range(SERVICES):
        slack.add_user(TEAM, f"U0FAC{service:02d}", f"Facilitator {service}")
        slack.add_channel(
            TEAM,
            f"C0SVC{service:02d}",
            f"service-{service:02d}",
            members=[f"U0FAC{service:02d}"] + ([LEAD] if service % 2 else []),
            is_private=service % PRIVATE_EVERY == 0,
        )
    return slack


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(
    name: str, run: Callable[[], object], engine: Any, slack: SlackWebApiStandIn, profile: bool
) -> dict[str, Any]:
    figures: dict[str, Any] = {"name": name}
    for label in ("first", "again"):
        calls_before = len(slack.calls)
        profiler = cProfile.Profile() if profile and label == "again" else None
        with counting(engine) as statements:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            run()
            if profiler is not None:
                profiler.disable()
            figures[label] = time.perf_counter() - started
        figures[f"{label}_statements"] = len(statements)
        calls = Counter(call.method for call in slack.calls[calls_before:])
        figures[f"{label}_calls"] = dict(calls)
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            figures["profile"] = out.getvalue()
    return figures


def run_size(url: str, count: int, latency: float, profile: bool) -> list[dict[str, Any]]:
    from bot.app import build_deps, make_web_client
    from bot.request import Caller
    from bot.services import digest
    from bot.settings import Settings
    from flows.clock import FixedClock

    slack = slack_for(latency)
    try:
        settings = Settings(
            slack_bot_token=SecretStr(f"xoxb-{TEAM}"),
            slack_signing_secret=SecretStr("bench"),
            slack_api_url=slack.base_url,
            database_url=url,
            _env_file=None,  # type: ignore[call-arg]
        )
        deps = build_deps(settings, FixedClock(NOW))
        seed(deps.session_factory, count)
        with deps.uow() as uow:
            uow.workspaces.change_settings(TEAM, lead_user_ids=(LEAD,), leads_channel=LEADS_CHANNEL)
            uow.commit()
        client = make_web_client(settings, f"xoxb-{TEAM}")
        caller = Caller(TEAM, LEAD, LEADS_CHANNEL, None, None, False, None, None)
        engine = deps.session_factory.kw["bind"]

        def send() -> object:
            from flows.digest import seven_days_to

            with deps.uow() as uow:
                read = digest.read_digest(
                    uow, deps, TEAM, seven_days_to(NOW, "Europe/London"), with_history=True
                )
            return digest.digest_messages(deps.directory(client, TEAM), read, LEADS_CHANNEL, "now")

        results = [
            measure("preview", lambda: digest.preview_command(deps, client, caller), engine, slack, profile),
            measure("send", send, engine, slack, profile),
            measure("themes", lambda: digest.themes_command(deps, client, caller), engine, slack, profile),
        ]
        engine.dispose()
        return results
    finally:
        slack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--postgres-url", default=None, help="run on PostgreSQL (a scratch database)")
    parser.add_argument("--slack-latency-ms", type=float, default=0.0)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 25 (the warm run)")
    args = parser.parse_args(argv)
    if args.postgres_url and not postgres_available(args.postgres_url):
        parser.error(f"no PostgreSQL at {args.postgres_url}")
    print(f"{'sessions':>8} {'what':<8} {'first s':>8} {'again s':>8} {'SQL':>5}  Web API calls (again)")
    for count in args.sizes:
        database = postgres_database(args.postgres_url) if args.postgres_url else sqlite_database()
        with database as db:
            for figures in run_size(db.url, count, args.slack_latency_ms / 1000, args.profile):
                calls = ", ".join(f"{m} {n}" for m, n in sorted(figures["again_calls"].items())) or "none"
                print(
                    f"{count:>8} {figures['name']:<8} {figures['first']:>8.2f} {figures['again']:>8.2f} "
                    f"{figures['again_statements']:>5}  {calls}",
                    flush=True,
                )
                if args.profile:
                    print(figures["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
