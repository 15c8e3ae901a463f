"""Slack installations (OAuth, many workspaces) with every token encrypted at rest.

slack_sdk's SQLAlchemy installation store brings its own ``Table`` definitions. :func:`encrypting_copies`
copies them with its token columns typed :class:`EncryptedToken`, so every path through the
store (saving an installation, the token rotator's re-save, every lookup) encrypts on the way in and
decrypts on the way out: nothing can write a plain token by taking a route nobody wrapped. The tables
themselves are created by migration 0005.

The cipher is given by the caller (anything with ``encrypt`` and ``decrypt``): the key is the
operator's setting, not storage's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The columns of slack_sdk's installation and bot tables that hold tokens.
TOKEN_COLUMNS = frozenset({"bot_token", "bot_refresh_token", "user_token", "user_refresh_token"})
# Fernet ciphertext is about 1.4 times the token plus 80 characters; migration 0005 sizes the columns.
CIPHERTEXT_LENGTH = 1000


class Cipher(Protocol):
    def encrypt(self, plain: str) -> str: ...

    def decrypt(self, stored: str) -> str: ...


class EncryptedToken(TypeDecorator[str]):
    """A token column: ciphertext in the database, the token in Python."""

    impl = String(CIPHERTEXT_LENGTH)
    cache_ok = True

    def __init__(self, cipher: Cipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.decrypt(value)


def encrypting_copy(table: Table, metadata: MetaData, cipher: Cipher) -> Table:
    """A copy of ``table`` in ``metadata`` whose token columns encrypt with ``cipher``."""
    columns: list[Column[object]] = []
    for column in table.columns:
        copy = column._copy()
        if column.name in TOKEN_COLUMNS:
            copy.type = EncryptedToken(cipher)
        columns.append(copy)
    return Table(table.name, metadata, *columns)


def encrypting_copies(tables: Sequence[Table], cipher: Cipher) -> tuple[MetaData, list[Table]]:
    """Copies of ``tables`` (in one new ``MetaData``) whose token columns encrypt with ``cipher``."""
    metadata = MetaData()
    return metadata, [encrypting_copy(table, metadata, cipher) for table in tables]
