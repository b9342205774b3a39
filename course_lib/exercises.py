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

import torch
from torch import Tensor

from course_lib import optim, solutions
from course_lib.checking import CheckResult, Exercise, Mistake, learner_line, run_check

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
    "solution",
    "reference",
    "exercise_names",
]

# --------------------------------------------------------------------------------------------------------
# Cases: float64, small, with values chosen so that each catalogued mistake changes the answer
# --------------------------------------------------------------------------------------------------------


def _t(*values: float) -> Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _rand(seed: int, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale


def _positive(seed: int, *shape: int, scale: float = 1.0) -> Tensor:
    return _rand(seed, *shape).abs() * scale + 0.01 * scale


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
    ),
    hint="the new weights are the old ones minus lr times the gradient.",
)


def check_gd_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, lr) -> new w``, one step of gradient descent."""
    return run_check(GD, fn)


# --------------------------------------------------------------------------------------------------------
# Momentum, PyTorch's form
# --------------------------------------------------------------------------------------------------------


def _momentum_ref(w, grad, buf, lr, momentum):
    w = w.clone()
    buf = optim.sgd_update(w, grad, None if buf is None else buf.clone(), lr=lr, momentum=momentum)
    return w, buf


def _momentum_variant(
    *,
    lr_inside=False,
    velocity=False,
    damp=False,
    damp_start=False,
    old_buffer=False,
    grad_step=False,
    nesterov=False,
    sign=-1,
    mu_on_grad=False,
):
    """Heavy-ball momentum with one thing changed: the catalogue of momentum mistakes is built from this."""

    def step(w, g, b, lr, mu):
        if velocity:  # v = mu * v - lr * g; w + v
            v = -lr * g if b is None else mu * b - lr * g
            return w + v, v
        scale = lr if lr_inside else 1.0
        if b is None:
            new = (1 - mu) * g if damp_start else scale * g
        elif damp or damp_start:
            new = mu * b + (1 - mu) * g
        elif mu_on_grad:
            new = b + mu * g
        else:
            new = mu * b + scale * g
        if lr_inside:
            return w - new, new
        direction = g if grad_step else (b if old_buffer and b is not None else new)
        if nesterov:
            direction = g + mu * new
        return w + sign * lr * direction, new

    return step


MOMENTUM = Exercise(
    name="momentum_step",
    params=("w", "grad", "buf", "lr", "momentum"),
    outputs=("new w", "new buf"),
    cases=(
        ("step 1, buf is None", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), None, 0.1, 0.9)),
        ("a later step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(1.0, 0.5, -0.3), 0.1, 0.9)),
        ("a matrix, later step", (_rand(3, 2, 2), _rand(4, 2, 2), _rand(5, 2, 2), 0.05, 0.5)),
    ),
    reference=_momentum_ref,
    mistakes=(
        Mistake(
            "lr is inside the buffer (the form of Sutskever et al. and CS231n)",
            _momentum_variant(lr_inside=True),
            "That form gives the same path only while lr stays constant; this exercise uses PyTorch's: "
            "buf = momentum * buf + grad, then w - lr * buf.",
        ),
        Mistake(
            "the buffer is a velocity with lr and a minus sign inside (v = momentum * v - lr * grad; w + v)",
            _momentum_variant(velocity=True),
            "PyTorch keeps lr outside the buffer: buf = momentum * buf + grad, then w - lr * buf.",
        ),
        Mistake(
            "the buffer is a dampened average (momentum * buf + (1 - momentum) * grad)",
            _momentum_variant(damp=True),
            "That is dampening = momentum; PyTorch's default adds the whole gradient: buf = momentum * buf + grad.",
        ),
        Mistake(
            "the buffer started at (1 - momentum) * grad",
            _momentum_variant(damp_start=True),
            "At step 1 PyTorch's buffer is the gradient itself.",
        ),
        Mistake(
            "the step uses the old buffer",
            _momentum_variant(old_buffer=True),
            "Update the buffer first, then step with the new buffer.",
        ),
        Mistake(
            "the step uses the gradient, not the buffer",
            _momentum_variant(grad_step=True),
            "The point of momentum: step with w - lr * buf.",
        ),
        Mistake(
            "this is Nesterov's correction, not plain momentum",
            _momentum_variant(nesterov=True),
            "Plain (heavy-ball) momentum steps with the buffer alone: w - lr * buf.",
        ),
        Mistake(
            "the sign of the step is flipped", _momentum_variant(sign=+1), "Move against the buffer: w - lr * buf."
        ),
        Mistake(
            "momentum multiplies the gradient instead of the buffer",
            _momentum_variant(mu_on_grad=True),
            "buf = momentum * buf + grad.",
        ),
    ),
    hint="at step 1 (buf is None) the buffer starts as the gradient; later buf = momentum * buf + grad; "
    "then w - lr * buf. Return both.",
    none_hints={
        "step 1, buf is None": "at the first step buf is None: start the buffer as the gradient itself "
        "(buf = grad.clone()) before using it."
    },
)


def check_momentum_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, buf, lr, momentum) -> (new w, new buf)``: PyTorch's heavy ball, buf None at step 1."""
    return run_check(MOMENTUM, fn)


