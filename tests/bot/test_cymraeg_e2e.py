"""Cymraeg through signed requests into the real app: a person chooses Welsh (``/playbook iaith cy``)
and a five-whys and a cost-impacts session run wholly in Welsh (Welsh commands, typed words, numbers
and dates): every message the bot posts or answers with is Welsh, and the figures equal the English
run's. A workspace an admin makes bilingual posts the leads summary with the Welsh first."""

from __future__ import annotations

import io
import json
import re
from string import Formatter

import docx
import pytest
from sqlalchemy import select

from bot.ids import StartBlockId
from flows.commands import COMMAND_NAMES, WELSH_COMMAND_NAMES, WELSH_TEMPLATE_NAMES, split_subcommand
from flows.i18n import catalogue
from flows.schema import load_templates
from flows.translations import SHARED_PHRASES, local_texts
from localslack.webapi import Message
from storage.models import AuditEntry, PersonSetting, Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, rendered
from tests.bot.test_start_and_help import _open_form_by_command, _submit
from tests.bot.test_welsh_typed_e2e import say

# Words an English sentence is made of and a Welsh one never is.
ENGLISH_WORDS = frozenset(
    [
        *("the", "please", "your", "you", "with", "what", "how", "who", "this", "that", "is", "are"),
        *("for", "and", "of", "to", "it", "has", "have", "was", "can't", "don't", "i'll", "i've"),
        *("answer", "question", "session", "summary", "type"),
        # How the parsers read a time, a frequency or money back.
        *("hours", "minutes", "times", "week", "weeks", "year", "month", "per", "occurrence", "once"),
    ]
)
_CODE_OR_LINK = re.compile(r"`[^`]*`|<[^>]*>")
_QUOTED = re.compile(r"^>.*$", re.MULTILINE)  # a person's own words, quoted back


def _english_fragments() -> set[str]:
    """Every run of three or more words in an English text of the catalogue or the templates."""
    texts = [text for _path, text in local_texts(catalogue())]
    texts += [text for template in load_templates().values() for _path, text in local_texts(template)]
    fragments = set()
    for by_locale in texts:
        for literal, *_ in Formatter().parse(by_locale["en"]):
            bare = " ".join(_CODE_OR_LINK.sub(" ", literal).split()).strip(" .,:;()*_•")
            if len(bare.split()) >= 3:
                fragments.add(bare)
    return fragments


ENGLISH_FRAGMENTS = _english_fragments()


def english_in(text: str) -> list[str]:
    """The English in ``text``: a sentence of the catalogue or the templates, or English words (code,
    links, mentions and quoted answers aside)."""
    return catalogue_english_in(text) + english_words_in(text)


def catalogue_english_in(text: str) -> list[str]:
    bare = _QUOTED.sub(" ", _CODE_OR_LINK.sub(" ", text))
    return sorted(fragment for fragment in ENGLISH_FRAGMENTS if fragment in bare)


def english_words_in(text: str) -> list[str]:
    bare = _QUOTED.sub(" ", _CODE_OR_LINK.sub(" ", text))
    return sorted(set(re.findall(r"[a-z']+", bare.lower())) & ENGLISH_WORDS)


def posted_to_people(h: Harness) -> list[Message]:
    return [m for m in h.slack.messages(team_id=TEAM) if m.bot_id is not None]


def command(h: Harness, text: str, user: str = FACILITATOR, channel: str = CHANNEL) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=channel, text=text)
    assert response.status == 200, response.body
    return response.body


def choose_welsh(h: Harness, *users: str) -> None:
    for user in users:
        reply = command(h, "iaith cy", user=user)
        assert "Cymraeg" in reply and not english_in(reply), reply
    with h.deps.session_factory() as orm:
        chosen = {row.user_id: row.locale for row in orm.scalars(select(PersonSetting))}
    assert chosen == dict.fromkeys(users, "cy")


