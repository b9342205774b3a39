"""Exercises of notebook 03: heavy-ball and Nesterov momentum in PyTorch's form."""

from __future__ import annotations

from collections.abc import Callable

from course_lib import optim
from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

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
    lr_twice=False,
):
    """Heavy-ball momentum with one thing changed: the catalogue of momentum mistakes is built from this."""

    def step(w, g, b, lr, mu):
        if velocity:  # v = mu * v - lr * g; w + v
            v = -lr * g if b is None else mu * b - lr * g
            return w + v, v
        scale = lr if lr_inside or lr_twice else 1.0
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


_GRAD_IS_THE_CALLERS = (
    "grad belongs to the caller: leave it unchanged, and start the buffer as a copy, buf = grad.clone(), as "
    "torch.optim.SGD does. A buffer that shares grad's memory changes whenever the caller changes grad in place "
    "(p.grad is reused between steps unless zero_grad sets it to None)."
)

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
            "Notebook 03's table of forms: it gives the same path only while lr stays constant; this exercise "
            "uses PyTorch's: buf = momentum * buf + grad, then w - lr * buf.",
        ),
        Mistake(
            "the buffer is a velocity with lr and a minus sign inside (v = momentum * v - lr * grad; w + v)",
            _momentum_variant(velocity=True),
            "That is the velocity form of notebook 03's table (Sutskever et al., CS231n). PyTorch keeps lr outside "
            "the buffer: buf = momentum * buf + grad, then w - lr * buf.",
        ),
        Mistake(
            "the buffer is a dampened average (momentum * buf + (1 - momentum) * grad)",
            _momentum_variant(damp=True),
            "That is the moving-average form of notebook 03's table (dampening = momentum in torch.optim.SGD), "
            "the same method only with lr rescaled. PyTorch's default adds the whole gradient: "
            "buf = momentum * buf + grad.",
        ),
        Mistake(
            "the buffer started at (1 - momentum) * grad",
            _momentum_variant(damp_start=True),
            "That is the moving-average form of notebook 03's table, started from zero. PyTorch's buffer sums "
            "whole gradients and starts as the gradient itself: buf = momentum * buf + grad.",
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
        Mistake(
            "lr is applied twice, inside the buffer and again in the step",
            _momentum_variant(lr_twice=True),
            "Pick one form. PyTorch's keeps lr out of the buffer: buf = momentum * buf + grad; w - lr * buf.",
        ),
    ),
    hint="at step 1 (buf is None) the buffer starts as the gradient; later buf = momentum * buf + grad; "
    "then w - lr * buf. Return both.",
    none_hints={
        "step 1, buf is None": "at the first step buf is None: start the buffer as the gradient itself "
        "(buf = grad.clone()) before using it."
    },
    read_only={"grad": _GRAD_IS_THE_CALLERS},
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
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


def _nesterov_velocity(w, g, b, lr, mu):
    """The velocity form v = mu * v - lr * g; w + mu * v - lr * g: the same step, but v = -lr * buf is stored."""
    v = -lr * g if b is None else mu * b - lr * g
    return w + mu * v - lr * g, v


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
        Mistake(
            "the buffer is a velocity with lr and a minus sign inside (v = momentum * v - lr * grad)",
            _nesterov_velocity,
            "The step may come out right, but the buffer PyTorch stores is the sum of gradients without lr: "
            "buf = momentum * buf + grad; w - lr * (grad + momentum * buf).",
        ),
        Mistake(
            "the buffer is a dampened average (momentum * buf + (1 - momentum) * grad)",
            lambda w, g, b, lr, mu: (w - lr * (g + mu * (nb := g.clone() if b is None else mu * b + (1 - mu) * g)), nb),
            "PyTorch's default adds the whole gradient: buf = momentum * buf + grad.",
        ),
        Mistake(
            "the look-ahead term is momentum * grad, not momentum * buf",
            lambda w, g, b, lr, mu: (w - lr * ((nb := g.clone() if b is None else mu * b + g) + mu * g), nb),
            "Nesterov's step is grad + momentum * buf: the gradient, plus the buffer looked ahead.",
        ),
        Mistake(
            "the step is buf + momentum * buf (the gradient term is missing)",
            lambda w, g, b, lr, mu: (w - lr * (1 + mu) * (nb := g.clone() if b is None else mu * b + g), nb),
            "The step adds the current gradient to the looked-ahead buffer: w - lr * (grad + momentum * buf).",
        ),
    ),
    hint="buf is the gradient at step 1, else momentum * buf + grad; then w - lr * (grad + momentum * buf).",
    none_hints=MOMENTUM.none_hints,
    read_only=MOMENTUM.read_only,
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_nesterov_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, buf, lr, momentum) -> (new w, new buf)``: PyTorch's Nesterov form, buf None at step 1."""
    return run_check(NESTEROV, fn)
