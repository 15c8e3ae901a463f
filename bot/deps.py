"""What listeners need besides Bolt's own arguments, handed to them through the request context."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from bot.settings import Settings
from flows.clock import Clock
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: sessionmaker[OrmSession]
    clock: Clock

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)
