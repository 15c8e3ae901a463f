"""The flow engine: (template, answers so far, a reply) → what to store and what to ask next.

There is no separate cursor to keep in step with the answers: the position in a session is *derived*
from its answers by walking the template. So a session resumes exactly where it was after a restart,
``back`` is "retract the last answer", and an edit is "store a new version of that answer". Everything
here is pure: the Slack adapter loads answers, calls :func:`apply_reply`, stores the changes, commits,
then posts :attr:`Outcome.next_prompt`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from flows import classification_step, parsing, readback, words
from flows.calendar import WorkingCalendar
from flows.classification_examples import LabelledExample
from flows.formatting import format_day, format_money
from flows.i18n import DEFAULT_LOCALE, t
from flows.schema import Condition, Repeat, Step, StepKind, Template
from flows.words import Command

# The cadences offered as buttons (each is also what typing it means: ``flows.parsing.parse_cadence``).
CADENCE_CHOICES = ("weekly", "fortnightly", "monthly")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
# The answer key under which a question the bot asked about the session itself waits for its yes or
# no: "cancel this session?", "is £1,200 each time or a year?". Step ids start with a letter, so it
# never names a question; the template walk does not see it.
PENDING = "_pending"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Answer:
    """The latest version of one stored answer. ``value`` is JSON-serialisable."""

    value: Any
    skipped: bool = False
    author: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a question sits: its answer key, step, and (inside a repeat) the item number from 1."""

    key: str
    step: Step
    repeat: Repeat | None = None
    item: int | None = None

    @property
    def first_in_item(self) -> bool:
        return self.repeat is not None and self.repeat.steps[0].id == self.step.id


@dataclass(frozen=True)
class ReplyContext:
    """Settings and the date that parsing needs (injected, so tests control the clock)."""

    today: date
    locale: str = DEFAULT_LOCALE
    working_day_hours: Decimal = Decimal("7.4")
    weeks_per_year: Decimal = Decimal(52)
    # Applied to user text placed inside prompts (the Slack adapter passes its mrkdwn escaping).
    escape: Callable[[str], str] = str
    # Names a stored user id in a prompt (the Slack adapter's shows a forgotten person as plain text).
    mention: Callable[[str], str] = lambda user_id: f"<@{user_id}>"
    # The workspace's default cost of an hour of staff time (cost impacts).
    hourly_rate: Decimal = Decimal(30)
    # The working days check-ins are sent on (a first check-in on a Saturday is sent on the Monday).
    calendar: WorkingCalendar | None = None
    # The classifications this workspace's facilitators decided, for the classifier to follow; asked
    # for only when a classification is proposed (the adapter reads them from the database).
    learned: Callable[[], Sequence[LabelledExample]] = lambda: ()
    # Who is replying (a Slack user id): "me" as the answer to a question about a person names them.
    author: str | None = None

    def prompt_values(self) -> dict[str, str]:
        """Settings a prompt may quote: ``{hourly_rate}`` (e.g. ``£30`` or ``£32.50``)."""
        return {"hourly_rate": format_money(self.hourly_rate, self.locale)}


@dataclass(frozen=True)
class PromptOption:
    """A shortcut the user can click; typing ``reply`` does the same."""

    reply: str
    label: str
    primary: bool = False


@dataclass(frozen=True)
class Prompt:
    key: str
    kind: StepKind
    text: str
    help: str | None
    hints: tuple[str, ...] = ()
    options: tuple[PromptOption, ...] = ()
    optional: bool = False
    done_allowed: bool = False
    item: int | None = None
    # Where the question sits in its list: "Why 3 · up to 7", "Cost line 2 · 4 of 6 questions".
    progress: str | None = None


@dataclass(frozen=True)
class Change:
    """One answer to store (a new version), or a retraction (``retract=True``) made by ``back``."""

    key: str
    value: Any = None
    skipped: bool = False
    retract: bool = False


@dataclass(frozen=True)
class Outcome:
    changes: tuple[Change, ...] = ()
    # A reply to show before the next prompt: a rejection, a nudge, a confirmation.
    message: str | None = None
    rejected: bool = False
    control: Literal["pause", "help", "cancel"] | None = None
    next_prompt: Prompt | None = None
    completed: bool = False
    examples: tuple[str, ...] = field(default_factory=tuple)


# --- walking the template ---------------------------------------------------------------------------


def _lookup(answers: Mapping[str, Answer], step_id: str, repeat: Repeat | None, item: int | None) -> Any:
    if repeat is not None and item is not None:
        inner = answers.get(f"{repeat.id}.{item}.{step_id}")
        if inner is not None:
            return inner.value
    top = answers.get(step_id)
    return None if top is None else top.value


