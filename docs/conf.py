"""Sphinx configuration of the course website (make site; see docs/build_site.py).

Sphinx runs on a staged copy: this folder, the committed notebooks in notebooks/, README.md and figures/.
The notebooks are not executed: each page shows the outputs stored in its notebook. Nothing is loaded from
the network: MathJax comes from the sphinx-mathjax-offline package, the theme bundles its fonts and icons,
and the widget mime type (whose renderer MyST-NB would fetch from a CDN) is dropped in favour of each tool's
stored PNG.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "optim-course"
author = "the optim-course authors"
copyright = "the optim-course authors, MIT licence"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.githubpages",  # writes .nojekyll, so that GitHub Pages serves _static/ and the other _ folders
    "course_site",  # also copies MathJax 3 (from the sphinx-mathjax-offline package) into _static/mathjax
]

root_doc = "index"
suppress_warnings = ["myst.header"]  # a notebook's heading levels are its own; every other warning fails the build
exclude_patterns = ["README.md", "_build", "**.ipynb_checkpoints"]
templates_path = []
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"

# -- notebooks (MyST-NB) ----------------------------------------------------------------------------------
nb_execution_mode = "off"  # the committed notebooks are executed already; their outputs are what we show
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
nb_mime_priority_overrides = [("html", WIDGET_VIEW, None)]  # a tool shows its stored PNG, a question its text
nb_ipywidgets_js = {}  # never the ipywidgets HTML manager from a CDN
nb_merge_streams = True  # a cell's printed lines in one block

# -- markdown (MyST) --------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph is displayed maths, as in JupyterLab
myst_heading_anchors = 6
myst_heading_slug_func = "course_site.jupyterlab_slug"  # the notebooks link headings as JupyterLab names them

# -- course_lib's API page (autodoc) ----------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}

# -- HTML ---------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "optim-course"
html_context = {"default_mode": "light"}  # the figures and the checks' feedback are drawn for a light page
html_copy_source = True
html_sourcelink_suffix = ""  # _sources/notebooks/NAME.ipynb is the notebook itself: the download link
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "show_navbar_depth": 1,
}
course_repository_url = os.environ.get("COURSE_REPOSITORY_URL", "")  # shown as `git clone URL` when set
