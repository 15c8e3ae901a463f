"""Every message key the code asks for exists in `_messages.yaml` (in English), so no user ever sees
a KeyError instead of a sentence; and every template loads."""

from __future__ import annotations

import re
from pathlib import Path

from flows.i18n import message_keys
from flows.schema import load_templates

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def test_every_message_key_used_in_code_exists() -> None:
    used: dict[str, str] = {}
    for package in ("bot", "flows", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            for key in CALL.findall(path.read_text(encoding="utf-8")):
                used.setdefault(key, str(path.relative_to(ROOT)))
    missing = {key: where for key, where in used.items() if key not in message_keys()}
    assert used, "found no message lookups at all: the pattern is wrong"
    assert missing == {}


def test_every_template_loads_with_english_text() -> None:
    templates = load_templates()
    assert {"five-whys", "problem-levels", "pain-points", "cause-problem-impact", "cost-impacts"} <= set(
        templates
    )
    for template in templates.values():
        assert template.title.get("en") and template.intro.get("en") and template.completion.get("en")
