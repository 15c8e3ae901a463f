"""Block Kit for the leads summary: pure, :class:`flows.report.ProblemReport` in, blocks out.

What leads decide from, for every template: the levels and the one the team chose with its evidence;
pain points ranked with who feels them; causes, impacts with severity and who is affected; the cost a
year, each bearer's share and the costliest lines; the why chain, root cause, scope and category; the
interventions with owners and dates. Long lists are cut with "…and N more" (the Markdown export has
everything), each answer is clipped, all user text is escaped, every section is split at 3,000
characters, and the caller splits the blocks into messages of at most 50 (:func:`split_for_leads`).
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
from bot.views.common import HEADER_LIMIT, MESSAGE_BLOCK_LIMIT, SECTION_LIMIT, clip, sections
from bot.views.summary import add_intervention_actions
from flows.classification_step import category_name, scope_name
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.i18n import t
from flows.report import (
    CauseEffectView,
    ClassificationView,
    CostReport,
    InterventionView,
    LevelsView,
    PainPointView,
    Person,
    ProblemReport,
)

# Long lists are cut here in Slack (the Markdown export has everything).
SHOWN_PAIN_POINTS = 10
SHOWN_CAUSES = 10
SHOWN_IMPACTS = 10
SHOWN_COST_LINES = 5
SHOWN_INTERVENTIONS = 25
# One answer quoted in a leads post is clipped here, so one long answer cannot crowd out the rest.
ANSWER_LIMIT = 600


def mention(who: str | Person | None, locale: str = "en") -> str:
    """A person (or stored user id) as a Slack mention; a dash when there is none."""
    if who is None:
        return "—"
    return mrkdwn.mention(who.user_id if isinstance(who, Person) else who, locale)


def _quote(text: str) -> str:
    return escape(clip(" ".join(text.split()), ANSWER_LIMIT))


def classification_line(view: ClassificationView, locale: str = "en") -> str:
    scope, category = scope_name(view.scope, locale), category_name(view.category, locale)
    if view.status == "proposed":
        return t("leads_classification_proposed", locale, scope=scope, category=category)
    return t(
        f"leads_classification_{view.status}",
        locale,
        scope=scope,
        category=category,
        who=mention(view.by, locale),
        proposed_scope=scope_name(view.proposed_scope, locale),
        proposed_category=category_name(view.proposed_category, locale),
    )


def intervention_line(item: InterventionView, locale: str = "en") -> str:
    cadence = f" · {t(f'cadence_{item.cadence}', locale)}" if item.cadence else ""
    return t(
        "leads_intervention_line",
        locale,
        what=_quote(item.what),
        owner=mention(item.owner, locale),
        first_checkin=readable_date(item.first_checkin, locale),
        cadence=cadence,
    )


def _more(total: int, shown: int, locale: str) -> list[str]:
    return [t("leads_more", locale, count=total - shown)] if total > shown else []


def _numbered(items: tuple[str, ...], shown: int, locale: str) -> str:
    lines = [f"{n}. {_quote(text)}" for n, text in enumerate(items[:shown], start=1)]
    return "\n".join(lines + _more(len(items), shown, locale))


def _levels(levels: LevelsView, locale: str) -> list[Block]:
    lines = [t("leads_levels", locale)]
    lines += [f"• *{escape(level.label)}:* {_quote(level.text)}" for level in levels.levels]
    if levels.chosen:
        lines.append(t("leads_level_chosen", locale, level=escape(levels.chosen)))
    if levels.evidence:
        lines.append(t("leads_level_evidence", locale, evidence=_quote(levels.evidence)))
    return [DividerBlock(), *sections("\n".join(lines))]


def _pain_point(number: int, point: PainPointView, locale: str) -> str:
    facts = [escape(f) for f in (point.who, point.level, point.how_often) if f]
    if point.severity is not None:
        facts.append(t("leads_severity", locale, severity=point.severity))
    line = f"{number}. {_quote(point.text)}"
    if facts:
        line += " — " + " · ".join(facts)
    if point.rank is not None:
        line += " " + t("leads_ranked", locale, rank=point.rank)
    return line


def _pain_points(points: tuple[PainPointView, ...], locale: str) -> list[Block]:
    lines = [t("leads_pain_points", locale)]
    lines += [_pain_point(n, p, locale) for n, p in enumerate(points[:SHOWN_PAIN_POINTS], start=1)]
    lines += _more(len(points), SHOWN_PAIN_POINTS, locale)
    return [DividerBlock(), *sections("\n".join(lines))]


def _cause_effect(view: CauseEffectView, locale: str) -> list[Block]:
    out: list[Block] = [DividerBlock()]
    if view.causes:
        out += sections(f"{t('leads_causes', locale)}\n{_numbered(view.causes, SHOWN_CAUSES, locale)}")
    if view.impacts:
        lines = [t("leads_impacts", locale)]
        for n, impact in enumerate(view.impacts[:SHOWN_IMPACTS], start=1):
            facts = [escape(impact.bearer)] if impact.bearer else []
            if impact.severity is not None:
                facts.append(t("leads_severity", locale, severity=impact.severity))
            lines.append(f"{n}. {_quote(impact.text)}" + (" — " + " · ".join(facts) if facts else ""))
        lines += _more(len(view.impacts), SHOWN_IMPACTS, locale)
        out += sections("\n".join(lines))
    facts = []
    if view.affected:
        facts.append(t("leads_affected", locale, who=escape(", ".join(view.affected))))
    if view.scope:
        facts.append(t("leads_scope", locale, scope=escape(view.scope)))
    if facts:
        out += sections("\n".join(facts))
    return out


def cost_lines(costs: CostReport, locale: str) -> list[str]:
    """The total, every bearer's share and the costliest lines, as mrkdwn lines."""
    lines = [t("leads_costs", locale, total=format_pounds(costs.total, locale))]
    lines += [
        "• "
        + t(
            "leads_cost_bearer",
            locale,
            bearer=escape(share.label),
            amount=format_pounds(share.amount, locale),
        )
        for share in costs.by_bearer
    ]
    costliest = costs.costliest
    lines.append(t("leads_costliest", locale))
    lines += [
        f"{n}. "
        + t(
            "leads_cost_line",
            locale,
            what=_quote(line.what),
            bearer=escape(line.bearer_label),
            amount=format_pounds(line.annual, locale),
        )
        for n, line in enumerate(costliest[:SHOWN_COST_LINES], start=1)
    ]
    lines += _more(len(costliest), SHOWN_COST_LINES, locale)
    return lines


