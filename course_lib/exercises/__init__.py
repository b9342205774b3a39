"""Exercises that check themselves and name the learner's mistake.

Each ``check_*`` function runs your function on several cases (different shapes, the first step and later
steps, extreme values where they expose a mistake) and compares it with the course's reference, the update
rules of ``course_lib.optim`` (``torch.nn.functional`` for the losses). It returns a ``CheckResult`` that shows
itself as a coloured box in a notebook and as one stable line of text elsewhere.

When your answer is off, the check tries a catalogue of known mistakes (wrong sign, lr missing, eps inside the
square root, no bias correction...) and names the one that reproduces your numbers on every case, with one
small example of expected against got. A stub that still raises ``NotImplementedError`` (or returns None) is
"not done yet", and an exception in your code is shown briefly with your line; a check never throws a
traceback at you.

``solution(name)`` shows the reference solution of an exercise once you have tried it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from course_lib import solutions
from course_lib.checking import CheckResult, run_check  # noqa: F401 (run_check: for instructors and tests)
from course_lib.exercises.adaptive import (
    ADAGRAD,
    ADAM,
    RMSPROP,
    YOGI_V,
    check_adagrad_step,
    check_adam_step,
    check_rmsprop_step,
    check_yogi_second_moment,
)
from course_lib.exercises.batch_scaling import SCALED_LR, check_scaled_lr
from course_lib.exercises.classic import KNN_PREDICT, LEAST_SQUARES, check_knn_predict, check_least_squares
from course_lib.exercises.clipping import CLIP_BY_NORM, check_clip_by_norm
from course_lib.exercises.gradient_descent import GD, NUMERICAL_GRAD, check_gd_step, check_numerical_grad
from course_lib.exercises.losses import CROSS_ENTROPY, SOFTMAX, check_cross_entropy, check_softmax
from course_lib.exercises.minibatches import MINIBATCH_GRAD, check_minibatch_grad, check_minibatches
from course_lib.exercises.momentum import MOMENTUM, NESTEROV, check_momentum_step, check_nesterov_step

__all__ = [
    "CheckResult",
    "check_gd_step",
    "check_numerical_grad",
    "check_momentum_step",
    "check_nesterov_step",
    "check_adagrad_step",
    "check_rmsprop_step",
    "check_adam_step",
    "check_yogi_second_moment",
    "check_softmax",
    "check_cross_entropy",
    "check_minibatches",
    "check_minibatch_grad",
    "check_least_squares",
    "check_knn_predict",
    "check_clip_by_norm",
    "check_scaled_lr",
    "solution",
    "reference",
    "exercise_names",
    # the exercise definitions (cases, reference, catalogue of mistakes), for instructors and tests
    "GD",
    "NUMERICAL_GRAD",
    "MINIBATCH_GRAD",
    "MOMENTUM",
    "NESTEROV",
    "ADAGRAD",
    "RMSPROP",
    "ADAM",
    "YOGI_V",
    "SOFTMAX",
    "CROSS_ENTROPY",
    "LEAST_SQUARES",
    "KNN_PREDICT",
    "CLIP_BY_NORM",
    "SCALED_LR",
]

# --------------------------------------------------------------------------------------------------------
# Solutions
# --------------------------------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[Callable], CheckResult]] = {
    "gd_step": check_gd_step,
    "numerical_grad": check_numerical_grad,
    "momentum_step": check_momentum_step,
    "nesterov_step": check_nesterov_step,
    "adagrad_step": check_adagrad_step,
    "rmsprop_step": check_rmsprop_step,
    "adam_step": check_adam_step,
    "yogi_second_moment": check_yogi_second_moment,
    "softmax": check_softmax,
    "cross_entropy": check_cross_entropy,
    "minibatches": check_minibatches,
    "minibatch_grad": check_minibatch_grad,
    "least_squares": check_least_squares,
    "knn_predict": check_knn_predict,
    "clip_by_norm": check_clip_by_norm,
    "scaled_lr": check_scaled_lr,
}
# every exercise's reference solution is the function of the same name in course_lib.solutions
_SOLUTIONS = {name: getattr(solutions, name) for name in CHECKS}


def exercise_names() -> list[str]:
    """Every exercise that has a check and a reference solution."""
    return list(CHECKS)


@dataclass(frozen=True)
class Solution:
    """A reference solution's source; shown as code in a notebook."""

    name: str
    source: str

    def __repr__(self) -> str:
        return self.source

    def _repr_markdown_(self) -> str:
        return f"Reference solution for `{self.name}` (try it yourself first):\n\n```python\n{self.source}```"


def solution(name: str) -> Solution:
    """The reference solution of an exercise, e.g. ``solution("adam_step")``. Try the exercise first!"""
    if name not in _SOLUTIONS:
        known = ", ".join(_SOLUTIONS)
        raise ValueError(f"no exercise called {name!r}; the exercises are: {known}")
    return Solution(name, inspect.getsource(_SOLUTIONS[name]))


def reference(name: str) -> Callable:
    """The reference solution of an exercise as a function, for a notebook to use after the exercise."""
    if name not in _SOLUTIONS:
        raise ValueError(f"no exercise called {name!r}; the exercises are: {', '.join(_SOLUTIONS)}")
    return _SOLUTIONS[name]


def check_all_solutions() -> dict[str, CheckResult]:
    """Run every check on its reference solution (what the test suite asserts; handy for instructors)."""
    return {name: CHECKS[name](_SOLUTIONS[name]) for name in CHECKS}
