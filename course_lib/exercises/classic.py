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


def _lstsq_float32(X, y):  # the normal equations solved in float32, as after X = X.float(); y = y.float()
    X, y = X.float(), y.float()
    return torch.linalg.solve(X.T @ X, X.T @ y)


_LS_X = _rand(30, 7, 2) + _t(1.0, -0.5)  # correlated with the ones column, so every mistake shows
_LS_X[:, 1] += 0.8 * _LS_X[:, 0]  # and the two features are correlated with each other
_LS_Y = _LS_X @ _t(2.0, -1.0) + 0.3 * _rand(31, 7)
# two features that differ by 1% of noise (condition number of X about 330): float64 solves the normal equations
# to ~1e-10, float32 only to ~1e-2, and the slightest ridge penalty moves the answer
_NEAR = _rand(33, 9, 1) + 1.0
_NEAR_X = torch.cat([_NEAR, _NEAR + 0.01 * _rand(34, 9, 1), _rand(35, 9, 1)], dim=1)
_NEAR_Y = _NEAR_X @ _t(1.0, 1.0, -0.5) + 0.1 * _rand(36, 9)

_DATA_IS_THE_CALLERS = "X and y are the caller's data: compute new tensors from them, do not change them in place."

LEAST_SQUARES = Exercise(
    name="least_squares",
    params=("X", "y"),
    outputs=("w",),
    cases=(
        ("two correlated features", (_LS_X.clone(), _LS_Y.clone())),
        ("with a column of ones (an intercept)", (_with_ones(_LS_X), _LS_Y.clone() + 3.0)),
        ("one feature", (_LS_X[:, :1].clone(), _LS_Y.clone())),
        ("nearly collinear features", (_NEAR_X.clone(), _NEAR_Y.clone())),
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
        Mistake(
            "the solution is scaled by n (X.T @ X was divided by n, X.T @ y was not)",
            lambda X, y: _lstsq(X, y) * len(y),
            "Divide both sides by n, or neither: (X.T @ X / n) w = X.T @ y / n has the same solution as "
            "(X.T @ X) w = X.T @ y.",
        ),
        Mistake(
            "the normal equations were solved in float32",
            _lstsq_float32,
            "float32 keeps about 7 significant digits, and the normal equations square X's condition number: "
            "with nearly collinear features the answer is off in the second or third digit. Keep X and y in "
            "float64 (no .float(), no dtype=torch.float32).",
        ),
        Mistake(
            "a column of ones (an intercept) was added to X",
            lambda X, y: torch.linalg.pinv(_with_ones(X)) @ y,
            "X already holds every column the model uses (notebook 07 adds the ones before calling: "
            "A = [1, X]). Return one weight per column of X.",
        ),
        Mistake(
            "the predictions X @ w were returned, not the weights w",
            lambda X, y: X @ _lstsq(X, y),
            "Return w, one weight per column of X; X @ w is the fit to y.",
        ),
        Mistake(
            "w was returned as a column (shape (d, 1))",
            lambda X, y: _lstsq(X, y)[:, None],
            "Return a 1-D w of shape (d,): solve with the 1-D y, or take [:, 0] of the column.",
        ),
        Mistake(
            "squeeze() also removed the only weight of the one-feature case",
            lambda X, y: _lstsq(X, y).squeeze(),
            "With one feature, w has shape (1,); a bare .squeeze() turns it into a scalar. Use .squeeze(1) on a "
            "(d, 1) column (or [:, 0]).",
        ),
    ),
    hint="solve the normal equations (X.T @ X) w = X.T @ y, e.g. with torch.linalg.solve.",
    none_hints={
        "with a column of ones (an intercept)": "X.T @ X is singular when two columns of X are equal or one is all "
        "zeros. X already has a column of ones here: do not add another, and do not centre X (that turns the "
        "ones into zeros).",
    },
    read_only={"X": _DATA_IS_THE_CALLERS, "y": _DATA_IS_THE_CALLERS},
)


def check_least_squares(fn: Callable) -> CheckResult:
    """Check ``fn(X, y) -> w``, the weights minimising the squared error of ``X @ w``, in closed form."""
    return run_check(LEAST_SQUARES, fn)


def _knn(train_x, train_y, x, k, *, largest=False, p=2.0, extra=0, skip=0):
    distances = torch.cdist(x, train_x, p=p)
    nearest = distances.topk(min(k + extra + skip, len(train_x)), dim=1, largest=largest).indices[:, skip:]
    votes = train_y[nearest]
    counts = torch.nn.functional.one_hot(votes, int(train_y.max()) + 1).sum(dim=1)
    return counts.argmax(dim=1)  # the first largest count: ties go to the smallest label


def _neighbour_labels(train_x, train_y, x, k):
    return train_y[torch.cdist(x, train_x).topk(k, dim=1, largest=False).indices]  # nearest first


