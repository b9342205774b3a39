"""Every course notebook opened unrun in JupyterLab (untrusted, as in a fresh clone): each live tool shows its
stored picture, and no widget view is tried."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from labdriver import COURSE, WIDGET_VIEW, learner


def stored_outputs(path: Path) -> tuple[int, int]:
    """(tools, pictures) stored in a notebook: tool outputs hold a widget view and a picture; pictures counts
    every output with a PNG, the tools' and the static figures'."""
    outputs = [o.get("data", {}) for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", [])]
    return sum(WIDGET_VIEW in d and "image/png" in d for d in outputs), sum("image/png" in d for d in outputs)


def stop_kernels(base: str, token: str) -> None:
    """Shut down every session the server has (opening a notebook starts its kernel; none is needed here)."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        url = f"{base}/api/sessions/{session['id']}?token={token}"
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()


OPEN = """async path => {
    const panel = await window.jupyterapp.commands.execute('docmanager:open', {path});
    await panel.context.ready;
    return panel.id;
}"""
CLOSE = "id => { for (const w of window.jupyterapp.shell.widgets('main')) { if (w.id === id) { w.dispose(); } } }"


def test_every_notebook_opened_unrun_shows_a_picture_of_each_tool(jupyterlab, tmp_path):
    """A notebook just opened is untrusted: JupyterLab skips the widget view and must show the stored picture."""
    expected = {p.name: stored_outputs(p) for p in sorted(COURSE.glob("*.ipynb"))}
    assert sum(tools for tools, _ in expected.values()) >= 8, f"(tools, pictures) stored: {expected}"
    with learner(jupyterlab, tmp_path) as tab:
        page = tab.page
        tab.step = "starting JupyterLab"
        page.goto(f"{tab.base}/lab?reset&token={tab.token}", wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=90_000)
        page.wait_for_selector(".jp-LabShell", timeout=90_000)
        for name, (tools, pictures) in expected.items():
            tab.step = f"opening {name} unrun"
            panel = "#" + page.evaluate(OPEN, f"course/{name}")
            tab.step = f"waiting for the {pictures} pictures of {name} ({tools} of them tools)"
            page.wait_for_function(
                """([panel, n]) => [...document.querySelectorAll(panel + ' .jp-RenderedImage img')]
                    .filter(img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0).length >= n""",
                arg=[panel, pictures],
                timeout=60_000,
            )
            shown = page.locator(f"{panel} .jp-RenderedImage img").count()
            assert shown == pictures, f"{name}: {pictures} stored pictures ({tools} tools), {shown} shown"
            views = page.locator(f'{panel} .jp-OutputArea-output[data-mime-type="{WIDGET_VIEW}"]').count()
            assert views == 0, f"{name}: {views} widget views were tried instead of the stored pictures"
            assert "Error displaying widget" not in page.locator(panel).inner_text(), name
            page.evaluate(CLOSE, panel[1:])
        stop_kernels(tab.base, tab.token)
