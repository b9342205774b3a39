"""Exercises of notebook 06: softmax and cross-entropy from logits."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib.checking import CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# Softmax and cross-entropy
# --------------------------------------------------------------------------------------------------------

_LOGITS = _t(2.0, 1.0, 0.1, -1.0).reshape(1, 4)
_BATCH = _rand(16, 5, 3) * 2
_TARGETS = torch.tensor([0, 2, 1, 1, 0])
_HUGE = _t(1000.0, 990.0, -500.0, 1002.0, 1001.0, 0.0).reshape(2, 3)


def _naive_softmax(z):
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


SOFTMAX = Exercise(
    name="softmax",
    params=("logits",),
    outputs=("probabilities",),
    cases=(
        ("one row", (_LOGITS.clone(),)),
        ("a batch", (_BATCH.clone(),)),
        ("large logits", (_HUGE.clone(),)),
    ),
    reference=lambda z: (torch.softmax(z, dim=-1),),
    mistakes=(
        Mistake(
            "exp overflows for large logits",
            _naive_softmax,
            "exp(1000) is inf in floating point. Subtract each row's largest logit first: softmax is unchanged "
            "by a shift, and the largest exponent becomes exp(0) = 1.",
        ),
        Mistake(
            "the normalisation runs over the wrong dimension (down the batch)",
            lambda z: (e := (z - z.max()).exp()) / e.sum(dim=0, keepdim=True),
            "Each row is one example: normalise along the last dimension (dim=-1).",
        ),
        Mistake(
            "the exponentials are not normalised",
            lambda z: (z - z.max(dim=-1, keepdim=True).values).exp(),
            "Divide by the row's sum so the probabilities add up to 1.",
        ),
        Mistake("this is the log-softmax", lambda z: torch.log_softmax(z, dim=-1), "Return probabilities, not logs."),
        Mistake(
            "the logits were normalised without exp",
            lambda z: z / z.sum(dim=-1, keepdim=True),
            "Exponentiate first: softmax(z)_i = exp(z_i) / sum_j exp(z_j).",
        ),
    ),
    must_be_tensor=True,
    hint="exponentiate (after subtracting the row's max) and divide by the row's sum, along the last dimension.",
)


def check_softmax(fn: Callable) -> CheckResult:
    """Check ``fn(logits) -> probabilities`` along the last dimension, including logits in the thousands."""
    return run_check(SOFTMAX, fn)


def _ce(z, y):
    return torch.nn.functional.cross_entropy(z, y)


def _pick(x, y):
    return x[torch.arange(len(y)), y]


CROSS_ENTROPY = Exercise(
    name="cross_entropy",
    params=("logits", "targets"),
    outputs=("mean loss",),
    cases=(
        ("one example", (_LOGITS.clone(), torch.tensor([1]))),
        ("a batch", (_BATCH.clone(), _TARGETS.clone())),
        ("large logits", (_HUGE.clone(), torch.tensor([2, 0]))),
    ),
    reference=lambda z, y: (_ce(z, y),),
    mistakes=(
        Mistake(
            "the softmax overflows for large logits",
            lambda z, y: -_pick(_naive_softmax(z), y).log().mean(),
            "exp(1000) is inf. Use log-softmax: subtract each row's max, then log_probs = z - log(sum(exp(z))).",
        ),
        Mistake(
            "the loss is summed over the batch, not averaged",
            lambda z, y: torch.nn.functional.cross_entropy(z, y, reduction="sum"),
            "nn.CrossEntropyLoss averages over the batch by default: use .mean().",
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
            "the minus sign is missing",
            lambda z, y: -_ce(z, y),
            "Cross-entropy is minus the log-probability of the true class.",
        ),
        Mistake(
            "you returned one loss per example",
            lambda z, y: torch.nn.functional.cross_entropy(z, y, reduction="none"),
            "Return the mean over the batch, a single number (a 0-d tensor).",
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
)


def check_cross_entropy(fn: Callable) -> CheckResult:
    """Check ``fn(logits, targets) -> mean loss`` (a 0-d tensor), as ``nn.CrossEntropyLoss`` computes it."""
    return run_check(CROSS_ENTROPY, fn)