def _nesterov_ref(w, grad, buf, lr, momentum):
    w = w.clone()
    buf = optim.sgd_update(w, grad, None if buf is None else buf.clone(), lr=lr, momentum=momentum, nesterov=True)
    return w, buf


def _nesterov_old_buffer(w, g, b, lr, mu):
    """Nesterov's correction added with the buffer from before this step's update."""
    new = g.clone() if b is None else mu * b + g
    return w - lr * (g + mu * (b if b is not None else g)), new


NESTEROV = Exercise(
    name="nesterov_step",
    params=("w", "grad", "buf", "lr", "momentum"),
    outputs=("new w", "new buf"),
    cases=MOMENTUM.cases,
    reference=_nesterov_ref,
    mistakes=(
        Mistake(
            "this is plain heavy-ball momentum",
            _momentum_variant(),
            "Nesterov's form in PyTorch steps with grad + momentum * buf, not with buf alone.",
        ),
        Mistake(
            "the correction uses the buffer from before this step",
            _nesterov_old_buffer,
            "Update the buffer first (buf = momentum * buf + grad), then step with grad + momentum * buf.",
        ),
        Mistake(
            "the sign of the step is flipped",
            lambda w, g, b, lr, mu: (2 * w - (r := _nesterov_ref(w, g, b, lr, mu))[0], r[1]),
            "Move against grad + momentum * buf.",
        ),
        Mistake(
            "lr is inside the buffer (the velocity form)",
            lambda w, g, b, lr, mu: (w - lr * g - mu * (nb := (lr * g if b is None else mu * b + lr * g)), nb),
            "PyTorch keeps lr outside: buf = momentum * buf + grad; w - lr * (grad + momentum * buf).",
        ),
    ),
    hint="buf is the gradient at step 1, else momentum * buf + grad; then w - lr * (grad + momentum * buf).",
    none_hints=MOMENTUM.none_hints,
)


def check_nesterov_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, buf, lr, momentum) -> (new w, new buf)``: PyTorch's Nesterov form, buf None at step 1."""
    return run_check(NESTEROV, fn)


# --------------------------------------------------------------------------------------------------------
# Adagrad and RMSprop
# --------------------------------------------------------------------------------------------------------


def _adagrad_ref(w, grad, state_sum, lr, eps):
    w, state_sum = w.clone(), state_sum.clone()
    optim.adagrad_update(w, grad, state_sum, 1, lr=lr, eps=eps)
    return w, state_sum


