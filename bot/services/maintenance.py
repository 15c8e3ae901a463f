"""Housekeeping the scheduler runs: forgetting the ids of events long since processed, and deleting
sessions past their workspace's retention period. Both are idempotent, so two workers running them at
once is harmless."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.deps import Deps
from storage.retention import PurgeResult

log = logging.getLogger("playbook.maintenance")

# Slack retries an event for about five minutes; a day of ids is plenty to recognise retries.
EVENT_ID_RETENTION = timedelta(days=1)


def purge_processed_events(deps: Deps) -> int:
    """Forget processed event ids older than :data:`EVENT_ID_RETENTION`; returns how many."""
    cutoff = deps.clock.now() - EVENT_ID_RETENTION
    with deps.uow() as uow:
        purged = uow.events.purge_before(cutoff)
        uow.commit()
    return purged


def purge_expired_data(deps: Deps) -> list[PurgeResult]:
    """Delete sessions past their workspace's retention period (storage/retention.py)."""
    with deps.uow() as uow:
        results = uow.retention.purge_expired(deps.clock.now())
        uow.commit()
    for result in results:
        if result.sessions or result.problems:
            log.info("retention: %s", result)
    return results
