"""Sphinx extension for the course website: what the notebooks' pages add to a plain MyST-NB rendering.

- Every live tool's stored output holds two representations: the widget (live in a running kernel) and a PNG of
  the tool as the notebook left it. The site shows the PNG (conf.py drops the widget mime type) and, under it,
  a note that the tool is live when the notebook runs.
- Exercise cells (a stub marked ``# YOUR CODE HERE``) and the check cells after them (``exercises.check_...``)
  get CSS classes, so they read as exercises (docs/_static/course.css).
- Each notebook's page opens with a banner: download the notebook, or run the course live with its two
  commands.
- ``jupyterlab_slug``: heading anchors as JupyterLab makes them (the heading's text, spaces turned into
  hyphens), so the notebooks' links such as ``A_maths_refresher.ipynb#The-Newton-step`` resolve on the site.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TOOL_NOTE = "A picture of a live tool, as the notebook left it: when the notebook runs, the tool is live."
EXERCISE_STUB = "YOUR CODE HERE"
EXERCISE_CHECK = re.compile(r"\bexercises\.check_\w+\(")
MATHJAX_SCRIPT = "tex-chtml.js"
MATHJAX_FOLDERS = ("input", "output/chtml", "ui", "a11y", "sre", "adaptors")


def jupyterlab_slug(text: str) -> str:
    """The id JupyterLab gives a heading: its text with every whitespace character turned into a hyphen."""
    return re.sub(r"\s", "-", text.strip())


def _is_notebook(env, docname: str) -> bool:
    return str(env.doc2path(docname)).endswith(".ipynb")


class MarkLiveTools(SphinxPostTransform):
    """Wrap every output that holds both a widget view and a PNG (a course tool) with the live note.

    Runs before MyST-NB's SelectMimeType (priority 4), while the output still lists all its mime types."""

    default_priority = 3

    def run(self, **kwargs) -> None:
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            mime_types = {child.get("mime_type") for child in bundle.children}
            if not {WIDGET_VIEW, "image/png"} <= mime_types:
                continue
            note = nodes.paragraph("", TOOL_NOTE, classes=["course-tool-note"])
            tool = nodes.container("", classes=["course-tool"])
            bundle.replace_self(tool)
            tool += bundle
            tool += note


class ProblematicAsText(SphinxPostTransform):
    """Show reST that docutils could not parse (``|x|`` read as an undefined substitution in a docstring, say) as
    its plain text. docutils would link it to an error note that the HTML leaves out: a link to nowhere. The
    warning itself is still reported by the build."""

    default_priority = 5

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.problematic)):
            node.parent.replace(node, nodes.Text(node.astext()))


class MarkExercises(SphinxTransform):
    """Give exercise stubs and their check cells CSS classes (course-exercise, course-exercise-check)."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        for cell in self.document.findall(nodes.container):
            if cell.get("nb_element") != "cell_code":
                continue
            source = next(iter(cell.findall(nodes.literal_block)), None)
            if source is None:
                continue
            text = source.astext()
            if EXERCISE_STUB in text:
                cell["classes"].append("course-exercise")
            elif EXERCISE_CHECK.search(text):
                cell["classes"].append("course-exercise-check")


class RunLiveBanner(SphinxTransform):
    """Put a banner under a notebook page's title: download the notebook, or run the course with its commands."""

    default_priority = 501

    def apply(self, **kwargs) -> None:
        docname = self.env.docname
        if not _is_notebook(self.env, docname):
            return
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None or not isinstance(section[0], nodes.title):
            return
        name = PurePosixPath(docname).name + ".ipynb"
        # the HTML builder copies each source to _sources/<docname>.ipynb (conf.py: html_sourcelink_suffix = "")
        href = "../" * docname.count("/") + f"_sources/{docname}.ipynb"
        banner = nodes.container("", classes=["course-run-live"])
        first = nodes.paragraph()
        first += nodes.strong("", "Run this notebook live. ")
        first += nodes.Text("Download ")
        # the download attribute: a browser saves the notebook instead of showing its JSON
        link = f'<a class="reference external course-download" href="{href}" download="{name}">{name}</a>'
        first += nodes.raw("", link, format="html")
        first += nodes.Text(" and open it in your own JupyterLab, or get the whole course and run, in its folder:")
        banner += first
        clone = self.config.course_repository_url
        lines = ([f"git clone {clone}", "cd " + PurePosixPath(clone.rstrip("/")).name.removesuffix(".git")]
                 if clone else [])
        lines += [
            "make lab    # set up .venv (first time only), then open JupyterLab",
            "make test   # the same setup, then every test",
        ]
        banner += nodes.literal_block("", "\n".join(lines), language="bash")
        last = nodes.paragraph(
            "",
            "This page shows the notebook with the outputs stored when it was last run, top to bottom; pictures of "
            "the live tools stand where the tools appear.",
        )
        banner += last
        section.insert(1, banner)


def _mathjax_folder() -> Path:
    """MathJax 3.2.2 as the sphinx-mathjax-offline package ships it (the package is used for its files only)."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise ExtensionError("sphinx-mathjax-offline is not installed: pip install -e '.[site]' (make site does)")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy_mathjax(app: Sphinx, exc: Exception | None) -> None:
    """Copy the pieces of MathJax that tex-chtml.js loads (its fonts, lazily loaded TeX packages, the menu and
    its accessibility parts) into _static/mathjax, so that no page loads anything from the network."""
    if exc is not None or app.builder.format != "html":
        return
    source = _mathjax_folder()
    target = Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / MATHJAX_SCRIPT, target / MATHJAX_SCRIPT)
    for folder in MATHJAX_FOLDERS:
        shutil.copytree(source / folder, target / folder, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    _mathjax_folder()  # fail early when it is missing
    app.config.mathjax_path = f"mathjax/{MATHJAX_SCRIPT}"
    app.connect("build-finished", _copy_mathjax)
    app.add_config_value("course_repository_url", "", "env", types=[str])
    app.add_post_transform(MarkLiveTools)
    app.add_post_transform(ProblematicAsText)
    app.add_transform(MarkExercises)
    app.add_transform(RunLiveBanner)
    app.add_css_file("course.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
