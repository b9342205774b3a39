"""Hygiene of the committed notebooks (nbval itself checks their outputs in `make test`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION"}
MACHINE_PATH = re.compile(r"(/root/|/work/|/tmp/|/home/[a-z]|[A-Z]:\\\\Users)")


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"


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
