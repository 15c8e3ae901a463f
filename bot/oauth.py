"""Installing the app in many workspaces: slack_sdk's SQLAlchemy installation and OAuth state stores on
our database, with every token encrypted at rest, and Bolt's OAuth wiring.

Encryption is done by the tables' column types (``storage/installations.py``), so every path through
slack_sdk's store (``save``, ``save_bot``, ``find_bot``, ``find_installation``, the token rotator's
re-save) encrypts on the way in and decrypts on the way out.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.crypto import TokenCipher, install_log_redaction
from bot.deps import Deps
from bot.services import installations
from bot.settings import Settings
from storage.db import Engine
from storage.installations import encrypting_copies

log = logging.getLogger("playbook.oauth")

# The bot scopes in manifest.yml (tests check the two agree).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
    "app_mentions:read",
    "channels:read",
    "groups:read",
    "users:read",
    "files:write",
)
STATE_EXPIRATION_SECONDS = 600


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store with tokens encrypted at rest."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata, (self.bots, self.installations) = encrypting_copies(
            (self.bots, self.installations), cipher
        )


def engine_of(deps: Deps) -> Engine:
    bind = deps.session_factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise RuntimeError("the session factory is not bound to an engine")
    return bind


def build_oauth(settings: Settings, deps: Deps) -> tuple[OAuthSettings, EncryptedInstallationStore]:
    """The OAuth settings and the installation store (give the store to ``App`` too, so the token
    rotator uses our client and base URL). Raises :class:`bot.crypto.EncryptionKeyError` at start-up if
    ``PLAYBOOK_ENCRYPTION_KEY`` is missing or malformed."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise RuntimeError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    cipher = TokenCipher.from_secret(settings.playbook_encryption_key)
    install_log_redaction()
    engine = engine_of(deps)
    store = EncryptedInstallationStore(settings.slack_client_id, engine, cipher)
    state_store = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, logger=log
    )
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        installation_store=store,
        state_store=state_store,
        logger=log,
    )
    return oauth_settings, store


def _enterprise_id(body: dict[str, Any], context: BoltContext) -> str | None:
    return context.enterprise_id or (body.get("enterprise_id") if isinstance(body, dict) else None)


def register(app: App, store: SQLAlchemyInstallationStore) -> None:
    """``app_uninstalled`` removes every token of the workspace; ``tokens_revoked`` the revoked ones.
    Both are recorded in the audit log."""

    def on_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        if context.team_id:
            installations.uninstalled(context["deps"], store, context.team_id, _enterprise_id(body, context))

    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        tokens: dict[str, Any] = event["tokens"] if isinstance(event.get("tokens"), dict) else {}
        if not context.team_id:
            return
        installations.tokens_revoked(
            context["deps"],
            store,
            context.team_id,
            _enterprise_id(body, context),
            user_ids=[u for u in tokens.get("oauth") or [] if isinstance(u, str)],
            bot=bool(tokens.get("bot")),
        )

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