def _costs(costs: CostReport, locale: str) -> list[Block]:
    assumptions = clip(escape(" ".join(costs.assumptions)), SECTION_LIMIT)
    return [
        DividerBlock(),
        *sections("\n".join(cost_lines(costs, locale))),
        ContextBlock(elements=[MarkdownTextObject(text=assumptions)]),
    ]


def leads_summary_blocks(
    report: ProblemReport,
    *,
    facilitator: str,
    when: str,
    permalink: str | None = None,
    locale: str = "en",
) -> list[Block]:
    """The whole summary as one list of blocks; split it with :func:`split_for_leads`."""
    heading = (
        t("leads_summary_heading", locale, problem=" ".join(report.problem.split()))
        if report.problem
        else t("leads_summary_heading_untitled", locale)
    )
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(heading, HEADER_LIMIT)))]
    if report.problem:
        out += sections(f"{t('leads_problem', locale)}\n{escape(report.problem)}")
    if report.levels is not None:
        out += _levels(report.levels, locale)
    if report.pain_points:
        out += _pain_points(report.pain_points, locale)
    if report.cause_effect is not None:
        out += _cause_effect(report.cause_effect, locale)
    if report.whys:
        out += sections(f"{t('leads_whys', locale)}\n{_numbered(report.whys, len(report.whys), locale)}")
    if report.root_cause:
        out += sections(f"{t('leads_root_cause', locale)}\n{_quote(report.root_cause)}")
    if report.branch_whys:
        branch = _numbered(report.branch_whys, len(report.branch_whys), locale)
        out += sections(f"{t('leads_branch_whys', locale)}\n{branch}")
    if report.branch_root_cause:
        out += sections(f"{t('leads_branch_root_cause', locale)}\n{_quote(report.branch_root_cause)}")
    if report.classification is not None:
        out += sections(
            f"{t('leads_classification', locale)}\n{classification_line(report.classification, locale)}"
        )
    if report.costs is not None:
        out += _costs(report.costs, locale)
    if report.interventions:
        lines = [t("leads_interventions", locale)]
        lines += [
            "• " + intervention_line(item, locale) for item in report.interventions[:SHOWN_INTERVENTIONS]
        ]
        lines += _more(len(report.interventions), SHOWN_INTERVENTIONS, locale)
        out.append(DividerBlock())
        out += sections("\n".join(lines))
    out.append(add_intervention_actions(report.session_id, locale))
    footer = t(
        "leads_footer", locale, session=report.session_id, facilitator=mention(facilitator, locale), when=when
    )
    if permalink:
        footer += " · " + t("leads_thread_link", locale, link=permalink)
    out.append(ContextBlock(elements=[MarkdownTextObject(text=clip(footer, SECTION_LIMIT))]))
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
