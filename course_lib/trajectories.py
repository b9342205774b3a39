"""Run optimizers on a 2-D landscape: the paths the notebooks and the playground draw.

A path here is what the torch.optim class of that name would do on the landscape: bit for bit the same
when the class is given the landscape's analytic gradient, and equal to round-off when it gets the gradient
through autograd (the tests check both). It is computed the fast way: the same update rules as
``course_lib.optim`` applied to the analytic gradient, every configuration stacked into one (N, 2) array so that
one gradient call serves them all, and no autograd graph. Configurations of the same optimizer step together,
with hyperparameters that differ between them passed to the rule as a column of values (to round-off, not bit
for bit, the same as running them one by one: a column takes a different torch operation than a number).

A run that turns non-finite or flies off far beyond the plotting window is marked diverged at that step; its
path and losses from there on are NaN, so plots simply stop. Nothing here raises for a diverging run.
Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from course_lib import landscapes, optim

__all__ = [
    "Trajectory",
    "run",
    "run_many",
    "steps_to_reach",
    "steps_to_settle",
    "tuned_race",
    "minibatch_sgd",
    "DIVERGENCE_FACTOR",
]

DIVERGENCE_FACTOR = 1e6  # a point this many window-widths away from the window's centre counts as diverged


@dataclass(frozen=True)
class Trajectory:
    """One optimizer's run: ``path`` (steps+1, 2) and ``losses`` (steps+1,), NaN after a divergence."""

    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None
    label: str
    optimizer: str
    hparams: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    @property
    def final(self) -> np.ndarray:
        """The last point reached (the last finite one for a diverged run)."""
        finite = np.isfinite(self.path).all(axis=1)
        return self.path[finite][-1]

    def describe(self) -> str:
        """One line: where the run ended, or at which step it diverged."""
        if self.diverged_at is not None:
            return f"{self.label}: diverged at step {self.diverged_at}"
        x, y = np.round(self.final, 3) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
        return f"{self.label}: ended at ({x:.3f}, {y:.3f}) with loss {self.losses[-1]:.3g}"


def label_for(name: str, hparams: dict[str, Any]) -> str:
    """'adam (lr=0.1)': the optimizer's name and the hyperparameters the caller set."""
    if not hparams:
        return name
    shown = ", ".join(f"{k}={_short(v)}" for k, v in hparams.items())
    return f"{name} ({shown})"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return str(value)


def run(
    landscape: str | landscapes.Landscape,
    optimizer: str,
    *,
    start: Sequence[float] | None = None,
    steps: int = 100,
    **hparams: Any,
) -> Trajectory:
    """Run one optimizer (a ``make_optimizer`` name with its hyperparameters) for ``steps`` steps."""
    return run_many(landscape, [(optimizer, hparams)], start=start, steps=steps)[0]


def run_many(
    landscape: str | landscapes.Landscape,
    configs: Iterable[tuple[str, dict[str, Any]]],
    *,
    start: Sequence[float] | None = None,
    steps: int = 100,
) -> list[Trajectory]:
    """Run many (name, hyperparameters) configurations from one start point, batched; one Trajectory each.

    Bad names or hyperparameters raise ValueError (as ``make_optimizer`` would) before anything runs.
    """
    land = landscapes.get(landscape)
    configs = [(name, dict(hp)) for name, hp in configs]
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    start_xy = _check_start(land.start if start is None else start)
    resolved = [optim.optimizer_settings(name, **hp) for name, hp in configs]

    batches = _batch(resolved)  # [(cls, group with column hyperparameters, row indices)], rows contiguous
    order = [i for _, _, rows in batches for i in rows]
    with torch.inference_mode():  # no autograd bookkeeping at all: about a quarter faster on these tiny tensors
        path = _simulate(land, batches, start_xy, steps)
    paths = np.empty((steps + 1, len(order), 2))
    paths[:, order] = path
    return [_finish(land, paths[:, i], name, hp) for i, (name, hp) in enumerate(configs)]


def steps_to_reach(trajectory: Trajectory, min_value: float, tol: float = 1e-3) -> int | None:
    """The first step at which the loss is within ``tol`` of ``min_value``; None if it never gets there."""
    with np.errstate(invalid="ignore"):
        close = np.nonzero(trajectory.losses - min_value < tol)[0]  # NaN (after a divergence) is never close
    return int(close[0]) if len(close) else None


