"""Root causes seen elsewhere in the council, and themes across many teams' analyses.

The pilot councils found that the biggest barriers are council-wide and only show when many teams'
analyses are seen together. Two pure helpers for that, with no Slack and no SQL: the caller passes
the root causes it may show (already filtered to what the person asking is allowed to see).

* ``seen_elsewhere`` — for one confirmed root cause, the most similar root causes of other sessions,
  with a score, whether each is close enough to call *related*, and whether the same cause has come
  up in at least three distinct services ("this may be council-wide").
* ``find_themes`` — many root causes grouped by similarity within a category, each group with the
  distinct services it spans; three or more services makes it a *council-wide candidate*.
* ``may_show_elsewhere`` — who may see what: a root cause is shown only from a session in a public
  channel, and only to a conversation with nobody from outside the workspace.

Similarity is the cosine of TF-IDF vectors (``flows.text_similarity``), with term weights from the
classifier's shipped examples plus the root causes being compared, so that words every council uses
("the system", "the team") count little. ``RELATED_THRESHOLD`` was chosen on hand-written groups of
the same cause told in different words by different services (see the tests): pairs within a group
scored 0.17 to 0.6, pairs of different causes at most 0.04, so 0.15 calls the first related and not
the second. It is a word-overlap measure: the same cause told with no word in common is missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flows.classification_examples import packaged_index
from flows.classification_labels import Category
from flows.text_similarity import (
    SparseVector,
    Vectoriser,
    WeightedText,
    cosine,
    shared_terms,
    shares_terms,
    surface_forms,
)

RELATED_THRESHOLD = 0.15
COUNCIL_WIDE_SERVICES = 3
SHOWN_ELSEWHERE = 3
# The answer keys that hold a root cause a team confirmed (a pick: ``{"item": n, "text": …}``).
ROOT_CAUSE_KEYS = ("root_cause", "branch_root_cause")


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack says about the conversation a session ran in (``conversations.info``).

    ``private``: a private channel, a DM or a group DM. ``shared``: shared with another organisation
    (Slack Connect), so some members are not people of this workspace."""

    channel_id: str
    name: str | None
    private: bool
    shared: bool


def may_show_elsewhere(source: ChannelFacts | None, audience: ChannelFacts | None) -> bool:
    """Whether a root cause from a session held in ``source`` may be shown to everyone in
    ``audience``. Only a public channel's root causes are shown (everyone in the workspace may read
    a public channel), never a private channel's or a DM's, whoever is asking; and only where
    everyone present is of this workspace (not a channel shared with another organisation). What
    Slack could not tell us (``None``) is a no."""
    if source is None or audience is None:
        return False
    return not source.private and not audience.shared


@dataclass(frozen=True)
class ShownRootCause:
    """One root cause as a person sees it under "seen elsewhere": its words, the channel (team) and
    the date of the session it is from, and a link to that session's thread."""

    session_id: int
    text: str
    channel: str
    started: date
    link: str | None


@dataclass(frozen=True)
class ElsewhereFound:
    """What "seen elsewhere" shows for one root cause: the similar ones (most similar first), the
    channel names of the services where the cause has come up (this session's first when it has
    one), how many services that is, and whether it makes the cause a council-wide candidate."""

    root_cause: str
    shown: tuple[ShownRootCause, ...]
    channels: tuple[str, ...]
    service_count: int
    council_wide: bool


@dataclass(frozen=True)
class RootCauseRecord:
    """A confirmed root cause from some session: ``service`` is the service or team it came from."""

    id: str
    text: str
    service: str
    category: Category | None = None


@dataclass(frozen=True)
class SimilarRootCause:
    record: RootCauseRecord
    score: float  # cosine similarity, 0 to 1
    related: bool  # score at or above the threshold
    shared_words: tuple[str, ...]  # the words (as the candidate wrote them) that count most in the score


@dataclass(frozen=True)
class SeenElsewhere:
    similar: tuple[SimilarRootCause, ...]  # the top k, most similar first (related or not)
    # Distinct services where this cause has come up: the asking session's own and every related one.
    services: tuple[str, ...]
    council_wide_candidate: bool  # at least ``min_services`` distinct services

    @property
    def related(self) -> tuple[SimilarRootCause, ...]:
        return tuple(item for item in self.similar if item.related)


@dataclass(frozen=True)
class Theme:
    category: Category | None
    members: tuple[RootCauseRecord, ...]
    services: tuple[str, ...]  # distinct services, in order of first appearance
    council_wide_candidate: bool
    key_words: tuple[str, ...]  # the words most shared by the members, strongest first


def _service_key(service: str) -> str:
    return " ".join(service.casefold().split())


def _distinct(services: Iterable[str]) -> tuple[str, ...]:
    """Services with case and spacing ignored, keeping the first spelling; blanks left out."""
    seen: dict[str, str] = {}
    for service in services:
        key = _service_key(service)
        if key and key not in seen:
            seen[key] = service.strip()
    return tuple(seen.values())


