"""What listeners need besides Bolt's own arguments, handed to them through the request context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from bot.directory import Directory, LookupCache
from bot.session_memo import SessionMemo, WorkspaceMemo
from bot.settings import Settings
from flows.classification_step import LearnedExamples
from flows.clock import Clock, SystemClock
from storage.db import SessionFactory, database_answers
from storage.root_causes import DecidedAnalysis
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: SessionFactory
    clock: Clock
    # Slack's answers about admins and channels, kept briefly (bot/directory.py).
    lookups: LookupCache = field(default_factory=LookupCache)
    # The decided classifications each session's proposal learns from (and the proposals made from
    # them), kept per session while no erasure or purge has touched its workspace (bot/session_memo.py).
    learned: SessionMemo[LearnedExamples] = field(default_factory=SessionMemo[LearnedExamples])
    # The decided analyses a workspace's proposals last learned from, by session, under the same rule:
    # the next session's first read takes those whose answers have not changed (bot/session_memo.py).
    decided: WorkspaceMemo[dict[int, DecidedAnalysis]] = field(
        default_factory=WorkspaceMemo[dict[int, DecidedAnalysis]]
    )

    def __deepcopy__(self, memo: dict[int, object]) -> Deps:
        # One per app, shared by every request: Bolt deep-copies a request's context for a lazy
        # listener, which must get these same dependencies (the same engine and pool), not copies.
        return self

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def database_ready(self) -> bool:
        """Whether the database answers now (``GET /readyz``)."""
        engine = self.session_factory.kw["bind"]
        return database_answers(engine)

    def shared_now(self, uow: UnitOfWork) -> datetime:
        """The time for decisions several processes share (is a check-in due, has a claim gone
        stale): the database's clock, since this machine's may be minutes off another's; unless the
        app runs on a simulated clock (tests, the sandbox's time travel), which then stands for every
        clock, the database's included."""
        if isinstance(self.clock, SystemClock):
            return uow.database_now()
        return self.clock.now()

    def directory(self, client: WebClient, team_id: str) -> Directory:
        """Slack reads for ``team_id`` through ``client``, with the app's brief cache."""
        return Directory(client, team_id=team_id, cache=self.lookups, clock=self.clock)
