"""Services: one per job. Each opens the unit of work, applies the flow (``flows/``), stores through
the repositories (``storage/``), commits, and returns what must be shown (:class:`bot.delivery.Shown`).
Listeners only turn Slack requests into calls here; nothing here parses a Slack payload."""
