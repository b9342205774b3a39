"""The exercise checks: references pass, realistic wrong answers are rejected with the mistake named,
correct alternative forms pass, stubs and crashes get kind, brief feedback, and no check ever raises into the
learner's face.

The tables below (notebooks 01 to 05; notebooks 06 and 07 have tests/test_exercises_losses_and_classic.py) are
written the way learners write code, not with the catalogue's own functions. Four tests keep them honest:
every catalogued mistake is named by some learner-style version (drop an entry and that version's test fails),
every case earns its place (without it some version passes or is misnamed, or the learner sees a different
example), the cases are exactly those the tables were checked against, and every correct alternative passes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import exercises, solutions
from course_lib.checking import RTOL, CheckResult, _as_tuple, _clones, _close
from course_lib.exercises.minibatches import MINIBATCH_CASES, _check_minibatches

# ---------------------------------------------------------------------------------------------------------
# Every reference solution passes; every catalogued mistake is rejected and named as itself
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", exercises.exercise_names())
def test_every_reference_solution_passes_its_check(name):
    result = exercises.CHECKS[name](getattr(solutions, name))
    assert result.passed, result.message
    assert result.status == "passed" and repr(result).startswith("[correct]")


CATALOGUED = [
    exercises.GD,
    exercises.NUMERICAL_GRAD,
    exercises.MINIBATCH_GRAD,
    exercises.MOMENTUM,
    exercises.NESTEROV,
    exercises.ADAGRAD,
    exercises.RMSPROP,
    exercises.ADAM,
    exercises.YOGI_V,
    exercises.SOFTMAX,
    exercises.CROSS_ENTROPY,
    exercises.LEAST_SQUARES,
    exercises.KNN_PREDICT,
]


@pytest.mark.parametrize(
    "ex, mistake",
    [(ex, m) for ex in CATALOGUED for m in ex.mistakes],
    ids=[f"{ex.name}:{m.name[:40]}" for ex in CATALOGUED for m in ex.mistakes],
)
def test_each_catalogued_mistake_is_told_apart_from_the_others(ex, mistake):
    """The cases are rich enough that no mistake reproduces the reference or an earlier mistake everywhere."""
    result = exercises.run_check(ex, mistake.compute)
    assert not result.passed
    assert result.message.startswith(f"It looks like {mistake.name}."), result.message


@pytest.mark.parametrize(
    "ex, mistake",
    [(ex, m) for ex in CATALOGUED for m in ex.mistakes],
    ids=[f"{ex.name}:{m.name[:40]}" for ex in CATALOGUED for m in ex.mistakes],
)
def test_no_mistake_is_within_round_off_of_the_reference(ex, mistake):
    """Mistakes are matched at the loose tolerance, so a right answer in float32 must never look like one."""
    assert not all(
        _close(_as_tuple(mistake.compute(*_clones(args))), ex.reference(*_clones(args)), rtol=RTOL)
        for _, args in ex.cases
    )


def expect_mistake(result: CheckResult, words: str) -> None:
    assert not result.passed, "a wrong answer passed"
    assert result.status == "failed"
    assert f"It looks like {words}" in result.message, result.message
    assert "expected" in result.message and "got" in result.message, "a small numeric example is shown"


# ---------------------------------------------------------------------------------------------------------
# Realistic wrong versions and correct alternatives, written the way learners write them.
# WRONG[name]: (function, what the check must say). "It looks like ..." = that catalogued mistake is named;
# ERROR = the learner's code raises on some case; any other text = a sentence the message must contain.
# ---------------------------------------------------------------------------------------------------------

ERROR = "<raises>"
WRONG: dict[str, list] = {}
RIGHT: dict[str, list] = {}


def wrong(name: str, says: str):
    def register(fn):
        WRONG.setdefault(name, []).append((fn, says))
        return fn

    return register


def right(name: str):
    def register(fn):
        RIGHT.setdefault(name, []).append(fn)
        return fn

    return register


# ---- gd_step ------------------------------------------------------------------------------------------


@wrong("gd_step", "It looks like the sign is flipped (you moved up the gradient)")
def gd_uphill(w, grad, lr):
    return w + lr * grad


@wrong("gd_step", "It looks like lr is missing")
def gd_no_lr(w, grad, lr):
    w -= grad  # in place, and forgets lr
    return w


@wrong("gd_step", "It looks like lr is squared")
def gd_lr_twice(w, grad, lr):
    step = lr * grad
    return w - lr * step


@wrong("gd_step", "It looks like you divided by lr")
def gd_divided(w, grad, lr):
    return w - grad / lr


@wrong("gd_step", "It looks like you returned the step, not the new weights")
def gd_only_the_step(w, grad, lr):
    step = -lr * grad
    return step


@wrong("gd_step", "It looks like you returned the step with the wrong sign and without w")
def gd_returns_lr_grad(w, grad, lr):
    return lr * grad


@wrong("gd_step", "It looks like the sign is flipped and lr is missing")
def gd_plus_grad(w, grad, lr):
    return w + grad


@wrong("gd_step", "It looks like lr multiplies w as well as the gradient")
def gd_lr_on_everything(w, grad, lr):
    return lr * (w - grad)


@wrong("gd_step", "It looks like the gradient was scaled to length 1")
def gd_normalised(w, grad, lr):
    return w - lr * grad / torch.linalg.norm(grad)


@wrong("gd_step", "new w is a float32 tensor, but the inputs are float64")
def gd_float32_out(w, grad, lr):
    return (w - lr * grad).float()


@wrong("gd_step", "new w is a float32 array")
def gd_float32_numpy(w, grad, lr):
    return (w - lr * grad).numpy().astype(np.float32)


@wrong("gd_step", "significant digits (a relative difference of")
def gd_float32_inside(w, grad, lr):
    return torch.tensor(w.tolist()) - lr * grad  # torch.tensor of Python floats is float32


@wrong("gd_step", "gd_step changed grad in place")
def gd_scales_grad_in_place(w, grad, lr):
    grad *= lr
    return w - grad


@wrong("gd_step", ERROR)
def gd_vectors_only(w, grad, lr):
    return torch.tensor([wi - lr * gi for wi, gi in zip(w.tolist(), grad.tolist(), strict=True)], dtype=w.dtype)


@wrong("gd_step", "off on 1 of 3 cases")
def gd_clips_the_step(w, grad, lr):  # a "safety" clip: right until a step is longer than 1
    return w - torch.clamp(lr * grad, -1.0, 1.0)


@right("gd_step")
def gd_in_place(w, grad, lr):
    w.sub_(lr * grad)
    return w


@right("gd_step")
def gd_with_numpy(w, grad, lr):
    return w.numpy() - lr * grad.numpy()


@right("gd_step")
def gd_torch_sub(w, grad, lr):
    return torch.sub(w, grad, alpha=lr)


@right("gd_step")
def gd_other_order(w, grad, lr):
    return -(grad * lr) + w


# ---- numerical_grad -----------------------------------------------------------------------------------


@wrong("numerical_grad", "It looks like this is the forward difference")
def ng_forward(f, w, h):
    grad = []
    for i in range(len(w)):
        up = w.clone()
        up[i] += h
        grad.append(((f(up) - f(w)) / h).item())
    return grad


@wrong("numerical_grad", "It looks like the difference is divided by h instead of 2h")
def ng_over_h(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        e = torch.zeros_like(w)
        e[i] = h
        grad[i] = (f(w + e) - f(w - e)) / h
    return grad


@wrong("numerical_grad", "It looks like every coordinate was moved at once")
def ng_all_at_once(f, w, h):
    return (f(w + h) - f(w - h)) / (2 * h) * torch.ones_like(w)


@wrong("numerical_grad", "It looks like the sign is flipped")
def ng_minus_first(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        e = torch.zeros_like(w)
        e[i] = h
        grad[i] = (f(w - e) - f(w + e)) / (2 * h)
    return grad


@wrong("numerical_grad", "It looks like this is the backward difference")
def ng_backward(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        down = w.clone()
        down[i] -= h
        grad[i] = (f(w) - f(down)) / h
    return grad


@wrong("numerical_grad", "It looks like the division is written / 2 * h")
def ng_precedence(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        plus, minus = w.clone(), w.clone()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / 2 * h
    return grad


@wrong("numerical_grad", "It looks like every component is 0: plus and minus are w itself")
def ng_no_copies(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        plus = w  # not a copy
        plus[i] += h
        minus = w
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


@wrong("numerical_grad", "It looks like w was changed in place and not put back")
def ng_not_put_back(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        w[i] += h
        plus = f(w)
        w[i] -= 2 * h
        grad[i] = (plus - f(w)) / (2 * h)
    return grad


@wrong("numerical_grad", "It looks like these are the exact derivatives")
def ng_own_h(f, w, h):
    h = 1e-6  # "a smaller h is more accurate"
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        e = torch.zeros_like(w)
        e[i] = h
        grad[i] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


@wrong("numerical_grad", "It looks like these are the exact derivatives")
def ng_autograd(f, w, h):
    w = w.clone().requires_grad_()
    f(w).backward()
    return w.grad


@wrong("numerical_grad", "off on 1 of 3 cases")
def ng_own_larger_h(f, w, h):
    h = 0.01  # exact for the quadratic, close for the cubic (the case's own h), off for the wavy function
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        e = torch.zeros_like(w)
        e[i] = h
        grad[i] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


@wrong("numerical_grad", "gradient is a float32 tensor, but the inputs are float64")
def ng_float32_zeros(f, w, h):
    grad = torch.zeros(len(w))  # float32
    for i in range(len(w)):
        e = torch.zeros_like(w)
        e[i] = h
        grad[i] = (f(w + e) - f(w - e)) / (2 * h)
    return grad


@wrong("numerical_grad", "significant digits (a relative difference of")
def ng_float32_eye(f, w, h):
    steps = torch.eye(len(w)) * h  # float32: h is rounded to 7 digits
    return torch.stack([(f(w + e) - f(w - e)) / (2 * h) for e in steps])


@right("numerical_grad")
def ng_as_list(f, w, h):  # a list of Python numbers is a fine answer
    out = []
    for i in range(len(w)):
        plus, minus = w.clone(), w.clone()
        plus[i] += h
        minus[i] -= h
        out.append(float((f(plus) - f(minus)) / (2 * h)))
    return out


@right("numerical_grad")
def ng_vectorised(f, w, h):
    steps = torch.eye(len(w), dtype=w.dtype) * h
    return torch.stack([f(w + e) - f(w - e) for e in steps]) / (2 * h)


@right("numerical_grad")
def ng_nudge_and_undo(f, w, h):
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        w[i] += h
        plus = f(w)
        w[i] -= 2 * h
        minus = f(w)
        w[i] += h  # put it back
        grad[i] = (plus - minus) / (2 * h)
    return grad


# ---- minibatch_grad -----------------------------------------------------------------------------------


@wrong("minibatch_grad", "It looks like the factor 2 is missing.")
def mg_no_two(X, y, w, idx):
    return X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)


@wrong("minibatch_grad", "It looks like the gradient is summed over the batch")
def mg_summed(X, y, w, idx):
    return 2 * X[idx].T @ (X[idx] @ w - y[idx])


@wrong("minibatch_grad", "It looks like the whole data set was used")
def mg_everything(X, y, w, idx):
    return 2 * X.T @ (X @ w - y) / len(y)


@wrong("minibatch_grad", "It looks like the sign is flipped")
def mg_target_minus_prediction(X, y, w, idx):
    Xb, yb = X[idx], y[idx]
    return 2 / len(idx) * Xb.T @ (yb - Xb @ w)


@wrong("minibatch_grad", "It looks like the sum was divided by the size of the whole data set")
def mg_over_n(X, y, w, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb) / len(X)


@wrong("minibatch_grad", "It looks like the factor 2 is missing and the gradient is summed")
def mg_no_two_summed(X, y, w, idx):
    return X[idx].T @ (X[idx] @ w - y[idx])


@wrong("minibatch_grad", "It looks like the sum was divided by the number of features")
def mg_over_features(X, y, w, idx):
    return 2 * X[idx].T @ (X[idx] @ w - y[idx]) / len(w)


@wrong("minibatch_grad", "It looks like the mean is over the features (dim=1)")
def mg_mean_wrong_dim(X, y, w, idx):
    residual = X[idx] @ w - y[idx]
    return (2 * residual[:, None] * X[idx]).mean(dim=1)


@wrong("minibatch_grad", "It looks like the first len(idx) rows were used")
def mg_loop_over_positions(X, y, w, idx):
    grad = torch.zeros_like(w)
    for i in range(len(idx)):  # positions in the batch, not row numbers
        grad += 2 * (X[i] @ w - y[i]) * X[i]
    return grad / len(idx)


@wrong("minibatch_grad", "gradient is a float32 tensor")
def mg_float32(X, y, w, idx):
    Xb, yb = X[idx].float(), y[idx].float()
    return 2 / len(idx) * Xb.T @ (Xb @ w.float() - yb)


@wrong("minibatch_grad", ERROR)
def mg_squeezed(X, y, w, idx):  # squeeze() turns a batch of one into a single row
    Xb, yb = X[idx].squeeze(), y[idx]
    return 2 / len(idx) * Xb.t() @ (Xb @ w - yb)


@wrong("minibatch_grad", "minibatch_grad changed y in place")
def mg_centres_targets(X, y, w, idx):
    y -= y.mean()  # "standardise" the caller's targets
    Xb, yb = X[idx], y[idx]
    return 2 / len(idx) * Xb.T @ (Xb @ w - yb)


@right("minibatch_grad")
def mg_by_autograd(X, y, w, idx):  # a different road to the right answer
    w = w.clone().requires_grad_()
    ((X[idx] @ w - y[idx]) ** 2).mean().backward()
    return w.grad


@right("minibatch_grad")
def mg_with_mse_loss(X, y, w, idx):
    w = w.clone().requires_grad_()
    (grad,) = torch.autograd.grad(F.mse_loss(X[idx] @ w, y[idx]), w)
    return grad


@right("minibatch_grad")
def mg_loop(X, y, w, idx):
    grad = torch.zeros_like(w)
    for i in idx:
        grad += 2 * (X[i] @ w - y[i]) * X[i]
    return grad / len(idx)


@right("minibatch_grad")
def mg_residual_first(X, y, w, idx):
    residual = X[idx] @ w - y[idx]
    return (residual @ X[idx]) * 2 / len(idx)


@right("minibatch_grad")
def mg_numpy(X, y, w, idx):
    Xb, yb = X.numpy()[idx.numpy()], y.numpy()[idx.numpy()]
    return 2 * (Xb * (Xb @ w.numpy() - yb)[:, None]).mean(axis=0)


# ---- momentum_step and nesterov_step ------------------------------------------------------------------


def _first_buffer(buf, grad):
    return grad.clone() if buf is None else buf


@wrong("momentum_step", "It looks like lr is inside the buffer")
def mom_lr_inside(w, grad, buf, lr, momentum):
    buf = lr * grad if buf is None else momentum * buf + lr * grad
    return w - buf, buf


@wrong("momentum_step", "It looks like lr is inside the buffer")
def mom_zero_start_and_lr_inside(w, grad, buf, lr, momentum):  # two habits from CS231n at once
    if buf is None:
        buf = torch.zeros_like(w)
    buf = momentum * buf + lr * grad
    return w - buf, buf


@wrong("momentum_step", "It looks like the buffer is a velocity")
def mom_sutskever(w, grad, buf, lr, momentum):
    v = -lr * grad if buf is None else momentum * buf - lr * grad
    return w + v, v


@wrong("momentum_step", "It looks like the buffer is a dampened average")
def mom_dampened(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + (1 - momentum) * grad
    return w - lr * buf, buf


@wrong("momentum_step", "It looks like the buffer started at (1 - momentum) * grad")
def mom_zero_start_dampened(w, grad, buf, lr, momentum):  # the moving-average form of many course notes
    if buf is None:
        buf = torch.zeros_like(w)
    buf = momentum * buf + (1 - momentum) * grad
    return w - lr * buf, buf


@wrong("momentum_step", "It looks like the step uses the old buffer")
def mom_old_buffer(w, grad, buf, lr, momentum):
    direction = grad if buf is None else buf  # steps with the buffer of the previous call
    new_buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * direction, new_buf


@wrong("momentum_step", "It looks like the step uses the gradient, not the buffer")
def mom_grad_step(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * grad, buf


@wrong("momentum_step", "It looks like this is Nesterov's correction")
def mom_nesterov(w, grad, buf, lr, momentum):
    buf = grad if buf is None else momentum * buf + grad
    return w - lr * (grad + momentum * buf), buf


@wrong("momentum_step", "It looks like the sign of the step is flipped")
def mom_uphill(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w + lr * buf, buf


@wrong("momentum_step", "It looks like momentum multiplies the gradient instead of the buffer")
def mom_on_grad(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else buf + momentum * grad
    return w - lr * buf, buf


@wrong("momentum_step", "It looks like lr is applied twice")
def mom_lr_twice(w, grad, buf, lr, momentum):
    buf = lr * grad if buf is None else momentum * buf + lr * grad
    return w - lr * buf, buf


@wrong("momentum_step", "Your results are right but in the wrong order: return new w, new buf")
def mom_swapped(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return buf, w - lr * buf


@wrong("momentum_step", "off on 1 of 3 cases")
def mom_hard_coded_momentum(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else 0.9 * buf + grad  # the usual value, not the one given
    return w - lr * buf, buf


@wrong("momentum_step", "new buf is grad itself (the same memory)")
def mom_no_copy(w, grad, buf, lr, momentum):
    if buf is None:
        buf = grad  # not a copy
    else:
        buf = momentum * buf + grad
    return w - lr * buf, buf


@wrong("momentum_step", "momentum_step changed grad in place")
def mom_accumulates_into_grad(w, grad, buf, lr, momentum):
    if buf is not None:
        grad.add_(buf, alpha=momentum)  # the caller's gradient now holds the buffer
    buf = grad.clone()
    return w - lr * buf, buf


@wrong("momentum_step", "new buf should be a tensor")
def mom_returns_old_buffer(w, grad, buf, lr, momentum):
    new_buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * new_buf, buf


@right("momentum_step")
def mom_zero_start(w, grad, buf, lr, momentum):  # with dampening 0, starting at zero gives the same buffer
    if buf is None:
        buf = torch.zeros_like(grad)
    buf = momentum * buf + grad
    return w - lr * buf, buf


@right("momentum_step")
def mom_in_place(w, grad, buf, lr, momentum):
    if buf is None:
        buf = grad.clone()
    else:
        buf.mul_(momentum).add_(grad)
    w.sub_(lr * buf)
    return w, buf


@right("momentum_step")
def mom_torch_optim(w, grad, buf, lr, momentum):  # the library call itself
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    if buf is not None:
        opt.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]


@wrong("nesterov_step", "It looks like this is plain heavy-ball momentum")
def nest_heavy_ball(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * buf, buf


@wrong("nesterov_step", "It looks like the correction uses the buffer from before this step")
def nest_stale(w, grad, buf, lr, momentum):
    old = grad if buf is None else buf
    new = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * (grad + momentum * old), new


@wrong("nesterov_step", "It looks like the sign of the step is flipped")
def nest_uphill(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w + lr * (grad + momentum * buf), buf


@wrong("nesterov_step", "It looks like lr is inside the buffer (the velocity form)")
def nest_lr_inside(w, grad, buf, lr, momentum):
    buf = lr * grad if buf is None else momentum * buf + lr * grad
    return w - lr * grad - momentum * buf, buf


@wrong("nesterov_step", "It looks like the buffer is a velocity with lr and a minus sign inside")
def nest_velocity(w, grad, buf, lr, momentum):  # Bengio et al.'s form with the velocity of Sutskever et al.
    v = -lr * grad if buf is None else momentum * buf - lr * grad
    return w + momentum * v - lr * grad, v


@wrong("nesterov_step", "It looks like the buffer is a dampened average")
def nest_dampened(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + (1 - momentum) * grad
    return w - lr * (grad + momentum * buf), buf


@wrong("nesterov_step", "It looks like the look-ahead term is momentum * grad")
def nest_looks_ahead_with_grad(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * (buf + momentum * grad), buf


@wrong("nesterov_step", "It looks like the step is buf + momentum * buf")
def nest_no_grad_term(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * (buf + momentum * buf), buf


@wrong("nesterov_step", "new buf is grad itself (the same memory)")
def nest_no_copy(w, grad, buf, lr, momentum):
    buf = grad if buf is None else momentum * buf + grad
    return w - lr * (grad + momentum * buf), buf


@wrong("nesterov_step", "in the wrong order")
def nest_swapped(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return buf, w - lr * (grad + momentum * buf)


@wrong("nesterov_step", "off on 1 of 3 cases")
def nest_hard_coded_momentum(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else 0.9 * buf + grad
    return w - lr * (grad + 0.9 * buf), buf


@right("nesterov_step")
def nest_torch_optim(w, grad, buf, lr, momentum):
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=True)
    if buf is not None:
        opt.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]


@right("nesterov_step")
def nest_zero_start_in_place(w, grad, buf, lr, momentum):
    buf = torch.zeros_like(grad) if buf is None else buf
    buf.mul_(momentum).add_(grad)
    return w.sub_(lr * grad).sub_(lr * momentum * buf), buf


# ---- adagrad_step and rmsprop_step --------------------------------------------------------------------


@wrong("adagrad_step", "It looks like eps is inside the square root")
def ada_eps_inside(w, grad, state_sum, lr, eps):  # the Keras form
    state_sum = state_sum + grad**2
    return w - lr * grad / torch.sqrt(state_sum + eps), state_sum


@wrong("adagrad_step", "It looks like the gradient is not squared")
def ada_sums_gradients(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad
    return w - lr * grad / (state_sum.sqrt() + eps), state_sum


@wrong("adagrad_step", "It looks like the square root is missing")
def ada_no_root(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad**2
    return w - lr * grad / (state_sum + eps), state_sum


@wrong("adagrad_step", "It looks like the step uses the old sum")
def ada_old_sum(w, grad, state_sum, lr, eps):
    new_w = w - lr * grad / (state_sum.sqrt() + eps)
    return new_w, state_sum + grad * grad


@wrong("adagrad_step", "It looks like the sum is replaced, not accumulated")
def ada_forgets(w, grad, state_sum, lr, eps):
    state_sum = grad**2
    return w - lr * grad / (state_sum.sqrt() + eps), state_sum


@wrong("adagrad_step", "It looks like the sign of the step is flipped")
def ada_uphill(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad**2
    return w + lr * grad / (state_sum.sqrt() + eps), state_sum


@wrong("adagrad_step", "It looks like lr is missing")
def ada_no_lr(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad**2
    return w - grad / (state_sum.sqrt() + eps), state_sum


@wrong("adagrad_step", "It looks like eps is missing")
def ada_own_eps(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad**2
    return w - lr * grad / (state_sum.sqrt() + 1e-10), state_sum  # PyTorch's default, not the eps given


@wrong("adagrad_step", "It looks like the old sum is returned")
def ada_state_not_updated(w, grad, state_sum, lr, eps):
    return w - lr * grad / ((state_sum + grad**2).sqrt() + eps), state_sum


@wrong("adagrad_step", "It looks like the square root is stored as the new state_sum")
def ada_stores_root(w, grad, state_sum, lr, eps):
    state_sum = torch.sqrt(state_sum + grad**2)
    return w - lr * grad / (state_sum + eps), state_sum


@wrong("adagrad_step", "It looks like the square is taken after adding")
def ada_square_after(w, grad, state_sum, lr, eps):
    state_sum = (state_sum + grad) ** 2
    return w - lr * grad / (state_sum.sqrt() + eps), state_sum


@wrong("adagrad_step", "in the wrong order")
def ada_swapped(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad**2
    return state_sum, w - lr * grad / (state_sum.sqrt() + eps)


@wrong("adagrad_step", "adagrad_step changed grad in place")
def ada_squares_grad_in_place(w, grad, state_sum, lr, eps):
    state_sum = state_sum + grad.pow_(2)  # grad now holds its square
    return w - lr * grad / (state_sum.sqrt() + eps), state_sum


@right("adagrad_step")
def ada_in_place(w, grad, state_sum, lr, eps):
    state_sum.addcmul_(grad, grad)
    w.addcdiv_(grad, state_sum.sqrt().add_(eps), value=-lr)
    return w, state_sum


@right("adagrad_step")
def ada_torch_optim(w, grad, state_sum, lr, eps):
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.Adagrad([p], lr=lr, eps=eps)
    opt.state[p]["sum"] = state_sum.clone()
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["sum"]


@wrong("rmsprop_step", "It looks like eps is inside the square root")
def rms_eps_inside(w, grad, sq_avg, lr, alpha, eps):  # the Keras form
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / torch.sqrt(sq_avg + eps), sq_avg


@wrong("rmsprop_step", "It looks like the gradient is not squared.")
def rms_not_squared_abs(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad
    return w - lr * grad / (sq_avg.abs().sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like the gradient is not squared (so sq_avg can be negative")
def rms_not_squared(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like alpha is on the wrong term.")
def rms_alpha_swapped(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = (1 - alpha) * sq_avg + alpha * grad * grad
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like the square root is missing")
def rms_no_root(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / (sq_avg + eps), sq_avg


@wrong("rmsprop_step", "It looks like the step uses the old average")
def rms_old_average(w, grad, sq_avg, lr, alpha, eps):
    new_w = w - lr * grad / (sq_avg.sqrt() + eps)
    return new_w, alpha * sq_avg + (1 - alpha) * grad**2


@wrong("rmsprop_step", "It looks like the squared gradients are summed")
def rms_adagrad_instead(w, grad, sq_avg, lr, alpha, eps):
    sq_avg += grad**2
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like lr is missing")
def rms_no_lr(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like the sign of the step is flipped")
def rms_uphill(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w + lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like eps is missing")
def rms_no_eps(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / sq_avg.sqrt(), sq_avg


@wrong("rmsprop_step", "It looks like the old average is returned")
def rms_state_not_updated(w, grad, sq_avg, lr, alpha, eps):
    new_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / (new_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like (1 - alpha) is inside the square")
def rms_weight_inside_square(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + ((1 - alpha) * grad) ** 2
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like alpha is on the wrong term and eps is inside the square root")
def rms_keras_rho_confusion(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = (1 - alpha) * sq_avg + alpha * grad**2
    return w - lr * grad / torch.sqrt(sq_avg + eps), sq_avg


@wrong("rmsprop_step", "It looks like the old average is dropped")
def rms_forgets_the_average(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = (1 - alpha) * grad**2
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "It looks like the square root is stored as the new sq_avg")
def rms_stores_root(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = (alpha * sq_avg + (1 - alpha) * grad**2).sqrt()
    return w - lr * grad / (sq_avg + eps), sq_avg


@wrong("rmsprop_step", "in the wrong order")
def rms_swapped(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return sq_avg, w - lr * grad / (sq_avg.sqrt() + eps)


@wrong("rmsprop_step", "rmsprop_step changed grad in place")
def rms_squares_grad_in_place(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad.square_()
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


@wrong("rmsprop_step", "new sq_avg is a float32 array")
def rms_numpy_float32(w, grad, sq_avg, lr, alpha, eps):
    sq = (alpha * sq_avg.numpy() + (1 - alpha) * grad.numpy() ** 2).astype(np.float32)
    return w.numpy() - lr * grad.numpy() / (np.sqrt(sq.astype(np.float64)) + eps), sq


@right("rmsprop_step")
def rms_numpy(w, grad, sq_avg, lr, alpha, eps):
    sq = alpha * sq_avg.numpy() + (1 - alpha) * grad.numpy() ** 2
    return w.numpy() - lr * grad.numpy() / (np.sqrt(sq) + eps), sq


@right("rmsprop_step")
def rms_lerp_in_place(w, grad, sq_avg, lr, alpha, eps):
    sq_avg.lerp_(grad * grad, 1 - alpha)  # alpha * sq_avg + (1 - alpha) * grad**2, another order
    w -= lr * grad / (sq_avg.sqrt() + eps)
    return w, sq_avg


@right("rmsprop_step")
def rms_torch_optim(w, grad, sq_avg, lr, alpha, eps):
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps)
    opt.state[p].update(step=torch.tensor(0.0), square_avg=sq_avg.clone())
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["square_avg"]


# ---- adam_step and yogi_second_moment -----------------------------------------------------------------


def _moments(grad, m, v, beta1, beta2):
    return beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad**2


@wrong("adam_step", "It looks like there is no bias correction.")
def adam_no_correction(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return w - lr * m / (v.sqrt() + eps), m, v


@wrong("adam_step", "It looks like t is counted from 0")
def adam_counts_from_zero(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1 ** (t - 1))
    v_hat = v / (1 - beta2 ** (t - 1))
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


@wrong("adam_step", "It looks like the bias correction uses t+1")
def adam_t_plus_one(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    t += 1
    return w - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), m, v


@wrong("adam_step", "It looks like only m is bias-corrected")
def adam_only_m(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - lr * (m / (1 - beta1**t)) / (v.sqrt() + eps), m, v


@wrong("adam_step", "It looks like only v is bias-corrected")
def adam_only_v(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - lr * m / ((v / (1 - beta2**t)).sqrt() + eps), m, v


@wrong("adam_step", "It looks like eps is inside the square root")
def adam_eps_inside(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / torch.sqrt(v_hat + eps), m, v


@wrong("adam_step", "It looks like the gradient is not squared in v.")
def adam_v_not_squared(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (v_hat.abs().sqrt() + eps), m, v


@wrong("adam_step", "It looks like the gradient is not squared in v (so v can be negative")
def adam_v_not_squared_nan(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


@wrong("adam_step", "It looks like each beta is on the wrong term")
def adam_betas_swapped(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = (1 - beta1) * m + beta1 * grad
    v = (1 - beta2) * v + beta2 * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


@wrong("adam_step", "It looks like the step uses the old m and v")
def adam_old_moments(w, grad, m, v, t, lr, beta1, beta2, eps):
    new_w = w - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps)
    m, v = _moments(grad, m, v, beta1, beta2)
    return new_w, m, v


@wrong("adam_step", "It looks like the square root of v is missing")
def adam_no_root(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + eps), m, v


@wrong("adam_step", "It looks like the sign of the step is flipped")
def adam_uphill(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w + lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), m, v


@wrong("adam_step", "It looks like there is no bias correction and eps is inside the square root")
def adam_keras_style(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - lr * m / torch.sqrt(v + eps), m, v


@wrong("adam_step", "It looks like the bias correction lost its parentheses")
def adam_precedence(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    m_hat = m / 1 - beta1**t
    v_hat = v / 1 - beta2**t
    return w - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v


@wrong("adam_step", "It looks like the bias correction is (1 - beta)**t")
def adam_power_on_the_difference(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1) ** t, v / (1 - beta2) ** t
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


@wrong("adam_step", "It looks like you returned the corrected m_hat and v_hat")
def adam_corrects_in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m /= 1 - beta1**t
    v /= 1 - beta2**t
    return w - lr * m / (v.sqrt() + eps), m, v


@wrong("adam_step", "It looks like this is Keras's form")
def adam_paper_form(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    step_size = lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
    return w - step_size * m / (v.sqrt() + eps), m, v


@wrong("adam_step", "It looks like lr is missing")
def adam_no_lr(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), m, v


@wrong("adam_step", "Your results are right but in the wrong order: return new w, new m, new v")
def adam_returns_v_before_m(w, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    return w - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), v, m


@wrong("adam_step", "adam_step changed grad in place")
def adam_squares_grad_in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.mul_(grad)  # right numbers, but the caller's grad is now squared
    return w - lr * (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps), m, v


@right("adam_step")
def adam_in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = (v / (1 - beta2**t)).sqrt().add_(eps)
    w.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
    return w, m, v


@right("adam_step")
def adam_torch_optim(w, grad, m, v, t, lr, beta1, beta2, eps):
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[p].update(step=torch.tensor(float(t - 1)), exp_avg=m.clone(), exp_avg_sq=v.clone())
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]


@right("adam_step")
def adam_lerp(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = torch.lerp(m, grad, 1 - beta1)
    v = torch.lerp(v, grad**2, 1 - beta2)
    return w - lr / (1 - beta1**t) * m / (v.sqrt() / (1 - beta2**t) ** 0.5 + eps), m, v


@right("adam_step")
def adam_numpy(w, grad, m, v, t, lr, beta1, beta2, eps):
    g = grad.numpy()
    m = beta1 * m.numpy() + (1 - beta1) * g
    v = beta2 * v.numpy() + (1 - beta2) * np.square(g)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w.numpy() - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@wrong("yogi_second_moment", "It looks like this is Adam's update")
def yogi_adams(v, grad, beta2):  # what a learner fresh from Adam writes
    return beta2 * v + (1 - beta2) * grad**2


@wrong("yogi_second_moment", "It looks like the sign is the wrong way round")
def yogi_sign_reversed(v, grad, beta2):
    return v + (1 - beta2) * torch.sign(v - grad**2) * grad**2


@wrong("yogi_second_moment", "It looks like the sign term is missing")
def yogi_no_sign(v, grad, beta2):
    return v - (1 - beta2) * grad**2


@wrong("yogi_second_moment", "It looks like v always grows")
def yogi_always_grows(v, grad, beta2):
    return v + (1 - beta2) * grad**2


@wrong("yogi_second_moment", "It looks like the sign compares v with grad, not grad**2")
def yogi_compares_with_grad(v, grad, beta2):
    return v - (1 - beta2) * torch.sign(v - grad) * grad**2


@wrong("yogi_second_moment", "It looks like sign(0) is taken as +1")
def yogi_zero_counts_as_above(v, grad, beta2):
    direction = torch.where(v >= grad**2, 1.0, -1.0)
    return v - (1 - beta2) * direction * grad**2


@wrong("yogi_second_moment", "It looks like sign(0) is taken as -1")
def yogi_zero_counts_as_below(v, grad, beta2):
    direction = torch.where(v > grad**2, 1.0, -1.0)  # v == grad**2 counts as "below"
    return v - (1 - beta2) * direction * grad**2


@wrong("yogi_second_moment", "It looks like beta2 is in place of 1 - beta2")
def yogi_beta2_for_one_minus(v, grad, beta2):
    return v - beta2 * torch.sign(v - grad**2) * grad**2


@wrong("yogi_second_moment", "It looks like the gradient is not squared in the change")
def yogi_grad_in_change(v, grad, beta2):
    return v - (1 - beta2) * torch.sign(v - grad**2) * grad


@wrong("yogi_second_moment", "It looks like v is also multiplied by beta2")
def yogi_half_adam(v, grad, beta2):
    return beta2 * v - (1 - beta2) * torch.sign(v - grad**2) * grad**2


@wrong("yogi_second_moment", "It looks like the sign is computed as x / |x|")
def yogi_sign_by_division(v, grad, beta2):
    gap = v - grad**2
    return v - (1 - beta2) * gap / gap.abs() * grad**2


@wrong("yogi_second_moment", "It looks like the change is the sign alone")
def yogi_sign_alone(v, grad, beta2):
    return v - (1 - beta2) * torch.sign(v - grad**2)


@wrong("yogi_second_moment", "yogi_second_moment changed grad in place")
def yogi_squares_grad_in_place(v, grad, beta2):
    g2 = grad.pow_(2)
    return v - (1 - beta2) * torch.sign(v - g2) * g2


@wrong("yogi_second_moment", "significant digits (a relative difference of")
def yogi_float32_where(v, grad, beta2):
    gap = v - grad**2
    sign = torch.where(gap > 0, 1.0, torch.where(gap < 0, -1.0, 0.0))  # float32 tensors
    return v - (1 - beta2) * sign * grad**2


@wrong("yogi_second_moment", ERROR)
def yogi_loop_with_if(v, grad, beta2):  # right for vectors; `if` on a row of a matrix raises
    new_v = v.clone()
    for i in range(len(v)):
        if v[i] > grad[i] ** 2:
            new_v[i] = v[i] - (1 - beta2) * grad[i] ** 2
        elif v[i] < grad[i] ** 2:
            new_v[i] = v[i] + (1 - beta2) * grad[i] ** 2
    return new_v


@right("yogi_second_moment")
def yogi_in_place(v, grad, beta2):  # changes v in place and returns it: allowed
    v.addcmul_(torch.sign(v - grad * grad), grad * grad, value=-(1 - beta2))
    return v


@right("yogi_second_moment")
def yogi_other_sign(v, grad, beta2):
    return v + (1 - beta2) * torch.sign(grad**2 - v) * grad**2


@right("yogi_second_moment")
def yogi_numpy(v, grad, beta2):
    g2 = grad.numpy() ** 2
    return v.numpy() - (1 - beta2) * np.sign(v.numpy() - g2) * g2


# ---- minibatches (checked by properties, not against one order) ---------------------------------------
# MB_WRONG: (function, a sentence the message must contain)

MB_WRONG: list = []
MB_RIGHT: list = []


def mb_wrong(says: str):
    def register(fn):
        MB_WRONG.append((fn, says))
        return fn

    return register


def mb_right(fn):
    MB_RIGHT.append(fn)
    return fn


@mb_wrong("The batches come in the original order")
def mb_in_order(n, batch_size, generator):
    return list(torch.arange(n).split(batch_size))


@mb_wrong("sampling with replacement")
def mb_with_replacement(n, batch_size, generator):
    return list(torch.randint(0, n, (n,), generator=generator).split(batch_size))


@mb_wrong("The last, smaller batch is missing")
def mb_drops_last(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


@mb_wrong("ignores the generator")
def mb_fixed_seed(n, batch_size, generator):
    return list(torch.randperm(n, generator=torch.Generator().manual_seed(42)).split(batch_size))


@mb_wrong("ignores the generator")
def mb_reseeds_the_generator(n, batch_size, generator):
    generator.manual_seed(0)  # "for reproducibility"
    return list(torch.randperm(n, generator=generator).split(batch_size))


@mb_wrong("same seed gave different orders")
def mb_global_rng(n, batch_size, generator):
    return list(torch.randperm(n).split(batch_size))


@mb_wrong("same seed gave different orders")
def mb_numpy_rng(n, batch_size, generator):
    return np.array_split(np.random.default_rng().permutation(n), range(batch_size, n, batch_size))


@mb_wrong("Two epochs in a row with the same generator came out in the same order")
def mb_restarts_from_the_seed(n, batch_size, generator):
    fresh = torch.Generator().manual_seed(generator.initial_seed())
    return list(torch.randperm(n, generator=fresh).split(batch_size))


@mb_wrong("batch_size was used as the number of batches")
def mb_chunk(n, batch_size, generator):
    return list(torch.randperm(n, generator=generator).chunk(batch_size))


@mb_wrong("batch_size was used as the number of batches")
def mb_array_split(n, batch_size, generator):
    return np.array_split(torch.randperm(n, generator=generator).numpy(), batch_size)


@mb_wrong("returned one tensor, the shuffled order itself")
def mb_just_the_order(n, batch_size, generator):
    return torch.randperm(n, generator=generator)


@mb_wrong("The indices run from 1 to")
def mb_counts_from_one(n, batch_size, generator):
    return list((torch.randperm(n, generator=generator) + 1).split(batch_size))


@mb_wrong("There is an empty batch")
def mb_one_batch_too_many(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(n // batch_size + 1)]


@mb_wrong("The same examples always share a batch")
def mb_shuffles_inside_batches(n, batch_size, generator):
    return [b[torch.randperm(len(b), generator=generator)] for b in torch.arange(n).split(batch_size)]


@mb_wrong("Batch sizes should be [3, 3, 3, 1]")
def mb_shuffles_the_batches(n, batch_size, generator):
    blocks = torch.arange(n).split(batch_size)
    return [blocks[i] for i in torch.randperm(len(blocks), generator=generator)]


@mb_wrong("One epoch must use every index")
def mb_one_batch_only(n, batch_size, generator):  # a single minibatch, not an epoch
    return [torch.randperm(n, generator=generator)[:batch_size]]


@mb_right
def mb_reference_style(n, batch_size, generator):
    order = torch.randperm(n, generator=generator)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


@mb_right
def mb_multinomial(n, batch_size, generator):
    order = torch.multinomial(torch.ones(n), n, replacement=False, generator=generator)
    return list(order.split(batch_size))


@mb_right
def mb_data_loader(n, batch_size, generator):
    return list(torch.utils.data.DataLoader(range(n), batch_size=batch_size, shuffle=True, generator=generator))


@mb_right
def mb_numpy_seeded_from_the_generator(n, batch_size, generator):
    rng = np.random.default_rng(int(torch.randint(2**31, (1,), generator=generator)))
    return np.array_split(rng.permutation(n), range(batch_size, n, batch_size))


@mb_right
def mb_yields_lists(n, batch_size, generator):
    order = torch.randperm(n, generator=generator).tolist()
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


# ---------------------------------------------------------------------------------------------------------
# The tables, as tests
# ---------------------------------------------------------------------------------------------------------

MINE = [
    exercises.GD,
    exercises.NUMERICAL_GRAD,
    exercises.MINIBATCH_GRAD,
    exercises.MOMENTUM,
    exercises.NESTEROV,
    exercises.ADAGRAD,
    exercises.RMSPROP,
    exercises.ADAM,
    exercises.YOGI_V,
]
WRONG_CASES = [(name, fn, says) for name, rows in WRONG.items() for fn, says in rows]
RIGHT_CASES = [(name, fn) for name, fns in RIGHT.items() for fn in fns]


def verdict(result: CheckResult, says: str) -> bool:
    """Whether a check's result is the one the table expects for a wrong version."""
    if result.passed:
        return False
    if says == ERROR:
        return result.status == "error"
    if says.startswith("It looks like "):
        return result.status == "failed" and result.message.startswith(says)
    return says in result.message


