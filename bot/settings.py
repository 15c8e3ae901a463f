"""Configuration from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    database_url: str = "sqlite:///playbook.db"
    playbook_timezone: str = "Europe/London"
    playbook_leads_channel: str | None = None
    playbook_hourly_rate: Decimal = Decimal(30)
    playbook_weeks_per_year: Decimal = Decimal(52)
    playbook_working_day_hours: Decimal = Decimal("7.4")
    # Threads that run Bolt listeners; sized with the HTTP server's threads (Bolt's default is 5).
    playbook_listener_threads: int = Field(default=16, ge=1, le=256)
    # OAuth (multi-workspace) mode: Fernet key(s) that encrypt Slack tokens at rest (see bot/crypto.py),
    # and the redirect URL registered with Slack when it is not the app's own /slack/oauth_redirect.
    playbook_encryption_key: SecretStr | None = None
    slack_redirect_uri: str | None = None
    # Answers one person may give in a minute before the bot asks them to slow down.
    playbook_answers_per_minute: int = Field(default=30, ge=1, le=10_000)
    # A check-in claimed by a dispatcher that has not marked it sent after this long is taken to belong
    # to a dead process and is sent again (storage.checkins.SENDING_TIMEOUT; keep well above a send's
    # worst case: two Retry-After waits and a 15 s timeout). Tests of killed workers set a few seconds.
    playbook_sending_timeout_seconds: int = Field(default=600, ge=1)
    # The outbox (storage/outbox.py): a message claimed by a sender that has not said what happened
    # after this long is looked for in Slack and, if it is not there, sent again (keep well above a
    # send's worst case: the sender's 10 s timeout). Tests of killed servers set a few seconds.
    playbook_outbox_claim_seconds: int = Field(default=60, ge=1)
    # How long a request may spend sending what it queued before Slack gets its ack (Slack waits 3 s);
    # what is left is sent by the background sender within seconds.
    playbook_outbox_request_budget_seconds: float = Field(default=1.5, gt=0, le=60)
    # Shifts this process's clock (seconds, may be negative): how the tests run a worker whose clock is
    # wrong. Check-ins are timed by the database's clock, so a skewed worker neither sends early nor
    # takes another worker's claims for stale ones.
    playbook_clock_offset_seconds: int = Field(default=0, ge=-86_400, le=86_400)
    port: int = 3000

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        # WebClient joins paths with urljoin: without the slash the last segment would be dropped.
        return url if url.endswith("/") else url + "/"

    @property
    def oauth_enabled(self) -> bool:
        """Multi-workspace mode: tokens come from installations, not from SLACK_BOT_TOKEN."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def has_http_credentials(self) -> bool:
        token = self.slack_bot_token is not None or self.oauth_enabled
        return token and self.slack_signing_secret is not None

    def missing_for_http(self) -> list[str]:
        missing = []
        if self.slack_bot_token is None and not self.oauth_enabled:
            missing.append("SLACK_BOT_TOKEN")
        if self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        return missing
