"""What a session works out from its workspace's stored answers and may keep between requests.

A classification proposal learns from the workspace's decisions made before the session began (see
``services/learning.py``): the same examples every time the session asks, since later decisions do not
count, so reading them (up to 200 sessions' answers) once per session is enough. What can change them is
an erasure (forget-me) or a retention purge, in any process: each counts itself in the workspace's row
in the same transaction (``Workspace.erasures``), and a kept value is served only to a transaction that
reads the same count it was worked out under. A count that moved drops everything kept here for that
workspace, so words erased from the database are not kept by these memos either. The pure layer's own
bounded caches keyed by answers' texts (their terms and vectors, the proposals made from them) are not
tied to the count: they serve a text only to a caller that has it, and let it go as newer ones push it
out or when the process restarts.

A session is named by its id and when it started (SQLite may give a purged session's id to a new one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar, cast

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Sessions kept at once (the least recently used go first): more than are at a classification step
# at the same moment (a session spends minutes there). Each holds up to the 200 decisions a proposal
# learns from, their texts included (a few hundred kilobytes with typical answers), so the bound is
# kept small.
CAPACITY = 32
# Workspaces whose shared values are kept at once (the least recently used go first).
WORKSPACES = 16

SessionKey = tuple[str, int, datetime]


class _ErasureCountedMemo(Generic[K, T]):
    """Values by key, each kept with the erasure count of the key's workspace it was worked out under:
    served only under that count, and dropped once a newer count of that workspace is seen. The least
    recently used go first beyond ``capacity``. Thread-safe."""

    def __init__(self, capacity: int, workspace_of: Callable[[K], str]) -> None:
        self._capacity = capacity
        self._workspace_of = workspace_of
        self._entries: OrderedDict[K, tuple[int, T]] = OrderedDict()
        # The highest erasure count seen for each workspace.
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def _lookup(self, key: K, erasures: int) -> tuple[bool, T | None]:
        """(True, the value) kept for ``key`` under ``erasures``, else (False, None)."""
        with self._lock:
            self._see(self._workspace_of(key), erasures)
            kept = self._entries.get(key)
            if kept is None or kept[0] != erasures:
                return False, None
            self._entries.move_to_end(key)
            return True, kept[1]

    def _keep(self, key: K, erasures: int, value: T) -> None:
        """Keep ``value`` (worked out under ``erasures``) for ``key``, unless a newer count of its
        workspace has been seen meanwhile."""
        with self._lock:
            workspace_id = self._workspace_of(key)
            self._see(workspace_id, erasures)
            if self._counts[workspace_id] != erasures:
                return
            self._entries[key] = (erasures, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def kept(self) -> list[T]:
        """Everything kept now (what this process holds in memory)."""
        with self._lock:
            return [value for _count, value in self._entries.values()]

    def _see(self, workspace_id: str, erasures: int) -> None:
        """Note a workspace's count; when it moved on, drop what was kept under an older one."""
        newest = self._counts.get(workspace_id)
        if newest is not None and erasures <= newest:
            return
        self._counts[workspace_id] = erasures
        if newest is not None:
            for key in [k for k in self._entries if self._workspace_of(k) == workspace_id]:
                del self._entries[key]


def _session_workspace(key: SessionKey) -> str:
    return key[0]


def _itself(workspace_id: str) -> str:
    return workspace_id


class SessionMemo(_ErasureCountedMemo[SessionKey, T]):
    """``(workspace, session, started) → value``, each kept with the workspace's erasure count it was
    worked out under. One per app (it lives in ``Deps``)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__(capacity, _session_workspace)

    def get(
        self, workspace_id: str, session_id: int, started: datetime, erasures: int, work_out: Callable[[], T]
    ) -> T:
        """The value kept for the session under ``erasures`` (the count the caller's transaction
        reads), else ``work_out()``'s, kept if that count is still the newest seen."""
        key = (workspace_id, session_id, started)
        found, kept = self._lookup(key, erasures)
        if found:
            return cast(T, kept)
        value = work_out()  # outside the lock: it reads the database
        self._keep(key, erasures, value)
        return value


class WorkspaceMemo(_ErasureCountedMemo[str, T]):
    """``workspace → value``, by the same rule as :class:`SessionMemo`. For what a workspace's sessions
    share (the decided analyses their proposals learn from, most of them the same from one session to
    the next). One per app."""

    def __init__(self, capacity: int = WORKSPACES) -> None:
        super().__init__(capacity, _itself)

    def get(self, workspace_id: str, erasures: int) -> T | None:
        """The value kept for the workspace under ``erasures``, else None."""
        return self._lookup(workspace_id, erasures)[1]

    def put(self, workspace_id: str, erasures: int, value: T) -> None:
        """Keep ``value`` (worked out under ``erasures``) in place of the workspace's last one, unless
        a newer count has been seen meanwhile."""
        self._keep(workspace_id, erasures, value)
