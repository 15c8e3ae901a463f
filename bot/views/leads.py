"""Block Kit for the leads summary: pure, :class:`flows.leads_summary.LeadsSummary` in, blocks out.

All user text is escaped; every section is split at 3,000 characters on line breaks, and the caller
splits the blocks into messages of at most 50 (:func:`split_for_leads`), so no session is too long.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot import mrkdwn
from bot.mrkdwn import escape
from bot.views.common import HEADER_LIMIT, MESSAGE_BLOCK_LIMIT, clip, sections
from bot.views.summary import add_intervention_actions
from flows.classification_step import category_name, scope_name
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.i18n import t
from flows.leads_summary import ClassificationView, InterventionView, LeadsSummary

# Long lists are cut here in Slack (the Markdown export has everything).
SHOWN_PAIN_POINTS = 10
SHOWN_COST_LINES = 10
SHOWN_INTERVENTIONS = 25


def mention(user_id: str | None) -> str:
    """A stored user id (see :func:`bot.mrkdwn.mention`), or a dash when there is none."""
    return "—" if user_id is None else mrkdwn.mention(user_id)


def classification_line(view: ClassificationView, locale: str = "en") -> str:
    scope, category = scope_name(view.scope, locale), category_name(view.category, locale)
    if view.status == "proposed":
        return t("leads_classification_proposed", locale, scope=scope, category=category)
    return t(
        f"leads_classification_{view.status}",
        locale,
        scope=scope,
        category=category,
        who=mention(view.by),
        proposed_scope=scope_name(view.proposed_scope, locale),
        proposed_category=category_name(view.proposed_category, locale),
    )


def intervention_line(item: InterventionView, locale: str = "en") -> str:
    cadence = f" · {escape(item.cadence)}" if item.cadence else ""
    return t(
        "leads_intervention_line",
        locale,
        what=escape(item.what),
        owner=mention(item.owner),
        first_checkin=readable_date(item.first_checkin),
        cadence=cadence,
    )


def _more(total: int, shown: int, locale: str) -> list[str]:
    return [t("leads_more", locale, count=total - shown)] if total > shown else []


def _numbered(items: tuple[str, ...]) -> str:
    return "\n".join(f"{n}. {escape(text)}" for n, text in enumerate(items, start=1))


def leads_summary_blocks(
    summary: LeadsSummary,
    *,
    facilitator: str,
    when: str,
    permalink: str | None = None,
    locale: str = "en",
) -> list[Block]:
    """The whole summary as one list of blocks; split it with :func:`split_for_leads`."""
    heading = (
        t("leads_summary_heading", locale, problem=" ".join(summary.problem.split()))
        if summary.problem
        else t("leads_summary_heading_untitled", locale)
    )
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(heading, HEADER_LIMIT)))]
    if summary.problem:
        out += sections(f"{t('leads_problem', locale)}\n{escape(summary.problem)}")
    if summary.whys:
        out += sections(f"{t('leads_whys', locale)}\n{_numbered(summary.whys)}")
    if summary.root_cause:
        out += sections(f"{t('leads_root_cause', locale)}\n{escape(summary.root_cause)}")
    if summary.branch_whys:
        out += sections(f"{t('leads_branch_whys', locale)}\n{_numbered(summary.branch_whys)}")
    if summary.branch_root_cause:
        out += sections(f"{t('leads_branch_root_cause', locale)}\n{escape(summary.branch_root_cause)}")
    if summary.classification is not None:
        out += sections(
            f"{t('leads_classification', locale)}\n{classification_line(summary.classification, locale)}"
        )
    if summary.pain_points:
        lines = [t("leads_pain_points", locale)]
        for number, point in enumerate(summary.pain_points[:SHOWN_PAIN_POINTS], start=1):
            line = f"{number}. {escape(point.text)}"
            if point.details:
                line += " _(" + escape("; ".join(point.details)) + ")_"
            lines.append(line)
        lines += _more(len(summary.pain_points), SHOWN_PAIN_POINTS, locale)
        out.append(DividerBlock())
        out += sections("\n".join(lines))
    if summary.costs is not None:
        costs = summary.costs
        lines = [t("leads_costs", locale, total=format_pounds(costs.total))]
        lines += [
            "• " + t("leads_cost_bearer", locale, bearer=bearer.capitalize(), amount=format_pounds(amount))
            for bearer, amount in costs.by_bearer
        ]
        lines += [
            "    "
            + t(
                "leads_cost_line",
                locale,
                what=escape(c.what),
                bearer=c.bearer,
                amount=format_pounds(c.annual),
            )
            for c in costs.lines[:SHOWN_COST_LINES]
        ]
        lines += _more(len(costs.lines), SHOWN_COST_LINES, locale)
        out.append(DividerBlock())
        out += sections("\n".join(lines))
        out.append(
            ContextBlock(elements=[MarkdownTextObject(text=clip(escape(" ".join(costs.assumptions)), 3000))])
        )
    if summary.interventions:
        lines = [t("leads_interventions", locale)]
        lines += [
            "• " + intervention_line(item, locale) for item in summary.interventions[:SHOWN_INTERVENTIONS]
        ]
        lines += _more(len(summary.interventions), SHOWN_INTERVENTIONS, locale)
        out.append(DividerBlock())
        out += sections("\n".join(lines))
    out.append(add_intervention_actions(summary.session_id, locale))
    footer = t(
        "leads_footer", locale, session=summary.session_id, facilitator=mention(facilitator), when=when
    )
    if permalink:
        footer += " · " + t("leads_thread_link", locale, link=permalink)
    out.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return out


def split_for_leads(content: list[Block], locale: str = "en") -> list[list[Block]]:
    """Messages of at most 50 blocks; each continuation starts with a "continued (n of m)" line."""
    room = MESSAGE_BLOCK_LIMIT - 1
    first, rest = content[:MESSAGE_BLOCK_LIMIT], content[MESSAGE_BLOCK_LIMIT:]
    chunks = [rest[i : i + room] for i in range(0, len(rest), room)]
    parts = 1 + len(chunks)
    messages = [first]
    for number, chunk in enumerate(chunks, start=2):
        note = t("leads_continued", locale, part=number, parts=parts)
        messages.append([ContextBlock(elements=[MarkdownTextObject(text=note)]), *chunk])
    return messages