def _holds(
    condition: Condition | None, answers: Mapping[str, Answer], repeat: Repeat | None, item: int | None
) -> bool:
    if condition is None:
        return True
    if condition.min_item is not None and (item is None or item < condition.min_item):
        return False
    if condition.step is not None:
        value = _lookup(answers, condition.step, repeat, item)
        if condition.not_in:
            return value not in condition.not_in
        return bool(value == condition.equals)
    return True


def done_key(repeat: Repeat) -> str:
    return f"{repeat.id}.done"


@dataclass(frozen=True)
class Walk:
    answered: tuple[str, ...]
    current: Position | None


def walk(template: Template, answers: Mapping[str, Answer]) -> Walk:
    """The answered keys in question order, and the first unanswered question (None = complete)."""
    answered: list[str] = []
    for node in template.steps:
        if isinstance(node, Step):
            if not _holds(node.when, answers, None, None):
                continue
            if node.id in answers:
                answered.append(node.id)
                continue
            return Walk(tuple(answered), Position(node.id, node))
        if not _holds(node.when, answers, None, None):
            continue
        item = 1
        while item <= node.max_items:
            marker = answers.get(done_key(node))
            if marker is not None and marker.value == item - 1:
                answered.append(done_key(node))
                break
            for step in node.steps:
                if not _holds(step.when, answers, node, item):
                    continue
                key = f"{node.id}.{item}.{step.id}"
                if key in answers:
                    answered.append(key)
                    continue
                return Walk(tuple(answered), Position(key, step, node, item))
            if node.stop_when is not None and _holds(node.stop_when, answers, node, item):
                break
            item += 1
    return Walk(tuple(answered), None)


def items_of(answers: Mapping[str, Answer], repeat_id: str, step_id: str) -> list[tuple[int, Any]]:
    """The (item number, value) answers of one step across a repeat's items, in order."""
    found: list[tuple[int, Any]] = []
    prefix = f"{repeat_id}."
    suffix = f".{step_id}"
    for key, answer in answers.items():
        if key.startswith(prefix) and key.endswith(suffix):
            middle = key[len(prefix) : -len(suffix)]
            number = _key_number(middle)
            if number is not None and not answer.skipped:
                found.append((number, answer.value))
    return sorted(found, key=lambda pair: pair[0])


# --- prompts ------------------------------------------------------------------------------------------


PREVIOUS_LIMIT = 300


def _previous_text(answers: Mapping[str, Answer], position: Position) -> str:
    """The answer a "why?" refers to, on one line and shortened, for quoting in the next prompt."""
    text = ""
    if position.repeat is not None and position.item is not None and position.item > 1:
        earlier = answers.get(f"{position.repeat.id}.{position.item - 1}.{position.step.id}")
        if earlier is not None and isinstance(earlier.value, str):
            text = earlier.value
    if not text:
        problem = answers.get("problem")
        text = problem.value if problem is not None and isinstance(problem.value, str) else ""
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= PREVIOUS_LIMIT else text[: PREVIOUS_LIMIT - 1] + "…"


def _pick_options(step: Step, answers: Mapping[str, Answer]) -> tuple[list[tuple[int, str]], int]:
    """Numbered options for a ``pick`` step and the index (1-based) of the suggestion."""
    assert step.options_from is not None
    repeat_id, step_id = step.options_from.split(".", 1)
    options = [(i, str(v)) for i, v in items_of(answers, repeat_id, step_id)]
    suggested = len(options)
    if step.suggest_where:
        for index, (item, _text) in enumerate(options, start=1):
            marker = answers.get(f"{repeat_id}.{item}.{step.suggest_where}")
            if marker is not None and marker.value is True:
                suggested = index
                break
    return options, suggested


