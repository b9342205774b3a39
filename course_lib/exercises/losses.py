"""Exercises of notebook 06: softmax and cross-entropy from logits.

The catalogues are built from a few ingredients, so that combinations of two mistakes (no shift *and* the sum
over the wrong dimension, say) are named as well as single ones. The cases include logits in the thousands
(exp overflows), rows far apart (a shift by the tensor's global max underflows a whole row to 0/0) and a row
whose logits spread far both ways (a shift by the row's mean still overflows).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------------

_LOGITS = _t(2.0, 1.0, 0.1, -1.0).reshape(1, 4)
_BATCH = _rand(16, 5, 3) * 2
_TARGETS = torch.tensor([0, 2, 1, 1, 0])
_HUGE = _t(1000.0, 990.0, -500.0, 1002.0, 1001.0, 0.0).reshape(2, 3)
# row 0 spreads 1500 both ways (its mean is 0, so a shift by the mean leaves exp(1500) = inf); row 1 sits
# 2500 below the tensor's largest logit (a shift by that global max makes the whole row exp(-2500) = 0)
_FAR = _t(1500.0, 0.0, -1500.0, -1000.0, -998.0, -1003.0).reshape(2, 3)

# the logits are the caller's (a model's output, still needed for the backward pass or the accuracy)
_LOGITS_ARE_THE_CALLERS = (
    "The logits belong to the caller, who still needs them: compute new tensors (shifted = logits - m, not "
    "logits -= m or logits.sub_(m)); in-place steps on your own temporaries (e /= e.sum(...)) are fine."
)
_PRECISE = {"rtol": FLOAT64_RTOL, "atol": FLOAT64_ATOL}  # float64 gets these right to ~15 digits

_BATCH_HINT = (
    "Your code ran on one row but not on a batch: a max or sum probably dropped its dimension. Keep it with "
    "keepdim=True (logits.max(dim=-1, keepdim=True).values, e.sum(dim=-1, keepdim=True)), so each row is "
    "shifted and divided by its own numbers."
)

# --------------------------------------------------------------------------------------------------------
# Softmax: how the exponentials are made x how they are normalised
# --------------------------------------------------------------------------------------------------------


def _row_max(z):
    return z.max(dim=-1, keepdim=True).values


def _exp_row_max(z):  # right
    return (z - _row_max(z)).exp()


def _exp_naive(z):
    return z.exp()


def _norm_rows(e):  # right
    return e / e.sum(dim=-1, keepdim=True)


def _norm_down(e):
    return e / e.sum(dim=0, keepdim=True)


def _norm_whole(e):
    return e / e.sum()


_OVERFLOW = "exp overflows for large logits"
_OVERFLOW_ADVICE = (
    "Notebook 06 showed it: exp(1000) = inf, and inf / inf is nan. Subtract each row's largest logit first "
    "(logits.max(dim=-1, keepdim=True).values): softmax is unchanged by a shift, and the largest exponent "
    "becomes exp(0) = 1."
)
_DOWN, _DOWN_ADVICE = (
    "the normalisation runs over the wrong dimension (down the batch)",
    "Each row is one example: normalise along the last dimension (dim=-1).",
)
_SUM_DOWN, _SUM_DOWN_ADVICE = (
    "the sum runs down the batch (dim=0) while the max runs along each row",
    "Each row is one example: sum along the last dimension too, e.sum(dim=-1, keepdim=True).",
)
_WHOLE, _WHOLE_ADVICE = (
    "the exponentials are divided by the sum of the whole tensor, not of each row",
    "Each row must add up to 1 on its own: e.sum(dim=-1, keepdim=True), not e.sum().",
)
_UNNORMALISED, _UNNORMALISED_ADVICE = (
    "the exponentials are not normalised",
    "Divide by the row's sum so the probabilities add up to 1.",
)

SOFTMAX = Exercise(
    name="softmax",
    params=("logits",),
    outputs=("probabilities",),
    cases=(
        ("one row", (_LOGITS.clone(),)),
        ("a batch", (_BATCH.clone(),)),
        ("large logits", (_HUGE.clone(),)),
        ("rows far apart", (_FAR.clone(),)),
    ),
    reference=lambda z: (torch.softmax(z, dim=-1),),
    mistakes=(
        Mistake(_OVERFLOW, lambda z: _norm_rows(_exp_naive(z)), _OVERFLOW_ADVICE),
        Mistake(
            "the shift is the largest logit of the whole tensor, not of each row",
            lambda z: _norm_rows((z - z.max()).exp()),
            "With rows far apart, a row far below the global max becomes exp(-2500) = 0 everywhere, and 0 / 0 "
            "is nan. Subtract each row's own max: logits.max(dim=-1, keepdim=True).values.",
        ),
        Mistake(
            "the shift is the row's mean, not its max",
            lambda z: _norm_rows((z - z.mean(dim=-1, keepdim=True)).exp()),
            "Notebook 06's exp(1000) = inf still happens: a row whose logits spread 1500 both ways has mean 0. "
            "Only the row's max guarantees that the largest exponent is exp(0) = 1.",
        ),
        Mistake(
            "the shift is the row's smallest logit, not its largest",
            lambda z: _norm_rows((z - z.min(dim=-1, keepdim=True).values).exp()),
            "Subtracting the min makes every exponent zero or positive, so exp still overflows (notebook 06: exp(1000) "
            "= inf). Subtract the max: then every exponent is at most exp(0) = 1.",
        ),
        Mistake(_DOWN, lambda z: torch.softmax(z, dim=0), _DOWN_ADVICE),
        Mistake(_SUM_DOWN, lambda z: _norm_down(_exp_row_max(z)), _SUM_DOWN_ADVICE),
        Mistake(_WHOLE, lambda z: _norm_whole(_exp_row_max(z)), _WHOLE_ADVICE),
        Mistake(_UNNORMALISED, _exp_row_max, _UNNORMALISED_ADVICE),
        Mistake(f"{_OVERFLOW}, and {_DOWN}", lambda z: _norm_down(_exp_naive(z)), f"{_OVERFLOW_ADVICE} {_DOWN_ADVICE}"),
        Mistake(
            f"{_OVERFLOW}, and {_WHOLE}", lambda z: _norm_whole(_exp_naive(z)), f"{_OVERFLOW_ADVICE} {_WHOLE_ADVICE}"
        ),
        Mistake(f"{_OVERFLOW}, and {_UNNORMALISED}", _exp_naive, f"{_OVERFLOW_ADVICE} {_UNNORMALISED_ADVICE}"),
        Mistake("this is the log-softmax", lambda z: torch.log_softmax(z, dim=-1), "Return probabilities, not logs."),
        Mistake(
            "the logits were normalised without exp",
            lambda z: z / z.sum(dim=-1, keepdim=True),
            "Exponentiate first: softmax(z)_i = exp(z_i) / sum_j exp(z_j).",
        ),
    ),
    must_be_tensor=True,
    hint="exponentiate (after subtracting the row's max) and divide by the row's sum, along the last dimension.",
    none_hints={"a batch": _BATCH_HINT},
    read_only={"logits": _LOGITS_ARE_THE_CALLERS},
    **_PRECISE,
)


def check_softmax(fn: Callable) -> CheckResult:
    """Check ``fn(logits) -> probabilities`` along the last dimension, including logits in the thousands."""
    return run_check(SOFTMAX, fn)


# --------------------------------------------------------------------------------------------------------
# Cross-entropy: how each example's loss is computed x how the batch is reduced
# --------------------------------------------------------------------------------------------------------


def _ce(z, y):
    return torch.nn.functional.cross_entropy(z, y)


def _per_example(z, y):
    return torch.nn.functional.cross_entropy(z, y, reduction="none")


def _pick(x, y):
    return x[torch.arange(len(y)), y]


def _log_probs(z, shift):
    s = z - shift
    return s - s.exp().sum(dim=1, keepdim=True).log()


# each returns one loss per example, written the way the mistake is made
def _per_naive(z, y):  # -log of a softmax without the shift
    e = z.exp()
    return -_pick(e / e.sum(dim=1, keepdim=True), y).log()


def _per_log_of_softmax(z, y):  # -log of a stable softmax: the true class's probability can underflow to 0
    return -_pick(torch.softmax(z, dim=1), y).log()


def _per_unshifted_lse(z, y):  # -z_y + log(sum(exp(z))), no shift
    return -_pick(z, y) + z.exp().sum(dim=1).log()


def _per_global_max(z, y):
    return -_pick(_log_probs(z, z.max()), y)


def _per_mean_shift(z, y):
    return -_pick(_log_probs(z, z.mean(dim=1, keepdim=True)), y)


_MEAN, _SUM, _NONE = (lambda x: x.mean()), (lambda x: x.sum()), (lambda x: x)

_NB06_LOG_SOFTMAX = (
    "Notebook 06 showed it: for logits [0, -200] in float32, -log(softmax) is inf while the loss from logits is "
    "exactly 200. Compute the log-probabilities directly, log_probs = z - m - log(sum(exp(z - m))) with m each "
    "row's max, or torch.log_softmax."
)
_NB06_EXP = "Notebook 06 showed that exp(1000) = inf"
_UNSTABLE = (  # (name, per-example losses, advice)
    (
        "the softmax overflows for large logits",
        _per_naive,
        f"{_NB06_EXP}, so exp(z) / sum(exp(z)) is inf / inf = nan. Use log-softmax: subtract each row's max m, "
        "then log_probs = (z - m) - log(sum(exp(z - m))).",
    ),
    (
        "the loss is -log(softmax(z)), which is inf when a probability underflows to 0",
        _per_log_of_softmax,
        _NB06_LOG_SOFTMAX,
    ),
    (
        "the log-sum-exp is not shifted, so exp overflows",
        _per_unshifted_lse,
        f"{_NB06_EXP} (and exp(-1000) = 0, whose log is -inf). Subtract each row's max m inside and add it "
        "back outside: log(sum(exp(z))) = m + log(sum(exp(z - m))).",
    ),
    (
        "the shift is the largest logit of the whole batch, not of each row",
        _per_global_max,
        "With rows far apart, a row far below the global max gives exp(-2500) = 0 everywhere and log(0) = -inf. "
        "Subtract each row's own max: logits.max(dim=1, keepdim=True).values.",
    ),
    (
        "the shift is the row's mean, not its max",
        _per_mean_shift,
        f"{_NB06_EXP}: a row whose logits spread 1500 both ways has mean 0, so exp(1500) still overflows. "
        "Only the row's max keeps every exponent at most exp(0) = 1.",
    ),
)
_REDUCTIONS = (  # (name, reduce, advice)
    (
        "the loss is summed over the batch, not averaged",
        _SUM,
        "nn.CrossEntropyLoss averages over the batch by default: use .mean().",
    ),
    (
        "you returned one loss per example",
        _NONE,
        "Return the mean over the batch, a single number (a 0-d tensor).",
    ),
)


def _combined(per: Callable, reduce: Callable) -> Callable:
    return lambda z, y: reduce(per(z, y))


CROSS_ENTROPY = Exercise(
    name="cross_entropy",
    params=("logits", "targets"),
    outputs=("mean loss",),
    cases=(
        ("one example", (_LOGITS.clone(), torch.tensor([1]))),
        ("a batch", (_BATCH.clone(), _TARGETS.clone())),
        ("large logits", (_HUGE.clone(), torch.tensor([2, 0]))),
        ("rows far apart", (_FAR.clone(), torch.tensor([1, 0]))),
    ),
    reference=lambda z, y: (_ce(z, y),),
    mistakes=(
        *(Mistake(name, _combined(per, _MEAN), advice) for name, per, advice in _UNSTABLE),
        *(Mistake(name, _combined(_per_example, reduce), advice) for name, reduce, advice in _REDUCTIONS),
        *(
            Mistake(f"{name}, and {reduction}", _combined(per, reduce), f"{advice} Also: {reduce_advice}")
            for name, per, advice in _UNSTABLE
            for reduction, reduce, reduce_advice in _REDUCTIONS
        ),
        Mistake(
            "the max was subtracted inside the exp but not added back",
            lambda z, y: (-_pick(z, y) + (z - z.max(dim=1, keepdim=True).values).exp().sum(dim=1).log()).mean(),
            "log(sum(exp(z))) = m + log(sum(exp(z - m))): add m back, or subtract m from z_y as well (use the "
            "shifted logits in both terms).",
        ),
        Mistake(
            "the loss was averaged over every entry of the (batch, classes) table, so it is divided by the "
            "number of classes too",
            lambda z, y: _ce(z, y) / z.shape[1],
            "Only one entry per row (the true class's) is a loss: sum over the classes (the one-hot picks one), "
            "then average over the batch. Or pick it directly: log_probs[torch.arange(B), targets].mean().",
        ),
        Mistake(
            "log_probs[:, targets] picked every row at every target (a batch x batch table)",
            lambda z, y: -torch.log_softmax(z, dim=1)[:, y].mean(),
            "Pair row i with its own target: log_probs[torch.arange(len(targets)), targets], or "
            "log_probs.gather(1, targets[:, None]).",
        ),
        Mistake(
            "the log-probabilities of every class were added, not just the true class's",
            lambda z, y: -torch.log_softmax(z, dim=1).sum(dim=1).mean(),
            "Cross-entropy with a class index keeps one entry per row: minus the log-probability of the true class.",
        ),
        Mistake(
            "the true class's logit is missing (only the log-sum-exp is left)",
            lambda z, y: torch.logsumexp(z, dim=1).mean(),
            "The loss of one example is -z_y + log(sum_j exp(z_j)): subtract the true class's logit.",
        ),
        Mistake(
            "softmax was applied twice (probabilities passed where logits belong)",
            lambda z, y: _ce(torch.softmax(z, dim=1), y),
            "The loss takes logits: it applies log-softmax itself. Do not softmax the logits first.",
        ),
        Mistake(
            "the logits were used as if they were probabilities",
            lambda z, y: -_pick(z, y).log().mean(),
            "Logits are unnormalised scores; turn them into log-probabilities with log-softmax first.",
        ),
        Mistake(
            "the logits were used as log-probabilities (nll_loss without log_softmax)",
            lambda z, y: -_pick(z, y).mean(),
            "F.nll_loss expects log-probabilities: apply log-softmax to the logits first "
            "(log_probs = z - logsumexp(z)).",
        ),
        Mistake(
            "the probabilities were used as log-probabilities (nll_loss after softmax, without the log)",
            lambda z, y: -_pick(torch.softmax(z, dim=1), y).mean(),
            "The loss is minus the log of the true class's probability: use log-softmax, not softmax.",
        ),
        Mistake(
            "the minus sign is missing",
            lambda z, y: -_ce(z, y),
            "Cross-entropy is minus the log-probability of the true class.",
        ),
        Mistake(
            "softmax runs over the batch dimension",
            lambda z, y: -_pick(torch.log_softmax(z, dim=0), y).mean(),
            "Each row holds one example's logits: log-softmax along dim=1.",
        ),
    ),
    must_be_tensor=True,
    hint="log-softmax each row (subtract the row's max for stability), pick the true class's entry, negate, "
    "and average over the batch.",
    none_hints={
        "one example": "If you made one-hot targets, give F.one_hot the number of classes, "
        "F.one_hot(targets, logits.shape[1]): without it, the count is guessed from the largest target.",
        "a batch": "Your code ran on one example but not on a batch. Usual causes: a max or sum that dropped its "
        "dimension (use keepdim=True), or targets used as one-hot rows: they are class indices, so pick each "
        "row's entry with log_probs[torch.arange(len(targets)), targets].",
    },
    read_only={
        "logits": _LOGITS_ARE_THE_CALLERS,
        "targets": "The targets belong to the caller: index with them, do not change them.",
    },
    **_PRECISE,
)


def check_cross_entropy(fn: Callable) -> CheckResult:
    """Check ``fn(logits, targets) -> mean loss`` (a 0-d tensor), as ``nn.CrossEntropyLoss`` computes it."""
    return run_check(CROSS_ENTROPY, fn)