@cache
def _shipped_root_causes() -> Vectoriser:
    """The shipped examples' root causes as a collection, counted once: every comparison adds its own
    texts to these."""
    return Vectoriser([WeightedText(example.root_cause)] for example in packaged_index().examples)


def _vectoriser(texts: Iterable[str]) -> Vectoriser:
    return Vectoriser(([WeightedText(text)] for text in texts), extends=_shipped_root_causes())


def _vector(vectoriser: Vectoriser, text: str) -> SparseVector:
    return vectoriser.vector([WeightedText(text)])


def similar_root_causes(
    root_cause: str,
    candidates: Sequence[RootCauseRecord],
    *,
    k: int = 3,
    threshold: float = RELATED_THRESHOLD,
) -> list[SimilarRootCause]:
    """The ``k`` candidates most similar to ``root_cause`` (sharing at least one term), most similar
    first, each marked ``related`` when its score reaches ``threshold``."""
    vectoriser = _vectoriser([root_cause, *(candidate.text for candidate in candidates)])
    query = _vector(vectoriser, root_cause)
    # Compared once per distinct text: many teams confirm the same words.
    compared: dict[str, tuple[float, tuple[str, ...]]] = {}
    scored = []
    for candidate in candidates:
        known = compared.get(candidate.text)
        if known is None and not shares_terms(candidate.text, query):
            known = compared[candidate.text] = (0.0, ())
        if known is None:
            vector = _vector(vectoriser, candidate.text)
            score = cosine(query, vector)
            shown: tuple[str, ...] = ()
            if score > 0:
                forms = surface_forms(candidate.text)
                shown = tuple(forms.get(term, term) for term in shared_terms(query, vector))
            known = compared[candidate.text] = (score, shown)
        score, shown = known
        if score > 0:
            scored.append(SimilarRootCause(candidate, round(score, 3), score >= threshold, shown))
    scored.sort(key=lambda item: (-item.score, item.record.id))
    return scored[:k]


def seen_elsewhere(
    root_cause: str,
    service: str,
    candidates: Sequence[RootCauseRecord],
    *,
    k: int = 3,
    threshold: float = RELATED_THRESHOLD,
    min_services: int = COUNCIL_WIDE_SERVICES,
    ranked: Sequence[SimilarRootCause] | None = None,
) -> SeenElsewhere:
    """Similar root causes from ``candidates`` (other sessions the person may see) and whether the
    same cause has come up in ``min_services`` or more distinct services, this one included. Every
    related candidate counts towards the services, not only the ``k`` shown. ``ranked``: what
    ``similar_root_causes`` already gave for these same candidates (all of them, same threshold), so
    that they are not compared twice."""
    if ranked is None:
        ranked = similar_root_causes(root_cause, candidates, k=len(candidates), threshold=threshold)
    related_services = [item.record.service for item in ranked if item.related]
    services = _distinct([service, *related_services])
    return SeenElsewhere(tuple(ranked[:k]), services, len(services) >= min_services)


@dataclass
class _Group:
    category: Category | None
    members: list[RootCauseRecord] = field(default_factory=list)
    vectors: list[SparseVector] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)

    def add(self, record: RootCauseRecord, vector: SparseVector) -> None:
        self.members.append(record)
        self.vectors.append(vector)
        total: dict[str, float] = {}
        for member in self.vectors:
            for term, value in member.items():
                total[term] = total.get(term, 0.0) + value
        norm = sum(value * value for value in total.values()) ** 0.5
        self.centroid = {term: value / norm for term, value in total.items()} if norm else {}


def find_themes(
    records: Sequence[RootCauseRecord],
    *,
    threshold: float = RELATED_THRESHOLD,
    min_members: int = 2,
    min_services: int = COUNCIL_WIDE_SERVICES,
) -> list[Theme]:
    """Group root causes into themes: a record joins the theme of its category whose centre it is
    most similar to, if that reaches ``threshold``, else starts a new one (records are taken in the
    order given, so the result is repeatable). Themes with fewer than ``min_members`` are left out.
    Sorted by the number of distinct services, then members, most first."""
    vectoriser = _vectoriser(record.text for record in records)
    groups: list[_Group] = []
    for record in records:
        vector = _vector(vectoriser, record.text)
        best: _Group | None = None
        best_score = threshold
        for group in groups:
            if group.category != record.category:
                continue
            score = cosine(vector, group.centroid)
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            best = _Group(record.category)
            groups.append(best)
        best.add(record, vector)
    themes = []
    for group in groups:
        if len(group.members) < min_members:
            continue
        services = _distinct(member.service for member in group.members)
        forms: dict[str, str] = {}
        for member in group.members:
            for term, form in surface_forms(member.text).items():
                forms.setdefault(term, form)
        key_terms = sorted(group.centroid.items(), key=lambda item: (-item[1], item[0]))[:4]
        themes.append(
            Theme(
                group.category,
                tuple(group.members),
                services,
                len(services) >= min_services,
                tuple(forms.get(term, term) for term, _value in key_terms),
            )
        )
    themes.sort(key=lambda theme: (-len(theme.services), -len(theme.members), theme.members[0].id))
    return themes
