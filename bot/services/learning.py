"""Learning from a workspace's own decisions: every classification a facilitator confirmed or changed
is a labelled example that later proposals in the same workspace follow (``extra_examples`` of
:func:`flows.classification.classify`), and the proposal says how many it learned from.

The examples are the decided sessions' answers as stored: nothing is copied, so an answer erased at
a person's request, or a session purged by the retention period, stops counting with it. A session
learns from the decisions made before its first answer (``uow.root_causes.decided_before``): the
proposal shown and the one a typed ``confirm`` is checked against are then the same, whatever other
teams decide meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache

from bot.session_memo import SessionMemo, WorkspaceMemo
from flows.classification_examples import LabelledExample
from flows.classification_step import (
    LEARNED_FROM_KEYS,
    LEARNED_WHY_KEY,
    LearnedExamples,
    inputs_from,
    learned_example,
)
from flows.engine import ReplyContext
from flows.schema import Step, StepKind, load_templates
from storage.models import Session
from storage.root_causes import DecidedAnalysis
from storage.uow import UnitOfWork


@cache
def classification_keys() -> frozenset[str]:
    """The answer keys of every template's classification step."""
    return frozenset(
        node.id
        for template in load_templates().values()
        for node in template.steps
        if isinstance(node, Step) and node.kind is StepKind.CLASSIFICATION
    )


def learned_examples(
    uow: UnitOfWork,
    workspace_id: str,
    session_id: int,
    kept: WorkspaceMemo[dict[int, DecidedAnalysis]] | None = None,
    erasures: int = 0,
) -> list[LabelledExample]:
    """The workspace's decided classifications that session ``session_id``'s proposal learns from.
    With ``kept`` (the app's ``deps.decided``) and the workspace's erasure count as this transaction
    reads it, the analyses the workspace's last proposal read are taken where unchanged, and these
    are kept for the next."""
    keys = classification_keys()
    examples = []
    known = kept.get(workspace_id, erasures) if kept is not None else None
    decided = uow.root_causes.decided_before(
        workspace_id,
        session_id,
        keys,
        value_keys=LEARNED_FROM_KEYS,
        value_key_shapes=(LEARNED_WHY_KEY,),
        known=known,
    )
    if kept is not None:
        kept.put(workspace_id, erasures, {analysis.session_id: analysis for analysis in decided})
    for analysis in decided:
        for key in keys & analysis.values.keys():
            example = learned_example(analysis.session_id, analysis.values, key)
            if example is not None:
                examples.append(example)
                break
    return examples


def with_learning(
    ctx: ReplyContext,
    uow: UnitOfWork,
    session: Session,
    kept: SessionMemo[LearnedExamples],
    decided: WorkspaceMemo[dict[int, DecidedAnalysis]] | None = None,
) -> ReplyContext:
    """``ctx`` whose classifier follows the workspace's decisions, read from ``uow`` (inside its
    transaction) the first time a classification is proposed, and only then; ``kept`` (the app's
    ``deps.learned``) keeps them, with the proposals made from them, for the session's later requests,
    for as long as nothing of the workspace was erased or purged (the count is read in this
    transaction: see bot/session_memo.py)."""
    workspace_id, session_id, started = session.workspace_id, session.id, session.created_at

    @cache
    def learned() -> LearnedExamples:
        erasures = uow.workspaces.erasures(workspace_id)
        return kept.get(
            workspace_id,
            session_id,
            started,
            erasures,
            lambda: LearnedExamples(learned_examples(uow, workspace_id, session_id, decided, erasures)),
        )

    return replace(ctx, learned=learned)


def case_texts(uow: UnitOfWork, workspace_id: str, session_ids: Sequence[int]) -> dict[int, str]:
    """The root cause each of the workspace's sessions ``session_ids`` is known by as a case (the
    confirmed one, else the last why), as stored now: an erased answer is quoted as erased. Only for
    sessions the reader may see (the caller's check)."""
    texts: dict[int, str] = {}
    for session_id in session_ids:
        if uow.sessions.get(workspace_id, session_id) is None:
            continue
        values = {key: row.value for key, row in uow.answers.latest(session_id).items() if not row.skipped}
        _problem, whys, root = inputs_from(values)
        answered = [why for why in whys if why.strip()]
        text = root or (answered[-1] if answered else "")
        if text:
            texts[session_id] = text
    return texts
