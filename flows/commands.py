"""Reading what people type after ``/playbook``: the subcommand, session and problem references,
channel references, the ``--problem`` flag and the names of the UK nations. Pure: text in, values out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flows.calendar import Nation

_SESSION_REF = re.compile(r"^#?(\d{1,9})$")
_CHANNEL_REF = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{4,})$")
_USER_REF = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{4,})$")
_PROBLEM_FLAG = re.compile(r"(?:^|\s)--problem(?:\s+#?(\d{1,9}))?(?=\s|$)")
_START_IN_THREAD = re.compile(r"^(?:start|dechrau)\s+([a-z][a-z0-9-]*)$")
_SPACE = re.compile(r"\s+")
_PLAIN_NUMBER = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,2})?$")

NATION_ALIASES: dict[str, Nation] = {
    "england-and-wales": "england-and-wales",
    "england and wales": "england-and-wales",
    "england": "england-and-wales",
    "wales": "england-and-wales",
    "cymru": "england-and-wales",
    "scotland": "scotland",
    "northern-ireland": "northern-ireland",
    "northern ireland": "northern-ireland",
    "ni": "northern-ireland",
}


# Every ``/playbook`` subcommand, in the order the help card lists them. The help card reads this
# tuple (each name's line is the catalogue's ``help_command_<name>``), and a test checks that the
# command listener answers each one, so the list and what the bot does cannot drift apart.
COMMAND_NAMES: tuple[str, ...] = (
    "start",
    "list",
    "status",
    "resume",
    "intervene",
    "export",
    "similar",
    "themes",
    "digest",
    "leads",
    "nation",
    "retention",
    "rate",
    "weeks",
    "my-data",
    "forget-me",
    "language",
    "help",
)

# How close a typed word must be to a known name to be offered as "did you mean …?" (difflib ratio).
NEAR_MISS_CUTOFF = 0.6


def near_miss(typed: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``typed`` if it is close enough to be a slip (``five-why`` →
    ``five-whys``, ``stat`` → ``start``), else None. An exact match is not a near miss."""
    word = typed.strip().lower()
    names = list(known)
    if not word or word in names:
        return None
    found = difflib.get_close_matches(word, names, n=1, cutoff=NEAR_MISS_CUTOFF)
    return found[0] if found else None


@dataclass(frozen=True)
class Subcommand:
    """``/playbook <name> <rest>``: the name lower-cased, the rest as typed (trimmed)."""

    name: str
    rest: str


# The Welsh name of every command, as the Welsh help card shows it: ``/playbook dechrau five-whys`` is
# ``/playbook start five-whys``.
WELSH_COMMAND_NAMES: dict[str, str] = {
    "start": "dechrau",
    "list": "rhestr",
    "status": "statws",
    "resume": "ailddechrau",
    "intervene": "ymyriad",
    "export": "allforio",
    "similar": "tebyg",
    "leads": "arweinwyr",
    "nation": "gwlad",
    "retention": "cadw-data",
    "rate": "cyfradd",
    "weeks": "wythnosau",
    "themes": "themau",
    "digest": "crynhoad",
    "my-data": "fy-nata",
    "forget-me": "anghofio-fi",
    "language": "iaith",
    "help": "cymorth",
}
# Every Welsh word read as a command: the names above and a few other ways of saying them.
WELSH_SUBCOMMANDS: dict[str, str] = {
    **{welsh: english for english, welsh in WELSH_COMMAND_NAMES.items()},
    "cychwyn": "start",
    "parhau": "resume",
    "ymyrryd": "intervene",
}
# ``/playbook language [workspace] <language>``: what each way of naming a language means.
LANGUAGE_NAMES: dict[str, str] = {
    "cy": "cy",
    "cymraeg": "cy",
    "welsh": "cy",
    "en": "en",
    "saesneg": "en",
    "english": "en",
    "bilingual": "bilingual",
    "dwyieithog": "bilingual",
}
_WORKSPACE_WORDS = frozenset({"workspace", "gweithle"})
# ``/playbook leads add|remove|list``: the Welsh words for each (``arweinwyr ychwanegu @person``).
LEADS_ACTIONS: dict[str, str] = {"ychwanegu": "add", "tynnu": "remove", "dileu": "remove", "rhestr": "list"}
# Welsh names of the templates: ``/playbook dechrau pum-pam`` is ``/playbook start five-whys``.
WELSH_TEMPLATE_NAMES: dict[str, str] = {
    "pum-pam": "five-whys",
    "pwyntiau-poen": "pain-points",
    "achos-problem-effaith": "cause-problem-impact",
    "costau": "cost-impacts",
    "lefelau-problem": "problem-levels",
}


