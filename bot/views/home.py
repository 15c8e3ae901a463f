"""Block Kit for the App Home tab: pure, :class:`flows.home.HomePage` in, a ``home`` view out.

The page is the concatenation of :data:`HOME_SECTIONS`, each a function of the page returning blocks;
a feature adds or replaces a section by editing that list. Slack allows 100 blocks in a Home tab:
:func:`home_blocks` keeps within it whatever the sections return, and every list is cut with a
"…and N more" line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.codec import session_button
from bot.ids import ActionId, HomeActionId
from bot.mrkdwn import escape
from bot.views.common import SECTION_LIMIT, clip, sections
from bot.views.digest import themes_section
from bot.views.language import language_section
from bot.views.leads import classification_line, mention
from flows.calendar import resolve_tz
from flows.costs import format_pounds
from flows.formatting import format_day, format_list, format_time
from flows.home import (
    HomePage,
    InterventionEntry,
    LeadsSettings,
    OpenStatus,
    ProblemStatus,
    SessionEntry,
    SummaryEntry,
)
from flows.i18n import t
from flows.interventions import CheckInAnswer

HOME_BLOCK_LIMIT = 100
# Sessions the page lists (the service reads only these); the rest are counted.
SHOWN_SESSIONS = 10
SHOWN_INTERVENTIONS = 15
SHOWN_SUMMARIES = 8
SHOWN_FINISHED = 5
# Problems named under each status (the rest are counted).
SHOWN_PROBLEMS = 5
# Slack allows 25 elements in an actions block.
ACTIONS_LIMIT = 25
# Leads see at most this many open interventions, the soonest check-ins first.
SCANNED_INTERVENTIONS = 500
WHAT_LIMIT = 300
PROBLEM_LIMIT = 200

HomeSection = Callable[[HomePage], list[Block]]


def _more(count: int, locale: str) -> str:
    return t("home_more", locale, count=count)


def _where(entry: SessionEntry, locale: str) -> str:
    where = t("where_dm", locale) if entry.is_dm else f"<#{entry.channel_id}>"
    # A permalink from Slack is an https URL; anything else is not made into a link.
    if entry.link and entry.link.startswith("https://") and not any(c in entry.link for c in "<>| "):
        where += " · " + t("home_open_thread", locale, link=entry.link)
    return where


def _next_checkin(entry: InterventionEntry, page: HomePage) -> str:
    """The next check-in in the owner's own time zone (the workspace's until Slack has told us theirs),
    written like every other date: ``Tuesday 8 December 2026 at 10:00``."""
    if entry.next_checkin_at is None:
        return "—"
    local = entry.next_checkin_at.astimezone(resolve_tz(entry.owner_tz, fallback=page.timezone))
    return t(
        "date_day_time",
        page.locale,
        day=format_day(local.date(), page.locale),
        time=format_time(local, page.locale),
    )


def _progress(entry: InterventionEntry, locale: str) -> str:
    if entry.progress == CheckInAnswer.BLOCKED:
        return t("checkin_status_blocked", locale, reason=escape(entry.progress_reason or ""))
    if entry.progress == CheckInAnswer.ON_TRACK:
        return t("checkin_status_on_track", locale)
    return t("home_progress_none", locale)


def _intervention_text(entry: InterventionEntry, page: HomePage) -> str:
    locale = page.locale
    return t(
        "home_intervention_line",
        locale,
        what=escape(clip(entry.what, WHAT_LIMIT)),
        session=entry.session_id,
        next=_next_checkin(entry, page),
        cadence=f" · {t(f'cadence_{entry.cadence}', locale)}",
    )


def header(page: HomePage) -> list[Block]:
    return [
        HeaderBlock(text=PlainTextObject(text=t("home_title", page.locale))),
        ContextBlock(elements=[MarkdownTextObject(text=t("home_intro", page.locale))]),
        ContextBlock(elements=[MarkdownTextObject(text=t("home_personal_data", page.locale))]),
    ]


def start_buttons(page: HomePage) -> list[Block]:
    """A button for each template: it starts a session in the person's DM with the app."""
    if not page.templates:
        return []
    locale = page.locale
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=clip(choice.title, 75)),
            action_id=HomeActionId.START,
            value=choice.template_id,
        )
        for choice in page.templates[:ACTIONS_LIMIT]
    ]
    return [
        DividerBlock(),
        *sections(t("home_start", locale)),
        ActionsBlock(elements=list(buttons)),
        ContextBlock(elements=[MarkdownTextObject(text=t("home_start_hint", locale))]),
    ]


def _session_block(entry: SessionEntry, locale: str) -> SectionBlock:
    state_key = "state_paused" if entry.paused else "state_active"
    line = t(
        "home_session_line",
        locale,
        session=entry.session_id,
        title=escape(entry.title),
        state=t(state_key, locale, step=escape(entry.step)),
        where=_where(entry, locale),
    )
    return SectionBlock(
        text=MarkdownTextObject(text=clip(line, SECTION_LIMIT)),
        accessory=ButtonElement(
            text=PlainTextObject(text=t("home_resume", locale)),
            action_id=ActionId.RESUME,
            value=session_button(entry.session_id),
        ),
    )


