"""The lines of ``/playbook status`` and of session lists elsewhere: a session's template, where it
runs and where it stands. Pure: models in, mrkdwn out."""

from __future__ import annotations

from bot.mrkdwn import escape
from flows.i18n import t
from flows.schema import TemplateNotFound, get_template
from storage.models import Session, SessionStatus

STATEMENT_LIMIT = 200


def clipped_statement(statement: str, limit: int = STATEMENT_LIMIT) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def template_title(template_id: str, locale: str) -> str:
    try:
        return get_template(template_id).title.get(locale)
    except TemplateNotFound:
        return template_id


def where(session: Session, locale: str = "en") -> str:
    """Where a session runs: its channel, or the person's DM with the app."""
    return t("where_dm", locale) if session.is_dm else f"<#{session.channel_id}>"


def state(session: Session, step_title: str, locale: str = "en") -> str:
    """Where the session stands (``at "Why 2"``, ``paused at …``, ``completed``)."""
    status = SessionStatus(session.status)
    if status is SessionStatus.ACTIVE:
        return t("state_active", locale, step=escape(step_title))
    if status is SessionStatus.PAUSED:
        return t("state_paused", locale, step=escape(step_title))
    if status is SessionStatus.COMPLETED:
        return t("state_completed", locale)
    return t("state_cancelled", locale)


def session_line(session: Session, step_title: str, locale: str = "en") -> str:
    return t(
        "status_line",
        locale,
        session=session.id,
        title=template_title(session.template_id, locale),
        state=state(session, step_title, locale),
        where=where(session, locale),
    )


def status_problem_line(problem_id: int, statement: str, locale: str = "en") -> str:
    return t("status_problem", locale, problem=problem_id, statement=escape(clipped_statement(statement)))
