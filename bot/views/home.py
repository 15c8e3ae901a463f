"""Block Kit for the App Home tab: pure, :class:`flows.home.HomePage` in, a ``home`` view out.

The page is the concatenation of :data:`HOME_SECTIONS`, each a function of the page returning blocks;
a feature adds or replaces a section by editing that list. Slack allows 100 blocks in a Home tab:
:func:`home_blocks` keeps within it whatever the sections return, and every list is cut with a
"…and N more" line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import (
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
from bot.ids import ActionId
from bot.mrkdwn import escape
from bot.views.common import SECTION_LIMIT, clip, sections
from bot.views.language import language_section
from bot.views.leads import classification_line, mention
from flows.costs import format_pounds
from flows.dates import human_date
from flows.home import HomePage, InterventionEntry, OpenStatus, SessionEntry, SummaryEntry
from flows.i18n import t
from flows.interventions import CheckInAnswer

HOME_BLOCK_LIMIT = 100
# Sessions the page lists (the service reads only these); the rest are counted.
SHOWN_SESSIONS = 10
SHOWN_INTERVENTIONS = 15
SHOWN_SUMMARIES = 8
# Leads see at most this many open interventions, the soonest check-ins first.
SCANNED_INTERVENTIONS = 500
WHAT_LIMIT = 300
PROBLEM_LIMIT = 200

HomeSection = Callable[[HomePage], list[Block]]


def _more(count: int, locale: str) -> str:
    return t("home_more", locale, count=count)


def _where(entry: SessionEntry, locale: str) -> str:
    return t("where_dm", locale) if entry.is_dm else f"<#{entry.channel_id}>"


def _next_checkin(entry: InterventionEntry, page: HomePage) -> str:
    """The next check-in in the owner's own time zone (the workspace's until Slack has told us theirs)."""
    if entry.next_checkin_at is None:
        return "—"
    return human_date(entry.next_checkin_at, entry.owner_tz, page.locale, fallback=page.timezone)


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


def leads_open_interventions(page: HomePage) -> list[Block]:
    """Leads: every open intervention in the workspace, grouped by where its check-ins stand."""
    if page.leads is None:
        return []
    locale = page.locale
    out: list[Block] = [DividerBlock(), *sections(t("home_leads_open", locale))]
    by_status: dict[OpenStatus, list[InterventionEntry]] = {}
    for entry in page.leads.open_interventions:
        by_status.setdefault(entry.status or OpenStatus.AWAITING_FIRST, []).append(entry)
    if not by_status:
        return out + sections(t("home_no_open", locale))
    for status in OpenStatus:
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


HOME_SECTIONS: list[HomeSection] = [
    header,
    language_section,
    your_sessions,
    your_interventions,
    leads_recent_summaries,
    leads_open_interventions,
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
