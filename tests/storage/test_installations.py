"""Installation tables whose token columns encrypt (on SQLite and PostgreSQL): what the database
holds is ciphertext, what the copy reads back is the token, and other columns are untouched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table, insert, select

from storage.db import ensure_schema, make_engine
from storage.installations import TOKEN_COLUMNS, encrypting_copies


class ReversingCipher:
    """A stand-in cipher whose output is easy to recognise."""

    def encrypt(self, plain: str) -> str:
        return "enc:" + plain[::-1]

    def decrypt(self, stored: str) -> str:
        assert stored.startswith("enc:"), "a stored token was not encrypted"
        return stored[4:][::-1]


def test_token_columns_are_encrypted_at_rest_and_read_back(database_url: str) -> None:
    engine = make_engine(database_url)
    ensure_schema(database_url, engine)
    try:
        plain_tables = MetaData()
        bots = Table("slack_bots", plain_tables, autoload_with=engine)
        _metadata, [encrypting] = encrypting_copies([bots], ReversingCipher())
        assert {c.name for c in encrypting.columns} == {c.name for c in bots.columns}
        assert {c.name for c in encrypting.columns if c.name in TOKEN_COLUMNS} == {
            "bot_token",
            "bot_refresh_token",
        }
        row = {
            "client_id": "111.222",
            "app_id": "A1",
            "team_id": "T0ANYTOWN",
            "bot_token": "xoxb-secret",
            "bot_refresh_token": None,
            "bot_id": "B1",
            "bot_user_id": "UBOT",
            "is_enterprise_install": False,
            "installed_at": datetime(2026, 11, 25, 10, 0),
        }
        with engine.begin() as connection:
            connection.execute(insert(encrypting).values(**row))
        with engine.connect() as connection:
            stored = connection.execute(
                select(bots.c.bot_token, bots.c.bot_refresh_token, bots.c.team_id)
            ).one()
            read = connection.execute(select(encrypting.c.bot_token, encrypting.c.team_id)).one()
        assert tuple(stored) == ("enc:terces-bxox", None, "T0ANYTOWN")
        assert tuple(read) == ("xoxb-secret", "T0ANYTOWN")
    finally:
        engine.dispose()