def your_sessions(page: HomePage) -> list[Block]:
    """The person's unfinished sessions, each with a Resume button."""
    locale = page.locale
    out: list[Block] = [DividerBlock(), *sections(t("home_sessions", locale))]
    if not page.sessions:
        return out + sections(t("home_no_sessions", locale))
    out += [_session_block(entry, locale) for entry in page.sessions]
    if page.more_sessions > 0:
        out += sections(_more(page.more_sessions, locale))
    return out


def _finished_line(entry: SessionEntry, locale: str) -> str:
    line = t(
        "home_finished_line",
        locale,
        session=entry.session_id,
        title=escape(entry.title),
        when=entry.finished or "",
        where=_where(entry, locale),
    )
    if entry.problem:
        line += "\n    " + escape(clip(" ".join(entry.problem.split()), PROBLEM_LIMIT))
    return "• " + line


def your_finished_sessions(page: HomePage) -> list[Block]:
    """The person's recently finished sessions, each with a link to its thread."""
    if not page.finished:
        return []
    locale = page.locale
    lines = [_finished_line(entry, locale) for entry in page.finished]
    return [DividerBlock(), *sections(t("home_finished", locale)), *sections("\n".join(lines))]


def your_interventions(page: HomePage) -> list[Block]:
    """The open interventions this person owns: what, the next check-in in their time, progress."""
    locale = page.locale
    out: list[Block] = [DividerBlock(), *sections(t("home_interventions", locale))]
    mine = page.interventions
    if not mine:
        return out + sections(t("home_no_interventions", locale))
    lines = [
        f"• {_intervention_text(entry, page)} · {_progress(entry, locale)}"
        for entry in mine[:SHOWN_INTERVENTIONS]
    ]
    if len(mine) > SHOWN_INTERVENTIONS:
        lines.append(_more(len(mine) - SHOWN_INTERVENTIONS, locale))
    return out + sections("\n".join(lines))


def _costs_text(entry: SummaryEntry, locale: str) -> str:
    """The problem's cost a year and each bearer's share, from its report."""
    if entry.costs is None:
        return ""
    shares = " · ".join(
        t("leads_cost_bearer", locale, bearer=escape(share.label), amount=format_pounds(share.amount, locale))
        for share in entry.costs.by_bearer
    )
    return "\n    " + t(
        "home_summary_costs", locale, total=format_pounds(entry.costs.total, locale), shares=shares
    )


def _summary_line(entry: SummaryEntry, locale: str) -> str:
    classification = entry.classification
    return (
        "• "
        + t(
            "home_summary_line",
            locale,
            session=entry.session_id,
            title=escape(entry.title),
            problem=escape(clip(" ".join(entry.problem.split()), PROBLEM_LIMIT)),
            classification=f" · {classification_line(classification, locale)}" if classification else "",
            when=entry.completed,
        )
        + _costs_text(entry, locale)
    )


def leads_problems(page: HomePage) -> list[Block]:
    """Leads: the workspace's problems by status: each status counted, and the problems the lead
    may see named under it."""
    if page.leads is None:
        return []
    locale = page.locale
    out: list[Block] = [DividerBlock(), *sections(t("home_leads_problems", locale))]
    counts = dict(page.leads.problem_counts)
    if not counts:
        return out + sections(t("home_no_problems", locale))
    for status in ProblemStatus:
        count = counts.get(status, 0)
        if not count:
            continue
        named = [p for p in page.leads.problems if p.status is status]
        lines = [
            t("home_status_heading", locale, status=t(f"home_problem_{status.value}", locale), count=count)
        ]
        for problem in named:
            statement = escape(clip(" ".join(problem.statement.split()), PROBLEM_LIMIT))
            sessions_text = ", ".join(str(n) for n in problem.session_ids)
            line = t("home_problem_line", locale, statement=statement, sessions=sessions_text)
            if problem.open_interventions:
                line += " · " + t("home_problem_open", locale, count=problem.open_interventions)
            lines.append("• " + line)
        if count > len(named):
            lines.append(t("home_problems_not_named", locale, count=count - len(named)))
        out += sections("\n".join(lines))
    return out


def leads_recent_summaries(page: HomePage) -> list[Block]:
    if page.leads is None:
        return []
    locale = page.locale
    out: list[Block] = [DividerBlock(), *sections(t("home_leads_summaries", locale))]
    summaries = page.leads.summaries[:SHOWN_SUMMARIES]
    if not summaries:
        return out + sections(t("home_no_summaries", locale))
    return out + sections("\n".join(_summary_line(entry, locale) for entry in summaries))


