"""APScheduler wiring. The database is the source of truth for anything scheduled; APScheduler only
wakes the jobs that read it (its own job store is never shared between processes)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import delivery
from bot.app import make_web_client
from bot.delivery import ClientFor, one_client
from bot.deps import Deps
from bot.services import checkins, digest, nudges
from bot.services.maintenance import purge_expired_data, purge_processed_events

log = logging.getLogger("playbook.scheduler")

OUTBOX_INTERVAL_SECONDS = 2


def posting_client(client: WebClient) -> WebClient:
    """``client`` retrying only what Slack refused with a 429 (it did nothing then). A dropped
    connection or a 5xx may come after Slack accepted a message, so posting again at once could double
    it: the scheduled senders retry such a post themselves, after looking for it in the conversation."""
    client.retry_handlers = [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
    return client


def _clients(deps: Deps, *, retries: bool = True) -> ClientFor | None:
    """How the scheduled jobs get a Web API client for a workspace: its installation's bot token in
    OAuth mode, else ``SLACK_BOT_TOKEN`` (None, and check-ins stay pending, when there is neither);
    a :func:`posting_client`, or with ``retries=False`` one that retries nothing (the outbox's sender
    owns its retries and never sleeps out a Retry-After)."""
    settings = deps.settings
    if settings.oauth_enabled:
        from bot import oauth

        _oauth_settings, store = oauth.build_oauth(settings, deps)

        def for_workspace(workspace_id: str) -> WebClient:
            bot = store.find_bot(enterprise_id=None, team_id=workspace_id)
            if bot is None or not bot.bot_token:
                # A SlackClientError: the check-in stays pending with this as its last_error.
                raise SlackClientError(f"the app is not installed in workspace {workspace_id}")
            if not retries:
                return make_web_client(
                    settings, bot.bot_token, retries=False, timeout=delivery.SENDER_TIMEOUT_SECONDS
                )
            return posting_client(make_web_client(settings, bot.bot_token))

        return for_workspace
    token = settings.slack_bot_token
    if token is None:
        log.error("SLACK_BOT_TOKEN is not set: check-ins stay pending until it is")
        return None
    if not retries:
        return one_client(
            make_web_client(
                settings, token.get_secret_value(), retries=False, timeout=delivery.SENDER_TIMEOUT_SECONDS
            )
        )
    return one_client(posting_client(make_web_client(settings, token.get_secret_value())))


def dispatch_checkins(deps: Deps) -> None:
    clients = _clients(deps)
    if clients is not None:
        report = checkins.dispatch_due(deps, clients)
        if report.claimed:
            log.info("check-ins: %s", report)


def send_outbox(deps: Deps) -> None:
    """Send what the request path left in the outbox (a crash, a Retry-After, Slack down)."""
    clients = _clients(deps, retries=False)
    if clients is not None:
        flushed = delivery.send_ready(deps, clients)
        if flushed.sent or flushed.dead:
            log.info(
                "outbox: %d sent, %d dead, %d left", len(flushed.sent), len(flushed.dead), len(flushed.left)
            )


def purge_outbox(deps: Deps) -> None:
    """Forget outbox messages sent (or refused) more than a day ago."""
    with deps.uow() as uow:
        purged = uow.outbox.purge_finished(deps.clock.now() - timedelta(days=1))
        uow.commit()
    if purged:
        log.info("outbox: %d finished messages forgotten", purged)


def nudge_idle(deps: Deps) -> None:
    clients = _clients(deps)
    if clients is not None:
        nudges.nudge_idle_sessions(deps, clients)


def client_factory(deps: Deps) -> ClientFor | None:
    """The Web API client of each workspace for jobs run outside a request (the CLI's too)."""
    return _clients(deps)


def send_digests(deps: Deps) -> None:
    """Wake the weekly digest: each workspace's goes once its time has come, once per ISO week
    however many processes run this (the claim is a row in the database)."""
    clients = _clients(deps)
    if clients is not None:
        report = digest.send_due(deps, clients)
        if report.sent or report.queued or report.failed:
            log.info("digests: sent %s, queued %s, failed %s", report.sent, report.queued, report.failed)


def add_jobs(scheduler: BaseScheduler, deps: Deps) -> None:
    # misfire_grace_time=None: a job due while the process was down runs late instead of being dropped
    # (APScheduler 3's default grace is one second); coalesce: several missed runs run once.
    common = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1, "replace_existing": True}
    scheduler.add_job(purge_processed_events, "interval", hours=1, args=[deps], id="purge-events", **common)
    # Retention: daily, at 02:30 UTC; idempotent, so two workers running it is harmless.
    scheduler.add_job(purge_expired_data, "cron", hour=2, minute=30, args=[deps], id="retention", **common)
    # Check-ins: the rows in the database are the schedule; this only wakes the dispatcher, which claims
    # due rows with row locks, so any number of processes can run it (bot/services/checkins.py). It
    # first runs at start-up, not a minute later: a restarted worker catches up at once on what came due
    # while it was down (and each run works through batches until nothing is due).
    scheduler.add_job(
        dispatch_checkins,
        "interval",
        minutes=1,
        # The scheduler runs on this machine's real clock, whatever the app's clock says.
        next_run_time=datetime.now(UTC),
        args=[deps],
        id="checkin-dispatch",
        **common,
    )
    scheduler.add_job(nudge_idle, "interval", minutes=5, args=[deps], id="idle-nudge", **common)
    # The weekly digest: due at 09:00 local on Monday (or the next working day); checked every five
    # minutes, so it goes within five minutes of its time, or at once after a restart.
    scheduler.add_job(send_digests, "interval", minutes=5, args=[deps], id="weekly-digest", **common)
    # The outbox: what the request path could not send in its budget. Any number of processes may run
    # it (claims, storage/outbox.py); it also runs at start-up, to send what a crash left.
    scheduler.add_job(
        send_outbox,
        "interval",
        seconds=OUTBOX_INTERVAL_SECONDS,
        next_run_time=deps.clock.now(),
        args=[deps],
        id="send-outbox",
        **common,
    )
    scheduler.add_job(purge_outbox, "interval", hours=1, args=[deps], id="purge-outbox", **common)


def start_outbox_sender(deps: Deps) -> BackgroundScheduler:
    """Only the outbox's sender, in a server whose schedule runs in a worker (``serve
    --no-scheduler``): each server process sends what its own requests could not send in their
    budget within seconds, whether or not a worker is running (any number of senders is safe)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        send_outbox,
        "interval",
        seconds=OUTBOX_INTERVAL_SECONDS,
        next_run_time=deps.clock.now(),
        args=[deps],
        id="send-outbox",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler


def start_background_scheduler(deps: Deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, deps)
    scheduler.start()
    return scheduler


def run_blocking_scheduler(deps: Deps) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, deps)
    log.info("worker started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    scheduler.start()
