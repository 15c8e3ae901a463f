"""Hostile and broken input through the real WSGI app: every entry point answers a 4xx or a
quiet 200, never a 500, never a crash, and nothing is written when nothing valid was sent (every row of
every table is compared before and after each example).

Examples per entry point (per database): slash command text 60, slash command fields 40, event
payloads 60, DM and check-in replies 40, block actions 60, view submissions 40, raw bodies (malformed
JSON, wrong content types, huge) 40.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from bot.ids import (
    ActionId,
    CheckInActionId,
    CheckInCallbackId,
    EditActionId,
    EditCallbackId,
    PrivacyActionId,
)
from bot.views.classification import ClassificationActionId
from bot.web import MAX_BODY_BYTES
from localslack.requests import FORM, JSON
from storage.db import make_engine
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, OTHER_TEAM, TEAM, Harness


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


OK = {200, 400, 401, 404, 413}

# Subcommands that may legitimately write for a well-formed request; fuzzed text starting with one of
# them is only held to "no 500".
WRITING = {"start", "resume", "forget-me", "my-data", "leads", "export", "intervene", "nation", "retention"}

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=50)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(
    st.sampled_from([TEAM, OTHER_TEAM, "", "T0UNKNOWN", CHANNEL, FACILITATOR]), st.text(max_size=20)
)
user_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="<>&@!#*_~`|:", max_size=40),
    st.sampled_from(["<!channel>", "<@U0FAC>", "&amp;lt;", "\x00", "keep", "done", "back", "skip"]),
)
action_ids = st.sampled_from(
    [
        f"{ActionId.ANSWER}:0",
        ActionId.RESUME,
        f"{CheckInActionId.RESPOND}:0",
        CheckInActionId.ADD_INTERVENTION,
        ClassificationActionId.SCOPE,
        ClassificationActionId.CATEGORY,
        EditActionId.OPEN,
        PrivacyActionId.FORGET_ME,
        "unknown.action",
    ]
)
callback_ids = st.sampled_from(
    [CheckInCallbackId.REASON, CheckInCallbackId.ADD_INTERVENTION, EditCallbackId.MODAL, "unknown.view"]
)
crafted_values = st.one_of(
    st.text(max_size=100),
    json_values.map(json.dumps),
    st.builds(
        lambda s, k, r: json.dumps({"s": s, "k": k, "r": r}),
        st.one_of(st.integers(-5, 10**12), st.text(max_size=5), st.none()),
        st.one_of(st.text(max_size=20), st.sampled_from(["problem", "whys.1.answer"])),
        json_values,
    ),
    st.builds(lambda c, r: json.dumps({"c": c, "r": r}), json_scalars, json_scalars),
)


class Database:
    """Every row of every table, to show that a request wrote nothing."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.meta = MetaData()
        self.meta.reflect(self.engine)

    def rows(self) -> dict[str, list[str]]:
        with self.engine.connect() as connection:
            return {
                name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for name, table in self.meta.tables.items()
                if name != "processed_events"  # a delivery id may be recorded for any event
            }


@pytest.fixture
def seeded(harness: Harness, database_url: str) -> tuple[Harness, Database]:
    """A session in progress (so valid-looking ids exist) and a snapshot helper."""
    reply = harness.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Bins are missed"
    )
    assert reply.status == 200
    db = Database(database_url)
    yield harness, db
    db.engine.dispose()


def _check(status: int, body: str) -> None:
    assert status in OK, (status, body[:300])


@fuzz(60)
@given(
    text=user_text,
    prefix=st.sampled_from(["", "help ", "list ", "status ", "start ", "forget-me ", "resume "]),
)
def test_slash_command_text(seeded: tuple[Harness, Database], text: str, prefix: str) -> None:
    h, db = seeded
    before = db.rows()
    reply = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text=prefix + text)
    _check(reply.status, reply.body)
    assert reply.status == 200  # a slash command always gets its ephemeral answer
    first = (prefix + text).strip().split(" ")[0].lower() if (prefix + text).strip() else ""
    if first not in WRITING:
        assert db.rows() == before


@fuzz(40)
@given(
    fields=st.dictionaries(
        st.sampled_from(["team_id", "user_id", "channel_id", "command", "text", "trigger_id"]),
        st.text(max_size=30),
        max_size=6,
    )
)
def test_slash_command_with_missing_or_odd_fields(
    seeded: tuple[Harness, Database], fields: dict[str, str]
) -> None:
    h, db = seeded
    before = db.rows()
    body = urlencode({"command": "/playbook", **fields}).encode()
    reply = h.client.raw(body, FORM)
    _check(reply.status, reply.body)
    if not (fields.get("text") or "").strip().lower().startswith(tuple(WRITING)):
        assert db.rows() == before