def template_name(typed: str) -> str:
    """The template id for a name as typed, in English or Welsh (unknown names are returned as typed,
    lower case, for the caller to refuse)."""
    name = typed.strip().lower()
    return WELSH_TEMPLATE_NAMES.get(name, name)


def split_subcommand(text: str) -> Subcommand:
    name, _, rest = text.strip().partition(" ")
    name = name.lower()
    return Subcommand(WELSH_SUBCOMMANDS.get(name, name), rest.strip())


@dataclass(frozen=True)
class LanguageChoice:
    """``/playbook language …``: for the workspace or the person, and the language named (None when
    nothing or something unknown was named; ``bilingual`` only counts for the workspace)."""

    workspace: bool
    language: str | None
    named: bool


def language_choice(rest: str) -> LanguageChoice:
    words = rest.lower().split()
    workspace = bool(words) and words[0] in _WORKSPACE_WORDS
    if workspace:
        words = words[1:]
    if not words:
        return LanguageChoice(workspace, None, False)
    language = LANGUAGE_NAMES.get(" ".join(words))
    if language == "bilingual" and not workspace:
        language = None
    return LanguageChoice(workspace, language, True)


def session_ref(text: str) -> int | None:
    """``12`` or ``#12`` → 12; anything else → None."""
    match = _SESSION_REF.match(text.strip())
    return int(match.group(1)) if match else None


def channel_ref(text: str) -> str | None:
    """A channel as Slack sends it in a command (``<#C123|name>``) or a bare id → the id."""
    match = _CHANNEL_REF.match(text.strip())
    if match is None:
        return None
    return match.group(1) or match.group(2)


def user_ref(text: str) -> str | None:
    """A person as Slack sends a mention (``<@U123|name>``) or a bare id → the id."""
    match = _USER_REF.match(text.strip())
    if match is None:
        return None
    return match.group(1) or match.group(2)


@dataclass(frozen=True)
class ProblemFlag:
    """``rest`` without ``--problem N``, the problem id, and whether the flag was there at all."""

    rest: str
    problem_id: int | None
    present: bool


def problem_flag(rest: str) -> ProblemFlag:
    match = _PROBLEM_FLAG.search(rest)
    if match is None:
        return ProblemFlag(rest, None, False)
    remaining = (rest[: match.start()] + " " + rest[match.end() :]).strip()
    return ProblemFlag(remaining, int(match.group(1)) if match.group(1) else None, True)


def nation(text: str) -> Nation | None:
    """A UK nation by any of its usual names (``wales``, ``Northern Ireland``, ``ni``), else None."""
    return NATION_ALIASES.get(_SPACE.sub(" ", text.strip().lower()))


def start_in_thread(normalised_text: str) -> str | None:
    """The template named by ``start <template>`` typed in a thread (already normalised), else None."""
    match = _START_IN_THREAD.match(normalised_text)
    return template_name(match.group(1)) if match else None


@dataclass(frozen=True)
class PaperRequest:
    """``/playbook export … docx``: the paper on a session's problem, or on a problem by its number."""

    session_id: int | None
    problem_id: int | None


def paper_request(rest: str) -> PaperRequest | None:
    """``12 docx``, ``#12 docx``, ``--problem 3 docx`` → what the paper is on; None when ``rest`` does
    not end in ``docx`` or names neither a session nor a problem."""
    words = rest.split()
    if not words or words[-1].lower() != "docx":
        return None
    flag = problem_flag(" ".join(words[:-1]))
    if flag.present:
        return PaperRequest(None, flag.problem_id) if flag.problem_id is not None and not flag.rest else None
    session_id = session_ref(flag.rest)
    return PaperRequest(session_id, None) if session_id is not None else None


def plain_number(text: str) -> Decimal | None:
    """``46`` or ``46.5`` (at most three digits, two decimals) → the number; anything else → None."""
    cleaned = text.strip()
    if not _PLAIN_NUMBER.match(cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
