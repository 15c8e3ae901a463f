"""bench.positions: answers grouped by their place in the session, and the places of the slowest."""

from __future__ import annotations

from bench.drive import Samples
from bench.positions import by_position


def test_the_slow_place_holds_the_answers_slower_than_the_p95() -> None:
    samples = Samples()
    for session in range(20):
        samples.add(0.01, 0.1, (0, "a why"))
        samples.add(0.01, 0.5 + session / 100, (1, "yes"))
        samples.add(0.01, 0.1, (2, "confirm"))
    lines = by_position(samples)
    assert lines[0].startswith("60 answers, p50 100 ms")
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["0"][1:5] == ["20", "100", "100", "0"]
    assert rows["1"][1] == "20" and rows["1"][4] == "3"  # the p95 of 60 is the 57th: three are slower
    assert rows["2"][4] == "0" and "'confirm'" in lines[-1]