def build_prompt(
    template: Template,
    answers: Mapping[str, Answer],
    position: Position,
    locale: str = DEFAULT_LOCALE,
    escape: Callable[[str], str] = str,
    *,
    values: Mapping[str, str] | None = None,
    learned: Callable[[], Sequence[LabelledExample]] | None = None,
) -> Prompt:
    """The question at ``position``. ``values`` fills settings placeholders such as ``{hourly_rate}``
    (see :meth:`ReplyContext.prompt_values`); ``learned`` gives the workspace's decided
    classifications (see :attr:`ReplyContext.learned`)."""
    step = position.step
    placeholders: dict[str, Any] = {
        **(values or {}),
        "n": position.item or "",
        "previous": escape(_previous_text(answers, position)),
    }
    text = step.prompt.get(locale, **placeholders)
    hints: list[str] = []
    options: list[PromptOption] = []
    if step.kind is StepKind.YESNO:
        options = [
            PromptOption("yes", t("button_yes", locale), primary=True),
            PromptOption("no", t("button_no", locale)),
        ]
    elif step.kind is StepKind.CHOICE:
        options = [PromptOption(c.value, c.label.get(locale)) for c in step.choices]
    elif step.kind is StepKind.SCALE:
        options = [PromptOption(str(n), str(n)) for n in range(step.scale_low, step.scale_high + 1)]
    elif step.kind is StepKind.CADENCE:
        options = [PromptOption(c, t(f"button_cadence_{c}", locale)) for c in CADENCE_CHOICES]
    elif step.kind is StepKind.PICK:
        picks, suggested = _pick_options(step, answers)
        lines = []
        for index, (_item, option_text) in enumerate(picks, start=1):
            marker = f" _({t('suggested', locale)})_" if index == suggested else ""
            lines.append(f"{index}. {escape(option_text)}{marker}")
        text = text + "\n" + "\n".join(lines)
        options = [PromptOption("yes", t("button_confirm_pick", locale, n=suggested), primary=True)] + [
            PromptOption(str(index), str(index)) for index in range(1, len(picks) + 1) if index != suggested
        ]
    elif step.kind is StepKind.RANK:
        assert step.options_from is not None
        repeat_id, step_id = step.options_from.split(".", 1)
        ranked = items_of(answers, repeat_id, step_id)
        text = text + "\n" + "\n".join(f"{i}. {escape(str(v))}" for i, (_n, v) in enumerate(ranked, start=1))
    elif step.kind is StepKind.CLASSIFICATION:
        examples = learned() if learned is not None else ()
        proposal = classification_step.propose(answer_values(answers), examples)
        described = classification_step.describe_proposal(proposal, locale, escape, learned=len(examples))
        text = text + "\n" + described
        options = [PromptOption("confirm", t("classification_confirm_button", locale), primary=True)]
    done_allowed = bool(
        position.repeat is not None
        and position.first_in_item
        and position.repeat.done_ends
        and (position.item or 1) - 1 >= position.repeat.min_items
    )
    if step.kind is StepKind.USER:
        hints.append(t("person_hint", locale))
    elif step.kind is StepKind.DATE:
        hints.append(t("date_hint", locale))
    if step.optional:
        hints.append(t("optional_hint", locale))
    if done_allowed:
        hints.append(t("done_hint", locale))
    help_text = step.help.get(locale, **placeholders) if step.help is not None else None
    return Prompt(
        key=position.key,
        kind=step.kind,
        text=text,
        help=help_text,
        hints=tuple(hints),
        options=tuple(options),
        optional=step.optional,
        done_allowed=done_allowed,
        item=position.item,
        progress=_progress(answers, position, locale),
    )


def _progress(answers: Mapping[str, Answer], position: Position, locale: str) -> str | None:
    """Where a question inside a list sits: a list of one question an item says how far it may go
    ("Why 3 · up to 7"); an item of several questions counts them ("Cost line 2 · 4 of 6 questions"),
    counting only the questions that apply to it given its answers so far."""
    repeat, item = position.repeat, position.item
    if repeat is None or item is None:
        return None
    if repeat.item_label is not None:
        name = repeat.item_label.get(locale, n=item)
    else:
        name = t("progress_item_name", locale, label=repeat.label.get(locale), n=item)
    asked = [step for step in repeat.steps if _holds(step.when, answers, repeat, item)]
    if len(asked) <= 2:
        return t("progress_list", locale, item=name, most=repeat.max_items)
    number = next((n for n, step in enumerate(asked, start=1) if step.id == position.step.id), len(asked))
    return t("progress_item", locale, item=name, number=number, count=len(asked))


def current_prompt(
    template: Template,
    answers: Mapping[str, Answer],
    locale: str = DEFAULT_LOCALE,
    escape: Callable[[str], str] = str,
    *,
    values: Mapping[str, str] | None = None,
    learned: Callable[[], Sequence[LabelledExample]] | None = None,
) -> Prompt | None:
    """The question the session waits on: a pending yes-or-no (see :data:`PENDING`), else the first
    unanswered question of the template (None: the session is complete)."""
    pending = pending_of(answers)
    if pending is not None:
        return pending_prompt(template, answers, pending, locale)
    position = walk(template, answers).current
    if position is None:
        return None
    return build_prompt(template, answers, position, locale, escape, values=values, learned=learned)


def position_of(template: Template, key: str) -> Position | None:
    """The question an answer key belongs to (``problem``, ``whys.2.answer``), or None for markers."""
    parts = key.split(".")
    if len(parts) == 1:
        node = next((n for n in template.steps if n.id == key), None)
        return Position(key, node) if isinstance(node, Step) else None
    item = _key_number(parts[1]) if len(parts) == 3 else None
    if item is not None:
        repeat = next((n for n in template.steps if n.id == parts[0]), None)
        if isinstance(repeat, Repeat):
            step = next((s for s in repeat.steps if s.id == parts[2]), None)
            if step is not None:
                return Position(key, step, repeat, item)
    return None