def steps_to_settle(trajectory: Trajectory, min_value: float, tol: float = 1e-3) -> int | None:
    """The step from which the loss stays within ``tol`` of ``min_value`` to the end of the run; None if it is not.

    Unlike ``steps_to_reach`` this does not count a run that touches the tolerance and then leaves it (it
    overshoots, oscillates, or comes to rest just outside): such a run settles later, or never (None).
    """
    with np.errstate(invalid="ignore"):
        outside = np.nonzero(~(trajectory.losses - min_value < tol))[0]  # NaN (after a divergence) is outside
    if not len(outside):
        return 0
    last = int(outside[-1])
    return None if last == len(trajectory.losses) - 1 else last + 1


def tuned_race(
    landscape: str | landscapes.Landscape,
    optimizers: Sequence[str],
    lrs: Sequence[float],
    *,
    steps: int = 500,
    tol: float = 1e-3,
    start: Sequence[float] | None = None,
    settle: bool = False,
) -> list[Trajectory]:
    """Each optimizer at the learning rate from ``lrs`` that serves it best here, one Trajectory per optimizer.

    A fair race gives every optimizer its own best learning rate (one shared rate favours whichever it suits).
    Best means: the fewest steps to come within ``tol`` of the minimum (with ``settle=True``: to come within it
    and stay there to the end, ``steps_to_settle``); among runs that never do, the lowest final loss; a run that
    diverged only if every rate diverged (then the one that lasted longest). Other hyperparameters stay at their
    defaults. All runs are computed in one batch.
    """
    land = landscapes.get(landscape)
    lrs = [float(lr) for lr in lrs]
    if not lrs:
        raise ValueError("lrs must hold at least one learning rate")
    configs = [(name, {"lr": lr}) for name in optimizers for lr in lrs]
    runs = run_many(land, configs, start=start, steps=steps)

    def merit(t: Trajectory) -> tuple:
        if t.diverged_at is not None:
            return (2, -t.diverged_at)
        reached = (steps_to_settle if settle else steps_to_reach)(t, land.min_value, tol)
        return (0, reached) if reached is not None else (1, float(t.losses[-1]))

    return [min(runs[i * len(lrs) : (i + 1) * len(lrs)], key=merit) for i in range(len(optimizers))]


def _simulate(land: landscapes.Landscape, batches: list, start_xy: tuple[float, float], steps: int) -> np.ndarray:
    """Every configuration from the same start, one gradient call per step for all; path (steps+1, N, 2).

    On a few numbers the cost of a step is the cost of calling operations, not of arithmetic, so: the points
    live in one numpy array that a torch tensor shares (``torch.from_numpy``), and so do the gradients. Each
    step the landscape's gradient formula runs on the numpy columns x and y (a numpy operation on three numbers
    costs a fraction of a torch one), then each class's own ``_update`` steps its rows of the shared tensor in
    place, so the arithmetic of every step is torch's own. Every view, state and bound method is made once,
    before the loop. (The gradient formulas are plain arithmetic, which numpy and torch round alike; only a
    power such as ``y**3`` may differ in the last bit: numpy calls the C library's pow, torch multiplies.)
    """
    n = sum(len(rows) for _, _, rows in batches)
    path = np.empty((steps + 1, n, 2))
    path[0] = start_xy
    points, grads = path[0].copy(), np.empty((n, 2))
    x, y, gx, gy = points[:, 0], points[:, 1], grads[:, 0], grads[:, 1]
    points_t, grads_t = torch.from_numpy(points), torch.from_numpy(grads)  # the same memory, seen by torch
    formula = land._grad  # the landscape's gradient on coordinate columns (Landscape.grad would also stack them)
    work, offset = [], 0
    for cls, group, rows in batches:
        mine = slice(offset, offset + len(rows))
        view = points_t[mine]
        work.append((cls._update, view, grads_t[mine], cls._init_state(view, group), group))
        offset += len(rows)
    with np.errstate(all="ignore"):  # a diverging run overflows to inf and NaN: _finish reports it, quietly
        for k in range(1, steps + 1):
            gx[:], gy[:] = formula(x, y)
            for update, view, grad, state, group in work:
                update(view, grad, state, group)  # the class's own step: its rule, in place on `view`
            path[k] = points
    return path


