"""Exercises of notebook 03: heavy-ball and Nesterov momentum in PyTorch's form."""

from __future__ import annotations

from collections.abc import Callable

from course_lib import optim
from course_lib.checking import CheckResult, Exercise, Mistake, run_check
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
