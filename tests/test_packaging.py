"""pyproject.toml is the one list of dependencies: environment.yml and constraints.txt must agree with it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_is_generated_from_pyproject():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_environment.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_environment_yml_asks_for_the_same_packages_and_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda
    conda_names = {"pytorch": "torch"}
    from_conda = {}
    for dep in conda:
        if dep.startswith(("python=", "pip")):
            continue
        req = Requirement(dep)
        from_conda[conda_names.get(req.name, req.name)] = req.specifier
    from_pyproject = {r.name: r.specifier for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section[-1] == "-e .", "the course package itself is installed by pip from the checkout, last"
    from_pip = {r.name: r.specifier for r in map(Requirement, pip_section[:-1])}  # PyPI-only packages
    assert not set(from_pip) & set(from_conda), "a package asked for twice"
    assert {**from_conda, **from_pip} == from_pyproject


def test_torch_is_pinned_exactly_and_only_in_pyproject():
    torch_reqs = [r for r in map(Requirement, PYPROJECT["project"]["dependencies"]) if r.name == "torch"]
    assert [str(r.specifier) for r in torch_reqs] == ["==2.13.0"], "a looser pin pulls a multi-GB CUDA build"
    constraints = (ROOT / "constraints.txt").read_text().splitlines()
    assert not [line for line in constraints if line.lower().startswith("torch==")]


def test_constraints_satisfy_pyproject():
    """The exact versions we test with must lie inside the ranges pyproject promises."""
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            req = Requirement(line)
            pinned[req.name.lower().replace("_", "-")] = next(iter(req.specifier)).version
    project = PYPROJECT["project"]
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(line)
        key = req.name.lower().replace("_", "-")
        if key in pinned:
            assert req.specifier.contains(pinned[key], prereleases=True), f"{key}=={pinned[key]} vs {req.specifier}"