def _knn_weighted(train_x, train_y, x, k):
    distances, nearest = torch.cdist(x, train_x).topk(k, dim=1, largest=False)
    weights = torch.zeros(len(x), int(train_y.max()) + 1, dtype=distances.dtype)
    return weights.scatter_add_(1, train_y[nearest], 1 / distances).argmax(dim=1)


# three clusters of 6, 5 and 4 points; queries between them. The seeds were picked so that no vote is tied
# (for k, for k + 1 and for the k farthest), so any tie-breaking rule a learner uses gives the same answer.
_KY = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0])
_KX = _t(-2.0, 0.0, 2.0, 0.0, 0.0, 2.5).reshape(3, 2)[_KY] + _rand(40, 15, 2, scale=1.2)
_KQ = _rand(128, 6, 2, scale=1.5) + _t(0.0, 0.8)

# Five classes around two queries, with k = 5. Around (0, 0) the nearest five are labelled 3, 0, 0, 1, 2 at
# distances 0.1, 1.0, 1.1, 1.2, 1.3: label 0 wins with two votes and no majority, so the median (1), the rounded
# mean (1), the largest label (3) and a vote weighted by 1/distance (3) all differ from it. Around (10, 0) the
# nearest six are labelled 0, 1, 1, 0, 0, 1: the five nearest give 0 (three votes to two), skipping the nearest
# gives 1, and six voters tie 3 to 3.
_PLURALITY_Y = torch.tensor([3, 0, 0, 1, 2, 4, 0, 1, 1, 0, 0, 1])
_PLURALITY_X = _t(
    0.09, 0.05, -0.17, 0.98, -1.03, -0.38, -0.21, -1.18, 1.13, -0.65, -1.26, 0.73,
    10.47, 0.17, 10.10, 0.59, 9.46, 0.45, 9.25, -0.27, 9.84, -0.89, 10.77, -0.64,
).reshape(12, 2)  # fmt: skip
_PLURALITY_Q = _t(0.0, 0.0, 10.0, 0.0).reshape(2, 2)

_VOTE_ADVICE = "Count the votes per label (torch.bincount, or torch.mode) and take the most common label."

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
        (
            "k = 5, five classes, a winner without a majority",
            (_PLURALITY_X.clone(), _PLURALITY_Y.clone(), _PLURALITY_Q.clone(), 5),
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
            "the nearest point was skipped (the next k voted)",
            lambda tx, ty, x, k: _knn(tx, ty, x, k, skip=1),
            "Take the first k of the sorted distances, [:k], not [1:k + 1]. Skipping the nearest is right only "
            "when the query is itself a training point (leave-one-out); these queries are not.",
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
            "Use the Euclidean distance: sqrt(sum((a - b)**2)), or torch.cdist(x, train_x). (The squared "
            "distance is fine too: it ranks the points the same way.)",
        ),
        Mistake(
            "the median of the neighbours' labels was taken, not the most common one",
            lambda tx, ty, x, k: _neighbour_labels(tx, ty, x, k).median(dim=1).values,
            "Labels are names, not amounts: the median of 3, 0, 0, 1, 2 is 1, but the vote goes to 0. Use "
            "torch.mode, not torch.median, or count the votes per label with torch.bincount.",
        ),
        Mistake(
            "the neighbours' labels were averaged and rounded, not voted",
            lambda tx, ty, x, k: _neighbour_labels(tx, ty, x, k).double().mean(dim=1).round(),
            f"Labels are names, not amounts: the mean of 3, 0, 0, 1, 2 rounds to 1, but the vote goes to 0. "
            f"{_VOTE_ADVICE}",
        ),
        Mistake(
            "the largest label among the neighbours was taken, not the most common one",
            lambda tx, ty, x, k: _neighbour_labels(tx, ty, x, k).max(dim=1).values,
            f"max picks the largest label number. {_VOTE_ADVICE}",
        ),
        Mistake(
            "the votes were weighted by 1/distance",
            _knn_weighted,
            "Weighting by distance is a variant (scikit-learn's weights='distance'); the exercise, like "
            "KNeighborsClassifier's default, gives each of the k neighbours one equal vote.",
        ),
    ),
    hint="distances = torch.cdist(x, train_x); the k smallest per row (topk with largest=False); the most "
    "common label among them (ties: the smallest label).",
    read_only={
        "train_x": "The training points are the caller's: compute distances into a new tensor, do not change them.",
        "train_y": "The training labels are the caller's: index with them, do not change them.",
        "x": "The query points are the caller's: compute distances into a new tensor, do not change them.",
    },
)


def check_knn_predict(fn: Callable) -> CheckResult:
    """Check ``fn(train_x, train_y, x, k) -> labels``: the majority label of the k nearest training points."""
    return run_check(KNN_PREDICT, fn)
