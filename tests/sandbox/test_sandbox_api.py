"""The sandbox's JSON API without a browser: a five-whys session from the slash command to the summary
in #leads, through the real app; what each person sees; the page server's guards; and modals (opened,
refused with errors, submitted) through a small Bolt app of the test's own."""

from __future__ import annotations

import html
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import select

from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from sandbox import Sandbox, SandboxRequestError, SandboxWorkspace
from sandbox.workspace import LEADS_CHANNEL, TEAM_CHANNEL, populate, state_values
from storage.models import AnswerVersion, Session, SessionStatus
from tests.sandbox.conftest import PROBLEM, ROOT_CAUSE, WHYS, FiveWhysDriver

FRAN, ALEX, SAM = "U0FRAN", "U0ALEX", "U0SAM"
JsonDict = dict[str, Any]


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET (or POST ``data``) on the sandbox's loopback URL: status, headers and body, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def call(sandbox: Sandbox, path: str, body: JsonDict | None = None, **headers: str) -> tuple[int, JsonDict]:
    data = None if body is None else json.dumps(body).encode()
    status, _headers, answer = fetch(
        sandbox.url + path, data, {"Content-Type": "application/json", **headers}
    )
    return status, json.loads(answer)


def ok(sandbox: Sandbox, path: str, body: JsonDict | None = None) -> JsonDict:
    status, answer = call(sandbox, path, body)
    assert status == 200 and answer["ok"], answer
    return answer


