"""Team sessions: several people answering one session in a channel thread at the same time.

Single-answer questions need nothing special: the first reply answers, and only the facilitator (or a
lead) or the person who gave an answer may take it back with ``back`` (anyone may use ``edit`` on their
own answers). Lists marked ``collaborative: true`` work differently while they are open:

**The rule for collaborative lists.** Every person has at most one *open item*: the latest item they
started that still has questions left. A reply from someone with an open item answers that item's next
question; a reply from anyone else starts a new item, numbered after the highest so far and attributed
to them. So three people can each describe their own pain point at once, their replies interleaved in the
thread, and no one's answer lands in someone else's item. ``back`` and ``skip`` act on the person's own
item. The list stays open until the facilitator (or a lead) types ``next`` (or ``done``, or clicks Next);
anyone else gets a polite reply and the list stays open. Items someone was still writing when the list
closed are then finished in turn, one question at a time, by whoever answers first — so nothing
started is lost and item numbers never have gaps (a person may only take back the first answer of an
item when it is the last item; otherwise they change it with ``edit``).

Everything here is pure: the Slack adapter decides who may steer and stores the changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from flows.engine import (
    Answer,
    Change,
    Outcome,
    Position,
    Prompt,
    PromptOption,
    Rejection,
    ReplyContext,
    Walk,
    build_prompt,
    current_prompt,
    display_value,
    done_key,
    next_in_item,
    normalise_command,
    pending_of,
    read_answer,
    walk,
    with_changes,
)
from flows.i18n import t
from flows.schema import Repeat, Template
from flows.words import Command, command_of

STEER_WORDS = frozenset({Command.NEXT, Command.DONE})


@dataclass(frozen=True)
class TeamReply:
    """A reply in a team thread: what was said, by whom, and whether they may move the session on."""

    text: str
    author: str
    may_steer: bool
    facilitator: str
    # For a button: the question it belonged to (a stale or someone else's button changes nothing).
    expected_key: str | None = None


def collecting(
    template: Template, answers: Mapping[str, Answer], progress: Walk | None = None
) -> Repeat | None:
    """The collaborative list the session is gathering, while it is open (``progress``: :func:`walk`
    of these answers, when the caller has it)."""
    position = (progress if progress is not None else walk(template, answers)).current
    if position is None or position.repeat is None or not position.repeat.collaborative:
        return None
    return None if done_key(position.repeat) in answers else position.repeat


def _item_numbers(answers: Mapping[str, Answer], repeat: Repeat) -> list[int]:
    first = repeat.steps[0].id
    numbers = []
    for key in answers:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == repeat.id and parts[1].isdigit() and parts[2] == first:
            numbers.append(int(parts[1]))
    return sorted(numbers)


def _own_items(answers: Mapping[str, Answer], repeat: Repeat, author: str) -> list[int]:
    first = repeat.steps[0].id
    return [n for n in _item_numbers(answers, repeat) if answers[f"{repeat.id}.{n}.{first}"].author == author]


def open_item(answers: Mapping[str, Answer], repeat: Repeat, author: str) -> Position | None:
    """The next question of ``author``'s open item, if they have one."""
    for item in reversed(_own_items(answers, repeat, author)):
        position = next_in_item(answers, repeat, item)
        if position is not None:
            return position
    return None


def _highest(answers: Mapping[str, Answer], repeat: Repeat) -> int:
    numbers = _item_numbers(answers, repeat)
    return numbers[-1] if numbers else 0


def add_prompt(
    template: Template, answers: Mapping[str, Answer], repeat: Repeat, facilitator: str, ctx: ReplyContext
) -> Prompt:
    """The invitation to add an item, with the facilitator's Next button."""
    item = _highest(answers, repeat) + 1
    first = repeat.steps[0]
    position = Position(f"{repeat.id}.{item}.{first.id}", first, repeat, item)
    prompt = build_prompt(
        template, answers, position, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
    )
    hint = t("team_add_hint", ctx.locale, facilitator=ctx.mention(facilitator))
    return replace(
        prompt,
        hints=(*prompt.hints, hint),
        options=(*prompt.options, PromptOption("next", t("team_next_button", ctx.locale))),
        done_allowed=False,
    )


def prompt_for(
    template: Template, answers: Mapping[str, Answer], author: str, facilitator: str, ctx: ReplyContext
) -> Prompt | None:
    """What ``author`` is asked next: their open item's next question (addressed to them), the
    invitation to add an item, or — once the list has closed — the session's next question."""
    repeat = collecting(template, answers)
    if repeat is None or pending_of(answers) is not None:  # a yes-or-no (cancel?) waits for everyone
        return current_prompt(
            template, answers, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
        )
    position = open_item(answers, repeat, author)
    if position is None:
        return add_prompt(template, answers, repeat, facilitator, ctx)
    prompt = build_prompt(
        template, answers, position, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
    )
    return replace(prompt, text=f"{ctx.mention(author)} {prompt.text}")