def _key_number(text: str) -> int | None:
    """The item number in an answer key (``whys.2.answer``): ASCII digits only, since ``str.isdigit``
    is also true of "²", which ``int`` cannot read."""
    return int(text) if text.isascii() and text.isdecimal() else None


def prefill_changes(template: Template, problem_statement: str | None) -> tuple[Change, ...]:
    """Answers known before the first question (the problem statement given with ``start``)."""
    if not problem_statement or not problem_statement.strip():
        return ()
    return tuple(
        Change(node.id, problem_statement.strip()[: node.max_length])
        for node in template.steps
        if isinstance(node, Step) and node.prefill == "problem_statement"
    )


# --- replies ------------------------------------------------------------------------------------------


def normalise_command(text: str) -> str:
    """A reply as a command: the command's key when ``text`` is a steering word in any language (``nôl``,
    ``yn ol`` and ``back`` are all ``back``; see :mod:`flows.words`), otherwise the reply in lower case
    with single spaces and without a full stop or ``!`` at the end."""
    command = words.command_of(text)
    if command is not None:
        return command.value
    return _SPACE.sub(" ", text.strip().lower()).strip(" .!")


def with_changes(
    answers: Mapping[str, Answer], changes: tuple[Change, ...], author: str | None = None
) -> dict[str, Answer]:
    """The answers as they will be once ``changes`` are stored."""
    merged = dict(answers)
    for change in changes:
        if change.retract:
            merged.pop(change.key, None)
        else:
            merged[change.key] = Answer(change.value, change.skipped, author)
    return merged


def _finish(
    template: Template,
    answers: Mapping[str, Answer],
    changes: tuple[Change, ...],
    ctx: ReplyContext,
    message: str | None = None,
) -> Outcome:
    after = with_changes(answers, changes)
    prompt = current_prompt(
        template, after, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
    )
    return Outcome(changes=changes, message=message, next_prompt=prompt, completed=prompt is None)


def _reject(
    template: Template,
    answers: Mapping[str, Answer],
    ctx: ReplyContext,
    message: str,
    examples: tuple[str, ...] = (),
) -> Outcome:
    return Outcome(
        message=message,
        rejected=True,
        examples=examples,
        next_prompt=current_prompt(
            template, answers, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
        ),
    )


def apply_reply(
    template: Template,
    answers: Mapping[str, Answer],
    text: str,
    ctx: ReplyContext,
    progress: Walk | None = None,
) -> Outcome:
    """Interpret one reply (already decoded from Slack's entity encoding) against the session.
    ``progress`` is :func:`walk` of these answers when the caller has already derived it.

    A steering word is never stored as an answer: each either acts (``back``, ``skip``, ``done``,
    ``none``, ``pause``, ``cancel``, ``help``) or, where it means nothing, says so and asks again."""
    locale = ctx.locale
    command = normalise_command(text)
    pending = pending_of(answers)
    if pending is not None:
        return _answer_pending(template, answers, pending, text, ctx)
    progress = progress if progress is not None else walk(template, answers)
    position = progress.current

    if command == Command.HELP:
        prompt = (
            None
            if position is None
            else build_prompt(
                template,
                answers,
                position,
                locale,
                ctx.escape,
                values=ctx.prompt_values(),
                learned=ctx.learned,
            )
        )
        parts = [p for p in (prompt.help if prompt else None, t("help_words", locale)) if p]
        return Outcome(control="help", message="\n".join(parts), next_prompt=prompt)
    if command == Command.PAUSE:
        return Outcome(
            control="pause",
            next_prompt=current_prompt(
                template, answers, locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
            ),
        )
    if command == Command.CANCEL:
        return _ask(template, answers, {"ask": "cancel"}, ctx)
    if command == Command.RESUME:
        return _reject(template, answers, ctx, t("resume_not_paused", locale))
    if command in (Command.EDIT, Command.KEEP):
        # Both act before a reply reaches the engine (the edit form, a held answer); here they mean nothing.
        return _reject(template, answers, ctx, t("word_not_here", locale, word=ctx.escape(text.strip())))
    if command == Command.BACK:
        if not progress.answered:
            return _reject(template, answers, ctx, t("nothing_to_go_back_to", locale))
        last = progress.answered[-1]
        previous = answers[last]
        went_from = position_of(template, last)
        kind = went_from.step.kind if went_from is not None else None
        shown = (
            ctx.escape(display_value(previous.value, kind, locale))
            if not previous.skipped
            else t("skipped", locale)
        )
        return _finish(
            template, answers, (Change(last, retract=True),), ctx, t("went_back", locale, previous=shown)
        )
    if position is None:
        return Outcome(message=t("already_complete", locale), rejected=True, completed=True)
    if command == Command.NONE:
        # "none" ends a list where "done" would; at an optional question it leaves the answer out;
        # anywhere else it is refused, so no list ever gets an item called "none".
        if _done_allowed(position):
            command = Command.DONE
        elif position.step.optional:
            command = Command.SKIP
        else:
            return _reject(template, answers, ctx, t("none_not_here", locale))
    if command == Command.SKIP:
        if not position.step.optional:
            return _reject(template, answers, ctx, t("not_optional", locale))
        return _finish(template, answers, (Change(position.key, None, skipped=True),), ctx)
    if command == Command.NEXT:
        command = Command.DONE
    if command == Command.DONE:
        repeat = position.repeat
        if repeat is None or not position.first_in_item or not repeat.done_ends:
            return _reject(template, answers, ctx, t("done_not_here", locale))
        complete = (position.item or 1) - 1
        if complete < repeat.min_items:
            return _reject(template, answers, ctx, t("done_too_soon", locale, minimum=repeat.min_items))
        return _finish(template, answers, (Change(done_key(repeat), complete),), ctx)

    read = read_answer(position.step, text, answers, ctx)
    if isinstance(read, Rejection):
        return _reject(template, answers, ctx, read.message, read.examples)
    before = _item_values(answers, position)
    after = _item_values(with_changes(answers, (Change(position.key, read.value),)), position)
    check = readback.slip_check(
        position.step, position.key, text, read.value,
        before=before, after=after, repeat=position.repeat, ctx=ctx,
    )  # fmt: skip
    if check is not None:
        return _ask(template, answers, check, ctx)
    said = readback.read_back(position.step, read.value, text, values=after, repeat=position.repeat, ctx=ctx)
    message = "\n".join(part for part in (said, read.nudge) if part) or None
    return _finish(template, answers, (Change(position.key, read.value),), ctx, message)


