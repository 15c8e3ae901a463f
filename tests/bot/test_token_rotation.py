"""Token rotation: an installation whose bot token is about to expire is renewed through the
Slack stand-in's ``oauth.v2.access`` (``grant_type=refresh_token``), never slack.com, because the
installation store is given to ``App`` itself; the new tokens are stored encrypted."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.crypto import TokenCipher
from bot.oauth import EncryptedInstallationStore
from localslack.webapi import SlackWebApiStandIn
from storage.db import make_engine
from tests.bot.oauth_harness import (
    CHANNEL,
    FAC,
    TEAM_A,
    OAuthHarness,
    add_people,
    http_get,
    oauth_harness,
)

__all__ = ["oauth_harness"]  # the fixture this module's tests use

FIRST_TOKEN = "xoxe.xoxb-1001-2002-AnytownExpiringToken"
FIRST_REFRESH = "xoxe-1-AnytownFirstRefresh"


def install_expiring(h: OAuthHarness, expires_in: int) -> None:
    """Install Anytown through the OAuth pages with a rotating token that expires in ``expires_in``."""
    h.slack.set_oauth_grant(
        "code-rotating",
        TEAM_A,
        FIRST_TOKEN,
        "UBOT",
        authed_user_id=FAC,
        refresh_token=FIRST_REFRESH,
        expires_in=expires_in,
    )
    page = http_get(f"{h.base}/slack/install")
    state = SimpleCookie(page.headers["set-cookie"])["slack-app-oauth-state"].value
    done = http_get(
        f"{h.base}/slack/oauth_redirect?{urlencode({'code': 'code-rotating', 'state': state})}",
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert done.status == 200, done.body
    add_people(h.slack, TEAM_A)


def stored_bot(h: OAuthHarness) -> tuple[str, str]:
    """The newest ``slack_bots`` row's token columns as the database holds them."""
    engine = make_engine(h.settings.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT bot_token, bot_refresh_token FROM slack_bots "
                    "WHERE team_id = :team ORDER BY id DESC LIMIT 1"
                ),
                {"team": TEAM_A},
            ).one()
            return str(row[0]), str(row[1])
    finally:
        engine.dispose()


def decrypt(h: OAuthHarness, value: str) -> str:
    key = h.settings.playbook_encryption_key
    assert key is not None
    return Fernet(key.get_secret_value().encode()).decrypt(value.encode()).decode()


def refreshes(h: OAuthHarness) -> list[dict[str, object]]:
    return [
        c.params for c in h.slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"
    ]


def test_an_expiring_token_is_refreshed_through_the_stand_in_and_stored_encrypted(
    oauth_harness: OAuthHarness,
) -> None:
    h = oauth_harness
    install_expiring(h, expires_in=600)  # inside Bolt's two-hour rotation window
    token, refresh = stored_bot(h)
    assert (decrypt(h, token), decrypt(h, refresh)) == (FIRST_TOKEN, FIRST_REFRESH)
    assert refreshes(h) == []

    reply = h.client.slash_command(team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="help")
    assert reply.status == 200 and "start" in reply.body

    [call] = refreshes(h)
    assert call["refresh_token"] == FIRST_REFRESH
    token, refresh = stored_bot(h)
    assert not token.startswith("xox") and not refresh.startswith("xox")
    new_token, new_refresh = decrypt(h, token), decrypt(h, refresh)
    assert new_token.startswith("xoxe.xoxb-") and new_token != FIRST_TOKEN
    assert new_refresh.startswith("xoxe-1-") and new_refresh != FIRST_REFRESH
    engine = make_engine(h.settings.database_url)
    key = h.settings.playbook_encryption_key
    store = EncryptedInstallationStore(str(h.settings.slack_client_id), engine, TokenCipher.from_secret(key))
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_A)
    engine.dispose()
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == (new_token, new_refresh)
    assert bot.bot_token_expires_at is not None
    remaining = bot.bot_token_expires_at - time.time()
    assert 43_200 - 120 < remaining <= 43_200 + 5  # Slack's twelve hours from now
    # The renewed token works against the stand-in, for this workspace.
    client = WebClient(token=new_token, base_url=h.slack.base_url)
    assert client.auth_test()["team_id"] == TEAM_A

    # Twelve hours left: the next request uses the stored token without refreshing again.
    reply = h.client.slash_command(team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="help")
    assert reply.status == 200
    assert len(refreshes(h)) == 1


def test_a_token_far_from_expiry_is_not_refreshed(oauth_harness: OAuthHarness) -> None:
    h = oauth_harness
    install_expiring(h, expires_in=43_200)
    reply = h.client.slash_command(team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="help")
    assert reply.status == 200
    assert refreshes(h) == []
    assert decrypt(h, stored_bot(h)[0]) == FIRST_TOKEN


def test_the_stand_in_spends_each_refresh_token_once() -> None:
    slack = SlackWebApiStandIn()
    slack.start()
    try:
        slack.set_oauth_grant("c", TEAM_A, FIRST_TOKEN, "UBOT", refresh_token=FIRST_REFRESH, expires_in=60)
        client = WebClient(base_url=slack.base_url)
        first = client.oauth_v2_access(client_id="1.2", client_secret="s", code="c")
        assert (first["refresh_token"], first["expires_in"]) == (FIRST_REFRESH, 60)
        renewed = client.oauth_v2_access(
            client_id="1.2", client_secret="s", grant_type="refresh_token", refresh_token=FIRST_REFRESH
        )
        assert (renewed["token_type"], renewed["expires_in"]) == ("bot", 43_200)
        assert renewed["team"]["id"] == TEAM_A
        with pytest.raises(SlackApiError) as spent:
            client.oauth_v2_access(
                client_id="1.2", client_secret="s", grant_type="refresh_token", refresh_token=FIRST_REFRESH
            )
        assert spent.value.response["error"] == "invalid_refresh_token"
        again = client.oauth_v2_access(
            client_id="1.2",
            client_secret="s",
            grant_type="refresh_token",
            refresh_token=str(renewed["refresh_token"]),
        )
        assert again["access_token"] not in (FIRST_TOKEN, renewed["access_token"])
    finally:
        slack.stop()