def start_in_welsh(h: Harness, text: str) -> str:
    reply = command(h, text)
    assert "Wedi dechrau" in reply and not english_in(reply), reply
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def assert_all_welsh(messages: list[Message]) -> None:
    """No sentence of the catalogue or the templates in English, and no English word at all (the
    parsers' readings of times and frequencies included)."""
    assert messages
    for message in messages:
        text = rendered(message)
        assert not english_in(text), (english_in(text), text)


FIVE_WHYS_CY = [
    "Mae'r ffurflen yn gwrthod codau post",
    "Mae'r patrwm yn mynnu bwlch",
    "Newidiodd y cyflenwr y system",
    "byddai",
    "ie",
    "nac oes",
    "cadarnhau",
    "Gofyn i'r cyflenwr newid y patrwm",
]


def test_a_five_whys_session_wholly_in_welsh(harness: Harness) -> None:
    h = harness
    choose_welsh(h, FACILITATOR)
    thread = start_in_welsh(
        h, "dechrau pum-pam Mae trigolion yn methu trefnu casgliad gwastraff swmpus ar-lein"
    )
    say(h, thread, "cymorth")  # the typed words, in Welsh
    for text in FIVE_WHYS_CY:
        say(h, thread, text)
    say(h, thread, f"<@{SAM}>", encoded=True)
    for text in ("dydd Mawrth nesaf", "bob pythefnos", "gorffen"):
        say(h, thread, text)
    status = command(h, "statws")
    assert "wedi'i chwblhau" in status and not english_in(status), status
    messages = posted_to_people(h)
    assert_all_welsh(messages)
    everything = "\n".join(rendered(m) for m in messages)
    assert "Y pum pam" in everything and "Achos sylfaenol" in everything
    # The classifier's proposal names its scope and category in Welsh (typing either name works).
    assert "cwmpas *cynnyrch*" in everything and "categori *technoleg*" in everything
    assert "25 Tachwedd 2026, 10:00" in everything  # the summary's date, as CLDR writes it in Welsh


# Each cost line: who bears it, what, its kind, then only the questions that kind needs (time, how
# often, people, rate; or how often and the direct cost), and the evidence.
COST_CY = [
    *["Staff", "Ail-fewnbynnu adroddiadau", "y ddau", "2 awr 30 munud", "3 yr wythnos", "dau", "hepgor"],
    *["£1 bob tro", "hepgor"],
    *["trigolion", "Postio llythyrau", "y ddau", "hanner diwrnod", "bob mis", "un", "£20"],
    *["£1,200 y flwyddyn", "Amcangyfrif y tîm"],
    *["Gwasanaethau'r cyngor", "Trwyddedau", "arian", "ddwywaith y flwyddyn", "£40 y tro", "hepgor"],
    *["gorffen", "hepgor"],
]
COST_EN = [
    *["staff", "Re-keying reports", "both", "2h 30m", "3 a week", "2", "skip", "£1 each time", "skip"],
    *["residents", "Posting letters", "both", "half a day", "monthly", "one", "£20", "£1,200 a year"],
    "Team estimate",
    *["council services", "Licences", "money", "twice a year", "£40 each time", "skip"],
    *["done", "skip"],
]
_POUNDS = re.compile(r"£[\d,]+(?:\.\d\d)?")


def _cost_run(h: Harness, start: str, replies: list[str], user: str) -> list[str]:
    reply = command(h, start, user=user)
    thread = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts
    assert reply
    for text in replies:
        say(h, thread, text, user=user)
    return _POUNDS.findall(rendered(h.thread(CHANNEL, thread)[-1]))


def test_a_cost_impacts_session_in_welsh_has_the_english_figures(harness: Harness) -> None:
    h = harness
    english = _cost_run(h, "start cost-impacts Missed bins", COST_EN, FACILITATOR)
    before = len(posted_to_people(h))
    choose_welsh(h, ALEX)  # another person, so neither run meets the limit on answers a minute
    welsh = _cost_run(h, "dechrau costau Biniau heb eu casglu", COST_CY, ALEX)
    # Staff 2.5 h × 156 × 2 × £30 + £1 × 156 …: the same sums in both languages, in the same order.
    assert welsh == english and "£25,724" in welsh
    assert_all_welsh(posted_to_people(h)[before:])


