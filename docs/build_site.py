"""Build the course website from the committed notebooks, without running them (make site).

Stages one Sphinx source folder (this folder's conf.py, pages, _static and _ext; the notebooks
notebooks/[0-9A]*.ipynb; README.md, which the landing page includes; figures/), then runs Sphinx's HTML
builder on it, reading every page afresh (about 20 s on 2 cores), so that every warning shows on every build.

    python docs/build_site.py                 # into site/
    python docs/build_site.py --out DIR       # elsewhere
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """The course's notebooks in course order: the numbered ones, then the appendices (A_...)."""
    return sorted((root / "notebooks").glob("[0-9A]*.ipynb"))


def _sources(root: Path) -> dict[Path, Path]:
    """Staged path (relative) -> original file."""
    files: dict[Path, Path] = {}
    for path in (root / "docs").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.name != "build_site.py":
            files[path.relative_to(root / "docs")] = path
    for path in course_notebooks(root):
        files[Path("notebooks") / path.name] = path
    files[Path("README.md")] = root / "README.md"
    for path in (root / "figures").glob("*.png"):
        files[Path("figures") / path.name] = path
    return files


def stage(dest: Path, root: Path = ROOT) -> None:
    """Make dest hold exactly the site's sources: copy new or changed files (with their times), drop the rest."""
    files = _sources(root)
    dest.mkdir(parents=True, exist_ok=True)
    for rel, src in files.items():
        target = dest / rel
        st = src.stat()
        if target.exists() and (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    for path in sorted(dest.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(dest) not in files:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


DOCSTRING_WARNING = re.compile(r"docstring of course_lib\.")


@dataclasses.dataclass
class BuildResult:
    status: int  # Sphinx's exit status
    errors: list[str]  # warnings that fail the build: a broken link or reference, a missing image, a bad notebook...
    docstring_warnings: list[str]  # reST formatting slips in course_lib's docstrings: shown, not fatal

    @property
    def ok(self) -> bool:
        return self.status == 0 and not self.errors


def _warnings(log: Path) -> list[str]:
    """Sphinx's warnings, one entry each (a line that starts at column 0 opens an entry)."""
    entries: list[str] = []
    for line in log.read_text().splitlines():
        if line.strip():
            if line[0].isspace() and entries:
                entries[-1] += "\n" + line
            else:
                entries.append(line)
    return entries


def build(out: Path, work: Path, *, jobs: str = "auto", quiet: bool = True) -> BuildResult:
    """Stage the sources into work/src, build the HTML site in work/html and copy it to out (replacing a site
    built there before).

    Every Sphinx warning fails the build except reST formatting slips in course_lib's docstrings, which only
    make a line of the API page look odd; those are returned apart."""
    from sphinx.cmd.build import build_main

    if out.exists() and any(out.iterdir()) and not (out / ".buildinfo").exists():
        raise SystemExit(f"{out} holds files that are not a site built by Sphinx: choose an empty or new folder")
    src, html = work / "src", work / "html"  # Sphinx writes into work/ only (MyST-NB puts files beside html/)
    stage(src)
    log = work / "warnings.log"
    args = ["-b", "html", "-E", "--keep-going", "-j", jobs, "-d", str(work / "doctrees"), "-w", str(log)]
    args += [str(src), str(html)]
    if quiet:
        args.insert(0, "-q")
    status = build_main(args)
    entries = _warnings(log) if log.exists() else []
    docstring = [e for e in entries if DOCSTRING_WARNING.search(e)]
    if status == 0:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(html, out)
    return BuildResult(status, [e for e in entries if e not in docstring], docstring)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="output folder (default: site/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "site", help="staging and cache folder")
    parser.add_argument("-j", "--jobs", default="auto", help="Sphinx's parallel jobs (default: auto)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only warnings and the result")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = build(args.out.resolve(), args.work.resolve(), jobs=args.jobs, quiet=args.quiet)
    seconds = time.perf_counter() - start
    if result.docstring_warnings:
        print(f"{len(result.docstring_warnings)} reST formatting slips in course_lib's docstrings, listed above: the"
              " API page shows those lines oddly (not fatal)")
    if not result.ok:
        print(f"the site build failed after {seconds:.0f} s (Sphinx exit status {result.status}); these warnings"
              " fail it:\n  " + "\n  ".join(result.errors), file=sys.stderr)
        return 1
    index = args.out / "index.html"
    print(f"site built in {seconds:.0f} s: open {index}; to publish it, copy the folder to any static host")
    return 0


if __name__ == "__main__":
    sys.exit(main())
