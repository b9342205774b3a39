"""One JupyterLab server per test file in this folder (see labdriver.py)."""

from __future__ import annotations

import pytest
from labdriver import NOTEBOOKS, jupyterlab_server


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """The server shared by one test file's tests: (base url, token, log file)."""
    with jupyterlab_server(tmp_path_factory.mktemp("jupyterlab"), NOTEBOOKS) as server:
        yield server
