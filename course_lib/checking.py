"""The engine behind course_lib.exercises: run a learner's function on cases and name the mistake.

An ``Exercise`` lists the cases, the reference (from ``course_lib.optim``), and a catalogue of ``Mistake``s,
each a function that makes one known mistake. ``run_check`` runs the learner's function on a fresh copy of
every case; if the answers differ from the reference it looks for the mistake that reproduces the learner's
answers on *every* case, so a mistake is named only when it explains everything the learner's code did.
"""

from __future__ import annotations

import html
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

RTOL, ATOL = 1e-5, 1e-8


# --------------------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------------------

_LOOK = {  # status -> (plain-text mark, border colour, background, heading)
    "passed": ("[correct]", "#1a7f37", "#e9f7ee", "Correct"),
    "failed": ("[not yet]", "#b35900", "#fff4e5", "Not yet"),
    "not done": ("[not done yet]", "#5a6b7b", "#eef2f6", "Not done yet"),
    "error": ("[error]", "#b3261e", "#fdecea", "Your code raised an error"),
}


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ``passed`` and a ``message`` in plain words. Shows itself in a notebook."""

    passed: bool
    message: str
    status: str = field(default="", compare=False)  # "passed", "failed", "not done" or "error"

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "passed" if self.passed else "failed")

    def __repr__(self) -> str:
        return f"{_LOOK[self.status][0]} {self.message}"

    def _repr_html_(self) -> str:
        mark, border, background, heading = _LOOK[self.status]
        body = html.escape(self.message).replace("\n", "<br>")
        return (
            f'<div style="border-left:6px solid {border};background:{background};padding:8px 12px;'
            f'margin:4px 0;font-family:sans-serif;color:#1f2328">'
            f'<b style="color:{border}">{heading}</b><br><span style="font-family:monospace;white-space:pre-wrap">'
            f"{body}</span></div>"
        )


# --------------------------------------------------------------------------------------------------------
# The engine: run the learner's function on cases, compare, and name the mistake
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A known mistake: a function with the exercise's signature that makes it, and what to tell the learner."""

    name: str
    compute: Callable[..., Any]
    advice: str


@dataclass(frozen=True)
class Exercise:
    name: str  # the function the learner writes, e.g. "adam_step"
    params: tuple[str, ...]  # its parameters, in order
    outputs: tuple[str, ...]  # what it returns, e.g. ("new w", "new m", "new v")
    cases: tuple[tuple[str, tuple], ...]  # (label, arguments)
    reference: Callable[..., tuple]  # returns a tuple of tensors, one per output
    mistakes: tuple[Mistake, ...]
    hint: str  # shown while the exercise is not done yet
    none_hints: dict[str, str] = field(default_factory=dict)  # case label -> hint when the code fails there
    must_be_tensor: bool = False  # a loss must stay a tensor for autograd; an update rule may return numpy


