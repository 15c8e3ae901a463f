"""TF-IDF pieces kept between comparisons: a collection extended rather than recounted weighs every
term exactly as the whole collection counted at once, and what is kept of a text goes on erasure."""

from __future__ import annotations

from flows import text_similarity
from flows.text_similarity import Vectoriser, WeightedText, forget_kept_texts, surface_forms

SHIPPED = (
    "Nobody owns the links between services after a redesign",
    "The supplier's contract caps sessions at two minutes",
    "No budget line for training new staff",
)
WORKSPACE = ("The platform release changed validation", "No training budget for the new system")


def _documents(texts: tuple[str, ...]) -> list[list[WeightedText]]:
    return [[WeightedText(text)] for text in texts]


def test_an_extended_collection_weighs_terms_as_the_whole_collection_does() -> None:
    whole = Vectoriser(_documents(SHIPPED + WORKSPACE))
    extended = Vectoriser(_documents(WORKSPACE), extends=Vectoriser(_documents(SHIPPED)))
    assert extended.documents == whole.documents == 5
    for text in (*SHIPPED, *WORKSPACE, "Words this collection has never seen"):
        parts = [WeightedText(text)]
        assert extended.vector(parts) == whole.vector(parts)
    assert extended.idf("budget") == whole.idf("budget") < extended.idf("unseen")


def test_an_unseen_term_is_not_kept_by_the_vectoriser() -> None:
    vectoriser = Vectoriser(_documents(SHIPPED))
    vectoriser.vector([WeightedText("Residents ring about a zebra crossing")])
    assert "zebra" not in vectoriser._idf


def test_forgetting_kept_texts_drops_their_surface_forms_and_term_counts() -> None:
    erased = "Priya keeps the spreadsheet of tenants on her laptop"
    assert surface_forms(erased)["spreadsheet"] == "spreadsheet"
    Vectoriser(_documents((erased,)))
    forget_kept_texts()
    assert text_similarity._surface_forms.cache_info().currsize == 0
    assert text_similarity._term_counts.cache_info().currsize == 0
