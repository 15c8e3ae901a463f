"""The schema of a flow template (one playbook tool), validated by pydantic and loaded from YAML.

A template is an ordered list of steps. A step asks one question and stores one answer; a ``repeat``
asks its own steps again for each item of a list (the whys, pain points, cost lines) until the team
types ``done``, a stop condition holds, or the maximum is reached. Nothing here knows about Slack.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.i18n import LocalText

MAX_ANSWER_LENGTH = 3000


class StepKind(StrEnum):
    TEXT = "text"
    YESNO = "yesno"
    CHOICE = "choice"
    SCALE = "scale"
    MONEY = "money"
    DIRECT_COST = "direct_cost"
    DURATION = "duration"
    FREQUENCY = "frequency"
    COUNT = "count"
    DATE = "date"
    CADENCE = "cadence"
    USER = "user"
    PICK = "pick"
    RANK = "rank"
    CLASSIFICATION = "classification"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Model):
    value: str
    label: LocalText
    aliases: tuple[str, ...] = ()


class Condition(_Model):
    """When a step is asked. ``step`` names an answer (an item step's id inside a repeat, else a
    top-level id); ``equals`` is compared with its stored value. ``min_item`` holds from that item on."""

    step: str | None = None
    equals: Any = None
    # Instead of ``equals``: holds unless the answer is one of these (and while it is not given yet).
    not_in: tuple[str, ...] = ()
    min_item: int | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if self.step is None and self.min_item is None:
            raise ValueError("a condition needs 'step' or 'min_item'")
        return self


class Nudge(_Model):
    """A gentle reply when an answer matches one of ``patterns`` (case-insensitive regexes)."""

    patterns: tuple[str, ...]
    message: LocalText

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            re.compile(pattern, re.IGNORECASE)
        return patterns

    def matches(self, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in self.patterns)


class Step(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kind: StepKind = StepKind.TEXT
    prompt: LocalText
    help: LocalText | None = None
    label: LocalText | None = None
    optional: bool = False
    choices: tuple[Choice, ...] = ()
    scale_low: int = 1
    scale_high: int = 5
    when: Condition | None = None
    nudges: tuple[Nudge, ...] = ()
    # For ``pick`` and ``rank``: the repeat and item step whose answers are offered.
    options_from: str | None = None
    # For ``pick``: the item step whose ``yes`` marks the suggested option (else the last item).
    suggest_where: str | None = None
    rank_count: int = 3
    # Filled without asking when the session starts with this value (e.g. the problem statement).
    prefill: Literal["problem_statement"] | None = None
    max_length: int = MAX_ANSWER_LENGTH
    # Only the facilitator or a lead may answer (confirming or overriding the classification).
    facilitator_only: bool = False

    @model_validator(mode="after")
    def _kind_needs(self) -> Step:
        if self.kind is StepKind.CHOICE and not self.choices:
            raise ValueError(f"step {self.id}: a choice step needs choices")
        if self.kind in (StepKind.PICK, StepKind.RANK) and not self.options_from:
            raise ValueError(f"step {self.id}: a {self.kind} step needs options_from")
        return self

    def title(self, locale: str, item: int | None = None) -> str:
        """A short label for summaries, status lines and the edit modal (``{n}`` is the item number)."""
        if self.label is not None:
            return self.label.get(locale, n=item or "").strip()
        return self.prompt.get(locale, n=item or "").split("\n")[0][:80]


class Repeat(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    kind: Literal["repeat"]
    label: LocalText
    steps: tuple[Step, ...]
    min_items: int = 0
    max_items: int = 50
    # Typed ``done`` at the first step of an item ends the list (once ``min_items`` are in).
    done_ends: bool = True
    # Checked on each completed item; when it holds the list ends.
    stop_when: Condition | None = None
    when: Condition | None = None
    # In a team session each reply to the first step adds an item attributed to its author.
    collaborative: bool = False
    # The item step whose answer names an item in summaries and lists (default: the first step).
    title_step: str | None = None
    # How a prompt names the item it belongs to ("Cost line {n}", "Why {n}"), shown with its progress.
    item_label: LocalText | None = None

    @model_validator(mode="after")
    def _sane(self) -> Repeat:
        if not self.steps:
            raise ValueError(f"repeat {self.id} has no steps")
        if self.max_items < max(1, self.min_items):
            raise ValueError(f"repeat {self.id}: max_items < min_items")
        if self.steps[0].optional or self.steps[0].when is not None:
            raise ValueError(f"repeat {self.id}: the first step of an item must always be asked")
        if self.title_step is not None and self.title_step not in {s.id for s in self.steps}:
            raise ValueError(f"repeat {self.id}: title_step {self.title_step} is not one of its steps")
        return self

    @property
    def title_step_id(self) -> str:
        return self.title_step or self.steps[0].id


class Template(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    title: LocalText
    description: LocalText
    intro: LocalText
    completion: LocalText
    steps: tuple[Step | Repeat, ...]
    # Built-in computations added to the summary (see flows/computed.py), e.g. ``cost_totals``.
    computed: tuple[Literal["cost_totals"], ...] = ()

    @field_validator("steps", mode="before")
    @classmethod
    def _discriminate(cls, raw: Any) -> Any:
        if not isinstance(raw, list | tuple):
            return raw
        out: list[Any] = []
        for node in raw:
            if isinstance(node, dict) and node.get("kind") == "repeat":
                out.append(Repeat.model_validate(node))
            elif isinstance(node, dict):
                out.append(Step.model_validate(node))
            else:
                out.append(node)
        return out

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        seen: set[str] = set()
        for node in self.steps:
            if node.id in seen:
                raise ValueError(f"template {self.id}: duplicate step id {node.id}")
            seen.add(node.id)
        return self

    def node(self, node_id: str) -> Step | Repeat:
        for node in self.steps:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


class TemplateNotFound(LookupError):
    def __init__(self, template_id: str, available: tuple[str, ...]) -> None:
        super().__init__(template_id)
        self.template_id = template_id
        self.available = available


def _template_files() -> dict[str, str]:
    folder = resources.files("flows").joinpath("templates")
    return {
        entry.name.removesuffix(".yaml"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml") and not entry.name.startswith("_")
    }


@cache
def load_templates() -> dict[str, Template]:
    """All templates in ``flows/templates/``, keyed by id, in a stable order."""
    templates: dict[str, Template] = {}
    for name, text in sorted(_template_files().items()):
        template = Template.model_validate(yaml.safe_load(text))
        if template.id != name:
            raise ValueError(f"{name}.yaml declares id {template.id!r}")
        templates[template.id] = template
    return templates


def get_template(template_id: str) -> Template:
    templates = load_templates()
    try:
        return templates[template_id]
    except KeyError:
        raise TemplateNotFound(template_id, tuple(templates)) from None
