"""The local Slack: the Web API stand-in driven by a real ``slack_sdk.WebClient``, and the signed
client driven into a real ``slack_bolt.App`` over HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from localslack import SignedSlackClient, SlackWebApiStandIn
from localslack.webapi import validate_blocks, validate_view

TEAM_A, TEAM_B = "T0AAA", "T0BBB"
TOKEN_A, TOKEN_B = "xoxb-test-T0AAA", "xoxb-test-T0BBB"
GENERAL, QUIET, B_ONLY, SECRET_CHANNEL = "C0GENERAL", "C0QUIET", "C0BONLY", "G0SECRET"
ALEX, SAM = "U0ALEX", "U0SAM"
SIGNING_SECRET = "shh-its-a-secret"
# A bound on waits for what the stand-in or a thread does: generous, as only a failure waits it out (a
# loaded 2-core machine can take seconds to schedule a thread).
WAIT = 60.0


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(title: str = "Feedback", **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [section()], **extra}


@pytest.fixture
def standin() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn() as slack:
        slack.add_team(TEAM_A, "Anytown Council")
        slack.add_team(TEAM_B, "Othershire Council", bot_user_id="UBOTB")
        for team in (TEAM_A, TEAM_B):
            slack.add_user(team, ALEX, "alex", real_name="Alex Smith", is_admin=True)
            slack.add_user(team, SAM, "sam", tz="America/New_York")
        slack.add_channel(TEAM_A, GENERAL, "general", members=[ALEX])
        slack.add_channel(TEAM_A, QUIET, "quiet", members=[ALEX], bot_is_member=False)
        slack.add_channel(
            TEAM_A, SECRET_CHANNEL, "secret", members=[ALEX], bot_is_member=False, is_private=True
        )
        slack.add_channel(TEAM_B, B_ONLY, "othershire", members=[SAM])
        yield slack


@pytest.fixture
def client(standin: SlackWebApiStandIn) -> WebClient:
    return WebClient(base_url=standin.base_url, token=TOKEN_A, timeout=WAIT)


def error_of(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# ------------------------------------------------------------------------------------ Web API


def test_base_url_has_its_trailing_slash_and_auth_test_names_the_bot(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    assert standin.base_url == f"http://127.0.0.1:{standin.port}/api/"
    reply = client.auth_test()
    assert (reply["team_id"], reply["user_id"], reply["bot_id"]) == (TEAM_A, "UBOT", "B0AAA")
    assert reply["url"] == "https://anytown-council.slack.com/"
    other = WebClient(base_url=standin.base_url, token=TOKEN_B).auth_test()
    assert (other["team_id"], other["user_id"]) == (TEAM_B, "UBOTB")


def test_unknown_or_missing_token_and_unknown_method(standin: SlackWebApiStandIn) -> None:
    assert error_of(WebClient(base_url=standin.base_url, token="xoxb-nope").auth_test).response["error"] == (
        "invalid_auth"
    )
    assert error_of(WebClient(base_url=standin.base_url).auth_test).response["error"] == "not_authed"
    reply = error_of(WebClient(base_url=standin.base_url, token=TOKEN_A).api_call, "chat.frobnicate")
    assert reply.response["error"] == "unknown_method"
    assert [(c.method, c.team_id, c.error) for c in standin.calls] == [
        ("auth.test", None, "invalid_auth"),
        ("auth.test", None, "not_authed"),
        ("chat.frobnicate", TEAM_A, "unknown_method"),
    ]


def test_post_update_delete_and_permalink(standin: SlackWebApiStandIn, client: WebClient) -> None:
    first = client.chat_postMessage(channel=GENERAL, text="Why 1?", blocks=[section("*Why 1?*")])
    reply = client.chat_postMessage(channel=GENERAL, text="answer", thread_ts=first["ts"])
    assert first["channel"] == GENERAL and float(reply["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == [section("*Why 1?*")]
    stored = standin.messages(channel=GENERAL)
    assert [(m.text, m.thread_ts, m.user, m.bot_id) for m in stored] == [
        ("Why 1?", None, "UBOT", "B0AAA"),
        ("answer", first["ts"], "UBOT", "B0AAA"),
    ]
    assert standin.messages(thread_ts=first["ts"]) == stored

    client.chat_update(channel=GENERAL, ts=first["ts"], text="Why 1 (answered)", blocks=[])
    assert (stored[0].text, stored[0].blocks, stored[0].edited) == ("Why 1 (answered)", [], True)
    link = client.chat_getPermalink(channel=GENERAL, message_ts=reply["ts"])["permalink"]
    assert link == (
        f"https://anytown-council.slack.com/archives/{GENERAL}/p{reply['ts'].replace('.', '')}"
        f"?thread_ts={first['ts']}&cid={GENERAL}"
    )
    client.chat_delete(channel=GENERAL, ts=reply["ts"])
    assert [m.ts for m in standin.messages(channel=GENERAL)] == [first["ts"]]
    assert error_of(client.chat_update, channel=GENERAL, ts=reply["ts"], text="x").response["error"] == (
        "message_not_found"
    )


def test_slack_limits_are_enforced(client: WebClient) -> None:
    client.chat_postMessage(channel=GENERAL, text="fifty", blocks=[section() for _ in range(50)])
    too_many = error_of(
        client.chat_postMessage, channel=GENERAL, text="x", blocks=[section() for _ in range(51)]
    )
    assert too_many.response["error"] == "invalid_blocks"
    assert too_many.response["errors"] == ["must be less than 51 items [json-pointer:/blocks]"]
    cases = {
        "section text": [section("x" * 3001)],
        "header": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "fields": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "block_id": [section(block_id="b" * 256)],
        "action_id": [
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": "a" * 256, "text": {"type": "plain_text", "text": "Go"}}
                ],
            }
        ],
        "type": [{"type": "sektion", "text": {"type": "mrkdwn", "text": "typo"}}],
    }
    for name, blocks in cases.items():
        error = error_of(client.chat_postMessage, channel=GENERAL, text="x", blocks=blocks)
        assert error.response["error"] == "invalid_blocks", name
    assert (
        error_of(client.chat_postMessage, channel=GENERAL, text="x" * 40_001).response["error"]
        == "msg_too_long"
    )
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too; Slack refuses
        assert error_of(client.chat_postMessage, channel=GENERAL, text="").response["error"] == "no_text"
    assert error_of(client.chat_postMessage, channel=QUIET, text="hi").response["error"] == "not_in_channel"
    assert (
        error_of(client.chat_postMessage, channel="C0NOPE", text="hi").response["error"]
        == "channel_not_found"
    )


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=0, max_value=120), length=st.integers(min_value=1, max_value=3100))
def test_block_limits_accept_exactly_what_slack_accepts(count: int, length: int) -> None:
    errors = validate_blocks([section("x" * length, block_id=f"b{i}") for i in range(count)], limit=50)
    assert (errors == []) == (count <= 50 and (length <= 3000 or count == 0))


def test_modal_limits() -> None:
    assert validate_view(modal("x" * 24), expected_type="modal") == []
    assert validate_view(modal("x" * 25), expected_type="modal") == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view(modal(private_metadata="m" * 3001), expected_type="modal") == [
        "must be less than 3001 characters [json-pointer:/view/private_metadata]"
    ]
    hundred_and_one = {"type": "home", "blocks": [section() for _ in range(101)]}
    assert validate_view(hundred_and_one, expected_type="home") == [
        "must be less than 101 items [json-pointer:/view/blocks]"
    ]
    assert (
        validate_view({**hundred_and_one, "blocks": hundred_and_one["blocks"][:100]}, expected_type="home")
        == []
    )


def test_posting_to_a_user_id_opens_their_dm(standin: SlackWebApiStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=ALEX, text="Your check-in is due")
    dm = posted["channel"]
    assert dm.startswith("D")
    assert client.conversations_open(users=ALEX)["channel"]["id"] == dm
    assert standin.dm_channel(TEAM_A, ALEX) == dm
    assert [(m.channel, m.text) for m in standin.messages(team_id=TEAM_A)] == [(dm, "Your check-in is due")]
    info = client.conversations_info(channel=dm)["channel"]
    assert (info["is_im"], info["user"]) == (True, ALEX)


def test_ephemeral_messages_and_reactions(standin: SlackWebApiStandIn, client: WebClient) -> None:
    client.chat_postEphemeral(channel=GENERAL, user=ALEX, text="only you can see this")
    assert error_of(client.chat_postEphemeral, channel=GENERAL, user=SAM, text="x").response["error"] == (
        "user_not_in_channel"
    )
    (ephemeral,) = standin.messages(channel=GENERAL)
    assert (ephemeral.ephemeral_user, ephemeral.text) == (ALEX, "only you can see this")
    human = standin.post_as_user(TEAM_A, GENERAL, ALEX, "Fish & chips <3")
    assert human.text == "Fish &amp; chips &lt;3" and float(human.ts) > float(ephemeral.ts)
    client.reactions_add(channel=GENERAL, timestamp=human.ts, name="white_check_mark")
    assert human.reactions == ["white_check_mark"]
    assert (
        error_of(client.reactions_add, channel=GENERAL, timestamp=human.ts, name="white_check_mark").response[
            "error"
        ]
        == "already_reacted"
    )
    assert error_of(client.chat_update, channel=GENERAL, ts=human.ts, text="mine now").response["error"] == (
        "cant_update_message"
    )


def test_conversations_users_and_team(standin: SlackWebApiStandIn, client: WebClient) -> None:
    parent = standin.post_as_user(TEAM_A, GENERAL, ALEX, "problem")
    reply = client.chat_postMessage(channel=GENERAL, thread_ts=parent.ts, text="Why 1?")
    thread = client.conversations_replies(channel=GENERAL, ts=parent.ts)["messages"]
    assert [(m["ts"], m.get("reply_count")) for m in thread] == [(parent.ts, 1), (reply["ts"], None)]
    assert client.conversations_members(channel=GENERAL)["members"] == [ALEX, "UBOT"]
    assert client.conversations_info(channel=GENERAL)["channel"]["is_member"] is True
    assert (
        error_of(client.conversations_replies, channel=QUIET, ts=parent.ts).response["error"]
        == "not_in_channel"
    )
    client.conversations_join(channel=QUIET)
    client.chat_postMessage(channel=QUIET, text="now I can")

    sam = client.users_info(user=SAM)["user"]
    assert (sam["tz"], sam["is_admin"], sam["profile"]["display_name"]) == ("America/New_York", False, "sam")
    assert sam["tz_offset"] in (-5 * 3600, -4 * 3600) and sam["tz_label"] in ("EST", "EDT")
    alex = client.users_info(user=ALEX)["user"]
    assert (alex["real_name"], alex["is_admin"], alex["tz"]) == ("Alex Smith", True, "Europe/London")
    assert error_of(client.users_info, user="U0GHOST").response["error"] == "user_not_found"
    assert client.team_info()["team"] == {
        "id": TEAM_A,
        "name": "Anytown Council",
        "domain": "anytown-council",
        "email_domain": "",
        "icon": {},
    }


def test_a_workspace_cannot_see_another_workspaces_channels(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    assert error_of(client.conversations_info, channel=B_ONLY).response["error"] == "channel_not_found"
    assert (
        error_of(client.chat_postMessage, channel=B_ONLY, text="hi").response["error"] == "channel_not_found"
    )
    assert (
        error_of(client.conversations_info, channel=SECRET_CHANNEL).response["error"] == "channel_not_found"
    )
    WebClient(base_url=standin.base_url, token=TOKEN_B).chat_postMessage(channel=B_ONLY, text="hello B")
    assert [m.team_id for m in standin.messages()] == [TEAM_B]


def test_views_open_push_update_and_home(standin: SlackWebApiStandIn, client: WebClient) -> None:
    opened = client.views_open(
        trigger_id="1.2.abc", view=modal(callback_id="feedback", private_metadata="s=1")
    )
    view_id = opened["view"]["id"]
    assert opened["view"]["callback_id"] == "feedback"
    assert (
        error_of(client.views_open, trigger_id="1.2.abc", view=modal()).response["error"]
        == "exchanged_trigger_id"
    )
    bad = error_of(client.views_open, trigger_id="1.2.def", view=modal("A title far too long for Slack"))
    assert bad.response["error"] == "invalid_arguments"
    assert bad.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    client.views_push(trigger_id="1.2.ghi", view=modal("Step 2"))
    client.views_update(view_id=view_id, view=modal("Thanks"), hash=opened["view"]["hash"])
    assert error_of(client.views_update, view_id=view_id, view=modal(), hash="stale").response["error"] == (
        "hash_conflict"
    )
    assert [(v.opened_by, v.view["title"]["text"], v.updates) for v in standin.views] == [
        ("views.open", "Thanks", 1),
        ("views.push", "Step 2", 0),
    ]
    assert standin.views[0].private_metadata == ""  # the update replaced the whole view, as in Slack

    client.views_publish(user_id=ALEX, view={"type": "home", "blocks": [section("first")]})
    client.views_publish(user_id=ALEX, view={"type": "home", "blocks": [section("open interventions")]})
    home = standin.home_view(TEAM_A, ALEX)
    assert home is not None and home.blocks == [section("open interventions")]
    assert standin.home_view(TEAM_A, SAM) is None and standin.home_view(TEAM_B, ALEX) is None


def test_file_upload_v2_stores_the_bytes_and_shares_them(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    anchor = client.chat_postMessage(channel=GENERAL, text="session")
    content = b"key,value\nproblem,Forms reject postcodes\n"
    reply = client.files_upload_v2(
        channel=GENERAL,
        content=content,
        filename="export.csv",
        title="Session export",
        thread_ts=anchor["ts"],
        initial_comment="Here is the export",
    )
    (uploaded,) = standin.files
    assert reply["file"]["id"] == uploaded.id
    assert (uploaded.filename, uploaded.title, uploaded.content) == ("export.csv", "Session export", content)
    assert (uploaded.channel_id, uploaded.thread_ts) == (GENERAL, anchor["ts"])
    shared = standin.messages(channel=GENERAL)[-1]
    assert (shared.files, shared.thread_ts, shared.text) == (
        [uploaded.id],
        anchor["ts"],
        "Here is the export",
    )


def test_rate_limit_retry_handler_honours_retry_after(standin: SlackWebApiStandIn) -> None:
    client = WebClient(base_url=standin.base_url, token=TOKEN_A)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    client.chat_postMessage(channel=GENERAL, text="after the wait")
    assert time.monotonic() - started >= 1.0
    assert [(c.status, c.error) for c in standin.calls_to("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]
    assert [m.text for m in standin.messages()] == ["after the wait"]


def test_injected_server_errors_and_ok_false(standin: SlackWebApiStandIn, client: WebClient) -> None:
    standin.fail_next("chat.postMessage", status=503, times=2)
    standin.fail_next("users.info", error="user_not_visible")
    for _ in range(2):
        assert error_of(client.chat_postMessage, channel=GENERAL, text="x").response.status_code == 503
    client.chat_postMessage(channel=GENERAL, text="third time lucky")
    error = error_of(client.users_info, user=ALEX)
    assert (error.response.status_code, error.response["error"]) == (200, "user_not_visible")
    assert client.users_info(user=ALEX)["user"]["id"] == ALEX
    with pytest.raises(ValueError, match="429 or 5xx"):
        standin.fail_next("chat.postMessage", status=404)


def test_fail_every_nth_call_counts_retries_and_ends_with_reset(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    standin.fail_every("chat.postMessage", 3, status=429, retry_after=2)
    standin.fail_every("users.info", 2, error="user_not_found")
    outcomes = []
    for number in range(1, 8):
        try:
            client.chat_postMessage(channel=GENERAL, text=str(number))
            outcomes.append(200)
        except SlackApiError as error:
            assert error.response.headers["Retry-After"] == "2"
            outcomes.append(error.response.status_code)
    assert outcomes == [200, 200, 429, 200, 200, 429, 200]
    assert [m.text for m in standin.messages()] == ["1", "2", "4", "5", "7"]
    assert client.users_info(user=ALEX)["ok"]
    assert error_of(client.users_info, user=ALEX).response["error"] == "user_not_found"
    # A one-off failure is not counted towards the period.
    standin.fail_next("chat.postMessage", status=503)
    assert error_of(client.chat_postMessage, channel=GENERAL, text="x").response.status_code == 503
    client.chat_postMessage(channel=GENERAL, text="8")
    assert error_of(client.chat_postMessage, channel=GENERAL, text="9").response.status_code == 429
    standin.reset()
    for number in range(3):
        client.chat_postMessage(channel=GENERAL, text=f"after reset {number}")
    assert all(c.status == 200 for c in standin.calls_to("chat.postMessage"))
    with pytest.raises(ValueError, match="at least 2"):
        standin.fail_every("chat.postMessage", 1)
    with pytest.raises(ValueError, match="429 or 5xx"):
        standin.fail_every("chat.postMessage", 3, status=404)


def test_rate_limit_is_a_token_bucket_per_channel(standin: SlackWebApiStandIn, client: WebClient) -> None:
    standin.add_channel(TEAM_A, "C0SECOND", "second")
    standin.set_rate_limit("chat.postMessage", per_second=0.5, burst=2)
    client.chat_postMessage(channel=GENERAL, text="1")
    client.chat_postMessage(channel=GENERAL, text="2")
    limited = error_of(client.chat_postMessage, channel=GENERAL, text="3")
    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "2"  # a whole token at 0.5/s: 2 s
    client.chat_postMessage(channel="C0SECOND", text="another channel has its own bucket")
    assert [m.text for m in standin.messages()] == ["1", "2", "another channel has its own bucket"]


def test_oauth_v2_access_installs_the_workspace(standin: SlackWebApiStandIn) -> None:
    standin.set_oauth_grant("code-123", "T0NEW", "xoxb-new", "UNEWBOT", team_name="Newtown Council")
    anonymous = WebClient(base_url=standin.base_url)
    granted = anonymous.oauth_v2_access(client_id="111.222", client_secret="s3cret", code="code-123")
    assert (granted["access_token"], granted["bot_user_id"], granted["team"]) == (
        "xoxb-new",
        "UNEWBOT",
        {"id": "T0NEW", "name": "Newtown Council"},
    )
    assert granted["token_type"] == "bot" and "chat:write" in granted["scope"].split(",")
    assert "client_secret" not in standin.calls[-1].params
    assert WebClient(base_url=standin.base_url, token="xoxb-new").auth_test()["team_id"] == "T0NEW"
    again = error_of(anonymous.oauth_v2_access, client_id="111.222", client_secret="s3cret", code="code-123")
    assert again.response["error"] == "invalid_code"


def test_reset_forgets_activity_but_keeps_the_workspaces(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    client.chat_postMessage(channel=GENERAL, text="before")
    standin.reset()
    assert standin.calls == [] and standin.messages() == []
    client.chat_postMessage(channel=GENERAL, text="after")
    assert [m.text for m in standin.messages()] == ["after"]


CHECKIN_METADATA = {"event_type": "playbook_checkin", "event_payload": {"checkin_id": 7}}


def test_message_metadata_is_kept_and_read_back_only_when_asked(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel=ALEX, text="Check-in", metadata=CHECKIN_METADATA)
    dm = posted["channel"]
    assert posted["message"]["metadata"] == CHECKIN_METADATA
    (stored,) = standin.messages(channel=dm)
    assert stored.metadata == CHECKIN_METADATA
    reply = client.chat_postMessage(
        channel=dm,
        thread_ts=posted["ts"],
        text="in the thread",
        metadata={"event_type": "playbook_reply", "event_payload": {"n": 1}},
    )
    plain = client.conversations_history(channel=dm)["messages"]
    assert [m["ts"] for m in plain] == [posted["ts"]] and "metadata" not in plain[0]
    [top] = client.conversations_history(channel=dm, include_all_metadata=True)["messages"]
    assert (top["metadata"], top["reply_count"]) == (CHECKIN_METADATA, 1)
    thread = client.conversations_replies(channel=dm, ts=posted["ts"], include_all_metadata=True)
    assert [m.get("metadata", {}).get("event_type") for m in thread["messages"]] == [
        "playbook_checkin",
        "playbook_reply",
    ]
    assert "metadata" not in client.conversations_replies(channel=dm, ts=reply["ts"])["messages"][0]
    client.chat_update(
        channel=dm, ts=posted["ts"], text="answered", metadata={"event_type": "x", "event_payload": {}}
    )
    assert stored.metadata == {"event_type": "x", "event_payload": {}}
    for bad, code in (
        ("not json", "invalid_metadata_format"),
        ([1, 2], "invalid_metadata_format"),
        ({"event_type": "x"}, "invalid_metadata_schema"),
        ({"event_type": "", "event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "x", "event_payload": {"big": "y" * 9000}}, "metadata_too_large"),
    ):
        error = error_of(client.chat_postMessage, channel=GENERAL, text="x", metadata=bad)
        assert error.response["error"] == code, bad


def test_conversations_history_is_newest_first_top_level_only_and_pages(
    standin: SlackWebApiStandIn, client: WebClient
) -> None:
    stamps = [client.chat_postMessage(channel=GENERAL, text=f"m{n}")["ts"] for n in range(5)]
    client.chat_postMessage(channel=GENERAL, thread_ts=stamps[0], text="a reply")
    client.chat_postEphemeral(channel=GENERAL, user=ALEX, text="only Alex")
    history = client.conversations_history(channel=GENERAL)
    assert [m["text"] for m in history["messages"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert history["has_more"] is False
    window = client.conversations_history(channel=GENERAL, oldest=stamps[1], latest=stamps[4])
    assert [m["text"] for m in window["messages"]] == ["m3", "m2"]
    inclusive = client.conversations_history(
        channel=GENERAL, oldest=stamps[1], latest=stamps[4], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m4", "m3", "m2", "m1"]
    first = client.conversations_history(channel=GENERAL, limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_history(channel=GENERAL, limit=10, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1", "m0"] and rest["has_more"] is False
    assert error_of(client.conversations_history, channel=QUIET).response["error"] == "not_in_channel"
    assert client.conversations_history(channel=standin.dm_channel(TEAM_A, ALEX))["messages"] == []


def _call_in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    """Run ``call`` in a thread; the list gets what it returned or raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # the outcome under test
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_call_stalled_before_slack_accepts_it_is_never_processed(standin: SlackWebApiStandIn) -> None:
    bare = WebClient(base_url=standin.base_url, token=TOKEN_A, timeout=WAIT, retry_handlers=[])
    stall = standin.stall_next("chat.postMessage", "before")
    thread, outcome = _call_in_thread(lambda: bare.chat_postMessage(channel=GENERAL, text="held"))
    assert stall.wait(WAIT) and stall.is_set()
    # Held before Slack did anything: nothing is stored, and other calls go on meanwhile.
    assert standin.messages(channel=GENERAL) == []
    bare.chat_postMessage(channel=GENERAL, text="meanwhile")
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["meanwhile"]
    standin.release_stalls()
    thread.join(WAIT)
    # Dropped unprocessed: the caller sees a transport error and Slack never had the message.
    assert isinstance(outcome[0], OSError)
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["meanwhile"]
    assert [c.params.get("text") for c in standin.calls_to("chat.postMessage")] == ["meanwhile"]
    assert stall.call is not None and stall.call.dropped


