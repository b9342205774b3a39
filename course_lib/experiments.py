"""Measurements too long for a notebook cell: each is one documented function a notebook calls in one line.

Every experiment here runs the course's own update rules (``course_lib.optim``) on many seeded runs at once,
one row of a tensor per run, so that it takes seconds on a laptop, and returns plain numbers a notebook can
print and assert on. Introduced in notebook 05.

- ``noisy_quadratic``: SGD or Adam on a quadratic whose gradients carry noise, each at its best learning rate
  from a grid (notebook 05, section 4: in what sense is Adam robust to noisy gradients?).
- ``weight_decay_balance``: where Adam with an L2 penalty and AdamW's decoupled decay settle, for a weight with
  quiet gradients and one with noisy gradients (notebook 05, section 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from course_lib import optim

__all__ = ["NoisyResult", "noisy_quadratic", "weight_decay_balance"]


@dataclass(frozen=True)
class NoisyResult:
    """One method on the noisy quadratic, at the learning rate that served it best.

    ``lr``: that learning rate; ``losses``: per run, its average loss over the last steps (``runs`` values);
    ``largest_step``: the longest single step (Euclidean length) any of those runs took; ``mean_by_lr``: the
    mean of the runs' average losses at every learning rate of the grid, in the grid's order.
    """

    method: str
    noise: str
    lr: float
    losses: np.ndarray
    largest_step: float
    mean_by_lr: np.ndarray


def noisy_quadratic(
    method: str,
    noise: str,
    lrs: Sequence[float],
    *,
    curvature: Sequence[float] = (1.0, 10.0),
    start: float = 2.0,
    steps: int = 3000,
    runs: int = 200,
    last: int = 500,
    noise_scale: float = 1.0,
    spike_rate: float = 0.01,
    spike_size: float = 30.0,
    seed: int = 1,
) -> NoisyResult:
    r"""SGD or Adam (``method``: "sgd" or "adam", default hyperparameters but ``lr``) with noisy gradients.

    The loss is :math:`f(w) = \tfrac12 \sum_i c_i w_i^2` (``curvature`` = c), from ``(start, start)``; the
    gradient at every step is :math:`c \odot w + z` with ``noise`` "gaussian" (z normal with standard deviation
    ``noise_scale``) or "spiky" (the same, except that a fraction ``spike_rate`` of the entries is multiplied by
    ``spike_size``). Every learning rate in ``lrs`` gets ``runs`` runs of ``steps`` steps, all stepped at once
    (one row per run, the learning rate as a column: the rules accept tensors). The best learning rate is the
    one whose runs have the lowest mean of the loss averaged over the last ``last`` steps. The noise comes from
    a generator seeded with ``seed``, so every method sees the same draws.
    """
    if method not in ("sgd", "adam"):
        raise ValueError(f"method must be 'sgd' or 'adam', not {method!r}")
    if noise not in ("gaussian", "spiky"):
        raise ValueError(f"noise must be 'gaussian' or 'spiky', not {noise!r}")
    if not 0 < last <= steps:
        raise ValueError(f"last must be between 1 and steps ({steps}), not {last}")
    grid = [float(lr) for lr in lrs]
    c = torch.tensor(curvature, dtype=torch.float64)
    lr = torch.tensor(grid, dtype=torch.float64).repeat_interleave(runs).unsqueeze(1)
    w = torch.full((len(grid) * runs, len(c)), float(start), dtype=torch.float64)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    gen = torch.Generator().manual_seed(seed)
    loss_sum, biggest = torch.zeros(len(w), dtype=torch.float64), torch.zeros(len(w), dtype=torch.float64)
    with torch.inference_mode():
        for t in range(1, steps + 1):
            z = torch.randn(w.shape, generator=gen, dtype=torch.float64) * noise_scale
            if noise == "spiky":
                spikes = torch.rand(w.shape, generator=gen, dtype=torch.float64) < spike_rate
                z = z * torch.where(spikes, spike_size, 1.0)
            g = c * w + z
            before = w.clone()
            if method == "sgd":
                optim.sgd_update(w, g, None, lr=lr)
            else:
                optim.adam_update(w, g, m, v, max_exp_avg_sq=None, step=t, lr=lr)
            biggest = torch.maximum(biggest, (w - before).norm(dim=1))
            if t > steps - last:
                loss_sum += 0.5 * (c * w * w).sum(dim=1)
    losses = (loss_sum / last).reshape(len(grid), runs)
    mean_by_lr = losses.mean(dim=1)
    best = int(mean_by_lr.argmin())
    return NoisyResult(
        method=method,
        noise=noise,
        lr=grid[best],
        losses=losses[best].numpy(),
        largest_step=biggest.reshape(len(grid), runs)[best].max().item(),
        mean_by_lr=mean_by_lr.numpy(),
    )


def weight_decay_balance(
    *,
    decoupled: bool,
    weight_decay: float = 1.0,
    lr: float = 5e-3,
    noise: Sequence[float] = (0.1, 10.0),
    steps: int = 20_000,
    runs: int = 100,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Where Adam with weight decay settles: each weight :math:`\theta_i` has loss :math:`\tfrac12(\theta_i - 1)^2`.

    Each gradient carries Gaussian noise of standard deviation ``noise[i]``. ``decoupled=False`` is
    ``Adam(weight_decay=λ)`` (an L2 penalty added to the gradient), ``decoupled=True`` is ``AdamW`` (the weights
    shrink by ``1 - lr * λ`` each step); betas and eps are Adam's defaults. ``runs`` seeded runs from 0.

    Returns ``(weights, rms)``: each weight averaged over the second half of the steps and over runs, and the
    square root of the bias-corrected second moment :math:`\sqrt{\hat v}` at the end, averaged over runs (the
    gradient's RMS that Adam divides by).
    """
    std = torch.tensor(noise, dtype=torch.float64)
    w = torch.zeros(runs, len(std), dtype=torch.float64)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros_like(w)
    with torch.inference_mode():
        for t in range(1, steps + 1):
            g = (w - 1.0) + std * torch.randn(w.shape, generator=gen, dtype=torch.float64)
            optim.adam_update(
                w, g, m, v, max_exp_avg_sq=None, step=t, lr=lr, weight_decay=weight_decay,
                decoupled_weight_decay=decoupled,
            )
            if t > steps // 2:
                total += w
    bias_correction2 = 1 - 0.999**steps
    weights = (total / (steps - steps // 2)).mean(dim=0)
    rms = (v / bias_correction2).mean(dim=0).sqrt()
    return weights.numpy(), rms.numpy()
