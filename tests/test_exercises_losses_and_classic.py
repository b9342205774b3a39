"""The checks of softmax, cross_entropy (notebook 06), least_squares and knn_predict (notebook 07) have no holes.

Every wrong version below is written the way a learner writes it (not with the catalogue's own functions). Each
must be rejected, and a catalogued mistake must be named as itself; every correct alternative must pass. Two
more tests keep the tables honest: every catalogue entry is reached by some wrong version here, and every case
of every check is needed (without it, some wrong version would pass or be misnamed).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.neighbors import KNeighborsClassifier

from course_lib import exercises, solutions
from course_lib.checking import CheckResult, Exercise, run_check

SOFTMAX, CROSS_ENTROPY = exercises.SOFTMAX, exercises.CROSS_ENTROPY
LEAST_SQUARES, KNN = exercises.LEAST_SQUARES, exercises.KNN_PREDICT
MINE = (SOFTMAX, CROSS_ENTROPY, LEAST_SQUARES, KNN)


@dataclasses.dataclass(frozen=True)
class Named:
    """The check must name this catalogued mistake."""

    name: str


@dataclasses.dataclass(frozen=True)
class Says:
    """The check must reject with this status and a message containing these words (no catalogue entry)."""

    words: str
    status: str = "failed"


def _rowmax(z):
    return z.max(dim=-1, keepdim=True).values


# ---------------------------------------------------------------------------------------------------------
# softmax: wrong versions
# ---------------------------------------------------------------------------------------------------------


def sm_naive(logits):
    e = torch.exp(logits)
    return e / e.sum(dim=1, keepdim=True)


def sm_global_max(logits):
    e = torch.exp(logits - logits.max())
    return e / e.sum(dim=-1, keepdim=True)


def sm_mean_shift(logits):
    e = torch.exp(logits - logits.mean(dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True)


def sm_min_shift(logits):
    e = torch.exp(logits - logits.min(dim=1, keepdim=True).values)
    return e / e.sum(dim=1, keepdim=True)


def sm_down_the_batch(logits):
    return torch.softmax(logits, dim=0)


def sm_sum_down(logits):
    e = torch.exp(logits - _rowmax(logits))
    return e / e.sum(dim=0, keepdim=True)


def sm_whole_sum(logits):
    e = torch.exp(logits - _rowmax(logits))
    return e / e.sum()


def sm_unnormalised(logits):
    return torch.exp(logits - _rowmax(logits))


def sm_naive_down(logits):
    return logits.exp() / logits.exp().sum(0)


def sm_naive_whole(logits):
    return torch.exp(logits) / torch.sum(torch.exp(logits))


def sm_naive_unnormalised(logits):
    return torch.exp(logits)


def sm_log(logits):
    return F.log_softmax(logits, dim=-1)


def sm_no_exp(logits):
    return logits / logits.sum(dim=1, keepdim=True)


def sm_in_place(logits):
    logits -= _rowmax(logits)  # changes the caller's logits
    e = logits.exp()
    return e / e.sum(dim=1, keepdim=True)


def sm_float32(logits):
    return torch.softmax(logits.float(), dim=1)


def sm_no_keepdim(logits):
    e = torch.exp(logits - logits.max(dim=1).values)
    return e / e.sum(dim=1, keepdim=True)


def sm_as_list(logits):
    return torch.softmax(logits, dim=1).tolist()


# ---------------------------------------------------------------------------------------------------------
# cross_entropy: wrong versions
# ---------------------------------------------------------------------------------------------------------


def _rows(y):
    return torch.arange(len(y))


def ce_naive(logits, targets):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return -torch.log(p[_rows(targets), targets]).mean()


def ce_log_of_softmax(logits, targets):
    return -torch.log(torch.softmax(logits, dim=1)[_rows(targets), targets]).mean()


def ce_unshifted_lse(logits, targets):
    return (torch.log(torch.exp(logits).sum(dim=1)) - logits[_rows(targets), targets]).mean()


def ce_global_max(logits, targets):
    shifted = logits - logits.max()
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[_rows(targets), targets].mean()


def ce_mean_shift(logits, targets):
    shifted = logits - logits.mean(dim=1, keepdim=True)
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[_rows(targets), targets].mean()


def ce_summed(logits, targets):
    return F.cross_entropy(logits, targets, reduction="sum")


def ce_per_example(logits, targets):
    return -F.log_softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)


def ce_naive_summed(logits, targets):
    e = logits.exp()
    return -(e / e.sum(1, keepdim=True))[_rows(targets), targets].log().sum()


def ce_naive_per_example(logits, targets):
    e = logits.exp()
    return -torch.log(e[_rows(targets), targets] / e.sum(1))


def ce_log_of_softmax_summed(logits, targets):
    return -torch.softmax(logits, dim=1)[_rows(targets), targets].log().sum()


def ce_log_of_softmax_per_example(logits, targets):
    return -torch.log(F.softmax(logits, dim=1).gather(1, targets[:, None])).squeeze(1)


def ce_unshifted_summed(logits, targets):
    return torch.sum(torch.log(torch.sum(torch.exp(logits), dim=1)) - logits[_rows(targets), targets])


def ce_unshifted_per_example(logits, targets):
    return logits.exp().sum(1).log() - logits.gather(1, targets[:, None])[:, 0]


def ce_global_max_summed(logits, targets):
    m = torch.max(logits)
    return (m + torch.log(torch.exp(logits - m).sum(1)) - logits[_rows(targets), targets]).sum()


def ce_global_max_per_example(logits, targets):
    m = torch.max(logits)
    return m + torch.log(torch.exp(logits - m).sum(1)) - logits[_rows(targets), targets]


def ce_mean_shift_summed(logits, targets):
    m = logits.mean(1, keepdim=True)
    return (m[:, 0] + torch.log(torch.exp(logits - m).sum(1)) - logits[_rows(targets), targets]).sum()


def ce_mean_shift_per_example(logits, targets):
    m = logits.mean(1, keepdim=True)
    return m[:, 0] + torch.log(torch.exp(logits - m).sum(1)) - logits[_rows(targets), targets]


def ce_max_not_added_back(logits, targets):
    m = logits.max(dim=1, keepdim=True).values
    lse = torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[_rows(targets), targets]).mean()


def ce_one_hot_mean(logits, targets):
    one_hot = F.one_hot(targets, logits.shape[1])
    return -(one_hot * F.log_softmax(logits, dim=1)).mean()


def ce_every_row_every_target(logits, targets):
    return -F.log_softmax(logits, dim=1)[:, targets].mean()


def ce_every_class(logits, targets):
    return -F.log_softmax(logits, dim=1).sum(dim=1).mean()


def ce_lse_only(logits, targets):
    return torch.logsumexp(logits, dim=1).mean()


def ce_double_softmax(logits, targets):
    return F.cross_entropy(F.softmax(logits, dim=1), targets)


def ce_logits_as_probabilities(logits, targets):
    return -torch.log(logits[_rows(targets), targets]).mean()


def ce_nll_of_logits(logits, targets):
    return F.nll_loss(logits, targets)


def ce_nll_of_probabilities(logits, targets):
    return F.nll_loss(F.softmax(logits, dim=1), targets)


def ce_no_minus(logits, targets):
    return F.log_softmax(logits, dim=1)[_rows(targets), targets].mean()


def ce_softmax_down_the_batch(logits, targets):
    return -F.log_softmax(logits, dim=0)[_rows(targets), targets].mean()


def ce_in_place(logits, targets):
    logits -= logits.max(dim=1, keepdim=True).values  # changes the caller's logits
    return (torch.logsumexp(logits, dim=1) - logits[_rows(targets), targets]).mean()


def ce_float32(logits, targets):
    return F.cross_entropy(logits.float(), targets)


def ce_item(logits, targets):
    return F.cross_entropy(logits, targets).item()


def ce_targets_as_one_hot(logits, targets):
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def ce_one_hot_guesses_classes(logits, targets):
    return -(F.one_hot(targets) * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def ce_lse_no_keepdim(logits, targets):
    log_probs = logits - torch.logsumexp(logits, dim=1)
    return -log_probs[_rows(targets), targets].mean()


# ---------------------------------------------------------------------------------------------------------
# least_squares: wrong versions
# ---------------------------------------------------------------------------------------------------------


def ls_rhs_only(X, y):
    return X.T @ y


def ls_one_at_a_time(X, y):
    return torch.stack([(X[:, j] @ y) / (X[:, j] @ X[:, j]) for j in range(X.shape[1])])


def ls_ridge(X, y):
    return torch.linalg.solve(X.T @ X + torch.eye(X.shape[1], dtype=X.dtype), X.T @ y)


def ls_small_ridge(X, y):  # "for stability"
    return torch.linalg.solve(X.T @ X + 1e-3 * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y)


def ls_over_n(X, y):
    return torch.linalg.solve(X.T @ X, X.T @ y / len(y))


def ls_times_n(X, y):
    n = X.shape[0]
    return torch.linalg.solve(X.T @ X / n, X.T @ y)


def ls_float32(X, y):
    X, y = X.float(), y.float()
    return torch.linalg.solve(X.T @ X, X.T @ y)


def ls_float32_out(X, y):
    return torch.linalg.solve((X.T @ X).to(torch.float32), (X.T @ y).to(torch.float32))


def ls_own_intercept_pinv(X, y):
    A = torch.cat([torch.ones(X.shape[0], 1, dtype=X.dtype), X], dim=1)
    return torch.linalg.pinv(A) @ y


def ls_own_intercept_solve(X, y):
    A = torch.column_stack([torch.ones(len(X), dtype=X.dtype), X])
    return torch.linalg.solve(A.T @ A, A.T @ y)


def ls_centred(X, y):
    Xc, yc = X - X.mean(dim=0), y - y.mean()
    return torch.linalg.solve(Xc.T @ Xc, Xc.T @ yc)


def ls_predictions(X, y):
    w = torch.linalg.solve(X.T @ X, X.T @ y)
    return X @ w


def ls_column(X, y):
    return torch.linalg.lstsq(X, y[:, None]).solution


def ls_squeezed(X, y):
    return torch.linalg.lstsq(X, y.reshape(-1, 1)).solution.squeeze()


def ls_square_solve(X, y):
    return torch.linalg.solve(X, y)


def ls_gradient_descent(X, y):  # stops early: close, but not the solution
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(20):
        w = w - 0.01 * 2 * X.T @ (X @ w - y) / len(y)
    return w


def ls_scales_X_in_place(X, y):
    scale = X.norm(dim=0)
    X /= scale  # changes the caller's X
    return torch.linalg.solve(X.T @ X, X.T @ y) / scale


# ---------------------------------------------------------------------------------------------------------
# knn_predict: wrong versions
# ---------------------------------------------------------------------------------------------------------


def _labels_of(train_x, train_y, x, k, start=0):
    order = torch.cdist(x, train_x).argsort(dim=1)
    return train_y[order[:, start : start + k]]


def knn_farthest(train_x, train_y, x, k):
    idx = torch.cdist(x, train_x).argsort(dim=1, descending=True)[:, :k]
    return torch.mode(train_y[idx], dim=1).values


def knn_k_plus_one(train_x, train_y, x, k):
    idx = torch.cdist(x, train_x).topk(k + 1, dim=1, largest=False).indices
    return torch.mode(train_y[idx], dim=1).values


def knn_skips_nearest(train_x, train_y, x, k):
    out = []
    for q in x:
        order = ((train_x - q) ** 2).sum(dim=1).argsort()[1 : k + 1]  # "leave the point itself out"
        out.append(Counter(train_y[order].tolist()).most_common(1)[0][0])
    return torch.tensor(out)


def knn_everyone(train_x, train_y, x, k):
    return torch.full((len(x),), int(torch.bincount(train_y).argmax()))


def knn_nearest_only(train_x, train_y, x, k):
    return train_y[torch.cdist(x, train_x).argmin(dim=1)]


def knn_city_block(train_x, train_y, x, k):
    d = (x[:, None, :] - train_x[None, :, :]).abs().sum(dim=2)
    return torch.mode(train_y[d.argsort(dim=1)[:, :k]], dim=1).values


def knn_median(train_x, train_y, x, k):
    return torch.median(_labels_of(train_x, train_y, x, k), dim=1).values


def knn_mean_rounded(train_x, train_y, x, k):
    return torch.round(_labels_of(train_x, train_y, x, k).float().mean(dim=1))


def knn_largest_label(train_x, train_y, x, k):
    return _labels_of(train_x, train_y, x, k).max(dim=1).values


def knn_inverse_distance(train_x, train_y, x, k):
    d = torch.cdist(x, train_x)
    out = []
    for row in range(len(x)):
        idx = d[row].argsort()[:k]
        scores = {}
        for i in idx.tolist():
            scores[int(train_y[i])] = scores.get(int(train_y[i]), 0.0) + 1 / d[row, i].item()
        out.append(max(scores, key=scores.get))
    return torch.tensor(out)


def knn_k_minus_one(train_x, train_y, x, k):
    return torch.mode(_labels_of(train_x, train_y, x, k - 1), dim=1).values


def knn_position_of_largest(train_x, train_y, x, k):
    return _labels_of(train_x, train_y, x, k).argmax(dim=1)


def knn_centres_in_place(train_x, train_y, x, k):
    centre = train_x.mean(dim=0)
    train_x -= centre  # changes the caller's training points (distances are unchanged)
    return torch.mode(_labels_of(train_x, train_y, x - centre, k), dim=1).values


# ---------------------------------------------------------------------------------------------------------
# The table of wrong versions
# ---------------------------------------------------------------------------------------------------------

_OVERFLOW = "exp overflows for large logits"
_SM_DOWN = "the normalisation runs over the wrong dimension (down the batch)"
_SM_WHOLE = "the exponentials are divided by the sum of the whole tensor, not of each row"
_SM_UNNORMALISED = "the exponentials are not normalised"
_CE_NAIVE = "the softmax overflows for large logits"
_CE_LOG_SOFTMAX = "the loss is -log(softmax(z)), which is inf when a probability underflows to 0"
_CE_UNSHIFTED = "the log-sum-exp is not shifted, so exp overflows"
_CE_GLOBAL = "the shift is the largest logit of the whole batch, not of each row"
_CE_MEAN = "the shift is the row's mean, not its max"
_SUMMED = "the loss is summed over the batch, not averaged"
_PER_EXAMPLE = "you returned one loss per example"

WRONG: list[tuple[Exercise, Callable, Named | Says]] = [
    (SOFTMAX, sm_naive, Named(_OVERFLOW)),
    (SOFTMAX, sm_global_max, Named("the shift is the largest logit of the whole tensor, not of each row")),
    (SOFTMAX, sm_mean_shift, Named("the shift is the row's mean, not its max")),
    (SOFTMAX, sm_min_shift, Named("the shift is the row's smallest logit, not its largest")),
    (SOFTMAX, sm_down_the_batch, Named(_SM_DOWN)),
    (SOFTMAX, sm_sum_down, Named("the sum runs down the batch (dim=0) while the max runs along each row")),
    (SOFTMAX, sm_whole_sum, Named(_SM_WHOLE)),
    (SOFTMAX, sm_unnormalised, Named(_SM_UNNORMALISED)),
    (SOFTMAX, sm_naive_down, Named(f"{_OVERFLOW}, and {_SM_DOWN}")),
    (SOFTMAX, sm_naive_whole, Named(f"{_OVERFLOW}, and {_SM_WHOLE}")),
    (SOFTMAX, sm_naive_unnormalised, Named(f"{_OVERFLOW}, and {_SM_UNNORMALISED}")),
    (SOFTMAX, sm_log, Named("this is the log-softmax")),
    (SOFTMAX, sm_no_exp, Named("the logits were normalised without exp")),
    (SOFTMAX, sm_in_place, Says("softmax changed logits in place")),
    (SOFTMAX, sm_float32, Says("probabilities is a float32 tensor, but the inputs are float64")),
    (SOFTMAX, sm_no_keepdim, Says("Hint: Your code ran on one row but not on a batch", "error")),
    (SOFTMAX, sm_as_list, Says("probabilities should be a tensor (autograd needs a tensor")),
    (CROSS_ENTROPY, ce_naive, Named(_CE_NAIVE)),
    (CROSS_ENTROPY, ce_log_of_softmax, Named(_CE_LOG_SOFTMAX)),
    (CROSS_ENTROPY, ce_unshifted_lse, Named(_CE_UNSHIFTED)),
    (CROSS_ENTROPY, ce_global_max, Named(_CE_GLOBAL)),
    (CROSS_ENTROPY, ce_mean_shift, Named(_CE_MEAN)),
    (CROSS_ENTROPY, ce_summed, Named(_SUMMED)),
    (CROSS_ENTROPY, ce_per_example, Named(_PER_EXAMPLE)),
    (CROSS_ENTROPY, ce_naive_summed, Named(f"{_CE_NAIVE}, and {_SUMMED}")),
    (CROSS_ENTROPY, ce_naive_per_example, Named(f"{_CE_NAIVE}, and {_PER_EXAMPLE}")),
    (CROSS_ENTROPY, ce_log_of_softmax_summed, Named(f"{_CE_LOG_SOFTMAX}, and {_SUMMED}")),
    (CROSS_ENTROPY, ce_log_of_softmax_per_example, Named(f"{_CE_LOG_SOFTMAX}, and {_PER_EXAMPLE}")),
    (CROSS_ENTROPY, ce_unshifted_summed, Named(f"{_CE_UNSHIFTED}, and {_SUMMED}")),
    (CROSS_ENTROPY, ce_unshifted_per_example, Named(f"{_CE_UNSHIFTED}, and {_PER_EXAMPLE}")),
    (CROSS_ENTROPY, ce_global_max_summed, Named(f"{_CE_GLOBAL}, and {_SUMMED}")),
    (CROSS_ENTROPY, ce_global_max_per_example, Named(f"{_CE_GLOBAL}, and {_PER_EXAMPLE}")),
    (CROSS_ENTROPY, ce_mean_shift_summed, Named(f"{_CE_MEAN}, and {_SUMMED}")),
    (CROSS_ENTROPY, ce_mean_shift_per_example, Named(f"{_CE_MEAN}, and {_PER_EXAMPLE}")),
    (CROSS_ENTROPY, ce_max_not_added_back, Named("the max was subtracted inside the exp but not added back")),
    (
        CROSS_ENTROPY,
        ce_one_hot_mean,
        Named(
            "the loss was averaged over every entry of the (batch, classes) table, so it is divided by the number "
            "of classes too"
        ),
    ),
    (
        CROSS_ENTROPY,
        ce_every_row_every_target,
        Named("log_probs[:, targets] picked every row at every target (a batch x batch table)"),
    ),
    (
        CROSS_ENTROPY,
        ce_every_class,
        Named("the log-probabilities of every class were added, not just the true class's"),
    ),
    (CROSS_ENTROPY, ce_lse_only, Named("the true class's logit is missing (only the log-sum-exp is left)")),
    (CROSS_ENTROPY, ce_double_softmax, Named("softmax was applied twice (probabilities passed where logits belong)")),
    (CROSS_ENTROPY, ce_logits_as_probabilities, Named("the logits were used as if they were probabilities")),
    (
        CROSS_ENTROPY,
        ce_nll_of_logits,
        Named("the logits were used as log-probabilities (nll_loss without log_softmax)"),
    ),
    (
        CROSS_ENTROPY,
        ce_nll_of_probabilities,
        Named("the probabilities were used as log-probabilities (nll_loss after softmax, without the log)"),
    ),
    (CROSS_ENTROPY, ce_no_minus, Named("the minus sign is missing")),
    (CROSS_ENTROPY, ce_softmax_down_the_batch, Named("softmax runs over the batch dimension")),
    (CROSS_ENTROPY, ce_in_place, Says("cross_entropy changed logits in place")),
    (CROSS_ENTROPY, ce_float32, Says("mean loss is a float32 tensor, but the inputs are float64")),
    (CROSS_ENTROPY, ce_item, Says("autograd needs a tensor: do not call .item() or float()")),
    (CROSS_ENTROPY, ce_targets_as_one_hot, Says("targets used as one-hot rows", "error")),
    (CROSS_ENTROPY, ce_one_hot_guesses_classes, Says("F.one_hot(targets, logits.shape[1])", "error")),
    (CROSS_ENTROPY, ce_lse_no_keepdim, Says("use keepdim=True", "error")),
    (LEAST_SQUARES, ls_rhs_only, Named("X.T @ y was returned without solving the normal equations")),
    (LEAST_SQUARES, ls_one_at_a_time, Named("each feature was fitted on its own, ignoring the others")),
    (LEAST_SQUARES, ls_ridge, Named("a ridge penalty (X.T @ X + I) was added")),
    (LEAST_SQUARES, ls_small_ridge, Says("w is off on 4 of 4 cases")),
    (LEAST_SQUARES, ls_over_n, Named("the solution is scaled by 1/n")),
    (LEAST_SQUARES, ls_times_n, Named("the solution is scaled by n (X.T @ X was divided by n, X.T @ y was not)")),
    (LEAST_SQUARES, ls_float32, Named("the normal equations were solved in float32")),
    (LEAST_SQUARES, ls_float32_out, Says("w is a float32 tensor, but the inputs are float64")),
    (LEAST_SQUARES, ls_own_intercept_pinv, Named("a column of ones (an intercept) was added to X")),
    (LEAST_SQUARES, ls_own_intercept_solve, Says("X already has a column of ones here: do not add another", "error")),
    (LEAST_SQUARES, ls_centred, Says("do not centre X", "error")),
    (LEAST_SQUARES, ls_predictions, Named("the predictions X @ w were returned, not the weights w")),
    (LEAST_SQUARES, ls_column, Named("w was returned as a column (shape (d, 1))")),
    (LEAST_SQUARES, ls_squeezed, Named("squeeze() also removed the only weight of the one-feature case")),
    (LEAST_SQUARES, ls_square_solve, Says("A must be batches of square matrices", "error")),
    (LEAST_SQUARES, ls_gradient_descent, Says("w is off on")),
    (LEAST_SQUARES, ls_scales_X_in_place, Says("least_squares changed X in place")),
    (KNN, knn_farthest, Named("the k farthest points voted")),
    (KNN, knn_k_plus_one, Named("k + 1 neighbours voted")),
    (KNN, knn_skips_nearest, Named("the nearest point was skipped (the next k voted)")),
    (KNN, knn_everyone, Named("every training point voted (k was ignored)")),
    (KNN, knn_nearest_only, Named("only the nearest point voted (k was ignored)")),
    (KNN, knn_city_block, Named("the distance is not Euclidean (city-block, L1)")),
    (KNN, knn_median, Named("the median of the neighbours' labels was taken, not the most common one")),
    (KNN, knn_mean_rounded, Named("the neighbours' labels were averaged and rounded, not voted")),
    (KNN, knn_largest_label, Named("the largest label among the neighbours was taken, not the most common one")),
    (KNN, knn_inverse_distance, Named("the votes were weighted by 1/distance")),
    (KNN, knn_k_minus_one, Says("On the case 'k = 1', knn_predict raised", "error")),
    (KNN, knn_position_of_largest, Says("predicted labels is off on")),
    (KNN, knn_centres_in_place, Says("knn_predict changed train_x in place")),
]


def _meets(result: CheckResult, expect: Named | Says) -> bool:
    if result.passed:
        return False
    if isinstance(expect, Named):
        return result.status == "failed" and result.message.startswith(f"It looks like {expect.name}.")
    return (
        result.status == expect.status
        and expect.words in result.message
        and not result.message.startswith("It looks like")
    )


@pytest.mark.parametrize("ex, fn, expect", WRONG, ids=[f"{ex.name}:{fn.__name__}" for ex, fn, _ in WRONG])
def test_every_wrong_version_is_rejected_and_named(ex, fn, expect):
    result = exercises.CHECKS[ex.name](fn)
    assert _meets(result, expect), result.message
    if isinstance(expect, Named):  # a small numeric example of expected against got comes with the name
        assert "Example (" in result.message and "expected" in result.message and ", got" in result.message


@pytest.mark.parametrize("ex", MINE, ids=[ex.name for ex in MINE])
def test_every_catalogue_entry_is_reached_by_a_learner_style_wrong_version(ex):
    named = {expect.name for e, _, expect in WRONG if e is ex and isinstance(expect, Named)}
    assert named == {m.name for m in ex.mistakes}


CASES = {  # removing or renaming a case fails here; test_every_case_is_needed says what each one is for
    "softmax": ["one row", "a batch", "large logits", "rows far apart"],
    "cross_entropy": ["one example", "a batch", "large logits", "rows far apart"],
    "least_squares": [
        "two correlated features",
        "with a column of ones (an intercept)",
        "one feature",
        "nearly collinear features",
    ],
    "knn_predict": [
        "k = 1",
        "k = 3",
        "k = 5",
        "a point nearer in straight-line distance than in city-block distance",
        "k = 5, five classes, a winner without a majority",
    ],
}
# cases that no wrong version above needs for its verdict, kept because the feedback shows them as its example
SHOWN_AS_EXAMPLE = {
    ("softmax", "large logits"): "the notebook's own exp(1000): the first case an overflowing softmax fails on",
    ("cross_entropy", "one example"): "the smallest example, shown for mistakes that are wrong everywhere",
    ("knn_predict", "k = 3"): "an everyday k on clustered data, shown before the hand-made case",
    ("knn_predict", "k = 5"): "an everyday k on clustered data, shown before the hand-made case",
}


@pytest.mark.parametrize("ex", MINE, ids=[ex.name for ex in MINE])
def test_the_cases_are_all_there(ex):
    assert [label for label, _ in ex.cases] == CASES[ex.name]


@pytest.mark.parametrize(
    "ex, i",
    [(ex, i) for ex in MINE for i in range(len(ex.cases))],
    ids=[f"{ex.name}:{label}" for ex in MINE for label, _ in ex.cases],
)
def test_every_case_is_needed(ex, i):
    """Without this case, some wrong version above would pass, or be named as a different mistake (or, for the
    few kept as examples, get different feedback)."""
    fewer = dataclasses.replace(ex, cases=ex.cases[:i] + ex.cases[i + 1 :])
    versions = [(fn, expect) for e, fn, expect in WRONG if e is ex]
    if (ex.name, ex.cases[i][0]) in SHOWN_AS_EXAMPLE:
        assert any(run_check(fewer, fn).message != run_check(ex, fn).message for fn, _ in versions)
    else:
        assert any(not _meets(run_check(fewer, fn), expect) for fn, expect in versions)


# ---------------------------------------------------------------------------------------------------------
# Correct alternatives pass
# ---------------------------------------------------------------------------------------------------------


def sm_library(logits):
    return torch.softmax(logits, dim=-1)


def sm_functional(logits):
    return F.softmax(logits, dim=1)


def sm_via_log_softmax(logits):
    return torch.log_softmax(logits, dim=1).exp()


def sm_via_logsumexp(logits):
    return torch.exp(logits - torch.logsumexp(logits, dim=1, keepdim=True))


def sm_in_place_on_temporaries(logits):
    e = logits - logits.max(dim=1, keepdim=True).values  # a new tensor
    e.exp_()
    e /= e.sum(dim=1, keepdim=True)
    return e


def sm_transposed(logits):
    e = (logits.T - logits.max(dim=1).values).exp()
    return (e / e.sum(dim=0)).T


def sm_row_by_row(logits):
    rows = []
    for z in logits:
        e = torch.exp(z - z.max())
        rows.append(e / e.sum())
    return torch.stack(rows)


def sm_numpy_inside(logits):
    z = logits.numpy()
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return torch.from_numpy(e / e.sum(axis=1, keepdims=True))


def ce_library(logits, targets):
    return F.cross_entropy(logits, targets)


def ce_module(logits, targets):
    return torch.nn.CrossEntropyLoss()(logits, targets)


def ce_nll_of_log_softmax(logits, targets):
    return F.nll_loss(F.log_softmax(logits, dim=1), targets)


def ce_logsumexp(logits, targets):
    return (torch.logsumexp(logits, dim=1) - logits[torch.arange(len(targets)), targets]).mean()


def ce_shift_added_back(logits, targets):
    m = logits.max(dim=1).values
    lse = m + torch.log(torch.exp(logits - m[:, None]).sum(dim=1))
    return (lse - logits.gather(1, targets.unsqueeze(1)).squeeze(1)).mean()


def ce_one_hot(logits, targets):
    one_hot = F.one_hot(targets, num_classes=logits.shape[1])
    return -(one_hot * F.log_softmax(logits, dim=1)).sum() / len(targets)


def ce_loop(logits, targets):
    losses = [torch.logsumexp(z, dim=0) - z[t] for z, t in zip(logits, targets, strict=True)]
    return torch.stack(losses).mean()


def ce_in_place_on_temporaries(logits, targets):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    shifted -= shifted.exp().sum(dim=1, keepdim=True).log()  # shifted is ours: in place is fine
    return -shifted[torch.arange(len(targets)), targets].sum() / len(targets)


def ls_inverse(X, y):
    return torch.inverse(X.T @ X) @ X.T @ y


def ls_lstsq(X, y):
    return torch.linalg.lstsq(X, y[:, None]).solution.squeeze(1)


def ls_lstsq_1d(X, y):
    return torch.linalg.lstsq(X, y).solution


def ls_pinv(X, y):
    return torch.linalg.pinv(X) @ y


def ls_qr(X, y):
    Q, R = torch.linalg.qr(X)
    return torch.linalg.solve_triangular(R, (Q.T @ y)[:, None], upper=True)[:, 0]


def ls_both_sides_over_n(X, y):
    n = len(y)
    return torch.linalg.solve(X.T @ X / n, X.T @ y / n)


def ls_numpy_lstsq(X, y):
    return np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]


def ls_numpy_solve_as_list(X, y):
    A, b = X.numpy(), y.numpy()
    return np.linalg.solve(A.T @ A, A.T @ b).tolist()


def knn_loop_squared_distance(train_x, train_y, x, k):
    out = []
    for q in x:
        d = ((train_x - q) ** 2).sum(dim=1)  # squared distances rank the same as distances
        out.append(Counter(train_y[d.argsort()[:k]].tolist()).most_common(1)[0][0])
    return torch.tensor(out)


def knn_mode(train_x, train_y, x, k):
    idx = torch.cdist(x, train_x).argsort(dim=1)[:, :k]
    return torch.mode(train_y[idx], dim=1).values


def knn_transposed(train_x, train_y, x, k):
    idx = torch.cdist(train_x, x).topk(k, dim=0, largest=False).indices  # (k, queries)
    return torch.mode(train_y[idx], dim=0).values


def knn_numpy(train_x, train_y, x, k):
    a, b, q = train_x.numpy(), train_y.numpy(), x.numpy()
    d = np.linalg.norm(q[:, None, :] - a[None, :, :], axis=-1)
    return np.array([np.bincount(b[row]).argmax() for row in np.argsort(d, axis=1)[:, :k]])


def knn_scikit_learn(train_x, train_y, x, k):
    return KNeighborsClassifier(n_neighbors=k).fit(train_x.numpy(), train_y.numpy()).predict(x.numpy())


RIGHT: list[tuple[Exercise, Callable]] = [
    *((SOFTMAX, fn) for fn in (solutions.softmax, sm_library, sm_functional, sm_via_log_softmax, sm_via_logsumexp,
                               sm_in_place_on_temporaries, sm_transposed, sm_row_by_row, sm_numpy_inside)),
    *((CROSS_ENTROPY, fn) for fn in (solutions.cross_entropy, ce_library, ce_module, ce_nll_of_log_softmax,
                                     ce_logsumexp, ce_shift_added_back, ce_one_hot, ce_loop,
                                     ce_in_place_on_temporaries)),
    *((LEAST_SQUARES, fn) for fn in (solutions.least_squares, ls_inverse, ls_lstsq, ls_lstsq_1d, ls_pinv, ls_qr,
                                     ls_both_sides_over_n, ls_numpy_lstsq, ls_numpy_solve_as_list)),
    *((KNN, fn) for fn in (solutions.knn_predict, knn_loop_squared_distance, knn_mode, knn_transposed, knn_numpy,
                           knn_scikit_learn)),
]  # fmt: skip


@pytest.mark.parametrize("ex, fn", RIGHT, ids=[f"{ex.name}:{fn.__name__}" for ex, fn in RIGHT])
def test_every_correct_alternative_passes(ex, fn):
    result = exercises.CHECKS[ex.name](fn)
    assert result.passed, result.message
    assert repr(result).startswith(f"[correct] {ex.name} matches the reference on all {len(ex.cases)} cases")


# ---------------------------------------------------------------------------------------------------------
# The cases do what their comments say
# ---------------------------------------------------------------------------------------------------------


def test_the_far_apart_rows_defeat_a_global_or_mean_shift_but_not_the_reference():
    (far,) = dict(SOFTMAX.cases)["rows far apart"]
    assert torch.isnan(sm_global_max(far)[1]).all() and torch.isnan(sm_mean_shift(far)[0]).any()
    assert torch.isfinite(solutions.softmax(far)).all()
    far, targets = dict(CROSS_ENTROPY.cases)["rows far apart"]
    assert torch.isfinite(solutions.cross_entropy(far, targets))


def test_the_nearly_collinear_case_separates_float32_from_float64():
    X, y = dict(LEAST_SQUARES.cases)["nearly collinear features"]
    w = solutions.least_squares(X, y)
    assert 100 < torch.linalg.cond(X) < 1000
    assert ((ls_float32(X, y).double() - w).abs() / w.abs()).max() > 1e-3  # float32: off in the 3rd digit
    assert ((ls_lstsq(X, y) - w).abs() / w.abs()).max() < 1e-8  # any float64 method: ~10 digits


def test_the_plurality_case_has_untied_votes_and_the_distances_its_comment_gives():
    train_x, train_y, x, k = dict(KNN.cases)["k = 5, five classes, a winner without a majority"]
    d, order = torch.cdist(x, train_x).sort(dim=1)
    assert train_y[order[0, :6]].tolist() == [3, 0, 0, 1, 2, 4]
    assert train_y[order[1, :6]].tolist() == [0, 1, 1, 0, 0, 1]
    assert torch.allclose(d[0, :5], torch.tensor([0.1, 1.0, 1.1, 1.2, 1.3], dtype=d.dtype), atol=0.01)
    assert (d[:, 1:7] - d[:, :6]).min() > 0.05  # no near-ties in distance either
    for labels in train_y[order[:, :k]]:
        top = torch.bincount(labels).sort(descending=True).values
        assert top[0] > top[1]