@pytest.mark.parametrize("name, fn, says", WRONG_CASES, ids=[fn.__name__ for _, fn, _ in WRONG_CASES])
def test_wrong_versions_are_rejected_and_named(name, fn, says):
    result = exercises.CHECKS[name](fn)
    assert verdict(result, says), result.message
    assert "Traceback" not in result.message
    if says.startswith("It looks like "):
        expect_mistake(result, says.removeprefix("It looks like "))


@pytest.mark.parametrize("name, fn", RIGHT_CASES, ids=[fn.__name__ for _, fn in RIGHT_CASES])
def test_correct_alternatives_pass(name, fn):
    result = exercises.CHECKS[name](fn)
    assert result.passed, result.message


@pytest.mark.parametrize("ex", MINE, ids=[ex.name for ex in MINE])
def test_every_catalogued_mistake_is_made_by_a_learner_style_version(ex):
    """Remove a catalogue entry and the version that makes it is no longer named: a table test fails."""
    named = set()
    for fn, _ in WRONG[ex.name]:
        message = exercises.run_check(ex, fn).message
        named |= {m.name for m in ex.mistakes if message.startswith(f"It looks like {m.name}.")}
    assert named == {m.name for m in ex.mistakes}, {m.name for m in ex.mistakes} - named


@pytest.mark.parametrize(
    "ex, label",
    [(ex, label) for ex in MINE for label, _ in ex.cases],
    ids=[f"{ex.name}:{label}" for ex in MINE for label, _ in ex.cases],
)
def test_every_case_is_needed(ex, label):
    """Without this case some wrong version in the table passes or is named as another mistake, or the
    learner is shown a different example (a case kept because its plain numbers make the clearest example)."""
    fewer = dataclasses.replace(ex, cases=tuple(c for c in ex.cases if c[0] != label))

    def changes(fn, says):
        full, reduced = exercises.run_check(ex, fn), exercises.run_check(fewer, fn)
        return not verdict(reduced, says) or f"Example ({label})" in full.message

    assert any(changes(fn, says) for fn, says in WRONG[ex.name])


