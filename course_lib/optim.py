"""The optimizers of the course: each update rule written once, and torch.optim classes built on them.

Read this module in two layers.

1. **Update rules** (``sgd_update``, ``adagrad_update``, ``rmsprop_update``, ``adadelta_update``,
   ``adam_update``, ``yogi_update``): one short function per optimizer that changes a parameter and its state
   *in place* for one step. Each line carries the formula it computes, in the symbols of the docstring. These
   are the functions the notebooks show, the trajectories run on loss landscapes, and the exercise checks
   compare a learner's code against.
2. **Classes** (``SGD``, ``Adagrad``, ``RMSprop``, ``Adadelta``, ``Adam``, ``AdamW``, ``Yogi``): subclasses of
   ``torch.optim.Optimizer`` with PyTorch's signatures, defaults, state names and ``state_dict`` layout. A class
   only creates the state and hands each parameter to its rule; ``torch.optim.Optimizer`` does the rest
   (param groups, closures, hooks, ``state_dict``), so the classes work with ``torch.optim.lr_scheduler``.

Why in place? The same arithmetic written as new tensors (``m = beta1 * m + (1 - beta1) * g``) reads a
little more like the formula but makes every step allocate and copy; measured on a one-million-parameter MLP
it was about 2.5 times slower than ``torch.optim``. The rules therefore use the fused in-place operations that
``torch.optim`` itself uses, one formula line each. Three of them carry most of the work:
``a.lerp_(b, w)`` is ``a <- a + w * (b - a)``, that is ``(1 - w) * a + w * b``, a moving average that moves a
fraction ``w`` of the way towards ``b``; ``a.addcmul_(b, c, value=s)`` is ``a <- a + s * b * c``; and
``a.addcdiv_(b, c, value=s)`` is ``a <- a + s * b / c``.

Hyperparameters may be Python numbers or tensors that broadcast against the parameter, so one call can step a
whole batch of configurations at once (``course_lib.trajectories`` runs many learning rates side by side).
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Yogi",
    "make_optimizer",
    "optimizer_names",
    "sgd_update",
    "adagrad_update",
    "rmsprop_update",
    "adadelta_update",
    "adam_update",
    "yogi_update",
]

Hyper = float | Tensor  # a hyperparameter: a number, or a tensor that broadcasts against the parameter


# --------------------------------------------------------------------------------------------------------
# Small pieces shared by the rules. Each does what its formula says for a number or a tensor `scale`:
# torch's fused operations take a number as `alpha=`/`value=`, a tensor only as an operand.
# --------------------------------------------------------------------------------------------------------


def _plus_scaled(x: Tensor, scale: Hyper, y: Tensor) -> Tensor:
    """x + scale * y, as a new tensor."""
    if isinstance(scale, Tensor):
        return torch.addcmul(x, y, scale)
    return x.add(y, alpha=scale)


def _add_scaled_(x: Tensor, scale: Hyper, y: Tensor) -> Tensor:
    """x <- x + scale * y, in place."""
    if isinstance(scale, Tensor):
        return x.addcmul_(y, scale)
    return x.add_(y, alpha=scale)


def _add_scaled_ratio_(x: Tensor, scale: Hyper, num: Tensor, den: Tensor) -> Tensor:
    """x <- x + scale * num / den, in place."""
    if isinstance(scale, Tensor):
        return x.addcmul_(num / den, scale)
    return x.addcdiv_(num, den, value=scale)


def _average_square_(avg: Tensor, beta: Hyper, g: Tensor) -> Tensor:
    """avg <- beta * avg + (1 - beta) * g * g, in place, computed as torch computes it (mul_, then addcmul_).

    ``avg.lerp_(g * g, 1 - beta)`` is the same in exact arithmetic, but for beta < 0.5 lerp works with
    ``1 - (1 - beta)``, which is not exactly beta in floating point; where a difference of variances follows
    (centered RMSprop) that last-bit difference can grow large.
    """
    avg.mul_(beta)
    if isinstance(beta, Tensor):
        return avg.addcmul_(g * g, 1 - beta)
    return avg.addcmul_(g, g, value=1 - beta)


def _is_on(value: Hyper) -> bool:
    """Whether an optional term (weight decay, momentum) takes part: any tensor does, a number when non-zero."""
    return isinstance(value, Tensor) or value != 0


# --------------------------------------------------------------------------------------------------------
# The update rules
# --------------------------------------------------------------------------------------------------------


def sgd_update(
    param: Tensor,
    grad: Tensor,
    momentum_buffer: Tensor | None,
    *,
    lr: Hyper,
    momentum: Hyper = 0.0,
    dampening: Hyper = 0.0,
    weight_decay: Hyper = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> Tensor | None:
    r"""One step of SGD, with optional momentum, exactly as ``torch.optim.SGD`` computes it.

    Symbols: :math:`\gamma` = ``lr``, :math:`\mu` = ``momentum``, :math:`\tau` = ``dampening``,
    :math:`\lambda` = ``weight_decay``, :math:`b` = ``momentum_buffer``.

    .. code-block:: text

        g <- -grad if maximize else grad
        g <- g + lambda * theta                       (if lambda != 0: L2 penalty folded into the gradient)
        if mu != 0:
            b <- g                       at the first step (the buffer starts as the gradient, not as zero)
            b <- mu * b + (1 - tau) * g  at later steps
            g <- g + mu * b   if nesterov, else   g <- b
        theta <- theta - gamma * g

    ``param`` changes in place; the returned buffer is the new ``momentum_buffer`` (None while mu == 0).

    How papers write momentum differently: Polyak's heavy ball (1964) and Sutskever, Martens, Dahl and Hinton
    (2013, "On the importance of initialization and momentum in deep learning"), followed by CS231n, put the
    learning rate *inside* the velocity, ``v <- mu * v - gamma * g``; ``theta <- theta + v``. PyTorch keeps
    ``gamma`` outside the buffer. With a constant learning rate the two give the same path (``v = -gamma * b``);
    when ``gamma`` changes during training, PyTorch rescales the whole remembered velocity at once while the
    paper form changes only the new gradients' share. PyTorch's Nesterov variant evaluates the gradient at
    ``theta`` and adds ``mu * b``, a rewritten form of Sutskever et al.'s look-ahead gradient.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    if _is_on(momentum):
        if momentum_buffer is None:
            momentum_buffer = g.detach().clone()  # b <- g (first step)
        else:
            momentum_buffer.mul_(momentum)  # b <- mu * b ...
            _add_scaled_(momentum_buffer, 1 - dampening, g)  # ... + (1 - tau) * g
        if nesterov:
            g = _plus_scaled(g, momentum, momentum_buffer)  # g <- g + mu * b
        else:
            g = momentum_buffer  # g <- b
    _add_scaled_(param, -lr, g)  # theta <- theta - gamma * g
    return momentum_buffer


