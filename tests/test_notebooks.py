"""Hygiene of the committed notebooks (nbval itself checks their outputs in `make test`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
# the course (00_ ... 08_) and its appendices (A_maths_refresher ...)
NOTEBOOKS = sorted([*NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"), *NOTEBOOK_DIR.glob("[A-Z]_*.ipynb")])
MAX_WORDS = 200  # a markdown cell longer than this is a wall of text: split it, or make it a table
MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION"}
MACHINE_PATH = re.compile(r"(/root/|/work/|/tmp/|/home/[a-z]|[A-Z]:\\\\Users)")


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def markdown_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


def prose_words(markdown: str) -> int:
    """Words a reader reads: display maths, fenced code, HTML tags and link targets do not count."""
    text = re.sub(r"\$\$.*?\$\$|```.*?```|<[^>]+>|\]\([^)]*\)", " ", markdown, flags=re.S)
    return sum(1 for token in text.split() if re.search(r"[A-Za-z0-9]", token))


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_markdown_cell_is_a_wall_of_text(path):
    long = {i: n for i, text in enumerate(markdown_cells(path)) if (n := prose_words(text)) > MAX_WORDS}
    assert not long, f"markdown cells over {MAX_WORDS} words (markdown cell index: words): {long}"


def test_prose_words_counts_what_a_reader_reads():
    assert prose_words("The step is $w - \\eta g$, see [the refresher](A_maths_refresher.ipynb#The-Newton-step).") == 9
    assert prose_words("Two words\n$$\na + b = c\n$$\n```python\nx = 1\n```\n<br> - | --- |") == 2


LINK = re.compile(r"\]\(([^)\s]*)\)")


def heading_anchors(path: Path) -> set[str]:
    """The ids JupyterLab gives a notebook's headings: the heading's text with spaces turned into hyphens."""
    anchors = set()
    for text in markdown_cells(path):
        for line in text.splitlines():
            if m := re.match(r"#{1,6}\s+(.*)", line):
                plain = re.sub(r"[*`]|\[([^]]*)\]\([^)]*\)", lambda g: g.group(1) or "", m.group(1)).strip()
                anchors.add(re.sub(r"\s", "-", plain))
    return anchors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_to_notebooks_and_their_headings_resolve(path):
    """A link such as [refresher](A_maths_refresher.ipynb#The-Newton-step) must reach a notebook and a heading."""
    for text in markdown_cells(path):
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file) if file else path
            if file and not file.endswith(".ipynb"):
                assert linked.exists(), f"{path.name}: link to a missing file {target!r}"
                continue
            assert linked.exists(), f"{path.name}: link to a missing notebook {target!r}"
            if anchor:
                assert anchor in heading_anchors(linked), f"{path.name}: no heading {anchor!r} in {linked.name}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if "01" <= p.name[:2] <= "08"], ids=lambda p: p.name)
def test_each_lesson_links_the_refresher_where_it_needs_it(path):
    links = [t for text in markdown_cells(path) for t in LINK.findall(text) if t.startswith("A_maths_refresher")]
    assert links, f"{path.name} never links a section of the maths refresher"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_markers_are_spelt_so_nbval_sees_them(path):
    """nbval only honours a comment line that is exactly the marker; a reason goes on the next line."""
    for i, cell in enumerate(code_cells(path)):
        for line in "".join(cell["source"]).splitlines():
            if "NBVAL_" in line:
                assert line.strip().lstrip("#").strip() in MARKERS, f"cell {i}: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_cells_say_why(path):
    for i, cell in enumerate(code_cells(path)):
        lines = "".join(cell["source"]).splitlines()
        for j, line in enumerate(lines):
            if line.strip() == "# NBVAL_IGNORE_OUTPUT":
                reason = lines[j + 1].strip() if j + 1 < len(lines) else ""
                assert reason.startswith("#") and len(reason) > 10, f"cell {i}: say why its output is ignored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_executed_in_order_without_errors(path):
    nb = json.loads(path.read_text())
    cells = code_cells(path)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), "re-run: make execute"
    assert "widgets" not in nb["metadata"], "widget state is stripped when notebooks are stored"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(cells):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stores an error"
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(text), f"cell {i} prints a path of this machine"