def test_language_command_and_home_menu(harness: Harness) -> None:
    h = harness
    shown = command(h, "language")
    assert "English" in shown and "`/playbook language cy`" in shown
    assert "Dydw i ddim" in command(h, "iaith bilingual") or "don't know" in command(h, "language bilingual")
    choose_welsh(h, ALEX)
    home = h.client.app_home_opened(team_id=TEAM, user_id=ALEX)
    assert home.status == 200
    view = h.slack.home_view(TEAM, ALEX) if hasattr(h.slack, "home_view") else None
    if view is not None:
        assert "Iaith" in str(view)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=ALEX,
        action_id="language.choose",
        selected_option={"value": "en", "text": {"type": "plain_text", "text": "English"}},
    )
    assert response.status == 200
    with h.deps.session_factory() as orm:
        assert orm.get(PersonSetting, (TEAM, ALEX)).locale == "en"  # type: ignore[union-attr]
    assert "`/playbook language cy`" in command(h, "language", user=ALEX)


@pytest.mark.parametrize("admin", [False, True])
def test_only_an_admin_sets_the_workspace_language(harness: Harness, admin: bool) -> None:
    h = harness
    h.slack.add_user(TEAM, SAM, "sam", is_admin=admin)
    reply = command(h, "language workspace bilingual", user=SAM)
    with h.deps.session_factory() as orm:
        audited = [
            (a.actor, a.detail) for a in orm.scalars(select(AuditEntry)) if a.action == "settings.language"
        ]
    if admin:
        assert "bilingual" in reply
        assert audited == [(SAM, {"before": None, "after": "bilingual"})]
        # Someone who has not chosen now reads both languages, the Welsh first.
        help_card = command(h, "help", user=ALEX)
        assert help_card.index("Playbook bot* yn tywys") < help_card.index("Playbook bot* walks")
    else:
        assert "Only a Slack workspace admin" in reply and audited == []
        assert "walks your team" in command(h, "help", user=ALEX)


def _run_five_whys_in_welsh(h: Harness) -> None:
    choose_welsh(h, FACILITATOR)
    thread = start_in_welsh(h, "dechrau pum-pam Mae'r ffurflen yn methu")
    for text in FIVE_WHYS_CY:
        say(h, thread, text)
    say(h, thread, f"<@{SAM}>", encoded=True)
    for text in ("dydd Mawrth nesaf", "bob pythefnos", "gorffen"):
        say(h, thread, text)


@pytest.mark.parametrize("template", ["five-whys", "cost-impacts"])
def test_no_english_word_at_all_in_a_welsh_session(harness: Harness, template: str) -> None:
    if template == "five-whys":
        _run_five_whys_in_welsh(harness)
    else:
        choose_welsh(harness, ALEX)
        _cost_run(harness, "dechrau costau Biniau heb eu casglu", COST_CY, ALEX)
        said = "\n".join(rendered(m) for m in posted_to_people(harness))
        # The parsers' readings, written in Welsh from the numbers they read.
        assert "Amser a gymerir: 2 awr 30 munud" in said, said
        assert "156 gwaith y flwyddyn (3 gwaith yr wythnos)" in said, said
    assert_all_welsh(posted_to_people(harness))


