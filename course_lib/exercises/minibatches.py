"""Exercises of notebook 02: one epoch of shuffled minibatches, and a minibatch gradient."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checking import CheckResult, Exercise, Mistake, learner_line, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# Minibatches: checked by properties (any valid shuffle is right), not against one reference order
# --------------------------------------------------------------------------------------------------------


def check_minibatches(fn: Callable) -> CheckResult:
    """Check ``fn(n, batch_size, generator) -> list of index tensors``: one epoch of shuffled minibatches."""
    name = "minibatches"
    if not callable(fn):
        return CheckResult(False, f"Pass your function itself, e.g. check_{name}({name}), without calling it.")
    cases = [(10, 3), (8, 4), (5, 10), (100, 32)]
    epochs = {}
    for n, bs in cases:
        for seed in (0, 0, 1):
            try:
                raw = fn(n, bs, torch.Generator().manual_seed(seed))
            except NotImplementedError:
                return CheckResult(
                    False,
                    f"{name} is not written yet.\nHint: shuffle with torch.randperm(n, "
                    "generator=generator), then cut the order into pieces of batch_size.",
                    "not done",
                )
            except Exception as exc:
                return CheckResult(
                    False,
                    f"With n={n}, batch_size={bs}, {name} raised {type(exc).__name__}: {exc}{learner_line(exc)}",
                    "error",
                )
            if raw is None:
                return CheckResult(False, f"{name} is not written yet (it returns None).", "not done")
            try:
                batches = [torch.as_tensor(b).long().flatten() for b in raw]
            except Exception:
                return CheckResult(False, f"{name} should return a list of index tensors; got {type(raw).__name__}.")
            epochs.setdefault((n, bs), []).append(batches)
    for (n, bs), runs in epochs.items():
        first, again, other = runs
        sizes = [len(b) for b in first]
        flat = torch.cat(first) if first else torch.empty(0, dtype=torch.long)
        want_sizes = [bs] * (n // bs) + ([n % bs] if n % bs else [])
        if len(flat) < n and sizes == [bs] * (n // bs):
            return CheckResult(
                False,
                f"The last, smaller batch is missing (n={n}, batch_size={bs}: got sizes "
                f"{sizes}, expected {want_sizes}). Every example belongs in every epoch.",
            )
        if len(torch.unique(flat)) < len(flat):
            return CheckResult(
                False,
                f"Some examples appear twice in one epoch (n={n}): this looks like sampling "
                "with replacement (torch.randint). Shuffle a permutation instead: torch.randperm.",
            )
        if sorted(flat.tolist()) != list(range(n)):
            return CheckResult(
                False,
                f"One epoch must use every index 0..{n - 1} exactly once (n={n}, "
                f"batch_size={bs}); got {len(flat)} indices.",
            )
        if sizes != want_sizes:
            return CheckResult(False, f"Batch sizes should be {want_sizes} for n={n}, batch_size={bs}; got {sizes}.")
        if n >= 8 and torch.equal(flat, torch.arange(n)):
            return CheckResult(
                False, "The batches come in the original order: shuffle first (torch.randperm(n, generator=generator))."
            )
        if not torch.equal(flat, torch.cat(again)):
            return CheckResult(
                False,
                "Two calls with generators of the same seed gave different orders: use the "
                "generator you are given (torch.randperm(n, generator=generator)) so that a "
                "run can be repeated.",
            )
        if n >= 8 and torch.equal(flat, torch.cat(other)):
            return CheckResult(
                False,
                "Generators with different seeds gave the same order: the shuffle ignores the "
                "generator (a fixed seed inside your function?), so every epoch would repeat.",
            )
    return CheckResult(
        True, f"{name} gives every example once per epoch, in a shuffled, repeatable order, on all {len(cases)} cases."
    )


# --------------------------------------------------------------------------------------------------------
# A minibatch gradient
# --------------------------------------------------------------------------------------------------------


def _mse_grad(X, y, w, idx, *, scale=2.0, mean=True, rows=None, sign=1.0):
    Xb, yb = (X, y) if rows == "all" else (X[idx], y[idx])
    g = scale * sign * Xb.T @ (Xb @ w - yb)
    return g / (len(yb) if mean else 1)


_X = _rand(20, 12, 3)
_Y = _rand(21, 12)

MINIBATCH_GRAD = Exercise(
    name="minibatch_grad",
    params=("X", "y", "w", "idx"),
    outputs=("gradient",),
    cases=(
        ("a batch of 4", (_X.clone(), _Y.clone(), _t(0.5, -1.0, 0.2), torch.tensor([0, 3, 7, 11]))),
        ("a batch of 1", (_X.clone(), _Y.clone(), _t(0.1, 0.3, -0.4), torch.tensor([5]))),
        ("a batch of 6, other weights", (_X.clone(), _Y.clone(), _t(-1.0, 2.0, 0.0), torch.tensor([1, 2, 4, 6, 8, 9]))),
    ),
    reference=lambda X, y, w, idx: (_mse_grad(X, y, w, idx),),
    mistakes=(
        Mistake(
            "the factor 2 is missing",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, scale=1.0),
            "The derivative of (x.w - y)^2 is 2 (x.w - y) x.",
        ),
        Mistake(
            "the gradient is summed over the batch, not averaged",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, mean=False),
            "The loss is a mean over the batch, so its gradient is too: divide by the batch size.",
        ),
        Mistake(
            "the whole data set was used, not the minibatch",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, rows="all"),
            "Take only the rows in idx: X[idx] and y[idx].",
        ),
        Mistake(
            "the sign is flipped",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, sign=-1.0),
            "Use (X w - y), the prediction minus the target.",
        ),
        Mistake(
            "the sum was divided by the size of the whole data set",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, mean=False) / len(y),
            "Average over the minibatch: divide by len(idx).",
        ),
    ),
    hint="the loss is mean((X[idx] @ w - y[idx])**2); its gradient is 2 / B * X[idx].T @ (X[idx] @ w - y[idx]).",
)


def check_minibatch_grad(fn: Callable) -> CheckResult:
    """Check ``fn(X, y, w, idx) -> gradient`` of the mean squared error of a linear model on the rows idx."""
    return run_check(MINIBATCH_GRAD, fn)
