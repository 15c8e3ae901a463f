"""Learning from overrides: a facilitator's decided classification becomes a labelled example that
later proposals in the same workspace follow and count, and no other workspace's."""

from __future__ import annotations

from bot.app import build_deps, create_app
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient
from tests.bot.conftest import (
    ALEX,
    CHANNEL,
    FACILITATOR,
    OTHER_TEAM,
    SAM,
    SIGNING_SECRET,
    Harness,
    make_settings,
    rendered,
    serve,
)
from tests.bot.test_classification_e2e import (
    classification_versions,
    proposal_message,
    reach_classification,
    show_details,
)
from tests.bot.test_five_whys_e2e import say, start


def test_an_override_is_learned_and_counted_by_later_proposals(harness: Harness) -> None:
    h = harness
    first = reach_classification(h)
    before = rendered(proposal_message(h, first))
    assert "*product* scope, in the *procurement-market* category" in before
    assert "Learned from" not in before
    say(h, first, "scope council-wide category funding-investment")

    second = reach_classification(h, "Residents can't pay council tax online any more")
    after = rendered(proposal_message(h, second))
    assert "Learned from 1 of your team's decisions" in after
    assert "*council-wide* scope, in the *funding-investment* category" in after
    assert "confirmed in this workspace: council-wide, funding-investment" in show_details(h, second)
    # Confirming accepts what was shown: the learned proposal, not the one without the example.
    say(h, second, "confirm")
    latest = classification_versions(h)[-1]
    assert (latest.value["scope"], latest.value["category"], latest.value["status"]) == (
        "council-wide",
        "funding-investment",
        "confirmed",
    )


def test_another_workspace_does_not_learn_from_this_one(harness: Harness, database_url: str) -> None:
    h = harness
    first = reach_classification(h)
    say(h, first, "scope council-wide category funding-investment")
    settings = make_settings(h.slack, database_url, team=OTHER_TEAM)
    server, url = serve(make_wsgi_app(create_app(settings, build_deps(settings, h.clock))))
    try:
        other = Harness(h.slack, SignedSlackClient(url, SIGNING_SECRET), h.deps, h.clock, url)
        thread = start(other, "start five-whys Residents can't pay council tax online", team=OTHER_TEAM)
        for text, user in (
            ("The payment form times out", ALEX),
            ("The supplier's product caps sessions at two minutes", SAM),
            ("Our contract doesn't let us change the supplier's settings", FACILITATOR),
            ("yes", FACILITATOR),
            ("yes", FACILITATOR),
            ("no", FACILITATOR),
        ):
            say(other, thread, text, user=user, team=OTHER_TEAM)
    finally:
        server.shutdown()
        server.server_close()
    proposal = next(
        rendered(m)
        for m in reversed(h.slack.messages(channel=CHANNEL, team_id=OTHER_TEAM))
        if "Where does the root cause lie?" in rendered(m)
    )
    assert "Learned from" not in proposal
    assert "*product* scope, in the *procurement-market* category" in proposal