def test_a_call_stalled_after_slack_accepted_it_loses_its_answer(standin: SlackWebApiStandIn) -> None:
    # No retry handlers: slack_sdk's default one would post again after the dropped answer.
    bare = WebClient(base_url=standin.base_url, token=TOKEN_A, timeout=WAIT, retry_handlers=[])
    matching = standin.stall_next(
        "chat.postMessage", "after", match=lambda params: params.get("text") == "the one"
    )
    bare.chat_postMessage(channel=GENERAL, text="not this one")
    thread, outcome = _call_in_thread(lambda: bare.chat_postMessage(channel=GENERAL, text="the one"))
    assert matching.wait(WAIT)
    # Slack has accepted and stored it; the caller is still waiting for the answer.
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["not this one", "the one"]
    assert thread.is_alive() and outcome == []
    assert matching.call is not None and matching.call.dropped
    assert matching.reply is not None and matching.reply["ok"] is True
    assert matching.reply["message"]["text"] == "the one"
    matching.release()
    thread.join(WAIT)
    assert isinstance(outcome[0], OSError)  # the connection closed without an answer
    assert [c.dropped for c in standin.calls_to("chat.postMessage")] == [False, True]


def test_a_stall_can_pick_the_calls_made_with_one_token(standin: SlackWebApiStandIn) -> None:
    standin.add_token(TEAM_A, "xoxb-second-process")
    first = WebClient(base_url=standin.base_url, token=TOKEN_A, timeout=WAIT, retry_handlers=[])
    second = WebClient(
        base_url=standin.base_url, token="xoxb-second-process", timeout=WAIT, retry_handlers=[]
    )
    assert second.auth_test()["team_id"] == TEAM_A
    stall = standin.stall_next("chat.postMessage", "after", token="xoxb-second-process")
    first.chat_postMessage(channel=GENERAL, text="from the first")
    assert not stall.is_set()
    thread, outcome = _call_in_thread(lambda: second.chat_postMessage(channel=GENERAL, text="second"))
    assert stall.wait(WAIT)
    stall.release()
    thread.join(WAIT)
    assert isinstance(outcome[0], OSError)
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["from the first", "second"]


