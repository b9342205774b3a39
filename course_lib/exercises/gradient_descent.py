"""Exercises of notebook 01: one gradient-descent step, and gradients by finite differences."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from course_lib import optim
from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

# --------------------------------------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------------------------------------


def _gd_ref(w, grad, lr):
    w = w.clone()
    optim.sgd_update(w, grad, None, lr=lr)
    return (w,)


GD = Exercise(
    name="gd_step",
    params=("w", "grad", "lr"),
    outputs=("new w",),
    cases=(
        ("a vector", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), 0.1)),
        ("a matrix", (_rand(1, 2, 3), _rand(2, 2, 3), 0.05)),
        ("a large learning rate", (_t(3.0, -1.0), _t(2.0, 0.5), 1.5)),
    ),
    reference=_gd_ref,
    mistakes=(
        Mistake(
            "the sign is flipped (you moved up the gradient)",
            lambda w, g, lr: w + lr * g,
            "Descent goes against the gradient: subtract lr * grad.",
        ),
        Mistake("lr is missing", lambda w, g, lr: w - g, "Scale the gradient by the learning rate: w - lr * grad."),
        Mistake("lr is squared", lambda w, g, lr: w - lr**2 * g, "Multiply by lr once."),
        Mistake("you divided by lr", lambda w, g, lr: w - g / lr, "The step is lr * grad, not grad / lr."),
        Mistake(
            "you returned the step, not the new weights",
            lambda w, g, lr: -lr * g,
            "Return w - lr * grad, the weights after the step.",
        ),
        Mistake(
            "you returned the step with the wrong sign and without w",
            lambda w, g, lr: lr * g,
            "Return w - lr * grad, the weights after the step.",
        ),
        Mistake(
            "the sign is flipped and lr is missing (w + grad)",
            lambda w, g, lr: w + g,
            "Two things: move against the gradient, and scale it by the learning rate: w - lr * grad.",
        ),
        Mistake(
            "lr multiplies w as well as the gradient (lr * (w - grad))",
            lambda w, g, lr: lr * (w - g),
            "Only the step is scaled: w - lr * grad keeps w as it is and subtracts lr * grad.",
        ),
        Mistake(
            "the gradient was scaled to length 1 (grad / grad.norm())",
            lambda w, g, lr: w - lr * g / g.norm(),
            "Plain gradient descent uses the gradient as it is: a steep slope gives a long step, a gentle one a "
            "short step. w - lr * grad.",
        ),
    ),
    hint="the new weights are the old ones minus lr times the gradient.",
    read_only={
        "grad": "The gradient belongs to the caller, who may still need it (to log its size, or for the next "
        "step): compute w - lr * grad into a new tensor (or change w, not grad, in place).",
    },
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_gd_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, lr) -> new w``, one step of gradient descent."""
    return run_check(GD, fn)


# --------------------------------------------------------------------------------------------------------
# Gradients by finite differences
# --------------------------------------------------------------------------------------------------------


