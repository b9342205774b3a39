"""Is this kernel's environment fit for the course? Used by notebooks/00_start_here.

The list of what is needed is not written here: it is read from the installed course package's own metadata,
which comes from pyproject.toml, so the check and the install can never disagree.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

DIST_NAME = "optim-course"
_OPERATOR_ORDER = ["===", "==", "~=", ">=", ">", "<=", "<", "!="]  # lower bounds first: ">=4.2,<5" reads naturally
FIX = "run `make install` in the course folder, then restart the kernel (Kernel > Restart Kernel)"


@dataclass(frozen=True)
class PackageCheck:
    """One required package: what the course asks for, what this environment has, and the verdict."""

    name: str
    wanted: str  # a version specifier such as ">=4.2,<5"
    found: str | None  # the installed version, None when missing
    status: str  # "ok", "missing", "too old", "too new" or "wrong version"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class EnvironmentReport:
    packages: tuple[PackageCheck, ...]
    notes: tuple[str, ...]  # problems that are not one package's version (e.g. the course is not installed)

    @property
    def ok(self) -> bool:
        return not self.notes and all(p.ok for p in self.packages)

    @property
    def problems(self) -> list[str]:
        found = [
            f"{p.name}: {p.status} (found {p.found or 'nothing'}, the course needs {p.wanted or 'any'})"
            for p in self.packages
            if not p.ok
        ]
        return list(self.notes) + found

    def summary(self) -> str:
        """A short verdict that is the same on every machine where all is well."""
        if self.ok:
            return f"All {len(self.packages)} packages the course needs are installed at suitable versions."
        lines = [f"{len(self.problems)} problem(s) found; to fix them, {FIX}:"]
        return "\n".join(lines + [f"  - {p}" for p in self.problems])

    def table(self) -> str:
        """Every package with the version wanted and found (differs between machines, so shown apart)."""
        rows = [("package", "needs", "found", "status")]
        rows += [(p.name, p.wanted or "any", p.found or "-", p.status) for p in self.packages]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table() + "\n\n" + self.summary()


def verdict(spec: str, found: str | None) -> str:
    """'ok', 'missing', 'too old', 'too new' or 'wrong version' for an installed version against a spec."""
    if found is None:
        return "missing"
    specifiers = SpecifierSet(spec)
    try:
        version = Version(found)
    except InvalidVersion:
        return "wrong version"
    if specifiers.contains(version, prereleases=True):
        return "ok"
    lower = [s for s in specifiers if s.operator in (">=", ">", "==", "~=")]
    if any(version < Version(s.version) for s in lower):
        return "too old"
    upper = [s for s in specifiers if s.operator in ("<", "<=", "==", "~=")]
    if any(version > Version(s.version) for s in upper):
        return "too new"
    return "wrong version"


def course_requirements() -> list[Requirement] | None:
    """The runtime requirements of the installed course package (None when the course is not installed)."""
    try:
        declared = metadata.requires(DIST_NAME) or []
    except metadata.PackageNotFoundError:
        return None
    requirements = [Requirement(line) for line in declared]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_environment(
    requirements: Iterable[Requirement | str] | None = None,
    version_of: Callable[[str], str | None] = _installed_version,
) -> EnvironmentReport:
    """Check every requirement against what is installed; by default the course's own requirements."""
    notes = []
    if requirements is None:
        requirements = course_requirements()
        if requirements is None:
            notes.append(
                "the course package is not installed in this kernel's environment: start JupyterLab with "
                "`make lab`, or choose that environment's kernel (Kernel > Change Kernel)"
            )
            requirements = []
    checks = []
    for req in requirements:
        req = Requirement(req) if isinstance(req, str) else req
        found = version_of(req.name)
        ordered = sorted(req.specifier, key=lambda spec: _OPERATOR_ORDER.index(spec.operator))
        wanted = ",".join(str(spec) for spec in ordered)
        checks.append(PackageCheck(req.name, wanted, found, verdict(wanted, found)))
    return EnvironmentReport(tuple(checks), tuple(notes))


def machine_summary() -> str:
    """Python, torch and the compute device: useful in a bug report, different on every machine."""
    lines = [f"Python {platform.python_version()} on {platform.system()} {platform.machine()}"]
    try:
        import torch
    except ImportError:
        return "\n".join(lines + ["torch: not importable"])
    lines.append(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    if torch.cuda.is_available():
        lines.append(f"GPU: {torch.cuda.get_device_name(0)} (training code in the course will use it)")
    else:
        lines.append("GPU: none found; every notebook is designed to run well on a CPU")
    return "\n".join(lines)
