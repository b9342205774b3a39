"""Exercises of notebook 07: least squares in closed form and k-nearest-neighbour prediction."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checking import CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# Least squares in closed form, and k-nearest neighbours (notebook 07)
# --------------------------------------------------------------------------------------------------------


def _lstsq(X, y):
    return torch.linalg.solve(X.T @ X, X.T @ y)


def _with_ones(X):
    return torch.cat([torch.ones(len(X), 1, dtype=X.dtype), X], dim=1)


_LS_X = _rand(30, 7, 2) + _t(1.0, -0.5)  # correlated with the ones column, so every mistake shows
_LS_X[:, 1] += 0.8 * _LS_X[:, 0]  # and the two features are correlated with each other
_LS_Y = _LS_X @ _t(2.0, -1.0) + 0.3 * _rand(31, 7)

LEAST_SQUARES = Exercise(
    name="least_squares",
    params=("X", "y"),
    outputs=("w",),
    cases=(
        ("two correlated features", (_LS_X.clone(), _LS_Y.clone())),
        ("with a column of ones (an intercept)", (_with_ones(_LS_X), _LS_Y.clone() + 3.0)),
        ("one feature", (_LS_X[:, :1].clone(), _LS_Y.clone())),
    ),
    reference=lambda X, y: (_lstsq(X, y),),
    mistakes=(
        Mistake(
            "X.T @ y was returned without solving the normal equations",
            lambda X, y: X.T @ y,
            "X.T @ y is only the right-hand side. The weights solve (X.T @ X) w = X.T @ y: "
            "torch.linalg.solve(X.T @ X, X.T @ y).",
        ),
        Mistake(
            "each feature was fitted on its own, ignoring the others",
            lambda X, y: (X * y[:, None]).sum(0) / (X**2).sum(0),
            "Fitting one feature at a time is right only when the features are uncorrelated. Solve the full "
            "system (X.T @ X) w = X.T @ y, which accounts for how the features overlap.",
        ),
        Mistake(
            "a ridge penalty (X.T @ X + I) was added",
            lambda X, y: torch.linalg.solve(X.T @ X + torch.eye(X.shape[1], dtype=X.dtype), X.T @ y),
            "Adding the identity to X.T @ X is ridge regression, a different (penalised) problem. Plain least "
            "squares solves (X.T @ X) w = X.T @ y.",
        ),
        Mistake(
            "the solution is scaled by 1/n",
            lambda X, y: _lstsq(X, y) / len(y),
            "Dividing the loss by n does not move its minimum: the 1/n cancels from both sides of the normal "
            "equations.",
        ),
    ),
    hint="solve the normal equations (X.T @ X) w = X.T @ y, e.g. with torch.linalg.solve.",
)


def check_least_squares(fn: Callable) -> CheckResult:
    """Check ``fn(X, y) -> w``, the weights minimising the squared error of ``X @ w``, in closed form."""
    return run_check(LEAST_SQUARES, fn)


def _knn(train_x, train_y, x, k, *, largest=False, p=2.0, extra=0):
    distances = torch.cdist(x, train_x, p=p)
    nearest = distances.topk(min(k + extra, len(train_x)), dim=1, largest=largest).indices
    votes = train_y[nearest]
    counts = torch.nn.functional.one_hot(votes, int(train_y.max()) + 1).sum(dim=1)
    return counts.argmax(dim=1)  # the first largest count: ties go to the smallest label


# three clusters of 6, 5 and 4 points; queries between them. The seeds were picked so that no vote is tied
# (for k, for k + 1 and for the k farthest), so any tie-breaking rule a learner uses gives the same answer.
_KY = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0])
_KX = _t(-2.0, 0.0, 2.0, 0.0, 0.0, 2.5).reshape(3, 2)[_KY] + _rand(40, 15, 2, scale=1.2)
_KQ = _rand(128, 6, 2, scale=1.5) + _t(0.0, 0.8)

KNN_PREDICT = Exercise(
    name="knn_predict",
    params=("train_x", "train_y", "x", "k"),
    outputs=("predicted labels",),
    cases=(
        ("k = 1", (_KX.clone(), _KY.clone(), _KQ.clone(), 1)),
        ("k = 3", (_KX.clone(), _KY.clone(), _KQ.clone(), 3)),
        ("k = 5", (_KX.clone(), _KY.clone(), _KQ.clone(), 5)),
        (
            "a point nearer in straight-line distance than in city-block distance",
            (_t(1.0, 1.0, 1.5, 0.0, -1.02, -1.02).reshape(3, 2), torch.tensor([1, 0, 1]), _t(0.0, 0.0)[None], 1),
        ),
    ),
    reference=lambda tx, ty, x, k: (_knn(tx, ty, x, k),),
    mistakes=(
        Mistake(
            "the k farthest points voted",
            lambda tx, ty, x, k: _knn(tx, ty, x, k, largest=True),
            "Sort the distances in increasing order (or topk(..., largest=False)): the nearest points vote.",
        ),
        Mistake(
            "k + 1 neighbours voted",
            lambda tx, ty, x, k: _knn(tx, ty, x, k, extra=1),
            "Take exactly k neighbours. (Leaving a point out of its own vote matters only when it is in the "
            "training set; these queries are not.)",
        ),
        Mistake(
            "every training point voted (k was ignored)",
            lambda tx, ty, x, k: _knn(tx, ty, x, len(tx)),
            "Only the k nearest training points vote, not all of them.",
        ),
        Mistake(
            "only the nearest point voted (k was ignored)",
            lambda tx, ty, x, k: _knn(tx, ty, x, 1),
            "Let the k nearest points vote and take the most common label.",
        ),
        Mistake(
            "the distance is not Euclidean (city-block, L1)",
            lambda tx, ty, x, k: _knn(tx, ty, x, k, p=1.0),
            "Use the Euclidean distance: sqrt(sum((a - b)**2)), or torch.cdist(x, train_x).",
        ),
    ),
    hint="distances = torch.cdist(x, train_x); the k smallest per row (topk with largest=False); the most "
    "common label among them (ties: the smallest label).",
)


def check_knn_predict(fn: Callable) -> CheckResult:
    """Check ``fn(train_x, train_y, x, k) -> labels``: the majority label of the k nearest training points."""
    return run_check(KNN_PREDICT, fn)