ADAGRAD = Exercise(
    name="adagrad_step",
    params=("w", "grad", "state_sum", "lr", "eps"),
    outputs=("new w", "new state_sum"),
    cases=(
        ("the first step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), 0.5, 1e-10)),
        ("a later step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.5, 2.0, 0.1), 0.5, 1e-10)),
        (
            "small gradients, large eps",
            (_rand(6, 2, 3), _rand(7, 2, 3, scale=0.01), _positive(8, 2, 3, scale=1e-4), 0.1, 1e-2),
        ),
    ),
    reference=_adagrad_ref,
    mistakes=(
        Mistake(
            "eps is inside the square root",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g * g) + eps).sqrt(), s2),
            "PyTorch adds eps outside: sqrt(state_sum) + eps (Keras puts it inside; this course follows PyTorch).",
        ),
        Mistake(
            "the gradient is not squared",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g).sqrt() + eps), s2),
            "The sum accumulates squared gradients: state_sum + grad**2.",
        ),
        Mistake(
            "the square root is missing",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g * g) + eps), s2),
            "Divide by sqrt(state_sum) + eps.",
        ),
        Mistake(
            "the step uses the old sum",
            lambda w, g, s, lr, eps: (w - lr * g / (s.sqrt() + eps), s + g * g),
            "Add grad**2 to the sum first, then divide by its root.",
        ),
        Mistake(
            "the sum is replaced, not accumulated",
            lambda w, g, s, lr, eps: (w - lr * g / ((g * g).sqrt() + eps), g * g),
            "Adagrad never forgets: state_sum + grad**2.",
        ),
        Mistake(
            "the sign of the step is flipped",
            lambda w, g, s, lr, eps: (w + lr * g / ((s2 := s + g * g).sqrt() + eps), s2),
            "Move against the gradient.",
        ),
    ),
    hint="state_sum grows by grad**2; then w - lr * grad / (sqrt(state_sum) + eps).",
)


def check_adagrad_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, state_sum, lr, eps) -> (new w, new state_sum)``, one Adagrad step (no lr decay)."""
    return run_check(ADAGRAD, fn)


def _rmsprop_ref(w, grad, sq_avg, lr, alpha, eps):
    w, sq_avg = w.clone(), sq_avg.clone()
    optim.rmsprop_update(w, grad, sq_avg, None, None, lr=lr, alpha=alpha, eps=eps)
    return w, sq_avg


def _rms(s, g, a):
    return a * s + (1 - a) * g * g


RMSPROP = Exercise(
    name="rmsprop_step",
    params=("w", "grad", "sq_avg", "lr", "alpha", "eps"),
    outputs=("new w", "new sq_avg"),
    cases=(
        ("the first step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), 0.01, 0.9, 1e-8)),
        ("a later step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.5, 2.0, 0.1), 0.01, 0.99, 1e-8)),
        (
            "small gradients, large eps",
            (_rand(9, 2, 3), _rand(10, 2, 3, scale=0.01), _positive(11, 2, 3, scale=1e-4), 0.01, 0.8, 1e-2),
        ),
    ),
    reference=_rmsprop_ref,
    mistakes=(
        Mistake(
            "eps is inside the square root",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := _rms(s, g, a)) + eps).sqrt(), s2),
            "PyTorch adds eps outside: sqrt(sq_avg) + eps (Keras and TensorFlow put it inside).",
        ),
        Mistake(
            "the gradient is not squared",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := a * s + (1 - a) * g).abs().sqrt() + eps), s2),
            "Average the squared gradient: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "alpha is on the wrong term",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := (1 - a) * s + a * g * g).sqrt() + eps), s2),
            "alpha weighs the old average: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "the square root is missing",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := _rms(s, g, a)) + eps), s2),
            "Divide by sqrt(sq_avg) + eps.",
        ),
        Mistake(
            "the step uses the old average",
            lambda w, g, s, lr, a, eps: (w - lr * g / (s.sqrt() + eps), _rms(s, g, a)),
            "Update sq_avg first, then divide by its root.",
        ),
        Mistake(
            "the squared gradients are summed (that is Adagrad)",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := s + g * g).sqrt() + eps), s2),
            "RMSprop keeps a moving average that forgets: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "lr is missing",
            lambda w, g, s, lr, a, eps: (w - g / ((s2 := _rms(s, g, a)).sqrt() + eps), s2),
            "Multiply the step by lr.",
        ),
        Mistake(
            "the sign of the step is flipped",
            lambda w, g, s, lr, a, eps: (w + lr * g / ((s2 := _rms(s, g, a)).sqrt() + eps), s2),
            "Move against the gradient.",
        ),
    ),
    hint="sq_avg = alpha * sq_avg + (1 - alpha) * grad**2; then w - lr * grad / (sqrt(sq_avg) + eps).",
)


def check_rmsprop_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, sq_avg, lr, alpha, eps) -> (new w, new sq_avg)``, one RMSprop step (PyTorch's form)."""
    return run_check(RMSPROP, fn)


# --------------------------------------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------------------------------------