def readable(message: JsonDict) -> str:
    """The words a person reads in a message (block text, fields, context, buttons), entities decoded."""
    parts: list[str] = []
    for block in message["blocks"]:
        for obj in [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(obj, dict):
                inner = obj.get("text")
                parts.append(str(inner.get("text") if isinstance(inner, dict) else inner or ""))
    return html.unescape("\n".join(parts) if parts else message["text"])


def buttons(message: JsonDict) -> dict[str, JsonDict]:
    found: dict[str, JsonDict] = {}
    for block in message["blocks"]:
        for element in block.get("elements") or [] if block["type"] == "actions" else []:
            if element.get("type") == "button":
                found[element["text"]["text"]] = {
                    "block_id": block["block_id"],
                    "action_id": element["action_id"],
                }
    return found


def leads_summary(state: JsonDict) -> str | None:
    for message in state["conversations"][LEADS_CHANNEL]:
        text = readable(message)
        if message["bot"] and "summary" in text.lower():
            return text
    return None


def test_a_whole_five_whys_session_through_the_json_api(sandbox: Sandbox) -> None:
    workspace = ok(sandbox, "/api/workspace")
    assert workspace["database"] == sandbox.database and workspace["database"].endswith("sandbox.db")
    assert [u["name"] for u in workspace["users"]] == ["Fran", "Alex", "Sam"]

    started = ok(
        sandbox,
        "/api/command",
        {"user": FRAN, "channel": TEAM_CHANNEL, "text": f"/playbook start five-whys {PROBLEM}"},
    )
    assert "Started" in started["reply"]
    fran = ok(sandbox, f"/api/state?user={FRAN}")
    team = fran["conversations"][TEAM_CHANNEL]
    anchor = next(m for m in team if m["bot"] and not m["thread_ts"] and not m["ephemeral"])
    assert "Five whys" in anchor["text"] and "<@U0FRAN>" in anchor["text"]
    # The command's answer is ephemeral: Fran sees it, Alex does not.
    assert any(m["ephemeral"] and "Started" in m["text"] for m in team)
    alex = ok(sandbox, f"/api/state?user={ALEX}")
    assert not any(m["ephemeral"] for m in alex["conversations"][TEAM_CHANNEL])

    driver = FiveWhysDriver()
    authors = {1: ALEX, 2: SAM}
    summary = None
    while summary is None:
        state = ok(sandbox, f"/api/state?user={FRAN}")
        summary = leads_summary(state)
        if summary is not None:
            break
        thread = [m for m in state["conversations"][TEAM_CHANNEL] if m["thread_ts"] == anchor["ts"]]
        prompt = next(m for m in reversed(thread) if m["bot"] and not m["ephemeral"])
        move = driver.next_move(readable(prompt), list(buttons(prompt)))
        if move.kind == "click":
            action = buttons(prompt)[move.text]
            body = {"user": FRAN, "channel": TEAM_CHANNEL, "message_ts": prompt["ts"], "action": action}
            ok(sandbox, "/api/action", body)
        else:
            user = (
                authors.get(driver.whys, FRAN) if "why does that happen" in readable(prompt).lower() else FRAN
            )
            body = {"user": user, "channel": TEAM_CHANNEL, "text": move.text, "thread_ts": anchor["ts"]}
            ok(sandbox, "/api/message", body)

    assert PROBLEM in summary
    assert ROOT_CAUSE in summary
    final = ok(sandbox, f"/api/state?user={SAM}")["conversations"][TEAM_CHANNEL]
    replies = {m["text"]: m["author"] for m in final if m["thread_ts"] == anchor["ts"] and not m["bot"]}
    assert replies[WHYS[0]] == "Alex" and replies[WHYS[1]] == "Sam"
    assert replies[WHYS[2].replace("&", "&amp;")] == "Fran"  # stored as Slack stores typed text
    assert sandbox.deps is not None
    with sandbox.deps.session_factory() as orm:
        session = orm.scalars(select(Session)).one()
        assert session.status == SessionStatus.COMPLETED
        stored = {row.key: row for row in orm.scalars(select(AnswerVersion))}
        assert stored["whys.1.answer"].value == WHYS[0] and stored["whys.1.answer"].author_id == ALEX
        assert stored["whys.3.answer"].value == ROOT_CAUSE


def test_messages_use_slacks_wire_format_and_go_only_where_they_belong(sandbox: Sandbox) -> None:
    ok(sandbox, "/api/message", {"user": ALEX, "channel": TEAM_CHANNEL, "text": "@Sam see #leads & <this>"})
    team = ok(sandbox, f"/api/state?user={SAM}")["conversations"][TEAM_CHANNEL]
    assert team[-1]["text"] == "<@U0SAM> see <#C0LEADS|leads> &amp; &lt;this&gt;"
    assert team[-1]["author"] == "Alex" and not team[-1]["bot"]

    # A DM belongs to its person: Alex cannot post in Fran's, and does not see it.
    fran_dm = next(c["id"] for c in ok(sandbox, "/api/workspace")["conversations"][FRAN] if c["kind"] == "dm")
    status, refused = call(sandbox, "/api/message", {"user": ALEX, "channel": fran_dm, "text": "hello"})
    assert status == 400 and refused["error"] == "That conversation is not open to you."
    assert fran_dm not in ok(sandbox, f"/api/state?user={ALEX}")["conversations"]

    # In the DM, /playbook help answers privately, and a session runs without a thread.
    ok(
        sandbox,
        "/api/command",
        {"user": FRAN, "channel": fran_dm, "text": "/playbook start five-whys Bins missed"},
    )
    dm = ok(sandbox, f"/api/state?user={FRAN}")["conversations"][fran_dm]
    assert any("Why 1" in readable(m) for m in dm if m["bot"] and not m["thread_ts"])

    status, refused = call(
        sandbox, "/api/command", {"user": FRAN, "channel": TEAM_CHANNEL, "text": "/invite @Sam"}
    )
    assert status == 400 and "Only the /playbook command" in refused["error"]
    status, refused = call(sandbox, "/api/message", {"user": FRAN, "channel": TEAM_CHANNEL, "text": "   "})
    assert status == 400 and refused["error"] == "Type a message first."
    status, refused = call(
        sandbox, "/api/message", {"user": "U0NOBODY", "channel": TEAM_CHANNEL, "text": "hi"}
    )
    assert status == 400 and "sample people" in refused["error"]


def test_state_version_changes_only_when_something_changes(sandbox: Sandbox) -> None:
    first = ok(sandbox, f"/api/state?user={FRAN}")
    assert ok(sandbox, f"/api/state?user={FRAN}")["version"] == first["version"]
    ok(sandbox, "/api/message", {"user": SAM, "channel": LEADS_CHANNEL, "text": "Morning all"})
    assert ok(sandbox, f"/api/state?user={FRAN}")["version"] != first["version"]


def test_app_home_is_opened_with_app_home_opened(sandbox: Sandbox) -> None:
    ok(sandbox, "/api/home", {"user": SAM})
    opened = [c for c in sandbox.slack.calls_to("views.publish") if c.params.get("user_id") == SAM]
    home = ok(sandbox, f"/api/state?user={SAM}")["home"]
    # Whatever the app publishes (if anything) is what the page shows, for Sam only.
    assert (home is not None) == bool(opened)
    assert ok(sandbox, f"/api/state?user={ALEX}")["home"] is None


def test_the_page_and_its_guards(sandbox: Sandbox) -> None:
    status, headers, page = fetch(sandbox.url + "/")
    assert status == 200
    assert b"Local sandbox" in page and b"nothing leaves this machine" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, headers, _script = fetch(sandbox.url + "/static/blockkit.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    status, _headers, _body = fetch(sandbox.url + "/static/../server.py")
    assert status == 404
    # A cross-site form cannot post JSON, and a rebinding DNS name is not our host.
    status, _headers, _body = fetch(
        sandbox.url + "/api/message", b"user=U0FRAN", {"Content-Type": "text/plain"}
    )
    assert status == 415
    status, answer = call(sandbox, "/api/workspace", Host="evil.example:80")
    assert status == 403 and not answer["ok"]


# --- modals, through a small Bolt app of the test's own -----------------------------------------------

SECRET = "modal-test-secret"
TOKEN = "xoxb-modal-test"
OPEN_MODAL_MESSAGE = [
    {
        "type": "actions",
        "block_id": "open",
        "elements": [
            {"type": "button", "action_id": "open_modal", "text": {"type": "plain_text", "text": "Add"}}
        ],
    }
]
MODAL = {
    "type": "modal",
    "callback_id": "add_thing",
    "title": {"type": "plain_text", "text": "Add an intervention"},
    "submit": {"type": "plain_text", "text": "Add"},
    "private_metadata": "session-7",
    "blocks": [
        {
            "type": "input",
            "block_id": "what",
            "label": {"type": "plain_text", "text": "What will you do?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "input",
            "block_id": "owner",
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "user"},
        },
        {
            "type": "input",
            "block_id": "when",
            "label": {"type": "plain_text", "text": "First check-in"},
            "element": {"type": "datepicker", "action_id": "date"},
        },
        {
            "type": "input",
            "block_id": "cadence",
            "optional": True,
            "label": {"type": "plain_text", "text": "Cadence"},
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": [
                    {"text": {"type": "plain_text", "text": "Weekly"}, "value": "weekly"},
                    {"text": {"type": "plain_text", "text": "Monthly"}, "value": "monthly"},
                ],
            },
        },
    ],
}


