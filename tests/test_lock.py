"""The install is reproducible: ``requirements.lock`` (made by ``scripts/lock``) pins every package with
its hashes, it satisfies what ``pyproject.toml`` asks for, and the environment the tests run in is
exactly the locked one (``scripts/test`` and CI install from it)."""

from __future__ import annotations

import os
import re
import tomllib
from importlib.metadata import distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")
NOT_LOCKED = {"playbook-bot", "pip"}  # the project itself (editable) and the installer


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def installed() -> dict[str, str]:
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    return {name: version for name, version in found.items() if name not in NOT_LOCKED}


def test_every_locked_package_has_hashes() -> None:
    text = LOCK.read_text()
    starts = [m.start() for m in re.finditer(r"^[A-Za-z0-9]", text, re.MULTILINE)]
    entries = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    assert len(entries) == len(locked()) > 20
    assert all("--hash=sha256:" in entry for entry in entries), [e for e in entries if "--hash" not in e]


def test_the_lock_satisfies_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    pins = locked()
    unmet = []
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name not in pins or not requirement.specifier.contains(pins[name], prereleases=True):
            unmet.append(f"{line} (locked: {pins.get(name, 'missing')})")
        unmet += [f"{name}[{extra}]" for extra in requirement.extras if not _extra_locked(name, extra, pins)]
    assert not unmet, f"run ./scripts/lock: {unmet}"


def _extra_locked(name: str, extra: str, pins: dict[str, str]) -> bool:
    # The extras this project uses add one package each: psycopg[binary], sqlalchemy[asyncio].
    return {"psycopg": {"binary": "psycopg-binary"}, "sqlalchemy": {"asyncio": "greenlet"}}.get(name, {}).get(
        extra, ""
    ) in pins


def test_the_environment_is_the_locked_one() -> None:
    pins, present = locked(), installed()
    wrong = {
        name: (present.get(name), version) for name, version in pins.items() if present.get(name) != version
    }
    assert not wrong, f"installed ≠ locked (installed, locked): {wrong}; install with ./scripts/test"
    if os.environ.get("CI"):  # a fresh clone: nothing but the lock
        extra = sorted(set(present) - set(pins))
        assert not extra, f"installed but not locked: {extra}"