# --- questions about the session itself: cancel?, each time or a year?, is that right? -----------------


def pending_of(answers: Mapping[str, Answer]) -> dict[str, Any] | None:
    """The yes-or-no question the session waits on (see :data:`PENDING`), or None."""
    answer = answers.get(PENDING)
    if answer is None or answer.skipped or not isinstance(answer.value, dict):
        return None
    return answer.value


def current_key(answers: Mapping[str, Answer], progress: Walk | None = None) -> str | None:
    """The key of the question the session waits on (a button for any other is stale)."""
    if pending_of(answers) is not None:
        return PENDING
    position = progress.current if progress is not None else None
    return position.key if position is not None else None


def awaits_cancel(answers: Mapping[str, Answer]) -> bool:
    """Whether the session is asking "cancel this session?"."""
    pending = pending_of(answers)
    return pending is not None and pending.get("ask") == "cancel"


def is_cancel_request(answers: Mapping[str, Answer], text: str) -> bool:
    """Whether ``text`` asks to cancel the session, or answers the question whether to: a reply only
    the facilitator or a lead may give."""
    if words.command_of(text) == Command.CANCEL:
        return True
    return awaits_cancel(answers) and (words.yes_or_no(text) is not None or words.is_confirmation(text))


def _item_values(answers: Mapping[str, Answer], position: Position) -> dict[str, Any]:
    """The given answers of ``position``'s list item, by step id (empty outside a list)."""
    if position.repeat is None or position.item is None:
        return {}
    prefix = f"{position.repeat.id}.{position.item}."
    return {
        key[len(prefix) :]: answer.value
        for key, answer in answers.items()
        if key.startswith(prefix) and not answer.skipped
    }


def _ask(
    template: Template, answers: Mapping[str, Answer], question: dict[str, Any], ctx: ReplyContext
) -> Outcome:
    after = with_changes(answers, (Change(PENDING, question),))
    return Outcome(
        changes=(Change(PENDING, question),),
        next_prompt=pending_prompt(template, after, question, ctx.locale),
    )


