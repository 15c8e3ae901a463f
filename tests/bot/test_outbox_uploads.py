"""How an upload is kept in the outbox: its files' bytes survive the JSON payload exactly, a chart to
draw keeps its figures, and every file name carries the outbox id without losing its extension."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from bot.delivery import FileUpload, Upload, marked_filename, upload_from_payload, upload_payload
from flows import charts
from flows.costs import format_pounds
from flows.report import BearerTotal, CostReport

names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@given(
    contents=st.lists(st.binary(max_size=2000), min_size=1, max_size=3),
    name=names,
    outbox_id=st.integers(1, 2**62),
)
@example(contents=[b"\x00\xff\x89PNG"], name="chart.png", outbox_id=1)
@example(contents=[b""], name=".hidden", outbox_id=7)
def test_an_upload_survives_the_outbox_payload(contents: list[bytes], name: str, outbox_id: int) -> None:
    upload = Upload(
        channel="C1",
        comment="Charts",
        thread_ts="1.2",
        files=[
            FileUpload(filename=f"{n}-{name}", title=name, content=c, alt_text="£1")
            for n, c in enumerate(contents)
        ],
    )
    again = upload_from_payload(upload_payload(upload))
    assert [f.content for f in again.files] == contents
    assert (again.channel, again.comment, again.thread_ts) == ("C1", "Charts", "1.2")
    assert [f.alt_text for f in again.files] == ["£1"] * len(contents)
    marked = marked_filename(name, outbox_id)
    assert f"pb{outbox_id}" in marked and marked != name
    if "." in name.strip(".") and not name.startswith("."):
        assert marked.rsplit(".", 1)[1] == name.rsplit(".", 1)[1]  # the extension is kept


def test_a_chart_to_draw_keeps_its_figures_and_its_alt_text_without_drawing() -> None:
    costs = CostReport(
        total=Decimal(1500),
        by_bearer=(
            BearerTotal(bearer="staff", label="Staff time", amount=Decimal(1200)),
            BearerTotal(bearer="residents", label="Residents", amount=Decimal(300)),
        ),
        lines=(),
        assumptions=(),
    )
    spec = charts.problem_cost_spec(costs, filename="session-1-cost-by-bearer.png", locale="en")
    upload = Upload(
        channel="C1",
        comment="Chart",
        files=[
            FileUpload(
                filename="x.png",
                title=charts.spec_title(spec),
                chart=spec,
                alt_text=charts.spec_alt_text(spec),
            )
        ],
    )
    again = upload_from_payload(upload_payload(upload))
    assert again.files[0].chart == spec
    alt = charts.spec_alt_text(spec)
    assert format_pounds(Decimal(1500)) in alt
    assert (
        f"Staff time {format_pounds(Decimal(1200))}" in alt
        and f"Residents {format_pounds(Decimal(300))}" in alt
    )
