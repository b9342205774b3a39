"""Exercise of notebook 08: the linear scaling rule with a linear warmup (Goyal et al., 2017)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, run_check

__all__ = ["SCALED_LR", "check_scaled_lr"]


def _lr(step, batch_size, base_lr, base_batch, warmup_steps, *, ratio=None, start=1, peak=None, ends=True):
    target = base_lr * (batch_size / base_batch if ratio is None else ratio(batch_size, base_batch))
    if warmup_steps and (step < warmup_steps or not ends):
        target = (target if peak is None else peak(base_lr, target)) * (step + start) / warmup_steps
    return torch.tensor(target, dtype=torch.float64)


SCALED_LR = Exercise(
    name="scaled_lr",
    params=("step", "batch_size", "base_lr", "base_batch", "warmup_steps"),
    outputs=("learning rate",),
    cases=(
        ("the first step", (0, 800, 0.1, 100, 16)),
        ("after the warmup", (50, 400, 0.1, 100, 10)),
        ("no warmup, a smaller batch", (3, 50, 0.1, 100, 0)),
    ),
    reference=lambda *args: (_lr(*args),),
    mistakes=(
        Mistake(
            "the rate was scaled by the square root of the batch ratio",
            lambda *a: _lr(*a, ratio=lambda b, b0: math.sqrt(b / b0)),
            "The linear scaling rule multiplies the rate by k when the batch grows k times: "
            "base_lr * batch_size / base_batch.",
        ),
        Mistake(
            "the batch ratio is upside down (base_batch / batch_size)",
            lambda *a: _lr(*a, ratio=lambda b, b0: b0 / b),
            "A larger batch gets a larger rate: multiply by batch_size / base_batch.",
        ),
        Mistake(
            "the warmup starts at 0 (step / warmup_steps)",
            lambda *a: _lr(*a, start=0),
            "Steps count from 0, so the first step's factor is (0 + 1) / warmup_steps: use (step + 1) / warmup_steps, "
            "which reaches 1 at the last warmup step.",
        ),
        Mistake(
            "there is no warmup",
            lambda s, b, lr, b0, w: _lr(s, b, lr, b0, 0),
            "During the first warmup_steps steps the rate rises linearly: scaled rate * (step + 1) / warmup_steps.",
        ),
        Mistake(
            "the warmup rises towards base_lr, not towards the scaled rate",
            lambda *a: _lr(*a, peak=lambda base, target: base),
            "The warmup leads up to the scaled rate, base_lr * batch_size / base_batch, and joins it when it ends.",
        ),
        Mistake(
            "the warmup factor is applied after the warmup too",
            lambda *a: _lr(*a, ends=False),
            "Once step >= warmup_steps the rate is the scaled rate itself: the factor applies only while "
            "step < warmup_steps.",
        ),
    ),
    hint="the scaled rate is base_lr * batch_size / base_batch; while step < warmup_steps, multiply it by "
    "(step + 1) / warmup_steps.",
    none_hints={
        "no warmup, a smaller batch": "With warmup_steps = 0 there is no warmup: test step < warmup_steps before "
        "dividing by warmup_steps.",
    },
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_scaled_lr(fn: Callable) -> CheckResult:
    """Check ``fn(step, batch_size, base_lr, base_batch, warmup_steps) -> learning rate`` at that step."""
    return run_check(SCALED_LR, fn)
