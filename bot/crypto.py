"""Encryption at rest for Slack tokens (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``).

The key comes from ``PLAYBOOK_ENCRYPTION_KEY``: one Fernet key, or several separated by commas to rotate
keys (the first encrypts; any of them decrypts, so old rows stay readable until re-saved). Make one with
``python -c "from bot.crypto import generate_key; print(generate_key())"``.
"""

from __future__ import annotations

import logging
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

ENV_VAR = "PLAYBOOK_ENCRYPTION_KEY"

# Slack token shapes: bot, user, app-level, refresh (rotation) and configuration tokens.
_TOKEN = re.compile(r"\bxox(?:[abpre]|e\.xox[bp])-[A-Za-z0-9-]+")


class EncryptionKeyError(RuntimeError):
    """The encryption key is missing or malformed; raised at start-up, before any token is stored."""


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionKeyError(f"{ENV_VAR} is empty")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except (ValueError, TypeError) as error:
            raise EncryptionKeyError(
                f"{ENV_VAR} is not a valid Fernet key (32 url-safe base64-encoded bytes). "
                'Generate one with: python -c "from bot.crypto import generate_key; print(generate_key())"'
            ) from error

    @classmethod
    def from_secret(cls, secret: SecretStr | None) -> TokenCipher:
        """The cipher for ``PLAYBOOK_ENCRYPTION_KEY``; a clear error if it is not set."""
        if secret is None or not secret.get_secret_value().strip():
            raise EncryptionKeyError(
                f"{ENV_VAR} must be set when the app is installed through OAuth (SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET): Slack tokens are encrypted in the database with it. Generate one "
                'with: python -c "from bot.crypto import generate_key; print(generate_key())"'
            )
        return cls([part for part in secret.get_secret_value().split(",") if part.strip()])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError) as error:
            # Never include the stored value: it may be a plain token written by something else.
            raise EncryptionKeyError(
                f"a stored token could not be decrypted with {ENV_VAR} (wrong or rotated-out key?)"
            ) from error


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def redact_tokens(text: str) -> str:
    """``text`` with anything shaped like a Slack token replaced by ``xox…[redacted]``."""
    return _TOKEN.sub("xox…[redacted]", text)


class TokenRedactingFilter(logging.Filter):
    """Keeps Slack tokens out of logs: slack_sdk logs whole request and response bodies at DEBUG, and
    ``oauth.v2.access`` responses carry the new tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


# The loggers that see Web API request and response bodies (filters on a logger apply only to records
# it creates itself, so each one is named).
_BODY_LOGGERS = (
    "slack_sdk.web.base_client",
    "slack_sdk.web.internal_utils",
    "slack_sdk.oauth",
    "slack_bolt",
    "slack_bolt.App",
    "slack_bolt.oauth.oauth_flow",
)


def install_log_redaction() -> None:
    for name in _BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())