def adagrad_update(
    param: Tensor,
    grad: Tensor,
    state_sum: Tensor,
    step: int | float,
    *,
    lr: Hyper,
    lr_decay: Hyper = 0.0,
    weight_decay: Hyper = 0.0,
    eps: Hyper = 1e-10,
    maximize: bool = False,
) -> None:
    r"""One step of Adagrad, exactly as ``torch.optim.Adagrad`` computes it; ``step`` counts from 1.

    Symbols: :math:`\gamma` = ``lr``, :math:`\eta` = ``lr_decay``, :math:`\lambda` = ``weight_decay``,
    :math:`\epsilon` = ``eps``, ``sum`` = ``state_sum`` (starts at ``initial_accumulator_value``).

    .. code-block:: text

        g <- -grad if maximize else grad
        g <- g + lambda * theta                         (if lambda != 0)
        gamma_t <- gamma / (1 + (t - 1) * eta)
        sum <- sum + g * g                              (per coordinate, never forgets)
        theta <- theta - gamma_t * g / (sqrt(sum) + eps)

    Because ``sum`` only grows, every coordinate's step shrinks for ever: roughly like 1/sqrt(t) for a steady
    gradient. Duchi, Hazan and Singer (2011, "Adaptive Subgradient Methods for Online Learning and Stochastic
    Optimization") analyse this diagonal form; eps sits outside the square root in PyTorch, while Keras 3 (and
    tf.keras from TensorFlow 2.11) adds it inside (``sqrt(sum + eps)``). The older tf.keras Adagrad, now
    ``tf.keras.optimizers.legacy.Adagrad``, adds it outside, as PyTorch does.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    clr = lr / (1 + (step - 1) * lr_decay)  # gamma_t <- gamma / (1 + (t - 1) * eta)
    state_sum.addcmul_(g, g, value=1)  # sum <- sum + g^2
    std = state_sum.sqrt().add_(eps)  # sqrt(sum) + eps
    _add_scaled_ratio_(param, -clr, g, std)  # theta <- theta - gamma_t * g / (sqrt(sum) + eps)


def rmsprop_update(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    grad_avg: Tensor | None,
    momentum_buffer: Tensor | None,
    *,
    lr: Hyper,
    alpha: Hyper = 0.99,
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    momentum: Hyper = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> None:
    r"""One step of RMSprop, exactly as ``torch.optim.RMSprop`` computes it.

    Symbols: :math:`\gamma` = ``lr``, :math:`\alpha` = ``alpha`` (the smoothing constant), :math:`\epsilon` =
    ``eps``, :math:`\lambda` = ``weight_decay``, :math:`\mu` = ``momentum``; ``v`` = ``square_avg``,
    ``gbar`` = ``grad_avg`` (centered only), ``b`` = ``momentum_buffer`` (momentum only). All start at zero.

    .. code-block:: text

        g <- -grad if maximize else grad
        g <- g + lambda * theta                               (if lambda != 0)
        v <- alpha * v + (1 - alpha) * g * g                  (a moving average: it forgets old gradients)
        centered:  gbar <- alpha * gbar + (1 - alpha) * g;   d <- sqrt(v - gbar * gbar) + eps
        else:      d <- sqrt(v) + eps
        mu > 0:    b <- mu * b + g / d;   theta <- theta - gamma * b
        else:      theta <- theta - gamma * g / d

    RMSprop comes from Tieleman and Hinton's lecture 6.5 of "Neural Networks for Machine Learning" (2012);
    the centered variant from Graves (2013, "Generating Sequences With Recurrent Neural Networks"). There is
    no bias correction: ``v`` starts at zero, so the first steps are larger than later ones. eps sits outside
    the square root in PyTorch; Keras 3 (and tf.keras from TensorFlow 2.11) puts it inside (``sqrt(v + eps)``).
    The older tf.keras RMSprop, now ``tf.keras.optimizers.legacy.RMSprop``, puts it outside without momentum
    and inside with momentum.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    _average_square_(square_avg, alpha, g)  # v <- alpha * v + (1 - alpha) * g^2
    if centered:
        grad_avg.lerp_(g, 1 - alpha)  # gbar <- alpha * gbar + (1 - alpha) * g
        denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps)  # sqrt(v - gbar^2) + eps
    else:
        denom = square_avg.sqrt().add_(eps)  # sqrt(v) + eps
    if _is_on(momentum):
        momentum_buffer.mul_(momentum).addcdiv_(g, denom)  # b <- mu * b + g / d
        _add_scaled_(param, -lr, momentum_buffer)  # theta <- theta - gamma * b
    else:
        _add_scaled_ratio_(param, -lr, g, denom)  # theta <- theta - gamma * g / d