def pending_prompt(
    template: Template,
    answers: Mapping[str, Answer],
    pending: Mapping[str, Any],
    locale: str = DEFAULT_LOCALE,
) -> Prompt:
    """The question the session waits on, with its two answers as buttons."""
    ask = pending.get("ask")
    yes_no = (
        PromptOption("yes", t("button_yes_right", locale), primary=True),
        PromptOption("no", t("button_no_change", locale)),
    )
    if ask == "cancel":
        text = t("cancel_confirm", locale)
        options: tuple[PromptOption, ...] = (
            PromptOption("yes", t("button_cancel_session", locale)),
            PromptOption("no", t("button_carry_on", locale), primary=True),
        )
        return Prompt(PENDING, StepKind.YESNO, text, None, options=options)
    key = str(pending.get("key", ""))
    position = position_of(template, key)
    label = position.step.title(locale, position.item) if position is not None else key
    if ask == "basis":
        amount = format_money(Decimal(str(pending.get("amount", "0"))), locale)
        per_year = _per_year_of(answers, position)
        yearly = (
            format_money(Decimal(str(pending.get("amount", "0"))) * per_year, locale, whole_pounds=True)
            if per_year is not None
            else None
        )
        text = (
            t("check_basis_yearly", locale, label=label, amount=amount, yearly=yearly)
            if yearly is not None
            else t("check_basis", locale, label=label, amount=amount)
        )
        options = (
            PromptOption("each time", t("button_each_time", locale)),
            PromptOption("a year", t("button_a_year", locale)),
        )
        return Prompt(PENDING, StepKind.CHOICE, text, None, options=options)
    value = pending.get("value")
    if pending.get("reason") == "rate":
        amount = format_money(Decimal(str(value)), locale)
        limit = format_money(readback.HIGH_HOURLY_RATE, locale)
        text = t("check_rate", locale, amount=amount, limit=limit)
    else:
        total = format_money(Decimal(str(pending.get("total", "0"))), locale, whole_pounds=True)
        text = t(
            "check_line", locale, label=label, total=total,
            limit=format_money(readback.LARGE_LINE_A_YEAR, locale),
        )  # fmt: skip
    return Prompt(PENDING, StepKind.YESNO, text, None, options=yes_no)


def _per_year_of(answers: Mapping[str, Answer], position: Position | None) -> Decimal | None:
    if position is None or position.repeat is None:
        return None
    value = readback.value_of_kind(position.repeat, _item_values(answers, position), StepKind.FREQUENCY)
    return readback.decimal_of(value, "per_year")


def _answer_pending(
    template: Template,
    answers: Mapping[str, Answer],
    pending: dict[str, Any],
    text: str,
    ctx: ReplyContext,
) -> Outcome:
    """A reply while the session waits on a yes or no. ``help``, ``pause`` and ``back`` work as
    anywhere; an answer to the question settles it; anything else drops the question and is read as
    an ordinary reply (someone who types the answer again need not say no first)."""
    locale = ctx.locale
    command = normalise_command(text)
    prompt = pending_prompt(template, answers, pending, locale)
    without = {key: answer for key, answer in answers.items() if key != PENDING}
    drop = Change(PENDING, retract=True)
    ask = pending.get("ask")
    if command == Command.HELP:
        return Outcome(control="help", message=t("help_words", locale), next_prompt=prompt)
    if command == Command.PAUSE:
        return Outcome(control="pause", next_prompt=prompt)
    yes_no = words.yes_or_no(text)
    if yes_no is None and words.is_confirmation(text):
        yes_no = True
    if ask == "cancel":
        if command == Command.CANCEL or yes_no is True:
            return Outcome(changes=(drop,), control="cancel", message=t("cancelled", locale))
        if yes_no is False or command == Command.BACK:
            return _finish(template, without, (drop,), ctx, t("cancel_declined", locale))
        return _with_drop(apply_reply(template, without, text, ctx), drop)
    if command == Command.CANCEL:
        return _ask(template, without, {"ask": "cancel"}, ctx)
    if command == Command.BACK:
        return _finish(template, without, (drop,), ctx, t("check_dropped", locale))
    key = str(pending.get("key", ""))
    position = position_of(template, key)
    if position is None:  # the template changed under a waiting question: forget the question
        return _with_drop(apply_reply(template, without, text, ctx), drop)
    if ask == "basis":
        basis = words.basis_of(text)
        if basis is None:
            return _with_drop(apply_reply(template, without, text, ctx), drop)
        value: Any = {"amount": str(pending.get("amount", "0")), "basis": basis}
        before = _item_values(without, position)
        after = _item_values(with_changes(without, (Change(key, value),)), position)
        check = readback.line_check(key, value, before=before, after=after, repeat=position.repeat, ctx=ctx)
        if check is not None:
            return _ask(template, without, check, ctx)
    else:
        if yes_no is None:
            return _with_drop(apply_reply(template, without, text, ctx), drop)
        if yes_no is False:
            return _finish(template, without, (drop,), ctx, t("check_declined", locale))
        value = pending.get("value")
        after = _item_values(with_changes(without, (Change(key, value),)), position)
        if pending.get("reason") == "rate":  # a confirmed rate may still take the line over the million
            before = _item_values(without, position)
            check = readback.line_check(
                key, value, before=before, after=after, repeat=position.repeat, ctx=ctx
            )
            if check is not None:
                return _ask(template, without, check, ctx)
    said = readback.read_back(
        position.step, value, _as_typed(position.step, value), values=after, repeat=position.repeat, ctx=ctx
    )
    return _finish(template, without, (drop, Change(key, value)), ctx, said)


