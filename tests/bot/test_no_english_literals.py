"""Every word a person reads comes from the message catalogue (``flows/templates/_messages.yaml`` and the
templates), in their language: no user-facing English sentence is written into the Slack adapter.

The check reads every module in ``bot/`` and flags string literals that look like prose (two or more
words) outside docstrings, logging calls and exception messages meant for the log. Identifiers, Slack
API field names and error codes are single tokens and never match.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
PROSE = re.compile(r"[A-Za-z]{2,}[,.'!?:;]*\s+[A-Za-z]{2,}")
# The command line speaks to operators, in English; so do the HTTP front (its refusals of malformed or
# slow requests go to whatever sent them, never to a person in Slack) and the log formatting. Everything
# else in bot/ speaks to council staff.
OPERATOR_MODULES = frozenset({"cli.py", "__main__.py", "asgi.py", "server.py", "logs.py"})
LOGGING = frozenset({"debug", "info", "warning", "error", "exception", "critical"})
# Messages for operators (printed to the terminal, raised into the log): English is fine there. Errors
# a person sees are PlaybookError and its kin (NotAllowed, SessionNotFound…), which are not exempt.
OPERATOR_CALLS = frozenset({"print", "add_argument", "add_parser", "ArgumentParser"})
USER_ERRORS = frozenset({"PlaybookError"})
HTTP_STATUS = re.compile(r"^\d{3} ")


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _exempt_calls(tree: ast.AST) -> set[int]:
    """Ids of nodes inside logging calls and operator-facing calls."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        operator_error = name.endswith("Error") and name not in USER_ERRORS
        if (isinstance(func, ast.Attribute) and name in LOGGING) or name in OPERATOR_CALLS or operator_error:
            for inner in ast.walk(node):
                found.add(id(inner))
    return found


# Slack fields a person reads: even one word there ("Done", "Close") must come from the catalogue.
READ_FIELDS = frozenset(
    {"text", "title", "label", "placeholder", "submit", "close", "initial_comment", "alt_text"}
)


def _read_fields(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            value = keyword.value
            if (
                keyword.arg in READ_FIELDS
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and re.search(r"[A-Za-z]{2,}", value.value)
            ):
                found.append((value.lineno, value.value))
    return found


def english_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _exempt_calls(tree)
    hits: list[tuple[int, str]] = [hit for hit in _read_fields(tree) if not _skipped(hit, skip, tree)]
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if PROSE.search(node.value) and not HTTP_STATUS.match(node.value):
            hits.append((node.lineno, node.value))
    return sorted(set(hits))


def _skipped(hit: tuple[int, str], skip: set[int], tree: ast.AST) -> bool:
    return any(
        id(node) in skip
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == hit[1] and node.lineno == hit[0]
    )


def test_no_user_facing_english_in_the_slack_adapter() -> None:
    offenders = {
        str(path.relative_to(BOT.parent)): hits
        for path in sorted(BOT.rglob("*.py"))
        if path.name not in OPERATOR_MODULES and (hits := english_literals(path))
    }
    assert offenders == {}


def test_the_check_catches_a_sentence(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'import logging\nlog = logging.getLogger("x")\n'
        'def f():\n    """A docstring is fine."""\n    log.info("logging is fine too")\n'
        '    f(text="Done")\n'
        '    return "That question has already been answered."\n',
        encoding="utf-8",
    )
    assert english_literals(sample) == [(6, "Done"), (7, "That question has already been answered.")]
