"""``/playbook export <session> docx`` (or ``--problem <n> docx``): a Word paper on the problem, for a
committee, uploaded to the session's conversation like the other exports.

Who may: the people who took part in the session and leads (the same rule as every export). For a
problem, the newest of its sessions the caller took part in, or its newest session for a lead; only a
session the caller may see, and other sessions on its problem only if everyone in its conversation may
see them (``services/access.py``, as for the other exports). The paper is written by
:mod:`flows.paper` from the problem's report, with the cost chart drawn from the same report; names are
asked of Slack after the transaction.
"""

from __future__ import annotations

from dataclasses import replace

from slack_sdk import WebClient

from bot.delivery import FileUpload, Shown, Upload
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed, SessionNotFound
from bot.request import Caller
from bot.services import access
from bot.services.conversation import people_of
from bot.services.leads import display_names, report_inputs
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.status import where
from flows import charts, policy
from flows.commands import PaperRequest, paper_request
from flows.i18n import t
from flows.paper import ToolUsed, write_paper
from flows.report import build_report
from storage.models import Session
from storage.uow import UnitOfWork


def _chosen(uow: UnitOfWork, caller: Caller, settings: EffectiveSettings, request: PaperRequest) -> Session:
    """The session the paper is about: the one named, or the caller's newest on the problem named (a
    lead's: the problem's newest)."""
    if request.session_id is not None:
        session = uow.sessions.get(caller.team_id, request.session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=request.session_id))
        return session
    assert request.problem_id is not None
    on_problem = list(
        uow.sessions.on_problem(caller.team_id, request.problem_id, newest_first=True, with_cancelled=False)
    )
    mine = [s for s in on_problem if people_of(s).is_participant(caller.user_id)]
    chosen = mine or (on_problem if settings.is_lead(caller.user_id) else [])
    if not on_problem:
        raise SessionNotFound(t("paper_usage"))
    if not chosen:
        raise NotAllowed(t("export_not_allowed"))
    return chosen[0]


def wants_paper(rest: str) -> bool:
    """``/playbook export … docx``: the paper, not the other exports."""
    return rest.split()[-1:] == ["docx"]


def export_command(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    request = paper_request(rest)
    if request is None:
        return Shown(ack=t("paper_usage"))
    return export_paper(deps, client, caller, request)


def export_paper(deps: Deps, client: WebClient, caller: Caller, request: PaperRequest) -> Shown:
    with deps.uow() as uow:
        session_id = _chosen(uow, caller, settings_for(deps, uow, caller.team_id), request).id
    # As the other exports: only for a session the caller may see, and the paper goes to its
    # conversation, so other sessions on its problem are in it only if everyone there may see them.
    access.ensure_session_visible(deps, client, caller, session_id)
    shareable = access.channels_shareable_into(deps, client, caller.team_id, session_id)
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
        session = uow.sessions.get(caller.team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=session_id))
        if not policy.may_export(people_of(session), settings.lead_ids, caller.user_id):
            raise NotAllowed(t("export_not_allowed", session.locale))
        inputs = report_inputs(uow, session, settings, related_from=shareable)
        locale = session.locale
        channel, thread_ts = session.channel_id, None if session.is_dm else session.thread_ts
        shown_where = where(session, locale)
    names = display_names(Directory(client), inputs.user_ids())
    report = build_report(replace(inputs, names=names))
    tools = [
        ToolUsed(one.session_id, one.template.title.get(locale), one.template.description.get(locale))
        for one in inputs.sessions
        if one.session_id in report.session_ids
    ]
    chart = (
        charts.problem_cost_chart(
            report.costs, filename=f"session-{session_id}-cost-by-bearer.png", locale=locale
        )
        if report.costs is not None
        else None
    )
    prepared = local_time(settings, deps.clock.now(), locale)
    content = write_paper(report, tools=tools, chart=chart, prepared=prepared, locale=locale)
    files = [
        FileUpload(
            filename=f"session-{session_id}-paper.docx", title=t("paper_comment", locale), content=content
        )
    ]
    if chart is not None:
        files.append(
            FileUpload(filename=chart.filename, title=chart.title, content=chart.png, alt_text=chart.alt_text)
        )
    upload = Upload(channel=channel, thread_ts=thread_ts, files=files, comment=t("paper_comment", locale))
    return Shown(ack=t("paper_done", locale, session=session_id, where=shown_where), messages=[upload])