def test_down_refuses_connections_and_up_serves_the_same_workspace_again(
    standin: SlackWebApiStandIn,
) -> None:
    bare = WebClient(base_url=standin.base_url, token=TOKEN_A, timeout=WAIT, retry_handlers=[])
    bare.chat_postMessage(channel=GENERAL, text="before")
    base_url = standin.base_url
    standin.down()
    assert standin.is_down
    with pytest.raises(OSError):
        bare.chat_postMessage(channel=GENERAL, text="while down")
    assert standin.up() == base_url and not standin.is_down
    bare.chat_postMessage(channel=GENERAL, text="after")
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["before", "after"]


def test_concurrent_posts_get_unique_increasing_ts(standin: SlackWebApiStandIn) -> None:
    def post(worker: int) -> None:
        client = WebClient(base_url=standin.base_url, token=TOKEN_A)
        for n in range(15):
            client.chat_postMessage(channel=GENERAL, text=f"{worker}-{n}")

    threads = [threading.Thread(target=post, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m.ts for m in standin.messages(channel=GENERAL)]
    assert len(stamps) == 90 and len(set(stamps)) == 90
    assert stamps == sorted(stamps, key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_response_url_posts_land_as_messages(standin: SlackWebApiStandIn) -> None:
    url = f"{standin.response_url_base}{TEAM_A}/{GENERAL}/{ALEX}/abc123"
    body = json.dumps({"text": "Saved", "response_type": "ephemeral"}).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=WAIT) as response:  # noqa: S310 - loopback stand-in
        assert response.status == 200
    (message,) = standin.messages(channel=GENERAL)
    assert (message.text, message.ephemeral_user) == ("Saved", ALEX)


# ------------------------------------------------------------------------- signed requests into Bolt


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class BoltUnderTest:
    """A tiny real Bolt app over HTTP that records what its listeners received. Its Web API client
    points at the stand-in: Bolt calls auth.test on the first request, which must not reach Slack."""

    def __init__(self, slack: SlackWebApiStandIn) -> None:
        self.received: list[tuple[str, Any]] = []
        app = App(
            signing_secret=SIGNING_SECRET,
            token_verification_enabled=False,
            client=WebClient(base_url=slack.base_url, token=TOKEN_A),
            process_before_response=True,
        )

        @app.command("/playbook")
        def command(ack: Any, command: dict[str, Any], client: WebClient) -> None:
            self.received.append(("command", command))
            client.chat_postMessage(channel=command["channel_id"], text=f"Starting: {command['text']}")
            ack(f"got {command['text']}")

        @app.action("answer_yes")
        def action(ack: Any, body: dict[str, Any]) -> None:
            ack()
            self.received.append(("action", body))

        @app.view("feedback")
        def view(ack: Any, view: dict[str, Any]) -> None:
            self.received.append(("view", view))
            ack(response_action="errors", errors={"why": "Tell us why"})

        @app.event("message")
        def message(event: dict[str, Any], request: Any) -> None:
            self.received.append(("message", (event, request.headers)))

        @app.event("app_mention")
        def mention(event: dict[str, Any]) -> None:
            self.received.append(("app_mention", event))

        @app.event("app_home_opened")
        def home(event: dict[str, Any], client: WebClient) -> None:
            self.received.append(("app_home_opened", event))
            client.views_publish(
                user_id=event["user"], view={"type": "home", "blocks": [section("Your sessions")]}
            )

        self.server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bolt(standin: SlackWebApiStandIn) -> Iterator[BoltUnderTest]:
    app = BoltUnderTest(standin)
    yield app
    app.close()


@pytest.fixture
def signed(bolt: BoltUnderTest) -> SignedSlackClient:
    return SignedSlackClient(bolt.url, SIGNING_SECRET)


def test_a_signed_slash_command_reaches_the_listener(
    bolt: BoltUnderTest, signed: SignedSlackClient, standin: SlackWebApiStandIn
) -> None:
    response = signed.slash_command(
        team_id=TEAM_A, user_id=ALEX, channel_id=GENERAL, text="start five-whys A & B"
    )
    assert response.status == 200
    assert response.body == "got start five-whys A &amp; B"  # Slack delivers typed text entity-encoded
    ((kind, command),) = bolt.received
    assert kind == "command"
    assert (command["team_id"], command["user_id"], command["channel_id"], command["command"]) == (
        TEAM_A,
        ALEX,
        GENERAL,
        "/playbook",
    )
    assert command["trigger_id"] and command["response_url"].startswith("http://127.0.0.1:")
    assert [m.text for m in standin.messages(channel=GENERAL)] == ["Starting: start five-whys A &amp; B"]


def test_bad_or_stale_signatures_get_401(bolt: BoltUnderTest, signed: SignedSlackClient) -> None:
    body = b"command=%2Fplaybook&text=help&team_id=T0AAA&user_id=U0ALEX&channel_id=C0GENERAL"
    assert signed.raw(body, "application/x-www-form-urlencoded").status == 200
    assert signed.raw(body, "application/x-www-form-urlencoded", signature="v0=deadbeef").status == 401
    assert (
        signed.raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600).status == 401
    )
    wrong_secret = SignedSlackClient(bolt.url, "not-the-secret")
    assert (
        wrong_secret.slash_command(team_id=TEAM_A, user_id=ALEX, channel_id=GENERAL, text="x").status == 401
    )
    assert len(bolt.received) == 1


