"""Two council workspaces installed through the real OAuth flow against the Slack stand-in: the app
knows their tokens only from ``oauth.v2.access`` (the stand-in accepts no other token for them)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

from bot.app import build_deps, create_app
from bot.crypto import generate_key
from bot.deps import Deps
from bot.settings import Settings
from bot.web import make_wsgi_app
from flows.clock import FixedClock
from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from tests.bot.conftest import SIGNING_SECRET, serve

TEAM_A, TEAM_B = "T0ANYTOWN", "T0OTHERSHIRE"
TOKENS = {TEAM_A: "xoxb-1001-2002-AnytownSecretToken", TEAM_B: "xoxb-3003-4004-OthershireSecretToken"}
CHANNEL = "C0TEAM"
FAC, ALEX, SAM = "U0FAC", "U0ALEX", "U0SAM"


@dataclass
class HttpReply:
    status: int
    body: str
    headers: dict[str, str]


def http_get(url: str, headers: dict[str, str] | None = None) -> HttpReply:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            return HttpReply(
                response.status, response.read().decode(), {k.lower(): v for k, v in response.headers.items()}
            )
    except urllib.error.HTTPError as error:
        with error:
            return HttpReply(
                error.code, error.read().decode(), {k.lower(): v for k, v in error.headers.items()}
            )


@dataclass
class OAuthHarness:
    slack: SlackWebApiStandIn
    client: SignedSlackClient
    deps: Deps
    clock: FixedClock
    base: str
    settings: Settings

    def install(self, team_id: str, code: str) -> HttpReply:
        """Visit /slack/install, then come back to /slack/oauth_redirect as Slack sends the browser."""
        self.slack.set_oauth_grant(
            code, team_id, TOKENS[team_id], "UBOT", team_name=f"{team_id} council", authed_user_id=FAC
        )
        page = http_get(f"{self.base}/slack/install")
        assert page.status == 200, page.body
        cookie = SimpleCookie(page.headers["set-cookie"])
        state = cookie["slack-app-oauth-state"].value
        assert f"state={state}" in page.body
        return http_get(
            f"{self.base}/slack/oauth_redirect?{urlencode({'code': code, 'state': state})}",
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        )


def oauth_settings(slack: SlackWebApiStandIn, database_url: str, key: str | None) -> Settings:
    return Settings(
        slack_client_id="1111.2222",
        slack_client_secret=SecretStr("client-secret"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        playbook_encryption_key=SecretStr(key) if key is not None else None,
        slack_api_url=slack.base_url,
        database_url=database_url,
        playbook_outbox_request_budget_seconds=30,  # a busy test machine never leaves a post behind
        _env_file=None,  # type: ignore[call-arg]
    )


def add_people(slack: SlackWebApiStandIn, team_id: str) -> None:
    for user, name in ((FAC, "Fran"), (ALEX, "Alex"), (SAM, "Sam")):
        slack.add_user(team_id, user, name)
    slack.add_channel(team_id, CHANNEL, "team", members=[FAC, ALEX, SAM])


@pytest.fixture
def oauth_harness(migrated_database_url: str) -> Iterator[OAuthHarness]:
    """The app in OAuth mode with nothing installed yet (on the test's database, migrated)."""
    slack = SlackWebApiStandIn()
    slack.start()
    clock = FixedClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    settings = oauth_settings(slack, migrated_database_url, generate_key())
    deps = build_deps(settings, clock)
    server, url = serve(make_wsgi_app(create_app(settings, deps)))
    yield OAuthHarness(
        slack,
        SignedSlackClient(url, SIGNING_SECRET, response_url_base=slack.response_url_base),
        deps,
        clock,
        url.removesuffix("/slack/events"),
        settings,
    )
    server.shutdown()
    server.server_close()
    slack.stop()


@pytest.fixture
def two_councils(oauth_harness: OAuthHarness) -> OAuthHarness:
    """Anytown and Othershire, both installed through the OAuth flow, with the same user and channel
    ids in each (Slack ids are only unique within a workspace as far as the app may assume)."""
    for number, team in enumerate((TEAM_A, TEAM_B)):
        reply = oauth_harness.install(team, f"code-{number}")
        assert reply.status == 200, reply.body
        add_people(oauth_harness.slack, team)
    return oauth_harness