def _named(formula: str, fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    fn.formula = formula  # how the check's example shows the function
    return fn


_BOWL = _named("f(w) = sum(3 w^2) + w0 w1", lambda w: (3 * w * w).sum() + w[0] * w[1])
_WAVY = _named("f(w) = sum(sin(3 w)) + w0 w1^2", lambda w: torch.sin(3 * w).sum() + w[0] * w[1] ** 2)
_CUBIC = _named("f(w) = sum(w^3)", lambda w: (w**3).sum())


def _central(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(w.numel()):
        e = torch.zeros_like(w)
        e.view(-1)[i] = h
        grad.view(-1)[i] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


def _forward(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(w.numel()):
        e = torch.zeros_like(w)
        e.view(-1)[i] = h
        grad.view(-1)[i] = (f(w + e) - f(w)) / h
    return grad


def _backward(f, w, h):
    return _forward(f, w, -h)  # (f(w - h e_i) - f(w)) / (-h) = (f(w) - f(w - h e_i)) / h


def _times_h(f, w, h):
    """The central difference written `/ 2 * h`: divided by 2, then multiplied by h."""
    return _central(f, w, h) * 2 * h / 2 * h


def _not_put_back(f, w, h):
    """Each coordinate nudged in w itself and left at w[i] - h: later coordinates see a shifted point."""
    w, grad = w.clone(), torch.zeros_like(w)
    for i in range(w.numel()):
        w.view(-1)[i] += h
        plus = f(w)
        w.view(-1)[i] -= 2 * h
        grad.view(-1)[i] = (plus - f(w)) / (2 * h)
    return grad


def _exact(f, w, h):
    w = w.detach().clone().requires_grad_(True)
    f(w).backward()
    return w.grad


NUMERICAL_GRAD = Exercise(
    name="numerical_grad",
    params=("f", "w", "h"),
    outputs=("gradient",),
    cases=(
        ("a quadratic", (_BOWL, _t(1.0, -2.0, 0.5), 1e-3)),
        ("a wavy function", (_WAVY, _t(0.3, -0.7), 1e-3)),
        ("a cubic, larger h", (_CUBIC, _t(1.0, 2.0, -1.5, 0.5), 1e-2)),
    ),
    reference=lambda f, w, h: (_central(f, w, h),),
    mistakes=(
        Mistake(
            "this is the forward difference (f(w + h) - f(w)) / h",
            _forward,
            "Notebook 01's table showed why not: the forward difference's error shrinks only like h, the central "
            "difference's, (f(w + h e_i) - f(w - h e_i)) / (2h), like h^2.",
        ),
        Mistake(
            "the difference is divided by h instead of 2h",
            lambda f, w, h: 2 * _central(f, w, h),
            "The two points w + h e_i and w - h e_i are 2h apart: divide by 2 * h.",
        ),
        Mistake(
            "every coordinate was moved at once",
            lambda f, w, h: torch.full_like(w, float((f(w + h) - f(w - h)) / (2 * h))),
            "Move one coordinate at a time: w + h * e_i, where e_i is 1 in position i and 0 elsewhere.",
        ),
        Mistake("the sign is flipped", lambda f, w, h: -_central(f, w, h), "Compute f(w + h e_i) - f(w - h e_i)."),
        Mistake(
            "this is the backward difference (f(w) - f(w - h)) / h",
            _backward,
            "As notebook 01's table showed for the forward one, a one-sided difference errs like h; the central "
            "one, (f(w + h e_i) - f(w - h e_i)) / (2h), like h^2.",
        ),
        Mistake(
            "the division is written / 2 * h, which divides by 2 and then multiplies by h",
            _times_h,
            "Python reads a / 2 * h as (a / 2) * h: write / (2 * h).",
        ),
        Mistake(
            "every component is 0: plus and minus are w itself, not copies",
            lambda f, w, h: torch.zeros_like(w),
            "plus = w gives a second name for the same tensor, so plus[i] += h and minus[i] -= h change one "
            "tensor and f sees the same point twice. Copy first: plus = w.clone(); minus = w.clone().",
        ),
        Mistake(
            "w was changed in place and not put back (later coordinates see a shifted point)",
            _not_put_back,
            "Nudge a copy (plus = w.clone()), or undo each nudge before moving to the next coordinate.",
        ),
        Mistake(
            "these are the exact derivatives, not central differences with the h you were given",
            _exact,
            "Use the h passed in: the check compares with the central difference at that h (on the cubic, "
            "h = 0.01, it is off the exact derivative by h^2 = 1e-4). And a tiny h of your own is no better: "
            "notebook 01's table showed rounding take over below about 1e-5.",
        ),
    ),
    hint="for each coordinate i, nudge w[i] by +h and by -h and take (f(plus) - f(minus)) / (2 * h).",
    read_only={
        "w": "w is the caller's point: nudge a copy (plus = w.clone(); plus[i] += h), or undo each nudge, so "
        "that every coordinate is measured at the same point and the caller's w is left as it was.",
    },
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_numerical_grad(fn: Callable) -> CheckResult:
    """Check ``fn(f, w, h) -> gradient``: the central-difference estimate of f's gradient at w, one coordinate
    at a time."""
    return run_check(NUMERICAL_GRAD, fn)