def _adam_ref(w, grad, m, v, t, lr, beta1, beta2, eps):
    w, m, v = w.clone(), m.clone(), v.clone()
    optim.adam_update(w, grad, m, v, None, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w, m, v


def _adam_variant(
    *,
    correct_m=True,
    correct_v=True,
    t_shift=0,
    eps_inside=False,
    square=True,
    swap_betas=False,
    old_moments=False,
    sqrt=True,
    sign=-1,
):
    """Adam with one thing changed: the catalogue of Adam mistakes is built from this one function."""

    def step(w, g, m, v, t, lr, b1, b2, eps):
        g2 = g * g if square else g
        m_new = (1 - b1) * m + b1 * g if swap_betas else b1 * m + (1 - b1) * g
        v_new = (1 - b2) * v + b2 * g2 if swap_betas else b2 * v + (1 - b2) * g2
        mm, vv = (m, v) if old_moments else (m_new, v_new)
        tt = t + t_shift
        m_hat = mm / (1 - b1**tt) if correct_m else mm
        v_hat = vv / (1 - b2**tt) if correct_v else vv
        root = (v_hat + eps).sqrt() if eps_inside else (v_hat.abs().sqrt() if sqrt else v_hat) + eps
        return w + sign * lr * m_hat / root, m_new, v_new

    return step


ADAM = Exercise(
    name="adam_step",
    params=("w", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
    outputs=("new w", "new m", "new v"),
    cases=(
        (
            "step t=1",
            (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), _t(0.0, 0.0, 0.0), 1, 0.1, 0.9, 0.999, 1e-8),
        ),
        (
            "step t=5",
            (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.2, -0.3, 0.6), _t(0.05, 0.2, 0.9), 5, 0.1, 0.8, 0.99, 1e-8),
        ),
        (
            "small gradients, large eps, t=3",
            (
                _rand(12, 2, 3),
                _rand(13, 2, 3, scale=0.01),
                _rand(14, 2, 3, scale=0.01),
                _positive(15, 2, 3, scale=1e-4),
                3,
                0.01,
                0.7,
                0.9,
                1e-2,
            ),
        ),
    ),
    reference=_adam_ref,
    mistakes=(
        Mistake(
            "there is no bias correction",
            _adam_variant(correct_m=False, correct_v=False),
            "Divide m by (1 - beta1**t) and v by (1 - beta2**t) before using them. Both start at zero, so early "
            "on they are too small; uncorrected, the first step is (1 - beta1) / sqrt(1 - beta2) times lr, "
            "about 3.2 lr at the defaults.",
        ),
        Mistake(
            "t is counted from 0 in the bias correction (1 - beta**(t-1))",
            _adam_variant(t_shift=-1),
            "t counts from 1 here: use 1 - beta1**t and 1 - beta2**t (at t=1 a count from 0 divides by zero).",
        ),
        Mistake(
            "the bias correction uses t+1",
            _adam_variant(t_shift=1),
            "t is already the number of this step (1 at the first): use 1 - beta1**t.",
        ),
        Mistake("only m is bias-corrected", _adam_variant(correct_v=False), "Correct v as well: v / (1 - beta2**t)."),
        Mistake("only v is bias-corrected", _adam_variant(correct_m=False), "Correct m as well: m / (1 - beta1**t)."),
        Mistake(
            "eps is inside the square root",
            _adam_variant(eps_inside=True),
            "PyTorch adds eps outside: sqrt(v_hat) + eps.",
        ),
        Mistake(
            "the gradient is not squared in v",
            _adam_variant(square=False),
            "v averages squared gradients: beta2 * v + (1 - beta2) * grad**2.",
        ),
        Mistake(
            "each beta is on the wrong term",
            _adam_variant(swap_betas=True),
            "beta weighs the old average: m = beta1 * m + (1 - beta1) * grad (and the same for v).",
        ),
        Mistake(
            "the step uses the old m and v",
            _adam_variant(old_moments=True),
            "Update m and v first, then step with the new (corrected) ones.",
        ),
        Mistake("the square root of v is missing", _adam_variant(sqrt=False), "Divide by sqrt(v_hat) + eps."),
        Mistake("the sign of the step is flipped", _adam_variant(sign=+1), "Move against m: w - lr * m_hat / ..."),
    ),
    hint="m and v are moving averages of grad and grad**2; bias-correct both with t (from 1); then "
    "w - lr * m_hat / (sqrt(v_hat) + eps).",
)


