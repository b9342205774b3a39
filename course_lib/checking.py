"""The engine behind course_lib.exercises: run a learner's function on cases and name the mistake.

An ``Exercise`` lists the cases, the reference (from ``course_lib.optim``), and a catalogue of ``Mistake``s,
each a function that makes one known mistake. ``run_check`` runs the learner's function on a fresh copy of
every case; if the answers differ from the reference it looks for the mistake that reproduces the learner's
answers on *every* case, so a mistake is named only when it explains everything the learner's code did.

Beyond the catalogue the engine itself names a few mistakes that no formula can: results returned in the wrong
order, float32 where float64 was given (a float32 output, or answers right only to float32's 7 digits when an
exercise asks for float64's precision), and, for inputs an exercise marks ``read_only`` (a gradient, the
data), changing one in place or returning it (or a view of it) as an output. State such as ``w``, ``buf``,
``m`` and ``v`` may be updated in place, as ``torch.optim`` does.
"""

from __future__ import annotations

import html
import itertools
import math
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

RTOL, ATOL = 1e-5, 1e-8  # the default closeness; mistakes are always matched at this (loose) tolerance
FLOAT64_RTOL, FLOAT64_ATOL = 1e-9, 1e-12  # for exercises whose answer float64 gets right to ~15 digits


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
    # inputs that belong to the caller (a gradient, the data) -> advice: changing one in place, or returning it
    # (or a view of it) as an output, is a mistake. Inputs not listed (the state: w, buf, m, v) may change.
    read_only: dict[str, str] = field(default_factory=dict)
    rtol: float = RTOL  # how close a right answer is; FLOAT64_RTOL makes float32 round-off show
    atol: float = ATOL


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


def _close(
    a: tuple[Tensor, ...], b: tuple[Tensor, ...], *, equal_nan: bool = False, rtol: float = RTOL, atol: float = ATOL
) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape:
            return False
        if not torch.allclose(x.double(), y.double(), rtol=rtol, atol=atol, equal_nan=equal_nan):
            return False
    return True


_NARROW = (torch.float32, torch.float16, torch.bfloat16)


def _relative_gap(got: Tensor, expected: Tensor) -> float:
    """The largest difference between two tensors, relative to the largest expected value."""
    g, e = got.double(), expected.double()
    return float((g - e).abs().max() / e.abs().max().clamp_min(1e-300)) if e.numel() else 0.0


def _narrowed(raw: Any, ex: Exercise, expected: tuple[Tensor, ...]) -> list[str]:
    """The outputs the learner returned in float32 (or less) where the reference is float64."""
    items = raw if isinstance(raw, tuple) or (isinstance(raw, list) and len(ex.outputs) > 1) else (raw,)
    out = []
    for name, item, want in zip(ex.outputs, items, expected, strict=False):
        if want.dtype != torch.float64:
            continue
        if isinstance(item, Tensor) and item.dtype in _NARROW:
            out.append(f"{name} is a {str(item.dtype).removeprefix('torch.')} tensor")
        elif isinstance(item, np.ndarray) and item.dtype in (np.float32, np.float16):
            out.append(f"{name} is a {item.dtype} array")
    return out


def _same_memory(a: Any, b: Any) -> bool:
    """Whether two tensors share memory (one is the other, or a view of it)."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or a.numel() == 0 or b.numel() == 0:
        return False
    pa, pb = a.untyped_storage().data_ptr(), b.untyped_storage().data_ptr()
    return pa != 0 and pa == pb


@dataclass
class _Run:
    """One case as the learner's function answered it."""

    label: str
    args: tuple  # the case's arguments, untouched
    got: tuple[Tensor, ...]
    expected: tuple[Tensor, ...]
    narrowed: list[str]  # outputs in float32 where float64 is expected
    changed: list[str]  # read-only inputs the function changed in place
    aliased: list[tuple[str, str]]  # (output, read-only input) pairs that share memory


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


def _read_only_problems(ex: Exercise, args: tuple, mine: tuple, got: tuple) -> tuple[list[str], list[tuple]]:
    """The read-only inputs the learner's function changed (beyond round-off: a nudge undone is fine), and the
    outputs that share memory with one."""
    changed, aliased = [], []
    for i, param in enumerate(ex.params):
        if param not in ex.read_only or not isinstance(args[i], Tensor):
            continue
        a, b = mine[i], args[i]
        same = isinstance(a, Tensor) and a.shape == b.shape
        if not same or not torch.allclose(a.double(), b.double(), rtol=1e-12, atol=1e-12):
            changed.append(param)
        aliased += [(name, param) for name, out in zip(ex.outputs, got, strict=True) if _same_memory(out, a)]
    return changed, aliased


