"""Block Kit for the weekly digest and for themes: pure, :class:`flows.digest.Digest` and
:class:`flows.themes.ThemeView` in, blocks out.

Lists are cut (the costliest problems at five, each intervention state at a few lines, themes at a
handful), each with "and n more", and every section is split at 3,000 characters, so a week with
hundreds of sessions still fits one message of at most 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.mrkdwn import escape
from bot.views.common import HEADER_LIMIT, clip, sections
from bot.views.leads import mention
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.digest import INTERVENTION_STATES, Digest, InterventionLine
from flows.i18n import DEFAULT_LOCALE, t
from flows.report import BearerTotal, ProblemReport
from flows.themes import ThemeView

SHOWN_PER_STATE = 5
SHOWN_THEMES = 5
SHOWN_CLASSIFICATIONS = 12
PROBLEM_TEXT = 150


def _more(total: int, shown: int, locale: str) -> list[str]:
    return [t("leads_more", locale, count=total - shown)] if total > shown else []


def _change(change: int, locale: str) -> str:
    if change == 0:
        return t("digest_change_none", locale)
    return t("digest_change", locale, change=f"{change:+d}")


def bearer_line(shares: Sequence[BearerTotal], locale: str = DEFAULT_LOCALE) -> str:
    return " · ".join(
        t("leads_cost_bearer", locale, bearer=share.label, amount=format_pounds(share.amount))
        for share in shares
    )


def _problem(report: ProblemReport, locale: str) -> str:
    text = " ".join((report.problem or report.title).split())
    return escape(clip(text, PROBLEM_TEXT))


def costliest_line(
    number: int, report: ProblemReport, locale: str = DEFAULT_LOCALE, *, hidden: bool = False
) -> str:
    """One of the costliest problems; ``hidden``: its words are not for these readers (a private
    channel's or a DM's problem), so only its figures are given."""
    costs = report.costs
    assert costs is not None
    return t(
        "digest_costliest_line",
        locale,
        number=number,
        problem=t("digest_private_problem", locale) if hidden else _problem(report, locale),
        total=format_pounds(costs.total),
        bearers=bearer_line(costs.bearers_with_costs, locale),
        session=report.session_id,
    )


def intervention_line(line: InterventionLine, locale: str = DEFAULT_LOCALE, *, hidden: bool = False) -> str:
    item = line.item
    return t(
        "digest_intervention_line",
        locale,
        what=t("digest_private_intervention", locale)
        if hidden
        else escape(clip(" ".join(item.what.split()), 200)),
        owner=mention(item.owner.user_id if item.owner else None),
        first_checkin=readable_date(item.first_checkin, locale),
        session=item.session_id,
    )


def theme_text(theme: ThemeView, locale: str = DEFAULT_LOCALE) -> str:
    """One theme: its category and numbers, then what the viewer may read of it."""
    key = "themes_line_candidate" if theme.council_wide_candidate else "themes_line"
    lines = [
        t(
            key,
            locale,
            category=theme.category or t("themes_no_category", locale),
            root_causes=theme.root_causes,
            services=theme.services,
        )
    ]
    for text in theme.shown:
        lines.append(t("themes_example", locale, text=escape(clip(" ".join(text.split()), 200))))
    where = [f"#{escape(name)}" for name in theme.shown_services]
    if theme.hidden_services:
        where.append(t("themes_hidden_services", locale, count=theme.hidden_services))
    if where:
        lines.append(t("themes_where", locale, services=", ".join(where)))
    if theme.key_words:
        lines.append(t("themes_key_words", locale, words=", ".join(escape(w) for w in theme.key_words)))
    return "\n".join(lines)


def themes_section(
    themes: Sequence[ThemeView], locale: str = DEFAULT_LOCALE, shown: int = SHOWN_THEMES
) -> list[Block]:
    """The themes as sections (heading included); a line saying there are none when there are none."""
    if not themes:
        return sections(f"{t('themes_heading', locale)}\n{t('themes_none', locale)}")
    candidates = sum(1 for theme in themes if theme.council_wide_candidate)
    head = (
        t("themes_heading", locale)
        + "\n"
        + t("themes_summary", locale, themes=len(themes), candidates=candidates)
    )
    body = "\n\n".join(theme_text(theme, locale) for theme in themes[:shown])
    more = _more(len(themes), shown, locale)
    return sections("\n".join([head, body, *more]))


def themes_blocks(themes: Sequence[ThemeView], locale: str = DEFAULT_LOCALE) -> list[Block]:
    """``/playbook themes``: the themes as the person asking may see them."""
    return [
        HeaderBlock(text=PlainTextObject(text=clip(t("themes_title", locale), HEADER_LIMIT))),
        *themes_section(themes, locale, shown=10),
        ContextBlock(elements=[MarkdownTextObject(text=t("themes_footer", locale))]),
    ]


def digest_blocks(
    digest: Digest, *, when: str, preview: bool = False, locale: str = DEFAULT_LOCALE
) -> list[Block]:
    week = digest.week
    heading = t(
        "digest_heading",
        locale,
        start=readable_date(week.start.isoformat(), locale),
        end=readable_date(week.last_day.isoformat(), locale),
    )
    out: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(heading, HEADER_LIMIT)))]
    if preview:
        out.append(ContextBlock(elements=[MarkdownTextObject(text=t("digest_preview_note", locale))]))
    out += sections(t("digest_sessions", locale, started=digest.started, finished=digest.finished))

    lines = [t("digest_root_causes", locale, count=digest.classified)]
    if not digest.classifications:
        lines.append(t("digest_none", locale))
    for item in digest.classifications[:SHOWN_CLASSIFICATIONS]:
        lines.append(
            t(
                "digest_classification_line",
                locale,
                scope=item.scope,
                category=item.category,
                count=item.count,
                change=_change(item.change, locale),
            )
        )
    lines += _more(len(digest.classifications), SHOWN_CLASSIFICATIONS, locale)
    out.append(DividerBlock())
    out += sections("\n".join(lines))

    if digest.cost_total:
        lines = [t("digest_costs", locale, total=format_pounds(digest.cost_total))]
        lines.append(bearer_line(digest.cost_by_bearer, locale))
    else:  # not "£0": no one worked a cost out this week
        lines = [t("digest_no_costs", locale)]
    if digest.costliest:
        lines.append(t("digest_costliest", locale))
        lines += [
            costliest_line(n, report, locale, hidden=report.session_id in digest.hidden_sessions)
            for n, report in enumerate(digest.costliest, start=1)
        ]
        costed = sum(1 for r in digest.reports if r.costs is not None and r.costs.total > 0)
        lines += _more(costed, len(digest.costliest), locale)
    out.append(DividerBlock())
    out += sections("\n".join(lines))

    lines = [t("digest_interventions", locale)]
    for state in INTERVENTION_STATES:
        found = digest.in_state(state)
        lines.append(t(f"digest_state_{state}", locale, count=len(found)))
        lines += [
            "• " + intervention_line(line, locale, hidden=line.item.session_id in digest.hidden_sessions)
            for line in found[:SHOWN_PER_STATE]
        ]
        lines += _more(len(found), SHOWN_PER_STATE, locale)
    out.append(DividerBlock())
    out += sections("\n".join(lines))

    out.append(DividerBlock())
    out += themes_section(digest.themes, locale)
    out.append(ContextBlock(elements=[MarkdownTextObject(text=t("digest_footer", locale, when=when))]))
    return out


def digest_fallback(digest: Digest, locale: str = DEFAULT_LOCALE) -> str:
    return t(
        "digest_fallback",
        locale,
        started=digest.started,
        finished=digest.finished,
        total=format_pounds(digest.cost_total),
    )
