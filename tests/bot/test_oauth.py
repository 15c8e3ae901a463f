"""Multi-workspace install through OAuth: tokens encrypted at rest, uninstall and revocation,
and two councils that never see each other's sessions."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from bot.app import build_deps, create_app
from bot.crypto import EncryptionKeyError, generate_key, redact_tokens
from bot.ids import ActionId, indexed
from bot.oauth import BOT_SCOPES
from localslack.webapi import SlackWebApiStandIn
from storage.audit import AuditEntry
from storage.db import make_engine
from storage.models import Session
from tests.bot.conftest import make_settings, rendered
from tests.bot.oauth_harness import (
    ALEX,
    CHANNEL,
    FAC,
    SAM,
    TEAM_A,
    TEAM_B,
    TOKENS,
    OAuthHarness,
    http_get,
    oauth_harness,
    oauth_settings,
    two_councils,
)

__all__ = ["oauth_harness", "two_councils"]  # fixtures used by this module's tests

ROOT = Path(__file__).resolve().parents[2]


def start(h: OAuthHarness, team: str, statement: str) -> tuple[int, str]:
    """``/playbook start five-whys <statement>`` in ``team``; the new session's id and thread ts."""
    reply = h.client.slash_command(
        team_id=team, user_id=FAC, channel_id=CHANNEL, text=f"start five-whys {statement}"
    )
    assert reply.status == 200, reply.body
    anchor = [m for m in h.slack.messages(channel=CHANNEL, team_id=team) if m.thread_ts is None][-1]
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(team, CHANNEL, anchor.ts)
        assert session is not None
        return session.id, anchor.ts


def answers_of(h: OAuthHarness, session_id: int) -> list[tuple[str, object, str]]:
    with h.deps.uow() as uow:
        return [(r.key, r.value, r.author_id) for r in uow.answers.history(session_id)]


def raw_token_columns(h: OAuthHarness) -> list[str]:
    engine = make_engine(h.settings.database_url)
    try:
        with engine.connect() as connection:
            values: list[str] = []
            for table in ("slack_bots", "slack_installations"):
                for row in connection.execute(text(f"SELECT bot_token FROM {table}")):  # noqa: S608
                    values.append(row[0])
            return values
    finally:
        engine.dispose()


def test_two_workspaces_install_through_oauth_and_each_runs_its_own_sessions(
    two_councils: OAuthHarness,
) -> None:
    h = two_councils
    exchanges = h.slack.calls_to("oauth.v2.access")
    assert [c.params["code"] for c in exchanges] == ["code-0", "code-1"]
    a_id, a_thread = start(h, TEAM_A, "Bins are missed on Tuesdays")
    b_id, b_thread = start(h, TEAM_B, "Parking permits take weeks")
    assert a_id != b_id
    a_posts = [rendered(m) for m in h.slack.messages(team_id=TEAM_A) if m.thread_ts == a_thread]
    b_posts = [rendered(m) for m in h.slack.messages(team_id=TEAM_B) if m.thread_ts == b_thread]
    assert any("Bins are missed" in p for p in a_posts)
    assert any("Parking permits" in p for p in b_posts)
    assert not any("Parking permits" in p for p in a_posts)
    # Each workspace's posts were made with its own token (the stand-in resolves the team from it).
    assert {c.team_id for c in h.slack.calls_to("chat.postMessage")} == {TEAM_A, TEAM_B}


def test_tokens_are_unreadable_in_the_database(two_councils: OAuthHarness, database_url: str) -> None:
    h = two_councils
    stored = raw_token_columns(h)
    assert len(stored) == 4  # one bot row and one installation row per workspace
    for value in stored:
        assert not value.startswith("xox")
        assert all(token not in value for token in TOKENS.values())
    key = h.settings.playbook_encryption_key
    assert key is not None
    fernet = Fernet(key.get_secret_value().encode())
    assert {fernet.decrypt(v.encode()).decode() for v in stored} == set(TOKENS.values())
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        assert b"SecretToken" not in raw
        assert TEAM_B.encode() in raw  # the file is readable: the token is absent, not hidden


def test_the_installation_store_decrypts_for_bolt(two_councils: OAuthHarness) -> None:
    h = two_councils
    reply = h.client.slash_command(team_id=TEAM_B, user_id=FAC, channel_id=CHANNEL, text="help")
    assert reply.status == 200 and "start" in reply.body


def test_app_uninstalled_removes_only_that_workspaces_tokens(two_councils: OAuthHarness) -> None:
    h = two_councils
    reply = h.client.event(team_id=TEAM_A, event={"type": "app_uninstalled", "event_ts": h.client.new_ts()})
    assert reply.status == 200
    engine = make_engine(h.settings.database_url)
    with engine.connect() as connection:
        teams = {
            table: sorted(r[0] for r in connection.execute(text(f"SELECT team_id FROM {table}")))  # noqa: S608
            for table in ("slack_bots", "slack_installations")
        }
    engine.dispose()
    assert teams == {"slack_bots": [TEAM_B], "slack_installations": [TEAM_B]}
    with h.deps.session_factory() as orm:
        entries = orm.query(AuditEntry).filter_by(workspace_id=TEAM_A).all()
        assert [(e.actor, e.action) for e in entries] == [("slack", "app.uninstalled")]
    # Othershire carries on; Anytown's requests are no longer authorised.
    assert (
        "start" in h.client.slash_command(team_id=TEAM_B, user_id=FAC, channel_id=CHANNEL, text="help").body
    )
    denied = h.client.slash_command(team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="help")
    assert "start five-whys" not in denied.body