@pytest.fixture
def modal_workspace() -> Iterator[tuple[SandboxWorkspace, list[JsonDict]]]:
    submissions: list[JsonDict] = []
    slack = SlackWebApiStandIn()
    slack.start()
    populate(slack, TOKEN)
    app = App(
        client=WebClient(token=TOKEN, base_url=slack.base_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.action("open_modal")
    def open_modal(ack: Ack, body: JsonDict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("add_thing")
    def submitted(ack: Ack, view: JsonDict, body: JsonDict) -> None:
        values = view["state"]["values"]
        submissions.append(
            {"user": body["user"]["id"], "metadata": view["private_metadata"], "values": values}
        )
        if not values["what"]["text"]["value"]:
            ack(response_action="errors", errors={"what": "Say what the team will do."})
            return
        ack()

    handler = SlackRequestHandler(app)
    server = make_server("127.0.0.1", 0, lambda environ, start: handler(environ, start))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    client = SignedSlackClient(
        f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, bot_user_id="U0PLAYBOOK"
    )
    yield SandboxWorkspace(slack, client), submissions
    server.shutdown()
    server.server_close()
    slack.stop()


def test_modals_open_for_the_person_who_clicked_and_submit_their_state(
    modal_workspace: tuple[SandboxWorkspace, list[JsonDict]],
) -> None:
    workspace, submissions = modal_workspace
    message = workspace.slack.post_as_user("T0SANDBOX", TEAM_CHANNEL, FRAN, "Add something")
    message.blocks = OPEN_MODAL_MESSAGE
    workspace.act(
        SAM,
        {
            "channel": TEAM_CHANNEL,
            "message_ts": message.ts,
            "action": {"block_id": "open", "action_id": "open_modal"},
        },
    )
    modal = workspace.state(SAM)["modal"]
    assert modal["title"]["text"] == "Add an intervention"
    assert workspace.state(FRAN)["modal"] is None  # only the person who clicked sees it

    empty = workspace.submit_view(SAM, modal["id"], {"what": {"text": ""}})
    assert empty == {"errors": {"what": "Say what the team will do."}}
    assert workspace.state(SAM)["modal"]["id"] == modal["id"]  # stays open to be corrected

    given = {
        "what": {"text": "Ask the supplier"},
        "owner": {"user": ALEX},
        "when": {"date": "2026-03-03"},
        "cadence": {"choice": "monthly"},
    }
    assert workspace.submit_view(SAM, modal["id"], given) == {}
    assert workspace.state(SAM)["modal"] is None
    last = submissions[-1]
    assert last["user"] == SAM and last["metadata"] == "session-7"
    assert last["values"] == {
        "what": {"text": {"type": "plain_text_input", "value": "Ask the supplier"}},
        "owner": {"user": {"type": "users_select", "selected_user": ALEX}},
        "when": {"date": {"type": "datepicker", "selected_date": "2026-03-03"}},
        "cadence": {
            "choice": {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Monthly"}, "value": "monthly"},
            }
        },
    }


def test_state_values_refuse_what_the_modal_does_not_offer() -> None:
    blocks = MODAL["blocks"]
    assert isinstance(blocks, list)
    assert state_values(blocks, {})["cadence"] == {
        "choice": {"type": "static_select", "selected_option": None}
    }
    with pytest.raises(SandboxRequestError, match="no longer offered"):
        state_values(blocks, {"cadence": {"choice": "daily"}})
    with pytest.raises(SandboxRequestError, match="Dates look like"):
        state_values(blocks, {"when": {"date": "next Tuesday"}})
    with pytest.raises(SandboxRequestError, match="sample people"):
        state_values(blocks, {"owner": {"user": "U0MALLORY"}})


def _anchor_ts(sandbox: Sandbox, problem: str) -> str:
    team = ok(sandbox, f"/api/state?user={FRAN}")["conversations"][TEAM_CHANNEL]
    return next(m["ts"] for m in team if m["bot"] and not m["thread_ts"] and problem in readable(m))


def test_like_slack_no_slash_command_runs_in_a_thread(sandbox: Sandbox) -> None:
    ok(
        sandbox,
        "/api/command",
        {"user": FRAN, "channel": TEAM_CHANNEL, "text": "/playbook start five-whys Bins"},
    )
    thread = _anchor_ts(sandbox, "Bins")
    commands_before = len(sandbox.slack.calls)
    status, refused = call(
        sandbox,
        "/api/command",
        {"user": FRAN, "channel": TEAM_CHANNEL, "text": "/playbook status", "thread_ts": thread},
    )
    assert status == 400 and refused["error"] == "/playbook is not supported in threads. Sorry!"
    # Nothing reached the app, and nothing was shown in the thread.
    assert len(sandbox.slack.calls) == commands_before
    team = ok(sandbox, f"/api/state?user={FRAN}")["conversations"][TEAM_CHANNEL]
    assert not any(m["ephemeral"] and m["thread_ts"] == thread for m in team)


def test_an_exports_files_download_from_the_page_for_people_who_can_see_them(sandbox: Sandbox) -> None:
    ok(
        sandbox,
        "/api/command",
        {"user": FRAN, "channel": TEAM_CHANNEL, "text": "/playbook start five-whys Bins"},
    )
    ok(sandbox, "/api/command", {"user": FRAN, "channel": TEAM_CHANNEL, "text": "/playbook export 1"})
    thread = _anchor_ts(sandbox, "Bins")
    team = ok(sandbox, f"/api/state?user={ALEX}")["conversations"][TEAM_CHANNEL]
    files = [f for m in team if m["thread_ts"] == thread for f in m["files"]]
    assert files and all(f["id"] and f["name"] and f["size"] > 0 for f in files)
    markdown = next(f for f in files if f["name"].endswith(".md"))
    status, headers, body = fetch(f"{sandbox.url}/api/file?user={ALEX}&id={markdown['id']}")
    assert status == 200 and b"Bins" in body
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["Content-Type"] == "application/octet-stream"
    # A file is visible where it was shared: not to someone outside that conversation, not by guessing.
    fran_dm = next(c["id"] for c in ok(sandbox, "/api/workspace")["conversations"][FRAN] if c["kind"] == "dm")
    ok(sandbox, "/api/command", {"user": FRAN, "channel": fran_dm, "text": "/playbook my-data"})
    [mine] = [f for m in ok(sandbox, f"/api/state?user={FRAN}")["conversations"][fran_dm] for f in m["files"]]
    assert fetch(f"{sandbox.url}/api/file?user={FRAN}&id={mine['id']}")[0] == 200
    assert fetch(f"{sandbox.url}/api/file?user={ALEX}&id={mine['id']}")[0] == 404
    assert fetch(f"{sandbox.url}/api/file?user={ALEX}&id=FNOPE")[0] == 404


def test_the_shortcuts_open_the_start_form_and_it_starts_the_session(sandbox: Sandbox) -> None:
    shortcuts = ok(sandbox, "/api/workspace")["shortcuts"]
    assert {(s["type"], s["name"]) for s in shortcuts} == {
        ("global", "Start a playbook session"),
        ("message", "Analyse this message"),
    }
    by_type = {s["type"]: s["callback_id"] for s in shortcuts}
    ok(sandbox, "/api/shortcut", {"user": FRAN, "callback_id": by_type["global"]})
    modal = ok(sandbox, f"/api/state?user={FRAN}")["modal"]
    assert modal is not None and modal["title"]["text"] == "Start a session"
    picker = next(b for b in modal["blocks"] if b["element"]["type"] == "conversations_select")
    template = next(b for b in modal["blocks"] if b["element"]["type"] == "static_select")
    problem = next(b for b in modal["blocks"] if b["element"]["type"] == "plain_text_input")
    values = {
        template["block_id"]: {template["element"]["action_id"]: "pain-points"},
        problem["block_id"]: {problem["element"]["action_id"]: "Parking permits take weeks"},
        picker["block_id"]: {picker["element"]["action_id"]: TEAM_CHANNEL},
    }
    ok(sandbox, "/api/view/submit", {"user": FRAN, "view_id": modal["id"], "values": values})
    assert ok(sandbox, f"/api/state?user={FRAN}")["modal"] is None
    assert "Pain points" in readable(
        next(
            m
            for m in ok(sandbox, f"/api/state?user={FRAN}")["conversations"][TEAM_CHANNEL]
            if "Parking permits" in readable(m)
        )
    )

    # "Analyse this message" on Alex's message: the form comes filled with it.
    posted = ok(
        sandbox,
        "/api/message",
        {"user": ALEX, "channel": TEAM_CHANNEL, "text": "Residents can't find the form"},
    )
    ok(
        sandbox,
        "/api/shortcut",
        {
            "user": FRAN,
            "callback_id": by_type["message"],
            "channel": TEAM_CHANNEL,
            "message_ts": posted["ts"],
        },
    )
    modal = ok(sandbox, f"/api/state?user={FRAN}")["modal"]
    problem = next(b for b in modal["blocks"] if b.get("element", {}).get("type") == "plain_text_input")
    assert problem["element"]["initial_value"] == "Residents can't find the form"
    status, refused = call(sandbox, "/api/shortcut", {"user": FRAN, "callback_id": "nope"})
    assert status == 400 and refused["error"] == "The app has no such shortcut."