@fuzz(60)
@given(
    kind=st.sampled_from(
        ["message", "app_mention", "app_home_opened", "reaction_added", "app_uninstalled", "x"]
    ),
    fields=st.dictionaries(
        st.sampled_from(
            ["user", "text", "channel", "thread_ts", "ts", "subtype", "bot_id", "channel_type", "team"]
        ),
        json_values,
        max_size=9,
    ),
    team=ids,
)
def test_event_payloads(
    seeded: tuple[Harness, Database], kind: str, fields: dict[str, Any], team: str
) -> None:
    h, db = seeded
    before = db.rows()
    reply = h.client.event(team_id=team, event={"type": kind, **fields})
    _check(reply.status, reply.body)
    assert db.rows() == before


@fuzz(40)
@given(text=user_text, user=st.sampled_from([ALEX, "U0NOBODY"]))
def test_dm_and_checkin_replies(seeded: tuple[Harness, Database], text: str, user: str) -> None:
    """Replies in the app's DM from people with no DM session and no check-in due."""
    h, db = seeded
    before = db.rows()
    reply = h.client.message(
        team_id=TEAM, user_id=user, channel_id=f"D{user[1:]}", text=text, channel_type="im"
    )
    _check(reply.status, reply.body)
    assert db.rows() == before


@fuzz(60)
@given(
    action_id=action_ids, value=crafted_values, team=ids, channel=st.one_of(st.none(), ids), extra=json_values
)
def test_block_actions(
    seeded: tuple[Harness, Database], action_id: str, value: str, team: str, channel: str | None, extra: Any
) -> None:
    h, db = seeded
    before = db.rows()
    reply = h.client.block_action(
        team_id=team or "T0X",
        user_id="U0NOBODY",
        action_id=action_id,
        value=value,
        channel_id=channel or None,
    )
    _check(reply.status, reply.body)
    assert db.rows() == before
    # The same action with a wrong-typed payload field.
    payload = {
        "type": "block_actions",
        "team": extra,
        "user": {"id": "U0NOBODY"},
        "actions": [{"action_id": action_id, "value": extra}],
    }
    raw = h.client.raw(urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    _check(raw.status, raw.body)
    assert db.rows() == before


@fuzz(40)
@given(callback=callback_ids, metadata=crafted_values, state=json_values, team=ids)
def test_view_submissions(
    seeded: tuple[Harness, Database], callback: str, metadata: str, state: Any, team: str
) -> None:
    h, db = seeded
    before = db.rows()
    values = state if isinstance(state, dict) else {"b": {"a": state}}
    reply = h.client.view_submission(
        team_id=team or "T0X",
        user_id="U0NOBODY",
        callback_id=callback,
        state_values=values,
        private_metadata=metadata[:3000],
    )
    _check(reply.status, reply.body)
    assert db.rows() == before


@fuzz(40)
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(str.encode),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: urlencode({"payload": json.dumps(v)}).encode()),
        st.sampled_from([b"{", b"payload=%7B", b"payload=", b"\xff\xfe", b'{"type": "event_callback"}']),
    ),
    content_type=st.sampled_from([JSON, FORM, "text/plain", "application/octet-stream"]),
)
def test_raw_bodies(seeded: tuple[Harness, Database], body: bytes, content_type: str) -> None:
    h, db = seeded
    before = db.rows()
    try:
        body.decode("utf-8")
        signature = None
    except UnicodeDecodeError:
        signature = "v0=" + "0" * 64  # the signer needs text; such a body is refused before that matters
    reply = h.client.raw(body, content_type, signature=signature)
    _check(reply.status, reply.body)
    assert db.rows() == before


def test_huge_bodies_are_refused_before_parsing(seeded: tuple[Harness, Database]) -> None:
    h, db = seeded
    before = db.rows()
    # Announce a body over the limit and send none of it: the answer comes before any of it is read.
    address = urlsplit(h.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    connection.putrequest("POST", address.path)
    connection.putheader("Content-Type", JSON)
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    big = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="help " + "a" * 200_000)
    assert big.status == 200
    assert db.rows() == before