def test_tokens_revoked_deletes_the_bot_token(two_councils: OAuthHarness) -> None:
    h = two_councils
    event = {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": ["UBOT"]},
        "event_ts": h.client.new_ts(),
    }
    assert h.client.event(team_id=TEAM_B, event=event).status == 200
    engine = make_engine(h.settings.database_url)
    with engine.connect() as connection:
        bots = sorted(r[0] for r in connection.execute(text("SELECT team_id FROM slack_bots")))
    engine.dispose()
    assert bots == [TEAM_A]
    with h.deps.session_factory() as orm:
        actions = [e.action for e in orm.query(AuditEntry).filter_by(workspace_id=TEAM_B)]
    assert actions == ["tokens.revoked"]


def test_a_missing_or_bad_key_is_a_clear_error_at_start(database_url: str) -> None:
    with SlackWebApiStandIn() as slack:
        settings = oauth_settings(slack, database_url, None)
        deps = build_deps(settings)
        with pytest.raises(EncryptionKeyError, match="PLAYBOOK_ENCRYPTION_KEY must be set"):
            create_app(settings, deps)
        with pytest.raises(EncryptionKeyError, match="not a valid Fernet key"):
            create_app(oauth_settings(slack, database_url, "not-a-key"), deps)


def test_single_workspace_token_mode_has_no_install_pages(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    settings = make_settings(slack, database_url)
    assert not settings.oauth_enabled
    app = create_app(settings, build_deps(settings))
    assert app.oauth_flow is None and app.installation_store is None


def test_install_pages_404_in_token_mode(harness: object) -> None:
    url = harness.url.removesuffix("/slack/events")  # type: ignore[attr-defined]
    assert http_get(f"{url}/slack/install").status == 404


def test_a_forged_redirect_installs_nothing(oauth_harness: OAuthHarness) -> None:
    h = oauth_harness
    h.slack.set_oauth_grant("code-x", TEAM_A, TOKENS[TEAM_A], "UBOT")
    reply = http_get(f"{h.base}/slack/oauth_redirect?code=code-x&state=made-up")
    assert reply.status == 400
    assert raw_token_columns(h) == []
    assert h.slack.calls_to("oauth.v2.access") == []


def test_tokens_never_reach_the_logs(oauth_harness: OAuthHarness, caplog: pytest.LogCaptureFixture) -> None:
    h = oauth_harness
    with caplog.at_level(logging.DEBUG):
        assert h.install(TEAM_A, "code-log").status == 200
        h.slack.add_user(TEAM_A, FAC, "Fran")
        h.slack.add_channel(TEAM_A, CHANNEL, "team", members=[FAC])
        h.client.slash_command(team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="start five-whys Logs")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    # slack_sdk logged the oauth.v2.access response (it carries the token) with the token redacted.
    assert "xox…[redacted]" in logged
    assert TOKENS[TEAM_A] not in logged
    assert "SecretToken" not in logged


def test_redact_tokens() -> None:
    assert (
        redact_tokens("token=xoxb-1-2-abc and xoxe.xoxb-1-xyz") == "token=xox…[redacted] and xox…[redacted]"
    )
    assert redact_tokens("no tokens here") == "no tokens here"


def test_bot_scopes_match_the_manifest() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


def test_key_rotation_reads_old_rows(two_councils: OAuthHarness) -> None:
    """A second key in front of the old one: new writes use it, old rows still decrypt."""
    h = two_councils
    old = h.settings.playbook_encryption_key
    assert old is not None
    rotated = h.settings.model_copy(
        update={"playbook_encryption_key": SecretStr(f"{generate_key()},{old.get_secret_value()}")}
    )
    from bot.oauth import build_oauth

    _, store = build_oauth(rotated, h.deps)
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_A)
    assert bot is not None and bot.bot_token == TOKENS[TEAM_A]


def test_sessions_are_invisible_and_unchangeable_across_workspaces(two_councils: OAuthHarness) -> None:
    """Same user ids, same channel id, same thread ts: Othershire still can't touch Anytown's session."""
    h = two_councils
    a_id, a_thread = start(h, TEAM_A, "Bins are missed on Tuesdays")
    before = answers_of(h, a_id)
    # A typed reply in "the same" thread from the other workspace.
    h.client.message(
        team_id=TEAM_B, user_id=ALEX, channel_id=CHANNEL, text="Because of B", thread_ts=a_thread
    )
    # A crafted answer button carrying Anytown's session id.
    value = json.dumps({"s": a_id, "k": "whys.1.answer", "r": "crafted"})
    h.client.block_action(
        team_id=TEAM_B, user_id=SAM, action_id=indexed(ActionId.ANSWER, 0), value=value, channel_id=CHANNEL
    )
    # Slash commands naming the session.
    for command in (f"resume {a_id}", "status", f"export {a_id}"):
        reply = h.client.slash_command(team_id=TEAM_B, user_id=FAC, channel_id=CHANNEL, text=command)
        assert reply.status == 200
        assert "Bins are missed" not in reply.body
    assert answers_of(h, a_id) == before
    with h.deps.session_factory() as orm:
        session = orm.get(Session, a_id)
        assert session is not None and session.workspace_id == TEAM_A
        assert {p.user_id for p in session.participants} == {FAC}
    assert all("crafted" not in rendered(m) for m in h.slack.messages(team_id=TEAM_A))
