"""Exercises of notebook 02: one epoch of shuffled minibatches, and a minibatch gradient."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, learner_line, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# Minibatches: checked by properties (any valid shuffle is right), not against one reference order
# --------------------------------------------------------------------------------------------------------


MINIBATCH_CASES: tuple[tuple[int, int], ...] = ((10, 3), (8, 4), (100, 32))  # (n, batch_size)


def check_minibatches(fn: Callable) -> CheckResult:
    """Check ``fn(n, batch_size, generator) -> list of index tensors``: one epoch of shuffled minibatches."""
    return _check_minibatches(fn, MINIBATCH_CASES)


def _partition(batches: list[torch.Tensor]) -> set[frozenset[int]]:
    """Which examples share a batch, whatever the order of the batches and inside them."""
    return {frozenset(b.tolist()) for b in batches}


def _check_minibatches(fn: Callable, cases: tuple[tuple[int, int], ...]) -> CheckResult:
    """The check on the given (n, batch_size) cases. Each case calls fn four times: twice with one generator
    (two epochs in a row), once with a fresh generator of the same seed, once with another seed."""
    name = "minibatches"
    if not callable(fn):
        return CheckResult(False, f"Pass your function itself, e.g. check_{name}({name}), without calling it.")
    epochs, one_tensor = {}, False
    for n, bs in cases:
        shared = torch.Generator().manual_seed(0)
        for generator in (shared, shared, torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)):
            try:
                raw = fn(n, bs, generator)
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
            one_tensor = one_tensor or (isinstance(raw, torch.Tensor) and raw.dim() == 1 and bs > 1)
            try:
                batches = [torch.as_tensor(b).long().flatten() for b in raw]
            except Exception:
                return CheckResult(False, f"{name} should return a list of index tensors; got {type(raw).__name__}.")
            epochs.setdefault((n, bs), []).append(batches)
    if one_tensor:
        return CheckResult(
            False,
            f"{name} returned one tensor, the shuffled order itself; return a list of batches, e.g. "
            "list(order.split(batch_size)).",
        )
    for (n, bs), runs in epochs.items():
        first, next_epoch, again, other = runs
        sizes = [len(b) for b in first]
        flat = torch.cat(first) if first else torch.empty(0, dtype=torch.long)
        want_sizes = [bs] * (n // bs) + ([n % bs] if n % bs else [])
        if len(flat) < n and sizes == [bs] * (n // bs):
            return CheckResult(
                False,
                f"The last, smaller batch is missing (n={n}, batch_size={bs}: got sizes "
                f"{sizes}, expected {want_sizes}). Notebook 02: every example is used exactly once per epoch.",
            )
        if 0 in sizes:
            return CheckResult(
                False,
                f"There is an empty batch (n={n}, batch_size={bs}: got sizes {sizes}, expected {want_sizes}): "
                "n // batch_size + 1 batches is one too many when batch_size divides n. "
                "order.split(batch_size) makes exactly the batches needed.",
            )
        if len(torch.unique(flat)) < len(flat):
            return CheckResult(
                False,
                f"Some examples appear twice in one epoch (n={n}): this looks like sampling "
                "with replacement (torch.randint). Shuffle a permutation instead: torch.randperm.",
            )
        if sorted(flat.tolist()) == list(range(1, n + 1)):
            return CheckResult(
                False, f"The indices run from 1 to {n}; Python counts from 0, so they should be 0..{n - 1}."
            )
        if sorted(flat.tolist()) != list(range(n)):
            return CheckResult(
                False,
                f"One epoch must use every index 0..{n - 1} exactly once (n={n}, "
                f"batch_size={bs}); got {len(flat)} indices.",
            )
        if sizes != want_sizes:
            if len(sizes) == bs != len(want_sizes):
                return CheckResult(
                    False,
                    f"batch_size was used as the number of batches (n={n}, batch_size={bs}: got {len(sizes)} "
                    f"batches of sizes {sizes}, expected {want_sizes}). torch.chunk(order, k) and "
                    "np.array_split(order, k) make k pieces; order.split(batch_size) makes pieces of batch_size.",
                )
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
        if n >= 8 and torch.equal(flat, torch.cat(next_epoch)):
            return CheckResult(
                False,
                "Two epochs in a row with the same generator came out in the same order: your function re-seeds "
                "(generator.manual_seed(...), or a new generator seeded from generator.initial_seed()) instead of "
                "drawing the next numbers from the generator it is given. Every epoch needs a fresh shuffle: "
                "torch.randperm(n, generator=generator).",
            )
        if n >= 50 and _partition(first) == _partition(other):
            return CheckResult(
                False,
                f"The same examples always share a batch (n={n}, batch_size={bs}): only the order inside the "
                "batches, or of the batches, is shuffled. Shuffle the whole order first, then cut it into batches, "
                "so that, as notebook 02 says, every example is in a different company each epoch.",
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
        Mistake(
            "the factor 2 is missing and the gradient is summed, not averaged",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, scale=1.0, mean=False),
            "Two things: the derivative of (x.w - y)^2 is 2 (x.w - y) x, and the loss is a mean over the batch: "
            "2 / len(idx) * X[idx].T @ (X[idx] @ w - y[idx]).",
        ),
        Mistake(
            "the sum was divided by the number of features, len(w), not the batch size",
            lambda X, y, w, idx: _mse_grad(X, y, w, idx, mean=False) / len(w),
            "The mean is over the examples of the batch: divide by len(idx).",
        ),
        Mistake(
            "the mean is over the features (dim=1), not over the examples: one number per example",
            lambda X, y, w, idx: 2 * (X[idx] * (X[idx] @ w - y[idx])[:, None]).mean(dim=1),
            "The gradient has one entry per weight: average the per-example gradients over the batch, dim=0 "
            "(or use X[idx].T @ residual / len(idx)).",
        ),
        Mistake(
            "the first len(idx) rows were used, not the rows in idx",
            lambda X, y, w, idx: _mse_grad(X[: len(idx)], y[: len(idx)], w, None, rows="all"),
            "In a loop over the batch, take the row numbers from idx: for i in idx (not for i in "
            "range(len(idx))); or without a loop, X[idx] and y[idx].",
        ),
    ),
    hint="the loss is mean((X[idx] @ w - y[idx])**2); its gradient is 2 / len(idx) * X[idx].T @ (X[idx] @ w - y[idx]).",
    read_only={
        param: f"{param} belongs to the caller (the data set and the current weights): compute with it, but "
        "build new tensors rather than changing it in place."
        for param in ("X", "y", "w", "idx")
    },
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_minibatch_grad(fn: Callable) -> CheckResult:
    """Check ``fn(X, y, w, idx) -> gradient`` of the mean squared error of a linear model on the rows idx."""
    return run_check(MINIBATCH_GRAD, fn)
