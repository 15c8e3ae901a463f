"""``/playbook export <session>``: a Markdown report, a CSV of every answer version (with who and
when) and, when the problem has cost lines, an ``.xlsx`` of the cost impacts, uploaded in one
``files_upload_v2`` to the session's conversation (its thread, or the DM it ran in).

Who may: the people who took part in the session, and leads; either only if they may see the
session (``services/access.py``: a private channel's session is exported only by its members). The
files are rendered by :mod:`flows.exports` from the problem's report, the same model as every other
place a figure is shown; other sessions on the problem are in them only if everyone where the files go
may see them. People are named in the files, never by Slack user id: names are asked of Slack
(``users.info``) after the transaction, and a person who used forget-me is a "former participant".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from slack_sdk import WebClient

from bot.delivery import FileUpload, Shown, Upload
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed, SessionNotFound
from bot.request import Caller
from bot.services import access, language
from bot.services.conversation import people_of
from bot.services.leads import display_names, report_inputs
from bot.services.workspace import local_time, settings_for
from bot.views.status import where
from flows import policy
from flows.commands import session_ref
from flows.exports import AnswerRow, session_files
from flows.i18n import t
from flows.report import build_report, person
from flows.schema import get_template
from storage.models import AnswerVersion


def _row(version: AnswerVersion, names: Mapping[str, str], locale: str) -> AnswerRow:
    return AnswerRow(
        session_id=version.session_id,
        key=version.key,
        version=version.version,
        value=version.value,
        typed=version.raw_text,
        skipped=version.skipped,
        retracted=version.retracted,
        author=person(version.author_id, names, locale).name,
        answered_at=version.created_at,
    )


def export(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """Upload the session's files to its conversation; the reply tells the person where they went."""
    session_id = session_ref(argument)
    own_locale = language.caller_locale(deps, caller)  # the reply is the caller's; the files the session's
    if session_id is None:
        return Shown(ack=t("export_needs_session", own_locale))
    access.ensure_session_visible(deps, client, caller, session_id)
    # The files go to the session's conversation: other sessions on its problem are in them only if
    # everyone there may see them (run in the same conversation, or in a public channel).
    shareable = access.channels_shareable_into(deps, client, caller.team_id, session_id)
    with deps.uow() as uow:
        session = uow.sessions.get(caller.team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", own_locale, session=session_id))
        settings = settings_for(deps, uow, caller.team_id)
        if not policy.may_export(people_of(session), settings.lead_ids, caller.user_id):
            raise NotAllowed(t("export_not_allowed", own_locale))
        inputs = report_inputs(uow, session, settings, related_from=shareable)
        versions = list(uow.answers.history(session.id))
        locale, facilitator = session.locale, session.facilitator_id
        channel, thread_ts = session.channel_id, None if session.is_dm else session.thread_ts
        shown_where = where(session, own_locale)
        template = get_template(session.template_id)
    # Names are asked of Slack, and the files built, after the transaction: no lock is held meanwhile.
    people = inputs.user_ids() | {facilitator} | {v.author_id for v in versions}
    names = display_names(Directory(client), people)
    report = build_report(replace(inputs, names=names))
    rows = [_row(version, names, locale) for version in versions]
    files = session_files(
        report,
        rows,
        template,
        facilitator=person(facilitator, names, locale),
        when=local_time(settings, deps.clock.now(), locale),
        locale=locale,
    )
    upload = Upload(
        channel=channel,
        thread_ts=thread_ts,
        files=[FileUpload(filename=f.filename, title=f.title, content=f.content) for f in files],
        comment=t(
            "export_comment",
            locale,
            session=session_id,
            xlsx=t("export_comment_xlsx", locale) if report.costs is not None else "",
        ),
    )
    return Shown(ack=t("export_done", own_locale, session=session_id, where=shown_where), messages=[upload])