def _hidden_problem(ex: Exercise, runs: list[_Run]) -> str | None:
    """What is wrong with answers whose values are right (or explained by nothing else): dtype, in place, alias."""
    for r in runs:
        if r.narrowed:
            return (
                f"{' and '.join(r.narrowed)}, but the inputs are float64 (on the case '{r.label}'): float32 keeps "
                "only about 7 significant digits. torch.zeros(n), torch.eye(n) and torch.tensor([...]) make float32 "
                "unless you pass dtype=torch.float64; torch.zeros_like(x) keeps x's dtype."
            )
    for r in runs:
        if r.changed:
            param = r.changed[0]
            return f"{ex.name} changed {param} in place (on the case '{r.label}'). {ex.read_only[param]}"
    for r in runs:
        if r.aliased:
            out, param = r.aliased[0]
            return (
                f"{out} is {param} itself (the same memory), not a new tensor (on the case '{r.label}'). "
                f"{ex.read_only[param]}"
            )
    return None


def run_check(ex: Exercise, fn: Any) -> CheckResult:
    """Check `fn` against the exercise: the engine behind every ``check_*`` function."""
    if not callable(fn):
        return CheckResult(
            False,
            f"Pass your function itself, e.g. check_{ex.name}({ex.name}), without calling it "
            f"(no parentheses after {ex.name}); got a {type(fn).__name__}.",
        )
    runs: list[_Run] = []
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
        changed, aliased = _read_only_problems(ex, args, mine, got)
        runs.append(_Run(label, args, got, expected, _narrowed(raw, ex, expected), changed, aliased))

    tol = {"rtol": ex.rtol, "atol": ex.atol}
    loose = {"rtol": max(ex.rtol, RTOL), "atol": max(ex.atol, ATOL)}  # mistakes are matched at this tolerance
    failing = [r for r in runs if not _close(r.got, r.expected, **tol)]
    if not failing:
        hidden = _hidden_problem(ex, runs)
        if hidden:
            return CheckResult(False, hidden)
        labels = "; ".join(label for label, _ in ex.cases)
        return CheckResult(True, f"{ex.name} matches the reference on all {len(runs)} cases ({labels}).")

    # the example: a case where the answer is clearly off, if there is one, rather than off by round-off only
    first = next((r for r in failing if not _close(r.got, r.expected, **loose)), failing[0])
    got, expected = first.got, first.expected
    example = _example(ex, first.label, first.args, expected, got)
    for mistake in ex.mistakes:
        try:
            explains = all(
                _close(r.got, _as_tuple(mistake.compute(*_clones(r.args))), equal_nan=True, **loose) for r in runs
            )
        except Exception:  # a mistake that cannot even be computed on some case does not explain the result
            explains = False
        if explains:
            return CheckResult(False, f"It looks like {mistake.name}. {mistake.advice}\n{example}")
    k = len(ex.outputs)
    for order in itertools.permutations(range(k)):
        if order != tuple(range(k)) and all(_close(tuple(r.got[i] for i in order), r.expected, **loose) for r in runs):
            return CheckResult(
                False,
                f"Your results are right but in the wrong order: return {', '.join(ex.outputs)}, in that order."
                f"\n{example}",
            )
    round_off_only = all(_close(r.got, r.expected, **loose) for r in runs)
    hidden = _hidden_problem(ex, runs)
    if hidden:  # the example adds nothing when the numbers differ only in their last digits
        return CheckResult(False, hidden if round_off_only else f"{hidden}\n{example}")
    wrong = [name for i, name in enumerate(ex.outputs) if not _close((got[i],), (expected[i],), **tol)]
    if round_off_only:
        gap, label = max((_relative_gap(g, e), r.label) for r in runs for g, e in zip(r.got, r.expected, strict=True))
        return CheckResult(
            False,
            f"{' and '.join(wrong)} {'agrees' if len(wrong) == 1 else 'agree'} with the reference only to about "
            f"{max(1, round(-math.log10(gap)))} significant digits (a relative difference of {gap:.0e} on the case "
            f"'{label}'), where float64 gives 15: that is float32's precision. Somewhere your code works in "
            "float32: tensors made from Python numbers (torch.zeros(n), torch.eye(n), torch.tensor([...]), "
            "torch.where(c, 1.0, -1.0)) are float32 unless you pass dtype=torch.float64, and a float32 tensor "
            "times a Python number stays float32 (torch.zeros_like(x) keeps x's dtype). If not, look for a small "
            "term (such as eps) in the wrong place.",
        )
    for i, name in enumerate(ex.outputs):
        if got[i].shape != expected[i].shape:
            return CheckResult(
                False, f"{name} has shape {tuple(got[i].shape)}; expected {tuple(expected[i].shape)}.\n{example}"
            )
    passed = len(runs) - len(failing)
    return CheckResult(
        False,
        f"{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off on {len(failing)} of {len(runs)} cases "
        f"(right on {passed}). Compare your formula with the one in the notebook, line by line.\n{example}",
    )


def _as_tuple(value: Any) -> tuple[Tensor, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)