def _as_typed(step: Step, value: Any) -> str:
    """A stored value written as a reply would be (for reading it back after a confirmation)."""
    if isinstance(value, dict) and "text" in value:
        return str(value["text"])
    return ""


def _with_drop(outcome: Outcome, drop: Change) -> Outcome:
    """``outcome`` with the waiting question dropped first."""
    return replace(outcome, changes=(drop, *outcome.changes))


@dataclass(frozen=True)
class Rejection:
    """Why a typed answer was not accepted, in words for the user, with accepted examples."""

    message: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadAnswer:
    value: Any
    nudge: str | None = None


def read_answer(
    step: Step, text: str, answers: Mapping[str, Answer], ctx: ReplyContext
) -> ReadAnswer | Rejection:
    """A typed answer to ``step`` checked (not empty, not too long) and parsed; shared by replies in the
    thread, team replies and the edit modal so every route accepts exactly the same answers."""
    locale = ctx.locale
    stripped = text.strip()
    if not stripped:
        return Rejection(t("empty_reply", locale))
    if len(stripped) > step.max_length:
        return Rejection(t("too_long", locale, length=f"{len(stripped):,}", limit=f"{step.max_length:,}"))
    parsed = parse_answer(step, stripped, answers, ctx)
    if isinstance(parsed, parsing.ParseFailure):
        message = parsed.message
        if parsed.examples:
            message += "\n" + t("examples", locale, examples=", ".join(f"`{e}`" for e in parsed.examples))
        return Rejection(message, parsed.examples)
    nudge = next((n.message.get(locale) for n in step.nudges if n.matches(stripped)), None)
    return ReadAnswer(parsed, nudge)


def next_in_item(answers: Mapping[str, Answer], repeat: Repeat, item: int) -> Position | None:
    """The first unanswered question of one item of a repeat (None when the item is complete)."""
    for step in repeat.steps:
        key = f"{repeat.id}.{item}.{step.id}"
        if key not in answers and _holds(step.when, answers, repeat, item):
            return Position(key, step, repeat, item)
    return None


def _done_allowed(position: Position) -> bool:
    """Whether ``done`` (or ``none``) may end the list ``position`` is in: at the first question of an
    item, once the list has the items it needs."""
    repeat = position.repeat
    return bool(
        repeat is not None
        and position.first_in_item
        and repeat.done_ends
        and (position.item or 1) - 1 >= repeat.min_items
    )


# --- parsing one answer by step kind -------------------------------------------------------------------


def _failure(message: str, *examples: str) -> parsing.ParseFailure:
    return parsing.ParseFailure(message, tuple(examples))


