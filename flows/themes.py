"""Themes across a workspace's root causes, as one viewer may see them.

:func:`flows.related.find_themes` groups root causes by similarity within a category and counts the
distinct services (channels) each group spans; three or more make it a *council-wide candidate*. This
module adds who may read what. Every root cause counts, so a theme's numbers are the same for
everyone; but the words of a root cause, and the name of the channel it came from, are shown only
where the viewer may read that channel: a public channel's to anyone, a private channel's or a DM's
only to its members. A theme made only of what the viewer may not read is still listed, by its
category and numbers alone. Key words are taken from the readable members only, so they never carry a
hidden root cause's words.

Pure: no Slack, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flows.classification_labels import CATEGORIES, Category
from flows.related import COUNCIL_WIDE_SERVICES, RootCauseRecord, Theme, find_themes
from flows.text_similarity import surface_forms

SHOWN_PER_THEME = 3


@dataclass(frozen=True)
class ThemeSource:
    """One confirmed root cause, where it came from, and whether the viewer may read it.

    ``service`` is what counts as a service: the conversation the session ran in."""

    id: str
    session_id: int
    text: str
    service: str
    category: str | None
    readable: bool


@dataclass(frozen=True)
class ThemeView:
    category: str | None
    root_causes: int
    services: int
    council_wide_candidate: bool
    shown: tuple[str, ...]  # root causes the viewer may read (at most SHOWN_PER_THEME)
    shown_services: tuple[str, ...]  # names of the services the viewer may read
    hidden_services: int  # services counted but not named to this viewer
    hidden_root_causes: int
    key_words: tuple[str, ...]


def _category(value: str | None) -> Category | None:
    return value if value in CATEGORIES else None


@lru_cache(maxsize=16)
def _grouped(records: tuple[RootCauseRecord, ...], min_services: int) -> tuple[Theme, ...]:
    """The grouping, which depends only on the root causes (not on who looks): the digest, its
    preview, ``/playbook themes`` and every lead's Home tab over the same root causes group them once."""
    return tuple(find_themes(records, min_services=min_services))


def themes_for(
    sources: Sequence[ThemeSource],
    *,
    service_names: Mapping[str, str],
    min_services: int = COUNCIL_WIDE_SERVICES,
) -> list[ThemeView]:
    """The themes of ``sources`` (in the order given: pass newest first for a repeatable result),
    most services first. ``service_names``: a readable service's display name (else its id)."""
    by_id = {source.id: source for source in sources}
    records = tuple(RootCauseRecord(s.id, s.text, s.service, _category(s.category)) for s in sources)
    views = []
    for theme in _grouped(records, min_services):
        members = [by_id[record.id] for record in theme.members]
        readable = [m for m in members if m.readable]
        readable_services = tuple(dict.fromkeys(m.service for m in readable))
        all_services = tuple(dict.fromkeys(m.service for m in members))
        forms: dict[str, int] = {}
        spelled: dict[str, str] = {}
        for member in readable:
            for term, form in surface_forms(member.text).items():
                forms[term] = forms.get(term, 0) + 1
                spelled.setdefault(term, form)
        shared = sorted((t for t, n in forms.items() if n > 1), key=lambda t: (-forms[t], t))[:4]
        views.append(
            ThemeView(
                category=theme.category,
                root_causes=len(members),
                services=len(all_services),
                council_wide_candidate=theme.council_wide_candidate,
                shown=tuple(dict.fromkeys(m.text for m in readable))[:SHOWN_PER_THEME],
                shown_services=tuple(service_names.get(s, s) for s in readable_services),
                hidden_services=len(all_services) - len(readable_services),
                hidden_root_causes=len(members) - len(readable),
                key_words=tuple(spelled[t] for t in shared),
            )
        )
    return views
