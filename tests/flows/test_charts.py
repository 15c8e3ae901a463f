"""Charts open as PNG and their alt text states every figure drawn; matplotlib loads only to draw."""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal

from PIL import Image

from flows.charts import Share, WeekCounts, cost_by_bearer, root_causes_by_category


def test_cost_chart_is_a_png_with_every_figure_in_its_alt_text() -> None:
    shares = [
        Share("Residents", Decimal(1590)),
        Share("Staff", Decimal(23400)),
        Share("Council services", Decimal(0)),
    ]
    chart = cost_by_bearer("Cost a year", Decimal(24990), shares, filename="c.png")
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG" and image.size[0] > 300
    assert chart.alt_text == (
        "Bar chart, Cost a year: total £24,990 a year; "
        "Residents £1,590, Staff £23,400 and Council services £0."
    )


def test_categories_chart_alt_text_names_each_week() -> None:
    weeks = [WeekCounts("16 November 2026", {"data": 2, "process": 1}), WeekCounts("23 November 2026", {})]
    chart = root_causes_by_category("Root causes", weeks, filename="r.png")
    Image.open(io.BytesIO(chart.png)).verify()
    assert "week of 16 November 2026: data 2 and process 1" in chart.alt_text
    assert "week of 23 November 2026: none" in chart.alt_text


def test_the_app_starts_without_matplotlib_or_docx() -> None:
    code = "import bot.app, bot.scheduler, bot.services.digest, bot.services.paper, sys; " + (
        "print(any(m.split('.')[0] in ('matplotlib', 'docx') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert result.stdout.strip() == "False"