def parse_answer(step: Step, text: str, answers: Mapping[str, Answer], ctx: ReplyContext) -> Any:
    """The JSON value to store for ``text``, or a :class:`parsing.ParseFailure`."""
    locale = ctx.locale
    kind = step.kind
    if kind is StepKind.TEXT:
        return text
    if kind is StepKind.YESNO:
        return parsing.parse_yes_no(text, locale=locale)
    if kind is StepKind.CHOICE:
        # A choice's label in any language works in every session, as do its aliases.
        wanted = words.fold(text)
        for number, choice in enumerate(step.choices, start=1):
            names = {words.fold(choice.value), str(number)}
            names.update(words.fold(label) for label in choice.label.root.values())
            names.update(words.fold(alias) for alias in choice.aliases)
            if wanted in names:
                return choice.value
        labels = ", ".join(f"`{c.label.get(locale)}`" for c in step.choices)
        return _failure(
            t("choose_from", locale, options=labels), *(c.label.get(locale) for c in step.choices[:3])
        )
    if kind is StepKind.SCALE:
        return parsing.parse_scale(text, step.scale_low, step.scale_high, locale=locale)
    if kind is StepKind.MONEY:
        money = parsing.parse_money(text, locale=locale)
        return money if isinstance(money, parsing.ParseFailure) else str(money)
    if kind is StepKind.DIRECT_COST:
        cost = parsing.parse_direct_cost(text, weeks_per_year=ctx.weeks_per_year, locale=locale)
        if isinstance(cost, parsing.ParseFailure):
            return cost
        return {"amount": str(cost.amount), "basis": cost.basis}
    if kind is StepKind.DURATION:
        duration = parsing.parse_duration(text, working_day_hours=ctx.working_day_hours, locale=locale)
        if isinstance(duration, parsing.ParseFailure):
            return duration
        # "text" is the English reading, kept as answers have always had it; it is shown in each
        # reader's language from "hours" (display_value).
        return {"hours": str(duration.hours), "text": duration.describe()}
    if kind is StepKind.FREQUENCY:
        frequency = parsing.parse_frequency(
            text, weeks_per_year=ctx.weeks_per_year, working_day_hours=ctx.working_day_hours, locale=locale
        )
        if isinstance(frequency, parsing.ParseFailure):
            return frequency
        if frequency.per_year == 0:  # "never", "0 a week": a cost line is something that happens
            return _failure(t("frequency_zero", locale), *parsing.examples("frequency_zero", locale))
        # "text" is the English reading, kept as answers have always had it; "reading" holds its
        # numbers, so it is shown in each reader's language (display_value).
        value: dict[str, Any] = {"per_year": str(frequency.per_year), "text": frequency.describe()}
        if frequency.reading is not None:
            value["reading"] = frequency.reading.to_json()
        return value
    if kind is StepKind.COUNT:
        return parsing.parse_count(text, locale=locale)
    if kind is StepKind.DATE:
        when = parsing.parse_date(text, today=ctx.today, locale=locale)
        return when if isinstance(when, parsing.ParseFailure) else when.isoformat()
    if kind is StepKind.CADENCE:
        return parsing.parse_cadence(text, locale=locale)
    if kind is StepKind.USER:
        if ctx.author is not None and words.means_me(text):
            return ctx.author
        match = _MENTION.match(text.strip())
        if match is None:
            return _failure(t("user_expected", locale), "@Sam Jones", "@Priya")
        return match.group(1)
    if kind is StepKind.PICK:
        options, suggested = _pick_options(step, answers)
        if not options:
            return _failure(t("pick_from", locale, count=0))
        picked = suggested if words.is_confirmation(text) else _as_int(text)
        if picked is None or not 1 <= picked <= len(options):
            return _failure(t("pick_from", locale, count=len(options)), *parsing.examples("pick", locale))
        item, option_text = options[picked - 1]
        return {"item": item, "text": option_text}
    if kind is StepKind.RANK:
        assert step.options_from is not None
        repeat_id, step_id = step.options_from.split(".", 1)
        ranked = items_of(answers, repeat_id, step_id)
        wanted_count = min(step.rank_count, len(ranked))
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        if (
            len(numbers) != wanted_count
            or len(set(numbers)) != wanted_count
            or any(not 1 <= n <= len(ranked) for n in numbers)
        ):
            example = ", ".join(str(n) for n in range(1, wanted_count + 1))
            return _failure(
                t("rank_from", locale, count=wanted_count, total=len(ranked), example=example), example
            )
        return [{"item": ranked[n - 1][0], "text": ranked[n - 1][1]} for n in numbers]
    if kind is StepKind.CLASSIFICATION:
        proposal = classification_step.propose(answer_values(answers), ctx.learned())
        proposed = classification_step.proposal_dict(proposal)
        return classification_step.parse_reply(text, proposed, locale=locale)
    return text


def answer_values(answers: Mapping[str, Answer]) -> dict[str, Any]:
    """The values of the answers that were given (not skipped), by key."""
    return {key: answer.value for key, answer in answers.items() if not answer.skipped}


def _as_int(text: str) -> int | None:
    stripped = text.strip().lstrip("#")
    # ASCII decimals only: ``str.isdigit`` is also true of "²", which ``int`` cannot read.
    return int(stripped) if stripped.isascii() and stripped.isdecimal() and len(stripped) < 6 else None


def display_value(value: Any, kind: StepKind | None = None, locale: str = DEFAULT_LOCALE) -> str:
    """A stored value as a person would read it. With the step's ``kind``, money is written with £ and
    thousands separators (``£1,200``, ``£32.50``), a date in the one style people read
    (``Tuesday 8 December 2026``) and a cadence in words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("button_yes" if value else "button_no", locale)
    if kind is StepKind.MONEY and isinstance(value, str | int | Decimal):
        try:
            return format_money(Decimal(str(value)), locale)
        except ArithmeticError:
            return str(value)
    if kind is StepKind.DATE and isinstance(value, str):
        try:
            return format_day(date.fromisoformat(value), locale)
        except ValueError:
            return value
    if kind is StepKind.CADENCE and isinstance(value, str) and value in ("weekly", "fortnightly", "monthly"):
        return t(f"cadence_{value}", locale)
    if isinstance(value, dict):
        if "ask" in value:  # a question the session waited on (see PENDING), not an answer
            return ""
        reading = readback.stored_reading(value, locale)  # a time taken or a frequency
        if reading is not None:
            return reading
        if "text" in value:
            return str(value["text"])
        if "amount" in value:
            return readback.direct_cost_words(value, None, locale)
    if isinstance(value, list):
        return "; ".join(display_value(v, None, locale) for v in value)
    return str(value)
