"""The course website (make site): built once from the committed notebooks, then read as files and in Chromium.

The build must succeed (every Sphinx warning fails it except reST slips in course_lib's docstrings), give each
notebook a page in course order with previous/next links, a download of the notebook itself and the commands to
run it, show each live tool's stored picture with the note that it is live when the notebook runs, mark the
exercise cells, and load nothing from the network. Then headless Chromium opens every page from a server on
127.0.0.1: no console error, no failed or outside request, every image loaded, every internal link and anchor
resolving, the maths typeset by MathJax with no stray dollar sign left. Needs the "site" extra (make test and
make site install it) and Debian's chromium; without them the tests are skipped, except under CI=true.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
# Sphinx 9 announces API changes that the theme and MyST-Parser have yet to make: theirs to fix, not ours
pytestmark = pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")

sys.path.insert(0, str(ROOT / "docs"))
import build_site  # noqa: E402  (docs/build_site.py: the code make site runs)

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
# the browser tests' Chromium (its path, flags, and a skip or failure when it is missing)
from labdriver import CHROMIUM, CHROMIUM_ARGS, WIDGET_VIEW, need_chromium  # noqa: E402


def need(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is not None:
        return
    if IN_CI:
        pytest.fail(f"{module} is missing: {why}")
    pytest.skip(f"{module} is not installed: {why}")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def tool_count(path: Path) -> int:
    """Outputs holding a live widget and its stored PNG: the course's tools."""
    return sum(
        1
        for cell in cells(path)
        for output in cell.get("outputs", [])
        if {WIDGET_VIEW, "image/png"} <= set(output.get("data", {}))
    )


def exercise_count(path: Path) -> int:
    return sum(1 for cell in cells(path) if cell["cell_type"] == "code" and "YOUR CODE HERE" in "".join(cell["source"]))


def soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


NOTEBOOKS = build_site.course_notebooks()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    need("sphinx", "the website's tools come with the 'site' extra (make site or make test install it)")
    need("myst_nb", "the website's tools come with the 'site' extra (make site or make test install it)")
    work = tmp_path_factory.mktemp("site")
    out = work / "html"
    start = time.perf_counter()
    result = build_site.build(out, work / "work", quiet=True)
    seconds = time.perf_counter() - start
    assert result.ok, "the site build failed:\n" + "\n".join(result.errors)
    print(f"site built in {seconds:.0f} s; course_lib docstring slips: {len(result.docstring_warnings)}")
    return out


def page_of(site: Path, notebook: Path) -> Path:
    return site / "notebooks" / (notebook.stem + ".html")


def test_the_course_has_notebooks_to_show():
    names = [p.name for p in NOTEBOOKS]
    assert names[0] == "00_start_here.ipynb" and "A_maths_refresher.ipynb" in names
    assert names == sorted(names) and names.index("A_maths_refresher.ipynb") == len(names) - 1, "course order"


def test_jupyterlab_slug_matches_the_notebooks_links():
    need("sphinx", "the website's tools come with the 'site' extra (make site or make test install it)")
    from course_site import jupyterlab_slug

    assert jupyterlab_slug("4. Nesterov momentum") == "4.-Nesterov-momentum"
    assert jupyterlab_slug("Gradient and Hessian of a quadratic") == "Gradient-and-Hessian-of-a-quadratic"