def check_adam_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, m, v, t, lr, beta1, beta2, eps) -> (new w, new m, new v)``; t counts from 1."""
    return run_check(ADAM, fn)


# --------------------------------------------------------------------------------------------------------
# Yogi's second moment
# --------------------------------------------------------------------------------------------------------


def _yogi_v_ref(v, grad, beta2):
    w, m, v = torch.zeros_like(v), torch.zeros_like(v), v.clone()
    optim.yogi_update(w, grad, m, v, lr=0.0, beta2=beta2)
    return (v,)


YOGI_V = Exercise(
    name="yogi_second_moment",
    params=("v", "grad", "beta2"),
    outputs=("new v",),
    cases=(
        ("from v = 0 (the first step)", (_t(0.0, 0.0, 0.0), _t(0.4, -1.0, 2.0), 0.999)),
        ("v above and below grad**2", (_t(0.5, 0.01, 3.0, 0.2), _t(0.1, -1.0, 1.5, 0.3), 0.9)),
        ("v exactly equal to grad**2 in two places", (_t(0.25, 4.0, 1.0), _t(0.5, -2.0, 3.0), 0.8)),
        ("a matrix", (_positive(16, 2, 3), _rand(17, 2, 3), 0.99)),
    ),
    reference=_yogi_v_ref,
    mistakes=(
        Mistake(
            "this is Adam's update, v - (1 - beta2) * (v - grad**2)",
            lambda v, g, b2: v - (1 - b2) * (v - g * g),
            "Yogi keeps the direction of Adam's change but not its size: "
            "v - (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "the sign is the wrong way round, sign(grad**2 - v)",
            lambda v, g, b2: v - (1 - b2) * torch.sign(g * g - v) * g * g,
            "v must move towards grad**2: subtract (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "the sign term is missing (v always shrinks)",
            lambda v, g, b2: v - (1 - b2) * g * g,
            "The sign decides the direction: v - (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "v always grows, v + (1 - beta2) * grad**2",
            lambda v, g, b2: v + (1 - b2) * g * g,
            "Where v is already above grad**2 it must fall: use sign(v - grad**2).",
        ),
        Mistake(
            "the sign compares v with grad, not grad**2",
            lambda v, g, b2: v - (1 - b2) * torch.sign(v - g) * g * g,
            "Compare v with the squared gradient: sign(v - grad**2).",
        ),
        Mistake(
            "sign(0) is taken as +1 (v changes when it equals grad**2)",
            lambda v, g, b2: v - (1 - b2) * torch.where(v >= g * g, 1.0, -1.0) * g * g,
            "Where v equals grad**2 exactly nothing should change: torch.sign(0) is 0.",
        ),
        Mistake(
            "beta2 is in place of 1 - beta2",
            lambda v, g, b2: v - b2 * torch.sign(v - g * g) * g * g,
            "The change is scaled by (1 - beta2), a small number, as in Adam.",
        ),
        Mistake(
            "the gradient is not squared in the change",
            lambda v, g, b2: v - (1 - b2) * torch.sign(v - g * g) * g,
            "Both places take the squared gradient: sign(v - grad**2) * grad**2.",
        ),
    ),
    hint="v - (1 - beta2) * sign(v - grad**2) * grad**2 (torch.sign); only the sign term differs from Adam.",
)


def check_yogi_second_moment(fn: Callable) -> CheckResult:
    """Check ``fn(v, grad, beta2) -> new v``, Yogi's second-moment update (Zaheer et al. 2018, Algorithm 2)."""
    return run_check(YOGI_V, fn)


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
            "The central difference (f(w + h e_i) - f(w - h e_i)) / (2h) is far more accurate: its error "
            "shrinks like h^2, the forward difference's only like h.",
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
    ),
    hint="for each coordinate i, nudge w[i] by +h and by -h and take (f(plus) - f(minus)) / (2 * h).",
)


def check_numerical_grad(fn: Callable) -> CheckResult:
    """Check ``fn(f, w, h) -> gradient``: the central-difference estimate of f's gradient at w, one coordinate
    at a time."""
    return run_check(NUMERICAL_GRAD, fn)


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
