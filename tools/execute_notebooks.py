"""Run notebooks top to bottom in a fresh kernel and store their outputs, the way they are committed.

    python tools/execute_notebooks.py                      # every notebook in notebooks/
    python tools/execute_notebooks.py notebooks/03_*.ipynb  # some of them

The kernel runs in this interpreter's environment (the course's .venv), whatever kernels the user has
registered elsewhere. Widget state is not stored (noisy diffs; JupyterLab does not store it either); each
live tool's output keeps instead a picture of the tool as the notebook left it (course_lib.widgets updates it
after every cell that changes the tool, and nbclient applies those updates). The seconds each notebook took are
printed: every notebook should run in well under 30 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.jupyter_env import KERNEL_NAME, kernel_in_this_environment  # noqa: E402 (needs the path above)


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
    nbformat.write(nb, path)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    args = parser.parse_args()
    folder = ROOT / "notebooks"  # the course (00_ ...) and its appendices (A_maths_refresher ...)
    paths = args.notebooks or sorted([*folder.glob("[0-9]*.ipynb"), *folder.glob("[A-Z]_*.ipynb")])
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [kernel_in_this_environment(), os.environ.get("JUPYTER_PATH")])
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps a debugger warning off stderr
    for path in paths:
        seconds = execute(path.resolve())
        print(f"{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