def test_every_notebook_has_a_page_in_course_order(site):
    nav = soup(site / "index.html").select("nav.bd-links a.reference.internal")
    linked = [a["href"] for a in nav if a["href"].startswith("notebooks/")]
    assert linked == [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    assert (site / "api.html").exists()


def test_previous_and_next_follow_the_course(site):
    pages = ["index.html"] + [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    for i, name in enumerate(pages[1:], start=1):
        html = soup(site / name)
        prev = html.find("link", rel="prev")
        assert prev is not None and urljoin(name, prev["href"]) == pages[i - 1], name
        if i + 1 < len(pages):
            nxt = html.find("link", rel="next")
            assert nxt is not None and urljoin(name, nxt["href"]) == pages[i + 1], name


def test_each_notebook_page_offers_its_notebook_and_the_two_commands(site):
    for notebook in NOTEBOOKS:
        page = page_of(site, notebook)
        banner = soup(page).select_one(".course-run-live")
        assert banner is not None, f"{page.name}: no banner"
        link = banner.select_one("a.course-download")
        assert link.get_text() == notebook.name and link["download"] == notebook.name
        download = (page.parent / link["href"]).resolve()
        assert download.read_bytes() == notebook.read_bytes(), f"{page.name}: the download is not the notebook"
        assert "make lab" in banner.get_text() and "make test" in banner.get_text()


def test_each_tool_shows_its_picture_with_the_live_note(site):
    total = 0
    for notebook in NOTEBOOKS:
        tools = soup(page_of(site, notebook)).select(".course-tool")
        assert len(tools) == tool_count(notebook), notebook.name
        for tool in tools:
            img = tool.find("img")
            assert img is not None and (page_of(site, notebook).parent / img["src"]).is_file()
            assert "live" in tool.select_one(".course-tool-note").get_text()
        total += len(tools)
    assert total >= 8, "the course's notebooks hold at least one tool each from 00 to 07"


def test_exercise_cells_are_marked(site):
    for notebook in NOTEBOOKS:
        page = soup(page_of(site, notebook))
        assert len(page.select(".cell.course-exercise")) == exercise_count(notebook), notebook.name
        assert len(page.select(".cell.course-exercise-check")) >= exercise_count(notebook), notebook.name


def test_nothing_is_loaded_from_the_network(site):
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert WIDGET_VIEW not in html, f"{page.name}: a widget view would need the ipywidgets manager from a CDN"
        for tag in soup(page).find_all(["script", "img", "iframe", "link", "source", "video", "audio"]):
            url = tag.get("src") or (tag.get("href") if tag.name == "link" else None)
            if url:
                assert not re.match(r"(https?:)?//", url), f"{page.relative_to(site)} loads {url}"
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", css.read_text()):
            pytest.fail(f"{css.relative_to(site)} loads {url}")


def test_the_api_page_shows_the_update_rules_with_their_formulas(site):
    api = soup(site / "api.html")
    for name in ["sgd_update", "adagrad_update", "rmsprop_update", "adadelta_update", "adam_update", "yogi_update"]:
        assert api.find(id=f"course_lib.optim.{name}") is not None, name
    for module in ["optim", "landscapes", "trajectories", "widgets", "data", "training", "exercises", "predict"]:
        assert api.find(id=f"module-course_lib.{module}") is not None, module
    text = api.get_text()
    assert "m <- beta1 * m + (1 - beta1) * g" in text, "Adam's first moment, as its docstring states it"


# ---------------------------------------------------------------------------------------------------------------
# In the browser


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(site):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


CHECK_PAGE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const maths = [...document.querySelectorAll('.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container') && m.tagName !== 'MJX-CONTAINER');
  const images = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .math, .highlight').forEach(e => e.remove());
  const stray = [...clone.textContent.matchAll(/.{0,40}\\$.{0,40}/g)].map(m => m[0]);
  return {
    maths: maths.length,
    untypeset: untypeset.map(m => m.textContent.slice(0, 60)),
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
    images: images,
    stray: stray,
    tools: [...document.querySelectorAll('.course-tool img')].filter(i => i.naturalWidth > 0).length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
}"""


def test_every_page_in_chromium(site, server):
    need_chromium()
    from bs4 import BeautifulSoup
    from playwright.sync_api import sync_playwright

    # the pages, not the theme's template fragments that lie among the static files (_static/)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    pages = [p for p in pages if not p.startswith(("_static/", "_sources/"))]
    assert "index.html" in pages and "api.html" in pages and len(pages) >= len(NOTEBOOKS) + 2
    tools = {f"notebooks/{p.stem}.html": tool_count(p) for p in NOTEBOOKS}
    ids: dict[str, set[str]] = {}

    def anchors(path: str) -> set[str]:
        if path not in ids:
            html = BeautifulSoup((site / path).read_text(), "html.parser")
            ids[path] = {t.get("id") for t in html.find_all(id=True)} | {t.get("name") for t in html.find_all("a")}
        return ids[path]

    problems: list[str] = []
    with_maths = {  # the notebook pages whose markdown holds formulas
        f"notebooks/{p.stem}.html"
        for p in NOTEBOOKS
        if any(c["cell_type"] == "markdown" and "$" in "".join(c["source"]) for c in cells(p))
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in pages:
                page = browser.new_page()
                seen: list[str] = []
                page.on("console", lambda m, seen=seen: m.type == "error" and seen.append(f"console: {m.text}"))
                page.on("pageerror", lambda e, seen=seen: seen.append(f"page error: {e}"))
                page.on("requestfailed", lambda r, seen=seen: seen.append(f"failed request: {r.url}"))
                page.on("response", lambda r, seen=seen: r.status >= 400 and seen.append(f"{r.status}: {r.url}"))
                page.on(
                    "request",
                    lambda r, seen=seen: r.url.startswith(("http:", "https:"))
                    and not r.url.startswith(server)
                    and seen.append(f"outside request: {r.url}"),
                )
                page.goto(server + name, wait_until="load")
                found = page.evaluate(CHECK_PAGE)
                page.close()
                problems += [f"{name}: {s}" for s in seen]
                if name in with_maths and not found["maths"]:
                    problems.append(f"{name}: the notebook has formulas, the page shows none")
                problems += [f"{name}: maths not typeset: {t!r}" for t in found["untypeset"]]
                problems += [f"{name}: MathJax error: {t!r}" for t in found["errors"]]
                problems += [f"{name}: image not loaded: {src}" for src in found["images"]]
                problems += [f"{name}: stray dollar sign (maths not recognised?): {t!r}" for t in found["stray"]]
                if name in tools and found["tools"] != tools[name]:
                    problems.append(f"{name}: {found['tools']} tool pictures shown, the notebook has {tools[name]}")
                for href in found["links"]:
                    url = urlsplit(urljoin(name, href))
                    if url.scheme or url.netloc:
                        continue  # an outside link: a reader may follow it, the page never loads it
                    target = unquote(url.path) or name
                    if target.endswith("/"):
                        target += "index.html"
                    if not (site / target).is_file():
                        problems.append(f"{name}: link to a missing file {href!r}")
                    elif url.fragment and target.endswith(".html") and unquote(url.fragment) not in anchors(target):
                        problems.append(f"{name}: link to a missing anchor {href!r}")
        finally:
            browser.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    assert len(with_maths) >= len(NOTEBOOKS) - 1, "nearly every notebook has formulas"