def test_the_cases_are_the_ones_the_tables_were_written_for():
    """Removing or renaming a case must be a decision: the tables above were checked against exactly these."""
    assert {ex.name: [label for label, _ in ex.cases] for ex in MINE} == {
        "gd_step": ["a vector", "a matrix", "a large learning rate"],
        "numerical_grad": ["a quadratic", "a wavy function", "a cubic, larger h"],
        "minibatch_grad": ["a batch of 4", "a batch of 1"],
        "momentum_step": ["step 1, buf is None", "a later step", "a matrix, later step"],
        "nesterov_step": ["step 1, buf is None", "a later step", "a matrix, later step"],
        "adagrad_step": ["the first step", "a later step", "small gradients, large eps"],
        "rmsprop_step": ["the first step", "a later step", "small gradients, large eps"],
        "adam_step": ["step t=1", "step t=5", "small gradients, large eps, t=3"],
        "yogi_second_moment": [
            "from v = 0 (the first step)",
            "v above and below grad**2",
            "v exactly equal to grad**2 in two places",
            "a matrix",
        ],
    }
    assert MINIBATCH_CASES == ((10, 3), (8, 4), (100, 32))


@pytest.mark.parametrize("fn, says", MB_WRONG, ids=[fn.__name__ for fn, _ in MB_WRONG])
def test_minibatch_wrong_versions(fn, says):
    result = exercises.check_minibatches(fn)
    assert verdict(result, says), result.message