def test_a_bilingual_workspace_posts_the_leads_summary_welsh_first(harness: Harness) -> None:
    h = harness
    h.slack.add_user(TEAM, SAM, "sam", is_admin=True)
    command(h, "iaith gweithle dwyieithog", user=SAM)
    # Neither the admin nor the facilitator chose a language: both read Welsh, then English.
    refused = command(h, f"leads <#{LEADS}|leads>")
    assert refused.index("Dim ond gweinyddwr") < refused.index("Only a workspace admin")
    reply = command(h, f"leads <#{LEADS}|leads>", user=SAM)
    assert reply.index("Bydd crynodebau") < reply.index("Summaries will go")
    started = command(h, "start five-whys Mae'r ffurflen yn methu")
    assert started.index("Wedi dechrau") < started.index("Started")
    thread = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts
    anchor = next(m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.ts == thread)
    assert anchor.text.index("hwylusydd:") < anchor.text.index("facilitated by")
    for text in FIVE_WHYS_CY:
        say(h, thread, text)
    say(h, thread, f"<@{SAM}>", encoded=True)
    for text in ("dydd Mawrth nesaf", "bob pythefnos", "gorffen"):
        say(h, thread, text)
    posts = [m for m in h.slack.messages(channel=LEADS, team_id=TEAM) if not m.ephemeral_user]
    assert posts, "no leads summary was posted"
    text = rendered(posts[0])
    assert text.index("Crynodeb i arweinwyr") < text.index("Summary for leads")
    assert text.index("Achos sylfaenol") < text.index("Root cause")
    # Every catalogue sentence in it has its Welsh before it.
    assert text.index("hwylusydd") < text.index("facilitated by")


def _without_slack_names(text: str) -> str:
    """``text`` without the names Slack shows in English whatever the language (the shortcuts)."""
    for phrase in SHARED_PHRASES["cy"]:
        text = text.replace(phrase, " ")
    return text


def test_the_welsh_help_card_names_every_command_and_template_in_welsh(harness: Harness) -> None:
    h = harness
    choose_welsh(h, ALEX)
    response = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="cymorth")
    body = json.loads(response.body)
    card = "\n".join(
        str((b.get("text") or {}).get("text", ""))
        + "".join(str(e.get("text", "")) for e in b.get("elements", []))
        for b in body["blocks"]
    )
    assert body["blocks"][0]["type"] == "header" and "*Gorchmynion*" in card
    # Every command, in the one list's order, by the Welsh name the bot reads as that command.
    positions = [card.index(f"• `/playbook {WELSH_COMMAND_NAMES[name]}") for name in COMMAND_NAMES]
    assert positions == sorted(positions)
    for name in COMMAND_NAMES:
        assert split_subcommand(WELSH_COMMAND_NAMES[name]).name == name
    for welsh in WELSH_TEMPLATE_NAMES:
        assert f"• `{welsh}` *" in card
    assert not english_in(_without_slack_names(card)), english_in(_without_slack_names(card))
    assert not english_in(_without_slack_names(body["text"]))
    # Each Welsh name on the card is a command the bot answers.
    for name in COMMAND_NAMES:
        reply = command(h, f"{WELSH_COMMAND_NAMES[name]} x", user=ALEX)
        assert "Dydw i ddim yn adnabod y gorchymyn" not in reply, name
    templates = command(h, "rhestr", user=ALEX)
    assert "`pum-pam`" in templates and not english_in(templates), templates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("statw", "Oeddech chi'n golygu `/playbook statws`?"),
        ("stauts", "Oeddech chi'n golygu `/playbook statws`?"),
        ("dechrau pum-pa Biniau", "Oeddech chi'n golygu `pum-pam`?"),
        ("dechrau five-why Biniau", "Oeddech chi'n golygu `pum-pam`?"),
    ],
)
def test_near_misses_are_answered_in_welsh(harness: Harness, typed: str, expected: str) -> None:
    h = harness
    choose_welsh(h, ALEX)
    reply = command(h, typed, user=ALEX)
    assert expected in reply and not english_in(reply), reply


