"""Make Jupyter start kernels in *this* interpreter's environment (the course's .venv).

A user may have registered a "python3" kernel of their own (``ipykernel install --user``) that points at
another Python; Jupyter would prefer it. Folders on JUPYTER_PATH come first, so a temporary folder holding a
python3 kernel spec for ``sys.executable`` makes every kernel started by this process (and its children)
run here: the notebook executor, the benchmarks and the browser test use it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "python3"


def kernel_in_this_environment() -> str:
    """Create the folder, put it first on JUPYTER_PATH for this process, and return it."""
    folder = Path(tempfile.mkdtemp(prefix="course-kernel-"))
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))
    return str(folder)
