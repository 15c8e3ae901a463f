"""Pure rules behind a person's own data and the retention setting.

- :func:`is_free_text`: whether an answer is words a person typed (erased by ``forget-me``) rather
  than a figure or a choice (kept: it says nothing about anyone);
- :func:`retention_days`: the number typed after ``/playbook retention``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.schema import Repeat, Step, StepKind, TemplateNotFound, get_template

# More digits than any retention period needs; a longer number is refused without converting it.
_MAX_DIGITS = 6


def is_free_text(template_id: str, key: str) -> bool:
    """Whether the answer ``key`` (``problem``, or ``<list>.<n>.<step>`` inside a repeat) of a session
    of ``template_id`` is a text step. An unknown template or key is not."""
    try:
        template = get_template(template_id)
    except TemplateNotFound:
        return False
    step_id, repeat_id = key, None
    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        repeat_id, step_id = parts[0], parts[2]
    nodes: Sequence[Step | Repeat] = template.steps
    if repeat_id is not None:
        repeat = next((n for n in nodes if isinstance(n, Repeat) and n.id == repeat_id), None)
        nodes = repeat.steps if repeat is not None else []
    step = next((n for n in nodes if isinstance(n, Step) and n.id == step_id), None)
    return step is not None and step.kind is StepKind.TEXT


def retention_days(text: str) -> int | None:
    """``730`` → 730; anything but a plain number in ASCII digits is None (``²`` is a digit to
    :meth:`str.isdigit`, but not a number :func:`int` can read)."""
    text = text.strip()
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