def _outcome(
    template: Template,
    answers: Mapping[str, Answer],
    changes: tuple[Change, ...],
    reply: TeamReply,
    ctx: ReplyContext,
    message: str | None = None,
) -> Outcome:
    after = with_changes(answers, changes, reply.author)
    prompt = prompt_for(template, after, reply.author, reply.facilitator, ctx)
    return Outcome(changes=changes, message=message, next_prompt=prompt, completed=prompt is None)


def _refuse(message: str, examples: tuple[str, ...] = (), prompt: Prompt | None = None) -> Outcome:
    return Outcome(message=message, rejected=True, examples=examples, next_prompt=prompt)


def apply_team_reply(
    template: Template,
    answers: Mapping[str, Answer],
    reply: TeamReply,
    ctx: ReplyContext,
    progress: Walk | None = None,
) -> Outcome:
    """Apply one reply while a collaborative list is open (see the module's rule)."""
    repeat = collecting(template, answers, progress)
    if repeat is None:
        raise ValueError("no collaborative list is open")
    locale = ctx.locale
    command = normalise_command(reply.text)
    mine = open_item(answers, repeat, reply.author)
    if command in STEER_WORDS:
        if not reply.may_steer:
            return _refuse(t("team_only_facilitator", locale, facilitator=ctx.mention(reply.facilitator)))
        count = _highest(answers, repeat)
        if count < repeat.min_items:
            return _refuse(t("done_too_soon", locale, minimum=repeat.min_items))
        closed = t("team_list_closed", locale, count=count, label=repeat.label.get(locale))
        return _outcome(template, answers, (Change(done_key(repeat), count),), reply, ctx, closed)
    if reply.expected_key is not None:
        expected = mine.key if mine is not None else add_prompt(template, answers, repeat, "", ctx).key
        if reply.expected_key != expected:
            return _refuse(t("team_not_your_question", locale))
    own_prompt = prompt_for(template, answers, reply.author, reply.facilitator, ctx)
    if command == Command.HELP:
        help_text = own_prompt.help if own_prompt is not None else None
        parts = [p for p in (help_text, t("help_words", locale)) if p]
        return Outcome(control="help", message="\n".join(parts), next_prompt=own_prompt)
    if command == Command.BACK:
        return _back(template, answers, repeat, reply, ctx)
    if command == Command.SKIP:
        if mine is None or not mine.step.optional:
            return _refuse(t("not_optional", locale), prompt=own_prompt)
        return _outcome(template, answers, (Change(mine.key, None, skipped=True),), reply, ctx)
    if command_of(reply.text) is not None:
        # Any other steering word (`none`, `resume`, `keep`...) means nothing here: never an item.
        return _refuse(t("word_not_here", locale, word=ctx.escape(reply.text.strip())), prompt=own_prompt)
    position = mine
    if position is None:
        item = _highest(answers, repeat) + 1
        if item > repeat.max_items:
            return _refuse(t("list_full", locale, maximum=repeat.max_items))
        position = Position(f"{repeat.id}.{item}.{repeat.steps[0].id}", repeat.steps[0], repeat, item)
    read = read_answer(position.step, reply.text, answers, ctx)
    if isinstance(read, Rejection):
        return _refuse(read.message, read.examples, own_prompt)
    return _outcome(template, answers, (Change(position.key, read.value),), reply, ctx, read.nudge)


def _back(
    template: Template, answers: Mapping[str, Answer], repeat: Repeat, reply: TeamReply, ctx: ReplyContext
) -> Outcome:
    locale = ctx.locale
    for item in reversed(_own_items(answers, repeat, reply.author)):
        answered = [s for s in repeat.steps if f"{repeat.id}.{item}.{s.id}" in answers]
        if not answered:
            continue
        last = answered[-1]
        if last is repeat.steps[0] and item != _highest(answers, repeat):
            return _refuse(t("team_back_first_answer", locale))
        key = f"{repeat.id}.{item}.{last.id}"
        previous = answers[key]
        shown = (
            ctx.escape(display_value(previous.value, last.kind, locale))
            if not previous.skipped
            else t("skipped", locale)
        )
        message = t("went_back", locale, previous=shown)
        return _outcome(template, answers, (Change(key, retract=True),), reply, ctx, message)
    return _refuse(t("nothing_to_go_back_to", locale))


def back_refusal(
    template: Template,
    answers: Mapping[str, Answer],
    author: str,
    may_steer: bool,
    locale: str,
    progress: Walk | None = None,
) -> str | None:
    """Outside an open collaborative list, ``back`` in a team thread takes back the last answer: allowed
    for the facilitator or a lead, or for the person who gave that answer. Returns why not, or None."""
    answered = (progress if progress is not None else walk(template, answers)).answered
    if may_steer or not answered:
        return None
    last = answers[answered[-1]]
    return None if last.author in (None, author) else t("team_back_not_yours", locale)
