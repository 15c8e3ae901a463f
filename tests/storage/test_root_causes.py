"""The cross-session queries of storage/root_causes.py on SQLite and PostgreSQL: confirmed root causes
and decided analyses, scoped by workspace, latest versions only, erased and cancelled ones left out,
and the decided set cut off at a session's first answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, sessionmaker
from sqlalchemy.orm import Session as OrmSession

from storage.db import ensure_schema, make_engine, make_session_factory
from storage.models import REMOVED_TEXT, Session, SessionStatus
from storage.uow import UnitOfWork

KEYS = ("root_cause", "branch_root_cause")


def _factory(url: str) -> sessionmaker[OrmSession]:
    engine = make_engine(url)
    ensure_schema(url, engine)
    return make_session_factory(engine)


def _session(uow: UnitOfWork, team: str, channel: str, *, is_dm: bool = False) -> int:
    uow.workspaces.get_or_create(team)
    session = uow.sessions.add(
        Session(
            workspace_id=team,
            template_id="five-whys",
            facilitator_id="U1",
            channel_id=channel,
            thread_ts=None if is_dm else f"{channel}.1",
            is_dm=is_dm,
        )
    )
    return session.id


def _answer(uow: UnitOfWork, session_id: int, key: str, value: Any, **extra: Any) -> None:
    uow.answers.add_version(session_id, key, value=value, author_id="U1", **extra)


def test_confirmed_root_causes_are_the_latest_of_this_workspace(database_url: str) -> None:
    factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        first = _session(uow, "T1", "C1")
        _answer(uow, first, "root_cause", {"item": 1, "text": "An old answer"})
        _answer(uow, first, "root_cause", {"item": 2, "text": "Nobody was trained"})
        branch = _session(uow, "T1", "C2")
        _answer(uow, branch, "branch_root_cause", {"item": 1, "text": "The budget was cut"})
        dm = _session(uow, "T1", "D1", is_dm=True)
        _answer(uow, dm, "root_cause", {"item": 1, "text": "In a DM"})
        erased = _session(uow, "T1", "C3")
        _answer(uow, erased, "root_cause", {"item": 1, "text": REMOVED_TEXT})
        retracted = _session(uow, "T1", "C4")
        _answer(uow, retracted, "root_cause", {"item": 1, "text": "Taken back"})
        _answer(uow, retracted, "root_cause", None, retracted=True)
        cancelled = _session(uow, "T1", "C5")
        _answer(uow, cancelled, "root_cause", {"item": 1, "text": "Cancelled session"})
        other_team = _session(uow, "T2", "C1")
        _answer(uow, other_team, "root_cause", {"item": 1, "text": "Another council"})
        uow.flush()
        uow.sessions.get("T1", cancelled).status = SessionStatus.CANCELLED  # type: ignore[union-attr]
        uow.commit()
    with UnitOfWork(factory) as uow:
        found = uow.root_causes.confirmed("T1", KEYS)
        assert sorted((r.session_id, r.key, r.text, r.is_dm) for r in found) == [
            (first, "root_cause", "Nobody was trained", False),
            (branch, "branch_root_cause", "The budget was cut", False),
            (dm, "root_cause", "In a DM", True),
        ]
        assert {r.channel_id: r.thread_ts for r in found}["C1"] == "C1.1"
        assert [r.session_id for r in uow.root_causes.confirmed("T1", KEYS, except_session=first)] == [
            dm,
            branch,
        ]
        assert [r.text for r in uow.root_causes.confirmed("T2", KEYS)] == ["Another council"]


def test_decided_analyses_stop_at_the_sessions_first_answer(database_url: str) -> None:
    factory = _factory(database_url)
    decision = {"scope": "service", "category": "data", "status": "changed"}
    with UnitOfWork(factory) as uow:
        decided = _session(uow, "T1", "C1")
        _answer(uow, decided, "problem", "Forms are lost")
        _answer(uow, decided, "whys.1.answer", "Nobody owns the inbox")
        _answer(uow, decided, "classification", decision)
        undecided = _session(uow, "T1", "C2")
        _answer(uow, undecided, "problem", "Still going")
        elsewhere = _session(uow, "T2", "C1")
        _answer(uow, elsewhere, "classification", decision)
        asking = _session(uow, "T1", "C3")
        _answer(uow, asking, "problem", "New problem")
        # After the asking session began: a change to the decision and a new decision.
        _answer(uow, decided, "classification", {**decision, "category": "process"})
        _answer(uow, decided, "whys.1.answer", "Edited later")
        later = _session(uow, "T1", "C4")
        _answer(uow, later, "classification", decision)
        uow.commit()
    with UnitOfWork(factory) as uow:
        [analysis] = uow.root_causes.decided_before("T1", asking, ["classification"])
        assert analysis.session_id == decided
        assert analysis.values == {
            "problem": "Forms are lost",
            "whys.1.answer": "Nobody owns the inbox",
            "classification": decision,
        }
        # A session begun after the change learns the changed decision, and never from itself.
        [changed] = uow.root_causes.decided_before("T1", later, ["classification"])
        assert changed.session_id == decided and changed.values["classification"]["category"] == "process"
        newest = _session(uow, "T1", "C5")
        _answer(uow, newest, "problem", "Newest")
        uow.flush()
        assert [a.session_id for a in uow.root_causes.decided_before("T1", newest, ["classification"])] == [
            later,
            decided,
        ]
        assert uow.root_causes.decided_before("T2", elsewhere, ["classification"]) == []


def test_the_statements_are_built_once_and_reused(database_url: str) -> None:
    """Constructing these statements cost more than running them: each is built once (per key set and
    variant) and every call runs that same statement with its own values."""
    factory = _factory(database_url)
    decision = {"scope": "service", "category": "data", "status": "changed"}
    with UnitOfWork(factory) as uow:
        sessions = []
        for number in range(3):
            session_id = _session(uow, "T1", f"C{number}")
            _answer(uow, session_id, "problem", f"Problem {number}")
            _answer(uow, session_id, "root_cause", {"item": 1, "text": f"Cause {number}"})
            _answer(uow, session_id, "classification", decision)
            sessions.append(session_id)
        uow.commit()
    executed: list[Any] = []

    def record(state: ORMExecuteState) -> None:
        executed.append(state.statement)

    event.listen(factory, "do_orm_execute", record)
    try:
        statements = []
        for asking in sessions[1:]:
            with UnitOfWork(factory) as uow:
                executed.clear()
                assert uow.root_causes.confirmed("T1", KEYS, except_session=asking)
                assert uow.root_causes.decided_before(
                    "T1", asking, ["classification"], value_keys=["problem"]
                )
                statements.append(list(executed))
    finally:
        event.remove(factory, "do_orm_execute", record)
    first, second = statements
    # Seen elsewhere's root causes; the first answer's id, the decided sessions, the newest answer of
    # each, and their answers.
    assert len(first) == len(second) == 5
    assert [statement is again for statement, again in zip(first, second, strict=True)] == [True] * 5


def test_decided_analyses_already_read_are_taken_again_only_while_unchanged(database_url: str) -> None:
    """``known``: what an earlier call returned is taken where the session's newest answer before the
    cut-off is the one it was read through, and read again where it is not: the same analyses as a
    read from scratch, every time."""
    factory = _factory(database_url)
    decision = {"scope": "service", "category": "data", "status": "changed"}
    engine = factory.kw["bind"]
    answer_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "answers.value" in statement:
            answer_reads.append(statement)

    with UnitOfWork(factory) as uow:
        first = _session(uow, "T1", "C1")
        _answer(uow, first, "whys.1.answer", "Nobody owns the inbox")
        _answer(uow, first, "classification", decision)
        second = _session(uow, "T1", "C2")
        _answer(uow, second, "whys.1.answer", "The form has no owner")
        _answer(uow, second, "classification", {**decision, "scope": "council-wide"})
        asking = _session(uow, "T1", "C3")
        _answer(uow, asking, "problem", "First to ask")
        uow.commit()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with UnitOfWork(factory) as uow:
            earlier = uow.root_causes.decided_before("T1", asking, ["classification"])
            assert [a.session_id for a in earlier] == [second, first] and len(answer_reads) == 1
            known = {a.session_id: a for a in earlier}
            # The same cut-off again: nothing to read.
            assert uow.root_causes.decided_before("T1", asking, ["classification"], known=known) == earlier
            assert len(answer_reads) == 1

            # Later: the first session's why is edited (a new version) and a third session decides.
            _answer(uow, first, "whys.1.answer", "Edited: the inbox has no owner")
            third = _session(uow, "T1", "C4")
            _answer(uow, third, "classification", decision)
            later = _session(uow, "T1", "C5")
            _answer(uow, later, "problem", "Second to ask")
            uow.flush()
            answer_reads.clear()
            reused = uow.root_causes.decided_before("T1", later, ["classification"], known=known)
            fresh = uow.root_causes.decided_before("T1", later, ["classification"])
            assert reused == fresh
            assert [a.session_id for a in reused] == [third, second, first]  # newest decision first
            assert reused[2].values["whys.1.answer"] == "Edited: the inbox has no owner"
            assert reused[1] is known[second]  # unchanged: taken as it was
            assert len(answer_reads) == 2  # the reused call read only the first and the third
    finally:
        event.remove(engine, "before_cursor_execute", count)