def _texts_in(node: object) -> list[str]:
    """Every ``text`` a person reads in Block Kit (labels, hints, placeholders, options)."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [text for value in node.values() for text in _texts_in(value)]
    if isinstance(node, list):
        return [text for value in node for text in _texts_in(value)]
    return []


def test_the_start_form_and_the_anchor_are_in_the_persons_language(harness: Harness) -> None:
    h = harness
    choose_welsh(h, FACILITATOR)
    form = _open_form_by_command(h, "dechrau")
    assert form.view["title"]["text"] == "Dechrau sesiwn" and form.view["submit"]["text"] == "Dechrau"
    shown = "\n".join(_texts_in(form.blocks))
    assert "Dewiswch dempled" in shown and "Y pum pam" in shown and not english_in(shown), shown
    refused = json.loads(_submit(h, form, template=None, problem="Biniau").body)
    assert refused["errors"] == {StartBlockId.TEMPLATE: "Dewiswch dempled."}
    assert _submit(h, form, problem="Mae biniau'n cael eu methu").status == 200
    [anchor] = [m for m in h.slack.messages(channel=CHANNEL) if m.thread_ts is None and m.bot_id]
    text = rendered(anchor)
    assert "hwylusydd" in text and "*Y broblem:* Mae biniau'n cael eu methu" in text
    assert not english_in(text), text
    first_question = h.thread(CHANNEL, anchor.ts)[-1]
    assert not english_in(rendered(first_question)), rendered(first_question)


def test_a_second_amount_at_the_each_time_or_a_year_question_is_asked_about_in_welsh(
    harness: Harness,
) -> None:
    """At "each time, or a year?", typing another amount drops the question and asks it about the new
    amount: one reply stores the waiting question twice (dropped, asked again), as two versions."""
    h = harness
    choose_welsh(h, ALEX)
    command(h, "dechrau costau Biniau heb eu casglu", user=ALEX)
    thread = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts
    for text in ("Staff", "Postio llythyrau", "arian", "bob mis", "£20"):
        say(h, thread, text, user=ALEX)
    assert "ai *£20* bob tro" in rendered(h.thread(CHANNEL, thread)[-1])
    say(h, thread, "£25", user=ALEX)
    assert "ai *£25* bob tro" in rendered(h.thread(CHANNEL, thread)[-1])
    say(h, thread, "bob tro", user=ALEX)
    answered = rendered(h.thread(CHANNEL, thread)[-1])
    assert "Iawn. Cost uniongyrchol: £25 bob tro — £300 y flwyddyn" in answered, answered
    assert not english_in(answered), answered


def test_refusals_and_hints_to_a_welsh_reader_are_welsh(harness: Harness) -> None:
    h = harness
    choose_welsh(h, ALEX)
    for typed in ("ailddechrau 99", "tebyg", "tebyg 99", "allforio 99", "ymyriad 99"):
        body = command(h, typed, user=ALEX)
        reply = str(json.loads(body).get("text", "")) if body.startswith("{") else body
        assert reply and not english_in(reply), (typed, reply)
    dm = h.slack.dm_channel(TEAM, ALEX)
    response = h.client.message(team_id=TEAM, user_id=ALEX, channel_id=dm, text="helo", channel_type="im")
    assert response.status == 200
    [hint] = [m for m in h.slack.messages(channel=dm) if m.bot_id]
    assert not english_in(rendered(hint)), rendered(hint)


def test_a_welsh_sessions_paper_for_committee_is_welsh_with_a_welsh_date(harness: Harness) -> None:
    """The Word paper on a session run in Welsh: its date is written in Welsh (it was English), after
    a colon so it needs no mutation, and its sentences are in the paper's formal register."""
    h = harness
    _run_five_whys_in_welsh(h)
    with h.deps.session_factory() as orm:
        [session_id] = orm.scalars(select(Session.id))
    reply = command(h, f"allforio #{session_id} docx")
    assert not english_in(reply), reply
    paper = next(f for f in h.slack.files if f.filename.endswith("paper.docx"))
    document = docx.Document(io.BytesIO(paper.content or b""))
    words = "\n".join(p.text for p in document.paragraphs)
    assert re.search(r"Paratowyd: dydd (Llun|Mawrth|Mercher|Iau|Gwener|Sadwrn|Sul) \d+ ", words), words
    assert "Ni chyfrifwyd costau ar gyfer y broblem hon." in words
    assert not re.search(r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday", words), words