def _check_start(start: Sequence[float]) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y) of two numbers, got {start!r}") from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"start must be a point of finite numbers, got {start!r}")
    return x, y


def _batch(resolved: list[tuple[type, dict[str, Any]]]) -> list[tuple[type, dict[str, Any], list[int]]]:
    """Group configurations that can share one rule call, numeric hyperparameters that differ as columns.

    Configurations share a call when they have the same class and the same structure: the same flags
    (nesterov, amsgrad, centered, maximize, decoupled weight decay) and momentum either zero or not.
    """
    groups: dict[tuple, list[int]] = {}
    for i, (cls, settings) in enumerate(resolved):
        flags = tuple(sorted((k, v) for k, v in settings.items() if isinstance(v, bool)))
        key = (cls, flags, settings.get("momentum", 0) != 0)
        groups.setdefault(key, []).append(i)
    batches = []
    for (cls, _, _), rows in groups.items():
        group = {}
        for key in resolved[rows[0]][1]:
            values = [resolved[i][1][key] for i in rows]
            group[key] = _column(values) if any(v != values[0] for v in values) else values[0]
        batches.append((cls, group, rows))
    return batches


def _column(values: list[Any]) -> Any:
    """Per-row values as a (rows, 1) tensor; a pair such as betas becomes a pair of columns."""
    if isinstance(values[0], tuple | list):
        return tuple(_column([v[j] for v in values]) for j in range(len(values[0])))
    return torch.tensor(values, dtype=torch.float64).unsqueeze(1)


def _finish(land: landscapes.Landscape, path: np.ndarray, name: str, hparams: dict[str, Any]) -> Trajectory:
    """Mark the first step where the run left the finite, reasonable world; blank everything after it."""
    (x0, x1), (y0, y1) = land.bounds
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    limit = DIVERGENCE_FACTOR * max(x1 - x0, y1 - y0)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = np.asarray(land.value(path), dtype=float)
        bad = ~np.isfinite(path).all(axis=1) | ~np.isfinite(losses) | (np.abs(path - centre).max(axis=1) > limit)
    diverged_at = int(np.argmax(bad)) if bad.any() else None
    if diverged_at is not None:
        path, losses = path.copy(), losses.copy()
        path[diverged_at:] = np.nan
        losses[diverged_at:] = np.nan
    return Trajectory(path, losses, diverged_at, label_for(name, hparams), name, hparams)


def minibatch_sgd(
    features: Any,
    targets: Any,
    *,
    batch_size: int,
    lr: float,
    steps: int,
    start: Sequence[float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Minibatch SGD on the mean squared error mean((X w - y)^2) of a linear model: the path, (steps+1, d).

    Batches are made the way a ``DataLoader`` with ``shuffle=True`` makes them: each epoch a fresh permutation
    (from a generator seeded with ``seed``) cut into pieces of ``batch_size``, the last one smaller. Each step
    applies ``optim.sgd_update`` with the minibatch gradient ``2/|B| X_B'(X_B w - y_B)``; epochs follow one another
    until ``steps`` steps are taken, so runs with different batch sizes can be compared at an equal number of
    steps as well as at an equal number of epochs. ``start`` defaults to zeros. With ``batch_size`` = n this is
    full-batch gradient descent. The minibatch explorer takes the same steps. Introduced in notebook 02.
    """
    X = torch.as_tensor(np.asarray(features, dtype=float))
    y = torch.as_tensor(np.asarray(targets, dtype=float))
    if X.ndim != 2 or y.shape != (X.shape[0],):
        shapes = f"{tuple(X.shape)} and {tuple(y.shape)}"
        raise ValueError(f"features must have shape (n, d) and targets shape (n,), got {shapes}")
    n, d = X.shape
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 1 and the number of examples ({n}), got {batch_size}")
    optim._check_real("lr", lr, 0.0)
    w = torch.zeros(d, dtype=torch.float64) if start is None else torch.tensor(start, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    path = [w.clone()]
    with torch.inference_mode():
        while len(path) <= steps:
            for idx in torch.randperm(n, generator=generator).split(batch_size):
                if len(path) > steps:
                    break
                Xb, yb = X[idx], y[idx]
                optim.sgd_update(w, 2 / len(idx) * Xb.T @ (Xb @ w - yb), None, lr=lr)
                path.append(w.clone())
    return torch.stack(path).numpy()