@pytest.mark.parametrize("fn", MB_RIGHT, ids=[fn.__name__ for fn in MB_RIGHT])
def test_minibatch_alternatives_pass(fn):
    result = exercises.check_minibatches(fn)
    assert result.passed, result.message


@pytest.mark.parametrize("case", MINIBATCH_CASES, ids=[f"n={n},bs={bs}" for n, bs in MINIBATCH_CASES])
def test_every_minibatch_case_is_needed(case):
    fewer = tuple(c for c in MINIBATCH_CASES if c != case)
    assert any(not verdict(_check_minibatches(fn, fewer), says) for fn, says in MB_WRONG)


# ---------------------------------------------------------------------------------------------------------
# Stubs, crashes, wrong shapes and types: kind, brief, never a traceback
# ---------------------------------------------------------------------------------------------------------


def stub_raises(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def stub_passes(*args):
    pass


@pytest.mark.parametrize("name", exercises.exercise_names())
@pytest.mark.parametrize("stub", [stub_raises, stub_passes], ids=["raises", "returns-None"])
def test_stubs_are_not_done_yet(name, stub):
    result = exercises.CHECKS[name](stub)
    assert result.status == "not done" and not result.passed
    assert repr(result).startswith("[not done yet]")
    assert "not written yet" in result.message


def test_a_function_that_changes_w_in_place_but_returns_nothing_is_told_so():
    def forgot_return(w, grad, lr):
        w -= lr * grad

    result = exercises.check_gd_step(forgot_return)
    assert not result.passed and "changed its inputs in place but returned None" in result.message
    assert "return w" in result.message


def test_exceptions_show_type_message_and_line():
    def typo(w, grad, lr):
        return w - lr * gradient  # noqa: F821 (the learner's typo)

    result = exercises.check_gd_step(typo)
    assert result.status == "error" and repr(result).startswith("[error]")
    assert "raised NameError: name 'gradient' is not defined" in result.message
    assert "return w - lr * gradient" in result.message
    assert "Traceback" not in result.message


def test_wrong_arity_types_and_shapes_get_a_sentence():
    def one_value(w, grad, buf, lr, momentum):
        return w - lr * grad

    def text(w, grad, lr):
        return "w - lr * grad"

    def flattened(w, grad, lr):
        return (w - lr * grad).flatten()

    def tuple_for_one(w, grad, lr):
        return w - lr * grad, lr

    assert (
        "should return 2 values, (new w, new buf); it returned 1 value"
        in exercises.check_momentum_step(one_value).message
    )
    assert "new w should be a tensor; gd_step returned a str" in exercises.check_gd_step(text).message
    assert "new w has shape (6,); expected (2, 3)" in exercises.check_gd_step(flattened).message
    assert (
        "gd_step should return one value, new w; it returned 2 values" in exercises.check_gd_step(tuple_for_one).message
    )


def test_passing_a_result_instead_of_the_function_is_explained():
    w = torch.ones(2)
    result = exercises.check_gd_step(solutions.gd_step(w, w, 0.1))
    assert not result.passed and "Pass your function itself" in result.message


def test_results_show_as_plain_text_and_as_a_coloured_box():
    good, bad = exercises.check_gd_step(solutions.gd_step), exercises.check_gd_step(stub_raises)
    assert repr(good).startswith("[correct] gd_step matches the reference on all 3 cases")
    assert "#1a7f37" in good._repr_html_() and "Correct" in good._repr_html_()
    assert "#5a6b7b" in bad._repr_html_() and "Not done yet" in bad._repr_html_()
    assert "&lt;" in CheckResult(False, "a < b")._repr_html_()  # the message is escaped


def test_the_same_answer_gives_the_same_feedback_every_time():
    """nbval compares the stored feedback text, so it must not vary between runs."""

    def no_lr(w, grad, lr):
        return w - grad

    assert repr(exercises.check_gd_step(no_lr)) == repr(exercises.check_gd_step(no_lr))


def test_solutions_are_shown_on_request():
    sol = exercises.solution("adam_step")
    assert "def adam_step" in repr(sol) and "m_hat" in repr(sol)
    assert "try it yourself first" in sol._repr_markdown_()
    with pytest.raises(ValueError, match="no exercise called 'adma'; the exercises are: gd_step"):
        exercises.solution("adma")


def test_reference_functions_are_available_to_notebooks():
    assert exercises.reference("gd_step") is solutions.gd_step
    with pytest.raises(ValueError, match="no exercise called 'nope'"):
        exercises.reference("nope")


def test_momentum_step_missing_first_step_is_explained():
    def forgets_step_one(w, grad, buf, lr, momentum):
        buf = momentum * buf + grad
        return w - lr * buf, buf

    result = exercises.check_momentum_step(forgets_step_one)
    assert result.status == "error"
    assert "On the case 'step 1, buf is None', momentum_step raised TypeError" in result.message
    assert "your line" in result.message and "buf = momentum * buf + grad" in result.message
    assert "at the first step buf is None" in result.message


def test_the_stored_notebook_feedback_is_unchanged():
    """Notebook 00 stores this exact feedback; nbval compares it."""
    result = exercises.check_gd_step(gd_uphill)
    assert repr(result) == (
        "[not yet] It looks like the sign is flipped (you moved up the gradient). Descent goes against the "
        "gradient: subtract lr * grad.\nExample (a vector): gd_step(w=[1, -2, 0.5], grad=[0.4, -1, 2], lr=0.1)\n"
        "  new w: expected [0.96, -1.9, 0.3], got [1.04, -2.1, 0.7]"
    )
    assert repr(exercises.check_minibatches(stub_raises)) == (
        "[not done yet] minibatches is not written yet.\nHint: shuffle with torch.randperm(n, "
        "generator=generator), then cut the order into pieces of batch_size."
    )


def test_numerical_grad_example_shows_the_function_by_its_formula():
    message = exercises.check_numerical_grad(ng_forward).message
    assert "f=f(w) = sum(3 w^2) + w0 w1" in message and " at 0x" not in message
