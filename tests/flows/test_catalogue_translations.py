"""Nothing in the message catalogue falls back to English silently: every key has Welsh that is not
the English (names and loanwords aside), with the same placeholders; and a bilingual text is the Welsh
then the English."""

from __future__ import annotations

import yaml

from flows.i18n import BILINGUAL, LocalText, bilingual, catalogue, join_and, language_of, t
from flows.schema import load_templates
from flows.translations import SAME_TEXT, local_texts, same_texts, translation_problems


def test_every_catalogue_key_has_real_welsh() -> None:
    texts = list(local_texts(catalogue()))
    assert len(texts) > 250  # the walk found the whole catalogue
    assert translation_problems(texts, "cy") == []


def test_the_catalogue_file_itself_has_cy_beside_every_en() -> None:
    """Read the YAML directly, so a key added later without ``cy`` fails here even before anything
    reads it through :func:`flows.i18n.t`."""
    from importlib import resources

    raw = yaml.safe_load(resources.files("flows").joinpath("templates/_messages.yaml").read_text("utf-8"))
    lacking = sorted(key for key, value in raw.items() if not str(value.get("cy") or "").strip())
    assert lacking == []


def test_templates_and_catalogue_together_have_no_english_left() -> None:
    everything = list(local_texts(catalogue())) + [
        (f"{template_id}.{path}", text)
        for template_id, template in load_templates().items()
        for path, text in local_texts(template)
    ]
    assert translation_problems(everything, "cy") == []


def test_no_welsh_text_is_its_english_unless_listed() -> None:
    """A Welsh text identical to its English is allowed only on the explicit list (names, texts of
    placeholders alone, words Welsh spells the same), and the list names only texts that are so."""
    everything = list(local_texts(catalogue())) + [
        (f"{template_id}.{path}", text)
        for template_id, template in load_templates().items()
        for path, text in local_texts(template)
    ]
    same = set(same_texts(everything, "cy"))
    assert sorted(same - SAME_TEXT["cy"]) == []
    assert sorted(SAME_TEXT["cy"] - same) == []


def test_the_parsers_readings_and_refusals_are_in_the_catalogue() -> None:
    """Every word the parsers write is a catalogue key with Welsh; each key's placeholders are the
    same in both languages (checked for the whole catalogue above), and each example list offers as
    many Welsh examples as English ones."""
    keys = [key for key in catalogue() if key.startswith(("parse_", "bank_holiday_"))]
    assert len(keys) > 100
    assert translation_problems([(k, catalogue()[k].root) for k in keys], "cy") == []
    for key in (k for k in keys if k.startswith("parse_examples_")):
        english, welsh = (catalogue()[key].root[locale].split("|") for locale in ("en", "cy"))
        assert len(english) == len(welsh), key


def test_welsh_comes_first_in_a_bilingual_text() -> None:
    assert t("button_skip", BILINGUAL) == "Hepgor / Skip"
    long = t("paused", BILINGUAL, session=4)
    welsh, english = long.split("\n")
    assert welsh == t("paused", "cy", session=4) and english == t("paused", "en", session=4)
    assert bilingual("Staff", "Staff") == "Staff"
    text = LocalText({"en": "Why {n}", "cy": "Pam {n}"})
    assert text.get(BILINGUAL, n=3) == "Pam 3 / Why 3"


def test_a_bilingual_text_writes_lists_and_figures_the_welsh_way() -> None:
    assert language_of(BILINGUAL) == "cy"
    assert language_of("fr") == "en"
    assert join_and(["trigolion", "staff", "busnesau"], BILINGUAL) == "trigolion, staff a busnesau"


def test_the_cost_assumptions_are_written_in_the_sessions_language() -> None:
    from decimal import Decimal

    from flows.costs import CostLine, summarise_costs

    line = CostLine(
        bearer="staff",
        what="Sganio",
        staff_hours_per_occurrence=Decimal(1),
        occurrences_per_year=Decimal(10),
        people=1,
        hourly_rate=Decimal(20),
    )
    rate, weeks = Decimal(30), Decimal(52)
    welsh = summarise_costs([line], hourly_rate_default=rate, weeks_per_year=weeks, locale="cy").assumptions
    english = summarise_costs([line], hourly_rate_default=rate, weeks_per_year=weeks).assumptions
    assert welsh[0] == "Mae amser ar gyfer ‘Sganio’ yn cael ei gostio ar £20 yr awr, fel y nodwyd."
    assert english[0] == "Time for ‘Sganio’ is costed at £20 an hour, as given."
    assert welsh[1] == "Mae blwyddyn yn cael ei chyfrif fel 52 wythnos." and len(welsh) == len(english)


def test_scopes_and_categories_have_welsh_names_that_read_back() -> None:
    from flows.classification import CATEGORIES, SCOPES
    from flows.classification_step import category_name, parse_reply, scope_name

    proposed = {"scope": "service", "category": "process"}
    for scope in SCOPES:
        assert scope_name(scope) == scope  # the English is the name people type
        read = parse_reply(f"cwmpas {scope_name(scope, 'cy')}", proposed, proposed, "cy")
        assert isinstance(read, dict) and read["scope"] == scope
    for category in CATEGORIES:
        assert category_name(category) == category
        read = parse_reply(f"categori {category_name(category, 'cy')}", proposed, proposed, "cy")
        assert isinstance(read, dict) and read["category"] == category
    assert scope_name("council-wide", "cy") == "ar draws y cyngor"