def _lead_line(entry: InterventionEntry, page: HomePage) -> str:
    locale = page.locale
    line = f"{_intervention_text(entry, page)} · {mention(entry.owner_id)}"
    if entry.progress == CheckInAnswer.BLOCKED and entry.progress_reason:
        reason = escape(clip(entry.progress_reason, WHAT_LIMIT))
        line += " · " + t("checkin_status_blocked", locale, reason=reason)
    return "• " + line


# Blocked, or the last two check-ins unanswered: what a lead should look at first.
NEEDS_ATTENTION = (OpenStatus.BLOCKED, OpenStatus.NO_ANSWER)


def leads_open_interventions(page: HomePage) -> list[Block]:
    """Leads: every open intervention in the workspace, grouped by where its check-ins stand; the
    blocked and overdue ones under their own heading first."""
    if page.leads is None:
        return []
    locale = page.locale
    by_status: dict[OpenStatus, list[InterventionEntry]] = {}
    for entry in page.leads.open_interventions:
        by_status.setdefault(entry.status or OpenStatus.AWAITING_FIRST, []).append(entry)
    out: list[Block] = [DividerBlock(), *sections(t("home_leads_attention", locale))]
    if not any(by_status.get(status) for status in NEEDS_ATTENTION):
        out += sections(t("home_nothing_blocked", locale))
    else:
        out += _status_groups(page, by_status, NEEDS_ATTENTION)
    out += [DividerBlock(), *sections(t("home_leads_open", locale))]
    rest = tuple(status for status in OpenStatus if status not in NEEDS_ATTENTION)
    if not any(by_status.get(status) for status in rest):
        return out + sections(t("home_no_open", locale))
    return out + _status_groups(page, by_status, rest)


def _status_groups(
    page: HomePage, by_status: dict[OpenStatus, list[InterventionEntry]], statuses: Sequence[OpenStatus]
) -> list[Block]:
    locale = page.locale
    out: list[Block] = []
    for status in statuses:
        entries = by_status.get(status, [])
        if not entries:
            continue
        label = t(f"home_status_{status.value}", locale)
        lines = [t("home_status_heading", locale, status=label, count=len(entries))]
        lines += [_lead_line(entry, page) for entry in entries[:SHOWN_INTERVENTIONS]]
        if len(entries) > SHOWN_INTERVENTIONS:
            lines.append(_more(len(entries) - SHOWN_INTERVENTIONS, locale))
        out += sections("\n".join(lines))
    return out


def leads_themes(page: HomePage) -> list[Block]:
    """Themes across the workspace, for leads (private root causes counted, shown only to members)."""
    if page.leads is None:
        return []
    return [DividerBlock(), *themes_section(page.leads.themes, page.locale)]


def _settings_text(settings: LeadsSettings, locale: str) -> str:
    leads = [mention(user, locale) for user in settings.lead_ids]
    lines = [
        t(
            "home_settings_leads_channel",
            locale,
            channel=f"<#{settings.leads_channel}>"
            if settings.leads_channel
            else t("home_settings_none", locale),
        ),
        t(
            "home_settings_leads",
            locale,
            leads=format_list(leads, locale) if leads else t("home_settings_none", locale),
        ),
        t("home_settings_rate", locale, rate=settings.hourly_rate, weeks=settings.weeks_per_year),
        t("home_settings_nation", locale, nation=escape(settings.nation)),
        t("home_settings_retention", locale, days=settings.retention_days),
    ]
    return "\n".join(lines)


def leads_settings(page: HomePage) -> list[Block]:
    """Leads: the settings in effect, to read; who can change them and how."""
    if page.leads is None or page.leads.settings is None:
        return []
    locale = page.locale
    return [
        DividerBlock(),
        *sections(t("home_leads_settings", locale)),
        *sections(_settings_text(page.leads.settings, locale)),
        ContextBlock(elements=[MarkdownTextObject(text=t("home_settings_who", locale))]),
    ]


HOME_SECTIONS: list[HomeSection] = [
    header,
    language_section,
    start_buttons,
    your_sessions,
    your_interventions,
    your_finished_sessions,
    leads_problems,
    leads_open_interventions,
    leads_themes,
    leads_recent_summaries,
    leads_settings,
]


def home_blocks(page: HomePage, home_sections: Sequence[HomeSection] = HOME_SECTIONS) -> list[Block]:
    """All sections, cut to Slack's 100-block limit with a closing note if anything was left out."""
    out: list[Block] = []
    for build in home_sections:
        out += build(page)
    if len(out) > HOME_BLOCK_LIMIT:
        left = len(out) - (HOME_BLOCK_LIMIT - 1)
        out = out[: HOME_BLOCK_LIMIT - 1]
        out.append(ContextBlock(elements=[MarkdownTextObject(text=_more(left, page.locale))]))
    return out


def home_view(page: HomePage) -> View:
    return View(type="home", blocks=home_blocks(page))