def test_block_action_and_view_submission_reach_their_listeners(
    bolt: BoltUnderTest, signed: SignedSlackClient
) -> None:
    response = signed.block_action(
        team_id=TEAM_A,
        user_id=ALEX,
        action_id="answer_yes",
        value="yes:3",
        block_id="confirm",
        channel_id=GENERAL,
        message_ts="1700000000.000200",
        thread_ts="1700000000.000100",
    )
    assert response.status == 200
    response = signed.view_submission(
        team_id=TEAM_A,
        user_id=ALEX,
        callback_id="feedback",
        private_metadata='{"session": 7}',
        state_values={"why": {"why_input": {"type": "plain_text_input", "value": "Because"}}},
    )
    assert response.status == 200
    assert response.json() == {"response_action": "errors", "errors": {"why": "Tell us why"}}
    (_, action), (_, view) = bolt.received
    assert (
        action["type"] == "block_actions" and action["user"]["id"] == ALEX and action["team"]["id"] == TEAM_A
    )
    assert action["actions"][0]["action_id"] == "answer_yes" and action["actions"][0]["value"] == "yes:3"
    assert action["actions"][0]["block_id"] == "confirm" and action["actions"][0]["type"] == "button"
    assert action["container"] == {
        "type": "message",
        "channel_id": GENERAL,
        "is_ephemeral": False,
        "message_ts": "1700000000.000200",
        "thread_ts": "1700000000.000100",
    }
    assert (action["message"]["ts"], action["message"]["thread_ts"]) == (
        "1700000000.000200",
        "1700000000.000100",
    )
    assert action["channel"]["id"] == GENERAL and action["trigger_id"]
    assert view["callback_id"] == "feedback" and view["private_metadata"] == '{"session": 7}'
    assert view["state"]["values"]["why"]["why_input"]["value"] == "Because"


