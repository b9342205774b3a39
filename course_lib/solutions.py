"""Reference solutions to every exercise of the course, all in one place for instructors.

Learners: try the exercise first. In a notebook, ``exercises.solution("adam_step")`` shows one of these when
you want it. Each is written the way a learner would write it, one formula per line, without in-place
tricks; the checks in ``course_lib.exercises`` compare your code against the rules in ``course_lib.optim``,
and the test suite proves that every solution here passes its check.
"""

from __future__ import annotations

import torch
from torch import Tensor


def gd_step(w: Tensor, grad: Tensor, lr: float) -> Tensor:
    """One step of gradient descent: move against the gradient, lr times its length."""
    return w - lr * grad


def numerical_grad(f, w: Tensor, h: float) -> Tensor:
    """The gradient of f at w by central differences: nudge one coordinate at a time, both ways."""
    grad = torch.zeros_like(w)
    for i in range(len(w)):
        step = torch.zeros_like(w)
        step[i] = h
        grad[i] = (f(w + step) - f(w - step)) / (2 * h)
    return grad


def momentum_step(w: Tensor, grad: Tensor, buf: Tensor | None, lr: float, momentum: float) -> tuple[Tensor, Tensor]:
    """Heavy-ball momentum in PyTorch's form: the buffer sums gradients, lr stays outside it."""
    if buf is None:  # first step: the buffer starts as the gradient itself
        buf = grad.clone()
    else:
        buf = momentum * buf + grad
    return w - lr * buf, buf


def nesterov_step(w: Tensor, grad: Tensor, buf: Tensor | None, lr: float, momentum: float) -> tuple[Tensor, Tensor]:
    """Nesterov momentum in PyTorch's form: the same buffer, and a step that looks one buffer ahead."""
    if buf is None:
        buf = grad.clone()
    else:
        buf = momentum * buf + grad
    return w - lr * (grad + momentum * buf), buf


def adagrad_step(w: Tensor, grad: Tensor, state_sum: Tensor, lr: float, eps: float) -> tuple[Tensor, Tensor]:
    """Adagrad: every coordinate divides by the root of its own running sum of squared gradients."""
    state_sum = state_sum + grad**2
    return w - lr * grad / (state_sum.sqrt() + eps), state_sum


def rmsprop_step(w: Tensor, grad: Tensor, sq_avg: Tensor, lr: float, alpha: float, eps: float) -> tuple[Tensor, Tensor]:
    """RMSprop: like Adagrad, but a moving average of squared gradients, so old gradients are forgotten."""
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg


def adam_step(
    w: Tensor, grad: Tensor, m: Tensor, v: Tensor, t: int, lr: float, beta1: float, beta2: float, eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Adam: moving averages of the gradient (m) and of its square (v), both bias-corrected; t counts from 1."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (v_hat.sqrt() + eps), m, v


def yogi_second_moment(v: Tensor, grad: Tensor, beta2: float) -> Tensor:
    """Yogi: v moves towards grad**2 by (1 - beta2) * grad**2; Adam's moves by (1 - beta2) * (v - grad**2)."""
    return v - (1 - beta2) * torch.sign(v - grad**2) * grad**2


def softmax(logits: Tensor) -> Tensor:
    """Probabilities from logits along the last dimension, safe for large logits."""
    shifted = logits - logits.max(dim=-1, keepdim=True).values  # the largest becomes 0, so exp cannot overflow
    e = shifted.exp()
    return e / e.sum(dim=-1, keepdim=True)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy from logits (B, C) and class indices (B,), computed stably with log-sum-exp."""
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()  # log softmax
    return -log_probs[torch.arange(len(targets)), targets].mean()


def minibatches(n: int, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    """One epoch of minibatch indices: a fresh shuffle of 0..n-1, cut into batches (the last may be smaller)."""
    order = torch.randperm(n, generator=generator)
    return list(order.split(batch_size))


def minibatch_grad(X: Tensor, y: Tensor, w: Tensor, idx: Tensor) -> Tensor:
    """Gradient of the mean squared error of the linear model X @ w on the rows idx (a minibatch)."""
    Xb, yb = X[idx], y[idx]
    return 2 / len(idx) * Xb.T @ (Xb @ w - yb)


def least_squares(X: Tensor, y: Tensor) -> Tensor:
    """The weights minimising the squared error of X @ w: the solution of (X.T @ X) w = X.T @ y."""
    return torch.linalg.solve(X.T @ X, X.T @ y)


def knn_predict(train_x: Tensor, train_y: Tensor, x: Tensor, k: int) -> Tensor:
    """The most common label among the k nearest training points (Euclidean) of each row of x."""
    distances = torch.cdist(x, train_x)  # (queries, training points)
    nearest = distances.topk(k, dim=1, largest=False).indices  # the k smallest distances per query
    votes = train_y[nearest]  # (queries, k) labels
    counts = torch.stack([torch.bincount(v, minlength=int(train_y.max()) + 1) for v in votes])
    return counts.argmax(dim=1)  # argmax picks the first largest count: ties go to the smallest label


def clip_by_norm(grad: Tensor, max_norm: float) -> Tensor:
    """Clipping by norm: a gradient longer than max_norm is rescaled to that length, keeping its direction."""
    norm = grad.norm()  # the Euclidean length of the whole gradient
    factor = min(1.0, max_norm / norm.item())  # below 1 only when the gradient is too long
    return grad * factor


def scaled_lr(step: int, batch_size: int, base_lr: float, base_batch: int, warmup_steps: int) -> float:
    """The linear scaling rule with a linear warmup: the rate at step (counting from 0) for batch_size."""
    target = base_lr * batch_size / base_batch  # k times the batch, k times the rate
    if step < warmup_steps:  # the warmup: rise linearly, reaching the target at the last warmup step
        return target * (step + 1) / warmup_steps
    return target