def adadelta_update(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    acc_delta: Tensor,
    *,
    lr: Hyper = 1.0,
    rho: Hyper = 0.9,
    eps: Hyper = 1e-6,
    weight_decay: Hyper = 0.0,
    maximize: bool = False,
) -> None:
    r"""One step of Adadelta, exactly as ``torch.optim.Adadelta`` computes it.

    Symbols: :math:`\gamma` = ``lr``, :math:`\rho` = ``rho``, :math:`\epsilon` = ``eps``, :math:`\lambda` =
    ``weight_decay``; ``v`` = ``square_avg`` (moving average of squared gradients), ``u`` = ``acc_delta``
    (moving average of squared updates). Both start at zero.

    .. code-block:: text

        g <- -grad if maximize else grad
        g <- g + lambda * theta                               (if lambda != 0)
        v <- rho * v + (1 - rho) * g * g
        delta <- sqrt(u + eps) / sqrt(v + eps) * g            (RMS of past updates over RMS of gradients)
        u <- rho * u + (1 - rho) * delta * delta
        theta <- theta - gamma * delta

    Zeiler (2012, "ADADELTA: An Adaptive Learning Rate Method") has no learning rate: his update is
    ``-delta``, which is ``gamma = 1``, PyTorch's default. The ratio ``sqrt(u + eps) / sqrt(v + eps)`` carries
    the units of theta over the units of the gradient, so ``delta`` has the units of theta, as a Newton step
    does. eps sits *inside* both roots (not outside, as in RMSprop and Adam) and also sets the size of the first
    steps: with ``u = 0``, ``sqrt(eps)`` stands in for the RMS of past updates.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    _average_square_(square_avg, rho, g)  # v <- rho * v + (1 - rho) * g^2
    std = square_avg.add(eps).sqrt_()  # sqrt(v + eps)
    delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)  # delta <- sqrt(u + eps) / sqrt(v + eps) * g
    _average_square_(acc_delta, rho, delta)  # u <- rho * u + (1 - rho) * delta^2
    _add_scaled_(param, -lr, delta)  # theta <- theta - gamma * delta


def adam_update(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Tensor | None,
    step: int | float,
    *,
    lr: Hyper,
    beta1: Hyper = 0.9,
    beta2: Hyper = 0.999,
    eps: Hyper = 1e-8,
    weight_decay: Hyper = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> None:
    r"""One step of Adam (or AdamW, or AMSGrad), exactly as ``torch.optim.Adam``/``AdamW`` compute it.

    Symbols: :math:`\gamma` = ``lr``, :math:`\beta_1, \beta_2` = ``beta1, beta2``, :math:`\epsilon` = ``eps``,
    :math:`\lambda` = ``weight_decay``, ``m`` = ``exp_avg``, ``v`` = ``exp_avg_sq``, ``vmax`` =
    ``max_exp_avg_sq`` (AMSGrad only); all start at zero. ``step`` is t, counting from 1.

    .. code-block:: text

        g <- -grad if maximize else grad
        AdamW (decoupled):  theta <- theta * (1 - gamma * lambda)
        Adam (L2):          g <- g + lambda * theta                   (if lambda != 0)
        m <- beta1 * m + (1 - beta1) * g                   first moment: moving average of gradients
        v <- beta2 * v + (1 - beta2) * g * g               second moment: moving average of squared gradients
        AMSGrad:  vmax <- max(vmax, v);  use vmax in place of v below
        theta <- theta - gamma / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The last line is Kingma and Ba's (2015, "Adam: A Method for Stochastic Optimization") Algorithm 1,
    ``theta - gamma * mhat / (sqrt(vhat) + eps)`` with ``mhat = m / (1 - beta1^t)`` and
    ``vhat = v / (1 - beta2^t)``, with the two corrections moved out of the tensors.

    Where others differ: Keras and TensorFlow use the paper's "efficient" form, adding eps to ``sqrt(v)``
    before the bias correction, so their eps acts slightly larger in the first steps. Loshchilov and Hutter
    (2019, "Decoupled Weight Decay Regularization") multiply the decay by the schedule multiplier eta_t, not by
    the learning rate: PyTorch's ``weight_decay`` equals the paper's lambda divided by the base learning rate
    alpha. Reddi, Kale and Kumar (2018, "On the Convergence of Adam and Beyond") state AMSGrad without bias
    correction; PyTorch keeps the running maximum of the *raw* ``v`` and then bias-corrects that maximum.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)  # theta <- theta * (1 - gamma * lambda)
        else:
            g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    exp_avg.lerp_(g, 1 - beta1)  # m <- beta1 * m + (1 - beta1) * g
    _average_square_(exp_avg_sq, beta2, g)  # v <- beta2 * v + (1 - beta2) * g^2
    if amsgrad:
        torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)  # vmax <- max(vmax, v)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    bias_correction1 = 1 - beta1**step  # 1 - beta1^t
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5  # sqrt(1 - beta2^t)
    denom = (second.sqrt() / bias_correction2_sqrt).add_(eps)  # sqrt(v) / sqrt(1 - beta2^t) + eps
    _add_scaled_ratio_(param, -lr / bias_correction1, exp_avg, denom)  # theta <- theta - gamma/(1-beta1^t) * m/denom


