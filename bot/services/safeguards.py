"""Checks on a reply before the flow engine sees it: the per-person answer rate limit, and the
redact-or-keep question when a typed answer looks like personal data (email address, UK phone number,
National Insurance number, full postcode; see flows/pii.py).

The answer that looked personal is held in ``pending_answers`` (not stored as an answer) until the person
replies ``keep`` (it is stored as typed) or anything else (taken as the redacted answer). If the session
has moved on in the meantime, the held answer is dropped.

The same check covers the other ways text gets in:

* the problem statement given with ``/playbook start <template> <statement>`` is held the same way
  (:func:`hold_statement`): the session starts at its problem question, with the redacted wording
  shown, and the facilitator replies ``keep`` or the statement without the personal data. A council
  officer expects the statement, which heads the thread and every summary the leads see, to get the
  same choice as any answer, and no warning after it has already been posted for the channel to read;
* the edit modal refuses a changed answer that looks personal, with the reason and the redacted
  wording under its field (:func:`edit_errors`): a form can't ask a follow-up question without losing
  what was typed, so there is no ``keep`` there; an edit is a deliberate rewrite of a stored record,
  and asking for it without the personal data is what the reminder at the start of every session
  already asks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot import ratelimit
from bot.deps import Deps
from bot.mrkdwn import escape
from bot.ratelimit import Verdict
from flows import engine, pii
from flows.engine import Position
from flows.i18n import t
from flows.schema import Template
from storage.models import Session
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.safeguards")

KEEP = "keep"


@dataclass(frozen=True)
class Screened:
    """``text`` to give the engine, or a ``message`` to send instead (``None`` both: ignore quietly)."""

    text: str | None
    message: str | None = None


def looks_personal(statement: str | None) -> bool:
    return pii.looks_personal(statement or "")


def screen(
    deps: Deps,
    uow: UnitOfWork,
    session: Session,
    position: Position | None,
    *,
    team_id: str,
    user_id: str,
    text: str,
    typed: bool,
) -> Screened:
    locale = session.locale
    now = deps.clock.now()
    limit = deps.settings.playbook_answers_per_minute
    verdict = ratelimit.check(uow, limit, team_id, user_id, now)
    if verdict is not Verdict.ALLOWED:
        log.warning("rate limit: %s in %s is over %s answers a minute", user_id, team_id, limit)
        if verdict is Verdict.REFUSED_QUIET:
            return Screened(None)
        return Screened(None, t("rate_limited", locale, limit=limit))
    if not typed:
        return Screened(text)
    held = uow.pending
    pending = held.take(session.id, user_id)
    if pending is not None:
        kept = engine.normalise_command(text) == KEEP
        if position is not None and pending.prompt_key == position.key:
            return Screened(pending.text if kept else text)
        if kept:
            return Screened(None, t("pii_moved_on", locale))
    if position is None:
        return Screened(text)
    findings = pii.find_personal_data(text)
    if not findings:
        return Screened(text)
    held.put(session.id, user_id, position.key, text, now)
    what = pii.describe(findings, locale)
    return Screened(None, t("pii_found", locale, what=what, redacted=escape(pii.redact(text, locale))))


def hold_statement(
    uow: UnitOfWork, session: Session, template: Template, *, user_id: str, statement: str, now: datetime
) -> str | None:
    """Hold a problem statement that looks like personal data for ``keep`` or a redacted version, as
    the answer to the session's first question; the notice to show, or None if it looks fine (or the
    template asks no question to hold it for: the caller then uses it as given)."""
    findings = pii.find_personal_data(statement)
    position = engine.walk(template, {}).current
    if not findings or position is None:
        return None
    uow.pending.put(session.id, user_id, position.key, statement, now)
    return t(
        "pii_found_statement",
        session.locale,
        what=pii.describe(findings, session.locale),
        redacted=escape(pii.redact(statement, session.locale)),
    )


def edit_errors(texts: Mapping[str, str], changed: Iterable[str], locale: str) -> dict[str, str]:
    """For the edit modal: an error (plain text) for each changed answer that looks like personal data."""
    errors: dict[str, str] = {}
    for key in changed:
        findings = pii.find_personal_data(texts.get(key, ""))
        if findings:
            errors[key] = t(
                "pii_found_edit",
                locale,
                what=pii.describe(findings, locale),
                redacted=pii.redact(texts[key], locale),
            )
    return errors
