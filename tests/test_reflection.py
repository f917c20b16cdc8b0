"""Every number in the reflection essay (docs/reflection.md) is checked against the shipped models.

Each entry of ``CLAIMS`` is a pattern that must occur in the essay and the values its groups must
equal, computed in ``tests/reflection_facts.py``. A final test removes every checked span and a
short list of numbers that are not results (a citation year, model names, page numbers) and
asserts that no digit is left: a number added to the essay without a check fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revcomp.tasks import Task
from tests.reflection_facts import facts

ESSAY = Path(__file__).resolve().parents[1] / "docs" / "reflection.md"


def _ceiling(length: int) -> tuple[str, str]:
    task = Task("aligned", length)
    mean = sum(task.ceiling()) / length
    return f"{mean:.2f}", f"{round(1 / task.whole_sequence_ceiling())}"


def _roles(key: str, *names: str):
    return lambda f: tuple(str(f[key][n]) for n in names)


CLAIMS: list[tuple[str, object]] = [
    (
        r"best possible average accuracy is ([\d.]+) and the best whole-sequence accuracy is 1/(\d+)",
        lambda f: _ceiling(5),
    ),
    (
        r'A model\s+reporting "(\d+)% accuracy" on that set-up is perfect',
        lambda f: (f"{round(100 * sum(Task('aligned', 5).ceiling()) / 5)}",),
    ),
    (r"right on ([\d,]+) of the ([\d,]+) possible inputs", lambda f: (f"{f['l5_correct']:,}", f"{4**5:,}")),
    (r"Of the (\d+) hidden units of `delayed-L5-H8`", lambda f: (str(f["l5_units"]),)),
    (
        r"labels (\d+) as current-base units, (\d+) as a stored-base unit, (\d+) as mixed,\s+(\d+) as "
        r"position units and (\d+) as inert",
        _roles("l5_roles", "current base", "stored base", "mixed", "position", "inert"),
    ),
    (
        r"Zeroing any one of the\s+eight units costs between (\d+) and (\d+) points",
        lambda f: (str(f["l5_zero_min"]), str(f["l5_zero_max"])),
    ),
    (r"direction in the same space costs (\d+) points", lambda f: (str(f["l5_random_zero"]),)),
    (r"For (\d+) units that cheaper ablation costs at most half", lambda f: (str(f["l5_clock_like"]),)),
    (r"switches (\d+)% of the later outputs that should switch", lambda f: (str(f["l5_patch_both"]),)),
    (
        r"cell state alone switches (\d+)% of them; the hidden state alone, (\d+)%",
        lambda f: (str(f["l5_patch_cell"]), str(f["l5_patch_hidden"])),
    ),
    (
        r"hidden state with\s+([\d.]+) held-out accuracy on average .*? MLP probes reach\s+([\d.]+)\.",
        lambda f: (f"{f['l5_probe_linear']:.2f}", f"{f['l5_probe_mlp']:.2f}"),
    ),
    (r"\(8 units\): (\d+) of\s+(\d+)\.", lambda f: (str(f["l5_roles"]["position"]), str(f["l5_units"]))),
    (
        r"`delayed-L10-H32` model, (\d+) of its (\d+) units are position units",
        lambda f: (str(f["l10_roles"]["position"]), str(f["l10_hidden"])),
    ),
    (
        r"Yes, with a caveat: (\d+) units mostly follow the base just read\s+and (\d+) mostly holds",
        _roles("l5_roles", "current base", "stored base"),
    ),
    (
        r"In the `aligned` model, (\d+) units are stored-base units and every one of them\s+stores base "
        r"(\d) or (\d)",
        lambda f: (str(f["aligned_stored"]), *map(str, f["aligned_stored_bases"])),
    ),
    (
        r"8-unit model: (\d+) inert units, and the cheapest\s+unit still costs (\d+) points",
        lambda f: (str(f["l5_roles"]["inert"]), str(f["l5_zero_min"])),
    ),
    (r"components hold only (\d+)% of the hidden state's variance", lambda f: (str(f["l5_pca2"]),)),
]

# Numbers that are not results: a citation year, model names, page links and notation.
NOT_RESULTS = [
    r"\(2024\)",
    r"\b\w+-L\d+-H\d+\b",
    r"\b[Pp]age \d\b",
    r"tutorials/0\d_\w+\.py",
    r"4\^L",
    r"2-D",
    r"length 5",
    r"exactly 0\.25",
    r"\(8 units\)",
    r"32-unit",
    r"8-unit",
    r"one-fact",
]


@pytest.fixture(scope="module")
def essay() -> str:
    return ESSAY.read_text()


@pytest.fixture(scope="module")
def computed() -> dict:
    return facts()


@pytest.mark.slow
@pytest.mark.parametrize("pattern, expected", CLAIMS, ids=[c[0][:40] for c in CLAIMS])
def test_essay_number_matches_the_models(essay: str, computed: dict, pattern: str, expected) -> None:
    match = re.search(pattern, essay, flags=re.DOTALL)
    assert match, f"the essay no longer contains a sentence matching {pattern!r}"
    assert match.groups() == tuple(expected(computed)), f"essay says {match.groups()} for {pattern!r}"


def test_every_number_in_the_essay_is_checked(essay: str) -> None:
    text = essay
    for pattern, _ in CLAIMS:
        text = re.sub(pattern, " ", text, flags=re.DOTALL)
    for pattern in NOT_RESULTS:
        text = re.sub(pattern, " ", text)
    leftover = [m.group(0) for m in re.finditer(r"[^\s]*\d[^\s]*", text)]
    assert not leftover, f"numbers in the essay without a check: {leftover}"