def yogi_update(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    *,
    lr: Hyper = 1e-2,
    beta1: Hyper = 0.9,
    beta2: Hyper = 0.999,
    eps: Hyper = 1e-3,
    weight_decay: Hyper = 0.0,
    maximize: bool = False,
) -> None:
    r"""One step of Yogi, Algorithm 2 of Zaheer, Reddi, Sachan, Kale and Kumar (2018).

    Symbols as in ``adam_update``: :math:`\gamma` = ``lr``, :math:`\beta_1, \beta_2`, :math:`\epsilon` =
    ``eps``, :math:`\lambda` = ``weight_decay`` (an L2 penalty), ``m`` = ``exp_avg``, ``v`` = ``exp_avg_sq``;
    both start at zero.

    .. code-block:: text

        g <- -grad if maximize else grad
        g <- g + lambda * theta                                  (if lambda != 0)
        m <- beta1 * m + (1 - beta1) * g
        v <- v - (1 - beta2) * sign(v - g * g) * g * g           (Adam: v <- v - (1 - beta2) * (v - g * g))
        theta <- theta - gamma * m / (sqrt(v) + eps)

    Only the second line differs from Adam. Adam's ``v`` moves by ``(1 - beta2) * (v - g^2)``, a step that is
    proportional to how far ``v`` is from ``g^2``: when ``v`` is much larger than recent squared gradients it
    falls by a fixed fraction each step, fast, and the effective step ``gamma / sqrt(v)`` can jump up. Yogi moves
    ``v`` by at most ``(1 - beta2) * g^2`` in the direction of ``g^2`` (``sign(0) = 0``: no change when they are
    equal), an additive change that lets ``v`` fall only slowly. Algorithm 2 has no bias correction and starts
    ``v`` at zero; this function follows it. (Some library versions add Adam's bias correction or start ``v``
    at a small positive value; torch.optim has no Yogi.) The paper recommends ``lr = 1e-2`` and ``eps = 1e-3``,
    the defaults here: a larger eps than Adam's, which bounds the first steps while ``v`` is still small.
    """
    g = -grad if maximize else grad
    if _is_on(weight_decay):
        g = _plus_scaled(g, weight_decay, param)  # g <- g + lambda * theta
    exp_avg.lerp_(g, 1 - beta1)  # m <- beta1 * m + (1 - beta1) * g
    g2 = g * g
    _add_scaled_(exp_avg_sq, beta2 - 1, torch.sign(exp_avg_sq - g2).mul_(g2))  # v <- v - (1-beta2) sign(v-g^2) g^2
    denom = exp_avg_sq.sqrt().add_(eps)  # sqrt(v) + eps
    _add_scaled_ratio_(param, -lr, exp_avg, denom)  # theta <- theta - gamma * m / (sqrt(v) + eps)