def _clone(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.clone()
    if isinstance(value, torch.Generator):
        return torch.Generator().manual_seed(value.initial_seed())
    return value


def _clones(args: tuple) -> tuple:
    return tuple(_clone(a) for a in args)


def _fmt(x: Any) -> str:
    """A short, stable rendering of a number or a small tensor."""
    if isinstance(x, Tensor):
        if x.dim() == 0:
            return _fmt(x.item())
        if x.numel() > 8:
            return f"tensor of shape {tuple(x.shape)}"
        return "[" + ", ".join(_fmt(v) for v in x.flatten().tolist()) + "]"
    if x is None:
        return "None"
    if callable(x):  # a function given to the learner's code: its formula, never a memory address
        return getattr(x, "formula", getattr(x, "__name__", "a function"))
    if isinstance(x, bool | str):
        return repr(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.5g}"
    return repr(x)


def _as_outputs(raw: Any, ex: Exercise) -> tuple[tuple[Tensor, ...] | None, str | None]:
    """The learner's return value as a tuple of tensors, or a sentence saying why it is not one."""
    k = len(ex.outputs)
    want = ex.outputs[0] if k == 1 else "(" + ", ".join(ex.outputs) + ")"
    if k == 1 and isinstance(raw, list) and not ex.must_be_tensor:  # a list of numbers is one vector
        try:
            raw = torch.tensor(raw, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            pass
    items = raw if isinstance(raw, tuple | list) else (raw,)
    if k == 1 and isinstance(raw, tuple | list) and len(raw) != 1:
        return None, f"{ex.name} should return one value, {want}; it returned {len(raw)} values."
    if len(items) != k:
        got = f"{len(items)} value" + ("s" if len(items) != 1 else "")
        return None, f"{ex.name} should return {k} values, {want}; it returned {got}."
    out = []
    for label, item in zip(ex.outputs, items, strict=True):
        if isinstance(item, np.ndarray | float | int) and not isinstance(item, bool) and not ex.must_be_tensor:
            item = torch.as_tensor(item, dtype=torch.float64)
        if not isinstance(item, Tensor):
            why = " (autograd needs a tensor: do not call .item() or float())" if ex.must_be_tensor else ""
            return None, f"{label} should be a tensor{why}; {ex.name} returned a {type(item).__name__} for it."
        out.append(item.detach())
    return tuple(out), None


def _close(a: tuple[Tensor, ...], b: tuple[Tensor, ...], *, equal_nan: bool = False) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape:
            return False
        if not torch.allclose(x.double(), y.double(), rtol=RTOL, atol=ATOL, equal_nan=equal_nan):
            return False
    return True


_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_LIBRARY_DIRS = (sys.base_prefix, sys.prefix)


def _is_library_file(filename: str) -> bool:
    """Code of the course, of an installed package or of Python itself, as opposed to the learner's."""
    if filename.startswith(_PACKAGE_DIR):
        return True
    return any(filename.startswith(d) for d in _LIBRARY_DIRS) or "site-packages" in filename


def learner_line(exc: BaseException) -> str:
    """The line of the learner's code where the exception arose (not a line of the course's code)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library_file(f.filename)]
    if not frames or not frames[-1].line:
        return ""
    return f"\nIt happened in your line {frames[-1].lineno}: {frames[-1].line.strip()}"


def _not_done(ex: Exercise) -> CheckResult:
    return CheckResult(
        False,
        f"{ex.name} is not written yet (it raises NotImplementedError or returns None).\nHint: {ex.hint}",
        "not done",
    )


def _example(ex: Exercise, label: str, args: tuple, expected: tuple, got: tuple | None) -> str:
    inputs = ", ".join(f"{p}={_fmt(a)}" for p, a in zip(ex.params, args, strict=True))
    lines = [f"Example ({label}): {ex.name}({inputs})"]
    for i, name in enumerate(ex.outputs):
        lines.append(f"  {name}: expected {_fmt(expected[i])}" + (f", got {_fmt(got[i])}" if got else ""))
    return "\n".join(lines)


def run_check(ex: Exercise, fn: Any) -> CheckResult:
    """Check `fn` against the exercise: the engine behind every ``check_*`` function."""
    if not callable(fn):
        return CheckResult(
            False,
            f"Pass your function itself, e.g. check_{ex.name}({ex.name}), without calling it "
            f"(no parentheses after {ex.name}); got a {type(fn).__name__}.",
        )
    runs = []  # (label, args, got, expected)
    for label, args in ex.cases:
        expected = ex.reference(*_clones(args))
        mine = _clones(args)
        try:
            raw = fn(*mine)
        except NotImplementedError:
            return _not_done(ex)
        except Exception as exc:  # the learner's code failed: say so briefly, never a traceback
            hint = ex.none_hints.get(label, "")
            return CheckResult(
                False,
                f"On the case '{label}', {ex.name} raised {type(exc).__name__}: {exc}{learner_line(exc)}"
                + (f"\nHint: {hint}" if hint else ""),
                "error",
            )
        if raw is None:
            changed = any(isinstance(a, Tensor) and not torch.equal(a, b) for a, b in zip(mine, args, strict=True))
            if changed:
                return CheckResult(
                    False,
                    f"{ex.name} changed its inputs in place but returned None: "
                    f"end it with `return {', '.join(ex.outputs).replace('new ', '')}`.",
                )
            return _not_done(ex)
        got, problem = _as_outputs(raw, ex)
        if problem:
            return CheckResult(False, problem)
        runs.append((label, args, got, expected))

    failing = [r for r in runs if not _close(r[2], r[3])]
    if not failing:
        labels = "; ".join(label for label, _ in ex.cases)
        return CheckResult(True, f"{ex.name} matches the reference on all {len(runs)} cases ({labels}).")

    label, args, got, expected = failing[0]
    example = _example(ex, label, args, expected, got)
    for mistake in ex.mistakes:
        try:
            explains = all(_close(g, _as_tuple(mistake.compute(*_clones(a))), equal_nan=True) for _, a, g, _ in runs)
        except Exception:  # a mistake that cannot even be computed on some case does not explain the result
            explains = False
        if explains:
            return CheckResult(False, f"It looks like {mistake.name}. {mistake.advice}\n{example}")
    for i, name in enumerate(ex.outputs):
        if got[i].shape != expected[i].shape:
            return CheckResult(
                False, f"{name} has shape {tuple(got[i].shape)}; expected {tuple(expected[i].shape)}.\n{example}"
            )
    wrong = [name for i, name in enumerate(ex.outputs) if not _close((got[i],), (expected[i],))]
    passed = len(runs) - len(failing)
    return CheckResult(
        False,
        f"{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off on {len(failing)} of {len(runs)} cases "
        f"(right on {passed}). Compare your formula with the one in the notebook, line by line.\n{example}",
    )


def _as_tuple(value: Any) -> tuple[Tensor, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)
