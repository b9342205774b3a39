"""Write environment.yml (for conda and Binder users) from pyproject.toml, the one list of dependencies.

    python tools/sync_environment.py          # rewrite environment.yml
    python tools/sync_environment.py --check  # exit 1 if environment.yml is out of date

tests/test_packaging.py runs the check, so a dependency changed in one place and not the other fails the suite.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name, where they differ
PIP_ONLY = {"mnist1d"}  # on PyPI but not on conda-forge: installed by pip, in the pip section
PYTHON = "3.11"


def conda_spec(requirement: str) -> str:
    """'torch==2.13.0' -> 'pytorch==2.13.0' (conda-forge accepts PEP 440-style comparison specs)."""
    name_end = next((i for i, c in enumerate(requirement) if c in "<>=!~ ["), len(requirement))
    name, spec = requirement[:name_end], requirement[name_end:].replace(" ", "")
    return CONDA_NAMES.get(name.lower(), name) + spec


def _name(requirement: str) -> str:
    return requirement[: next((i for i, c in enumerate(requirement) if c in "<>=!~ ["), len(requirement))].lower()


def render() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [
        "# Generated from pyproject.toml by tools/sync_environment.py (make environment.yml): edit pyproject.toml,",
        "# not this file. For conda and Binder: conda env create -f environment.yml && conda activate optim-course",
        "name: optim-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON}",
        "  - pip",
        *(f'  - "{conda_spec(req)}"' for req in project["dependencies"] if _name(req) not in PIP_ONLY),
        "  - pip:",
        *(f'      - "{req}"' for req in project["dependencies"] if _name(req) in PIP_ONLY),
        "      - -e .  # the course's own package, course_lib; its dependencies are already satisfied above",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether environment.yml is current")
    args = parser.parse_args()
    path = ROOT / "environment.yml"
    wanted = render()
    if args.check:
        if not path.exists() or path.read_text() != wanted:
            print("environment.yml is out of date with pyproject.toml: run `make environment.yml`", file=sys.stderr)
            return 1
        return 0
    path.write_text(wanted)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