# --------------------------------------------------------------------------------------------------------
# Checking hyperparameters: every message names the parameter, its value and what is allowed
# --------------------------------------------------------------------------------------------------------


def _check_real(name: str, value: Any, low: float, high: float = math.inf, *, high_open: bool = False) -> None:
    """Raise ValueError unless `value` is a finite real number in [low, high] (or [low, high))."""
    if high == math.inf:
        allowed = f"a finite number >= {low:g}"
    else:
        allowed = f"a number in [{low:g}, {high:g}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be {allowed}, got {value!r} (a {type(value).__name__})")
    inside = low <= value and (value < high if high_open else value <= high)
    if not math.isfinite(value) or not inside:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_betas(betas: Any) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    for i, beta in enumerate(betas):
        _check_real(f"betas[{i}]", beta, 0.0, 1.0, high_open=True)


# --------------------------------------------------------------------------------------------------------
# The classes
# --------------------------------------------------------------------------------------------------------


def _new_step() -> Tensor:
    """The step counter, stored as torch stores it: a 0-d float tensor on the CPU."""
    return torch.tensor(0.0, dtype=torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32)


class _RuleOptimizer(torch.optim.Optimizer):
    """A torch.optim.Optimizer whose step hands each parameter with a gradient to an update rule.

    A subclass says three things: how to check a param group (``_check_group``), which state a parameter
    starts with (``_init_state``), and how one parameter is updated (``_update``, which calls its rule).
    Param groups, closures, hooks and ``state_dict``/``load_state_dict`` are torch's own.
    """

    _defaults_for_old_state: dict[str, Any] = {"maximize": False}

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self._check_group(defaults)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        self._check_group(self.param_groups[-1])

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in self._defaults_for_old_state.items():
                group.setdefault(key, value)
        for p_state in self.state.values():  # very old checkpoints stored the step as a number
            if "step" in p_state and not torch.is_tensor(p_state["step"]):
                p_state["step"] = _new_step() + float(p_state["step"])

    @torch.no_grad()
    def step(self, closure=None):  # noqa: D102 (torch's docstring applies)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._recheck(group)  # a learner or a scheduler may have edited it since the last step
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                state = self.state[p] if p in self.state else self._init_state(p, group)
                self._update(p, p.grad, state, group)
                if state and p not in self.state:  # plain SGD keeps no state and, like torch, stores no entry
                    self.state[p] = state
        return loss

    def _recheck(self, group: dict[str, Any]) -> None:
        """Check a group's hyperparameters again, but only if they changed since they were last checked."""
        values = tuple(v for k, v in group.items() if k != "params")
        checked = self.__dict__.setdefault("_checked_values", {})
        if checked.get(id(group)) != values:
            self._check_group(group)
            checked[id(group)] = values

    @staticmethod
    def _check_group(group: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _init_state(p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def _update(p: Tensor, grad: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(_RuleOptimizer):
    __doc__ = f"""Stochastic gradient descent, optionally with momentum: ``torch.optim.SGD``'s twin.

    ``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``

    The update does not pick a random subset of the data: the data loader does, by feeding minibatches. Fed
    the whole data set each step, the same class is plain (full-batch) gradient descent. State per parameter:
    ``momentum_buffer`` (only when momentum is non-zero). The rule, from ``sgd_update``::
    {sgd_update.__doc__.split(".. code-block:: text", 1)[1].split("``param`` changes", 1)[0]}"""

    _defaults_for_old_state = {"maximize": False, "nesterov": False}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_real("momentum", group["momentum"], 0.0)
        _check_real("dampening", group["dampening"], 0.0, 1.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_bool("nesterov", group["nesterov"])
        _check_bool("maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, "
                f"got momentum={group['momentum']!r} and dampening={group['dampening']!r}"
            )

    @staticmethod
    def _init_state(p, group):
        return {}  # the momentum buffer is created by the first step, from the first gradient

    @staticmethod
    def _update(p, grad, state, group):
        buf = sgd_update(
            p,
            grad,
            state.get("momentum_buffer"),
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
        if _is_on(group["momentum"]):
            state["momentum_buffer"] = buf


class Adagrad(_RuleOptimizer):
    __doc__ = f"""Adagrad: per-coordinate steps that shrink as squared gradients add up; ``torch.optim.Adagrad``'s twin.

    ``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
    maximize=False)``. State per parameter, created at construction as torch does: ``step`` and ``sum``.
    The rule, from ``adagrad_update`` (t is the step, counting from 1):
    {adagrad_update.__doc__.split(".. code-block:: text", 1)[1].split("Because", 1)[0]}"""

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch creates Adagrad's state up front, not at the first step
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_real("lr_decay", group["lr_decay"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_real("initial_accumulator_value", group["initial_accumulator_value"], 0.0)
        _check_real("eps", group["eps"], 0.0)
        _check_bool("maximize", group["maximize"])

    @staticmethod
    def _init_state(p, group):
        return {
            "step": _new_step(),
            "sum": torch.zeros_like(p, memory_format=torch.preserve_format).add_(group["initial_accumulator_value"]),
        }

    @staticmethod
    def _update(p, grad, state, group):
        state["step"] += 1
        adagrad_update(
            p,
            grad,
            state["sum"],
            state["step"].item(),
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )


class RMSprop(_RuleOptimizer):
    __doc__ = f"""RMSprop: divide by a moving root-mean-square of recent gradients; ``torch.optim.RMSprop``'s twin.

    ``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
    maximize=False)``. State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` (momentum > 0)
    and ``grad_avg`` (centered) as torch names them. The rule, from ``rmsprop_update``:
    {rmsprop_update.__doc__.split(".. code-block:: text", 1)[1].split("RMSprop comes", 1)[0]}"""

    _defaults_for_old_state = {"maximize": False, "momentum": 0, "centered": False}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_real("alpha", group["alpha"], 0.0, 1.0)
        _check_real("eps", group["eps"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_real("momentum", group["momentum"], 0.0)
        _check_bool("centered", group["centered"])
        _check_bool("maximize", group["maximize"])

    @staticmethod
    def _init_state(p, group):
        state = {"step": _new_step(), "square_avg": torch.zeros_like(p, memory_format=torch.preserve_format)}
        if _is_on(group["momentum"]):
            state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @staticmethod
    def _update(p, grad, state, group):
        state["step"] += 1
        rmsprop_update(
            p,
            grad,
            state["square_avg"],
            state.get("grad_avg"),
            state.get("momentum_buffer"),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
        )


class Adadelta(_RuleOptimizer):
    __doc__ = f"""Adadelta: steps in the units of the parameters, no learning rate needed; ``torch.optim.Adadelta``.

    ``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False)``. ``lr`` only scales
    the computed update (the paper has none: lr=1). State per parameter: ``step``, ``square_avg`` and
    ``acc_delta``, as torch names them. The rule, from ``adadelta_update``:
    {adadelta_update.__doc__.split(".. code-block:: text", 1)[1].split("Zeiler", 1)[0]}"""

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_real("rho", group["rho"], 0.0, 1.0)
        _check_real("eps", group["eps"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_bool("maximize", group["maximize"])

    @staticmethod
    def _init_state(p, group):
        return {
            "step": _new_step(),
            "square_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
            "acc_delta": torch.zeros_like(p, memory_format=torch.preserve_format),
        }

    @staticmethod
    def _update(p, grad, state, group):
        state["step"] += 1
        adadelta_update(
            p,
            grad,
            state["square_avg"],
            state["acc_delta"],
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )


class Adam(_RuleOptimizer):
    __doc__ = f"""Adam: steps from moving averages of the gradient and of its square; twin of ``torch.optim.Adam``.

    ``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)``.
    Adam does not change ``lr``: it scales each coordinate's step by its own gradient history. Here
    ``weight_decay`` is an L2 penalty added to the gradient (see ``AdamW`` for the decoupled kind), and
    ``amsgrad=True`` gives AMSGrad. State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq`` and (AMSGrad)
    ``max_exp_avg_sq``. The rule, from ``adam_update`` (t is the step, counting from 1):
    {adam_update.__doc__.split(".. code-block:: text", 1)[1].split("The last line", 1)[0]}"""

    _defaults_for_old_state = {"maximize": False, "amsgrad": False, "decoupled_weight_decay": False}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=False,
        )
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_betas(group["betas"])
        _check_real("eps", group["eps"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_bool("amsgrad", group["amsgrad"])
        _check_bool("maximize", group["maximize"])

    @staticmethod
    def _init_state(p, group):
        state = {
            "step": _new_step(),
            "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
            "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @staticmethod
    def _update(p, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam_update(
            p,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            state["step"].item(),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )


class AdamW(Adam):
    __doc__ = """Adam with decoupled weight decay (Loshchilov and Hutter, 2019); ``torch.optim.AdamW``'s twin.

    ``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False)``. The same rule as ``Adam`` except the decay: instead of adding ``lambda * theta`` to the
    gradient (where Adam's per-coordinate scaling would shrink it for coordinates with large gradients), each
    step first shrinks the weights, ``theta <- theta * (1 - gamma * lambda)``, equally for every coordinate.
    PyTorch multiplies the decay by ``lr``; the paper multiplies it by the schedule multiplier only, so
    PyTorch's ``weight_decay`` is the paper's lambda divided by the base learning rate.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
        self.defaults["decoupled_weight_decay"] = True

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # as torch does: whatever was loaded, AdamW decouples
            group["decoupled_weight_decay"] = True


class Yogi(_RuleOptimizer):
    __doc__ = f"""Yogi (Zaheer et al., 2018): Adam with an additive second-moment update. torch.optim has no twin.

    ``Yogi(params, lr=1e-2, betas=(0.9, 0.999), eps=1e-3, weight_decay=0, *, maximize=False)``, following the
    paper's Algorithm 2 (no bias correction). State per parameter: ``step`` (counted, not used by the rule),
    ``exp_avg`` and ``exp_avg_sq``, named as in Adam. The rule, from ``yogi_update``:
    {yogi_update.__doc__.split(".. code-block:: text", 1)[1].split("Only the second", 1)[0]}"""

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-3,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @staticmethod
    def _check_group(group):
        _check_real("lr", group["lr"], 0.0)
        _check_betas(group["betas"])
        _check_real("eps", group["eps"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)
        _check_bool("maximize", group["maximize"])

    @staticmethod
    def _init_state(p, group):
        return {
            "step": _new_step(),
            "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
            "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
        }

    @staticmethod
    def _update(p, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        yogi_update(
            p,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )


# --------------------------------------------------------------------------------------------------------
# make_optimizer: the Keras habit, optimizer="adam"
# --------------------------------------------------------------------------------------------------------

# name -> (class, the hyperparameters that name implies, which of them the caller may override)
_PRESETS: dict[str, tuple[type[_RuleOptimizer], dict[str, Any]]] = {
    "gd": (SGD, {}),
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adadelta": (Adadelta, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
    "amsgrad": (Adam, {"amsgrad": True}),
    "yogi": (Yogi, {}),
}
# flags that a name fixes: asking for "nesterov" with nesterov=False is a contradiction, not an override
_FIXED_FLAGS = {"nesterov": "nesterov", "amsgrad": "amsgrad"}


def optimizer_names() -> list[str]:
    """The names ``make_optimizer`` knows, in the order the course teaches them."""
    return list(_PRESETS)


def optimizer_class(name: str) -> tuple[type[_RuleOptimizer], dict[str, Any]]:
    """The class behind a ``make_optimizer`` name and the hyperparameters the name implies."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _PRESETS:
        known = ", ".join(_PRESETS)
        close = difflib.get_close_matches(str(key), list(_PRESETS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown optimizer {name!r}; the known names are: {known}.{hint}")
    cls, implied = _PRESETS[key]
    return cls, dict(implied)


def _resolve(name: str, hparams: dict[str, Any]) -> tuple[type[_RuleOptimizer], dict[str, Any]]:
    """The class for `name` and its constructor keywords: the name's presets updated with `hparams`."""
    cls, settings = optimizer_class(name)
    key = name.strip().lower()
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "params")]
    unknown = sorted(set(hparams) - set(accepted))
    if unknown:
        close = difflib.get_close_matches(unknown[0], accepted, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{key!r} ({cls.__name__}) has no hyperparameter {unknown[0]!r}; it takes: {', '.join(accepted)}.{hint}"
        )
    flag = _FIXED_FLAGS.get(key)
    if flag is not None and flag in hparams and hparams[flag] is not True:
        raise ValueError(f"{key!r} means {flag}=True, got {flag}={hparams[flag]!r}; use 'sgd' or 'adam' instead")
    settings.update(hparams)
    return cls, settings


def optimizer_settings(name: str, **hparams: Any) -> tuple[type[_RuleOptimizer], dict[str, Any]]:
    """The class and the complete, checked param-group settings (every hyperparameter) for a name.

    What ``make_optimizer(name, params, **hparams)`` would put in its param group, without any parameters:
    ``course_lib.trajectories`` runs the class's rule with these settings. Bad values raise ValueError.
    """
    cls, settings = _resolve(name, hparams)
    group = cls([torch.zeros(1, requires_grad=True)], **settings).param_groups[0]
    return cls, {k: v for k, v in group.items() if k != "params"}


def make_optimizer(name: str, params: Iterable, **hparams: Any) -> torch.optim.Optimizer:
    """Build a course optimizer by name, like Keras's ``optimizer="adam"``.

    Names (case-insensitive): "gd" and "sgd" (plain SGD: which one it is depends on the batches you feed it),
    "momentum" (SGD with momentum 0.9 unless given), "nesterov" (the same with Nesterov's correction),
    "adagrad", "rmsprop", "adadelta", "adam", "adamw", "amsgrad" (Adam with amsgrad=True) and "yogi".
    ``hparams`` are the class's own keyword arguments, spelt as in torch.optim; each has torch's default (the
    paper's, for Yogi) unless the name implies another. An unknown name or hyperparameter, or an impossible
    value, raises ValueError saying what is allowed.

    >>> make_optimizer("adam", [torch.zeros(3, requires_grad=True)], lr=0.01)  # doctest: +ELLIPSIS
    Adam (...
    """
    cls, settings = _resolve(name, hparams)
    return cls(params, **settings)