def test_events_arrive_with_their_retry_headers(bolt: BoltUnderTest, signed: SignedSlackClient) -> None:
    first = signed.message(team_id=TEAM_A, user_id=SAM, channel_id=GENERAL, text="x < y", event_id="Ev0ONE")
    again = signed.message(
        team_id=TEAM_A,
        user_id=SAM,
        channel_id=GENERAL,
        text="x < y",
        event_id="Ev0ONE",
        ts="1700000000.000300",
        retry_num=2,
        retry_reason="http_timeout",
    )
    assert (first.status, again.status) == (200, 200)
    (_, (event, headers)), (_, (retried, retry_headers)) = bolt.received
    assert (event["text"], event["user"], event["channel"]) == ("x &lt; y", SAM, GENERAL)
    assert "x-slack-retry-num" not in headers
    assert retried["ts"] == "1700000000.000300" and float(event["ts"]) > 1_600_000_000
    assert retry_headers["x-slack-retry-num"] == ["2"] and retry_headers["x-slack-retry-reason"] == [
        "http_timeout"
    ]


def test_mentions_and_app_home(
    bolt: BoltUnderTest, signed: SignedSlackClient, standin: SlackWebApiStandIn
) -> None:
    assert signed.app_mention(team_id=TEAM_A, user_id=ALEX, channel_id=GENERAL, text="help me").status == 200
    assert signed.app_home_opened(team_id=TEAM_A, user_id=ALEX).status == 200
    (_, mention), (_, opened) = bolt.received
    assert (mention["text"], mention["user"], mention["channel"]) == ("<@UBOT> help me", ALEX, GENERAL)
    assert (opened["user"], opened["tab"]) == (ALEX, "home")
    home = standin.home_view(TEAM_A, ALEX)
    assert home is not None and home.blocks == [section("Your sessions")]


def test_url_verification_echoes_the_challenge(bolt: BoltUnderTest, signed: SignedSlackClient) -> None:
    response = signed.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
