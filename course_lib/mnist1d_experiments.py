"""Notebook 08's experiments on MNIST-1D: one training run described by a ``RunConfig``, and what it measures.

Each experiment of notebook 08 (tuning, schedules, clipping, batch size, generalization) is a list of
``RunConfig``s, each trained by ``run``: the 1-D CNN (``training.cnn1d``) or the MLP on ``data.load_mnist1d()``,
with a learning-rate schedule stepped after every batch. The whole grid takes minutes, too long for a notebook,
so ``benchmarks/mnist1d_sweeps.py`` runs it once and stores every result in ``results/mnist1d_sweeps.json``
(inside this package); ``load_sweeps`` reads that file and ``Sweeps.find`` looks a run up by its settings.
The notebook re-runs one stored run live and checks it matches, and so does a test, so the stored numbers
cannot drift from the code.

- ``lr_multiplier``: the five schedules as functions of the step (constant, step, cosine, warmup then cosine,
  one-cycle), each a multiplier of the configured learning rate.
- ``run``: one training run; validation accuracy after every epoch, test accuracy at the end.
- ``steps_to_accuracy``: how many steps a run needs to reach a validation accuracy (batch-size experiment).
- ``gradient_noise_scale``: McCandlish et al.'s simple noise scale tr(Sigma) / |G|^2 from per-example gradients.
- ``fit_steps_model``: their S = S_min (1 + B_noise / B) fitted to measured steps; ``plot_*``: the figures.

Introduced in notebook 08.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from course_lib import data, optim, training

__all__ = [
    "SCHEDULES",
    "RunConfig",
    "RunResult",
    "lr_multiplier",
    "run",
    "steps_to_accuracy",
    "gradient_noise_scale",
    "Sweeps",
    "load_sweeps",
    "SWEEPS_PATH",
    "fit_steps_model",
    "plot_signals",
    "plot_tuning",
    "plot_schedule_shapes",
    "plot_schedules",
    "plot_clipping",
    "plot_batch_sizes",
]

SCHEDULES = ("constant", "step", "cosine", "warmup_cosine", "one_cycle")
SWEEPS_PATH = Path(__file__).resolve().parent / "results" / "mnist1d_sweeps.json"


def lr_multiplier(schedule: str, step: int, total_steps: int, warmup_steps: int = 0) -> float:
    """The factor by which ``schedule`` multiplies the configured learning rate at ``step`` (counting from 0).

    With t = step and T = total_steps:

    - ``constant``: 1 (after a linear warmup when ``warmup_steps`` W > 0: (t + 1) / W while t < W);
    - ``step``: 1, then 0.1 from t = T/2, then 0.01 from t = 3T/4;
    - ``cosine``: (1 + cos(pi t / T)) / 2, from 1 down to 0 (Loshchilov & Hutter, 2017, "SGDR");
    - ``warmup_cosine``: (t + 1) / W while t < W, then (1 + cos(pi (t - W) / (T - W))) / 2;
    - ``one_cycle``: up from 1/25 to 1 along half a cosine until step 0.3 T - 1, then down to 1/25e4 at
      step T - 1 along another (what ``torch.optim.lr_scheduler.OneCycleLR`` does to the rate with its defaults;
      Smith & Topin, 2019, "Super-Convergence"; unlike OneCycleLR, momentum is left alone).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"warmup_steps must be between 0 and total_steps - 1 = {total_steps - 1}, got {warmup_steps}")
    t, T, W = step, total_steps, warmup_steps
    if schedule in ("constant", "warmup_cosine") and t < W:
        return (t + 1) / W
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return 1.0 if t < T / 2 else 0.1 if t < 3 * T / 4 else 0.01
    if schedule == "cosine":
        return (1 + math.cos(math.pi * t / T)) / 2
    if schedule == "warmup_cosine":
        return (1 + math.cos(math.pi * (t - W) / (T - W))) / 2
    up = 0.3 * T - 1  # OneCycleLR's arithmetic: the peak at step 0.3 T - 1, the end at step T - 1
    start, end = 1 / 25, 1 / 25e4
    if t <= up:
        return 1 + (start - 1) * (1 + math.cos(math.pi * t / up)) / 2
    return end + (1 - end) * (1 + math.cos(math.pi * (t - up) / (T - 1 - up))) / 2


@dataclass(frozen=True)
class RunConfig:
    """One training run on MNIST-1D. ``optimizer``: a ``make_optimizer`` name ("momentum" is SGD with momentum
    0.9); ``lr``: the learning rate the schedule multiplies; ``warmup_epochs``: linear warmup length for the
    ``constant`` and ``warmup_cosine`` schedules; ``clip``: the largest gradient norm allowed, or None;
    ``weight_decay``: the optimizer's own; ``seed``: the model's initial weights and the order of the batches;
    ``model``: "cnn" (``training.cnn1d``) or "mlp" (two hidden layers of 100)."""

    optimizer: str = "momentum"
    lr: float = 0.05
    batch_size: int = 100
    epochs: int = 30
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    clip: float | None = None
    weight_decay: float = 0.0
    seed: int = 0
    model: str = "cnn"

    def __post_init__(self) -> None:
        optim.optimizer_class(self.optimizer)  # an unknown name raises ValueError listing the known ones
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr < math.inf):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {self.batch_size!r}")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a whole number >= 1, got {self.epochs!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(f"warmup_epochs must be in [0, epochs={self.epochs}), got {self.warmup_epochs!r}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip must be None or a number > 0, got {self.clip!r}")
        if self.model not in ("cnn", "mlp"):
            raise ValueError(f"model must be 'cnn' or 'mlp', got {self.model!r}")

    def label(self) -> str:
        """A short description, for tables and legends."""
        text = f"{self.optimizer} lr {self.lr:g}, batch {self.batch_size}, {self.schedule}"
        if self.warmup_epochs:
            text += f" (warmup {self.warmup_epochs:g} ep)"
        if self.clip is not None:
            text += f", clip {self.clip:g}"
        if self.weight_decay:
            text += f", wd {self.weight_decay:g}"
        return f"{text}, seed {self.seed}"


@dataclass
class RunResult:
    """What ``run`` measured: per epoch ``train_loss``, ``val_loss``, ``val_acc``, ``grad_norm`` (the largest
    gradient norm among the epoch's batches, before clipping); at the end ``test_acc`` (None if it diverged);
    ``diverged_at``: the epoch whose loss became NaN or infinite, else None; ``seconds``: wall time."""

    config: RunConfig
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    test_acc: float | None = None
    diverged_at: int | None = None
    seconds: float = 0.0

    @property
    def final_val_acc(self) -> float:
        """The last epoch's validation accuracy; 0 for a run that diverged (it ended with nothing usable)."""
        return 0.0 if self.diverged_at is not None or not self.val_acc else self.val_acc[-1]

    def to_dict(self) -> dict:
        """Plain numbers (6 significant digits) for the JSON file."""

        def short(values):
            return [float(f"{v:.6g}") for v in values]

        out = {"config": asdict(self.config), "seconds": round(self.seconds, 3), "diverged_at": self.diverged_at}
        for name in ("train_loss", "val_loss", "val_acc", "grad_norm"):
            out[name] = short(getattr(self, name))
        out["test_acc"] = None if self.test_acc is None else float(f"{self.test_acc:.6g}")
        return out

    @classmethod
    def from_dict(cls, d: dict) -> RunResult:
        return cls(RunConfig(**d["config"]), **{k: v for k, v in d.items() if k != "config"})


@cache
def _splits():
    return data.load_mnist1d()


def _model(config: RunConfig, device) -> nn.Module:
    if config.model == "cnn":
        return training.cnn1d(seed=config.seed, device=device)
    return training.mlp(40, (100, 100), seed=config.seed, device=device)


def _optimizer(config: RunConfig, model: nn.Module) -> torch.optim.Optimizer:
    extra = {"weight_decay": config.weight_decay} if config.weight_decay else {}
    return optim.make_optimizer(config.optimizer, model.parameters(), lr=config.lr, **extra)


def run(config: RunConfig, *, splits=None, device="cpu") -> RunResult:
    """Train ``config`` on MNIST-1D (``splits`` default: ``data.load_mnist1d()``) with ``training.train``.

    The schedule is a ``LambdaLR`` of ``lr_multiplier``, stepped after every batch; clipping is ``train``'s
    ``clip_grad_norm`` (with ``clip=None`` the norms are still recorded, unclipped). Test accuracy is measured
    once, at the end. The same config gives the same numbers on the same machine and thread count. ``device``
    is the CPU by default, where the stored sweeps were computed, so a re-run can match them; pass
    ``training.default_device()`` to train on a GPU when there is one (the numbers then differ slightly).
    """
    splits = splits if splits is not None else _splits()
    start = time.perf_counter()
    model = _model(config, device)
    optimizer = _optimizer(config, model)
    train_loader, val_loader, test_loader = splits.loaders(config.batch_size, seed=config.seed)
    total = config.epochs * len(train_loader)
    warmup = round(config.warmup_epochs * len(train_loader))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: lr_multiplier(config.schedule, min(t, total - 1), total, warmup)
    )
    history = training.train(
        model,
        optimizer,
        train_loader,
        epochs=config.epochs,
        val_loader=val_loader,
        progress=False,
        scheduler=scheduler,
        scheduler_step="batch",
        clip_grad_norm=config.clip if config.clip is not None else math.inf,
    )
    result = RunResult(config, history.train_loss, history.val_loss, history.val_acc, history.grad_norm)
    result.diverged_at = history.diverged_at
    if history.diverged_at is None:
        result.test_acc = training.evaluate(model, test_loader)[1]
    result.seconds = time.perf_counter() - start
    return result


def steps_to_accuracy(
    config: RunConfig, target: float, *, eval_every: int = 10, max_steps: int = 4000, splits=None, device="cpu"
) -> int | None:
    """The first step (a multiple of ``eval_every``) after which validation accuracy reaches ``target``.

    Trains ``config`` (its schedule, warmup and clipping; ``epochs`` only sets the schedule's length) and
    evaluates every ``eval_every`` steps; None if ``max_steps`` pass first or the loss diverges.
    """
    if not 0 < target < 1:
        raise ValueError(f"target must be an accuracy strictly between 0 and 1, got {target!r}")
    splits = splits if splits is not None else _splits()
    model = _model(config, device)
    optimizer = _optimizer(config, model)
    train_loader, val_loader, _ = splits.loaders(config.batch_size, seed=config.seed)
    total = config.epochs * len(train_loader)
    warmup = round(config.warmup_epochs * len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    while step < max_steps:
        for x, y in train_loader:
            for g in optimizer.param_groups:
                g["lr"] = config.lr * lr_multiplier(config.schedule, min(step, total - 1), total, warmup)
            optimizer.zero_grad()
            loss = loss_fn(model(x.to(device)), y.to(device))
            if not torch.isfinite(loss):
                return None
            loss.backward()
            if config.clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            step += 1
            if step % eval_every == 0 and training.evaluate(model, val_loader)[1] >= target:
                return step
            if step >= max_steps:
                return None
    return None


def gradient_noise_scale(model: nn.Module, dataset, *, chunk: int = 1000) -> dict[str, float]:
    """McCandlish et al.'s (2018, "An Empirical Model of Large-Batch Training") simple noise scale at ``model``.

    With g_i the gradient of example i's loss (all n examples of ``dataset``, computed one by one with
    ``torch.func``), G = mean of the g_i (the full-batch gradient) and tr(Sigma) = sum over examples and
    weights of (g_i - G)^2 / (n - 1) (the total variance of one example's gradient):
    ``B_simple = tr(Sigma) / |G|^2``. A minibatch of B examples has gradient noise tr(Sigma) / B; at
    B = B_simple the noise equals the signal |G|^2. Returns {"trace_sigma", "grad_sq", "b_simple"}.
    """
    from torch.func import functional_call, grad, vmap

    params = {k: v.detach() for k, v in model.named_parameters()}
    loss_fn = nn.CrossEntropyLoss()

    def one_loss(p, x, y):
        return loss_fn(functional_call(model, p, (x[None],)), y[None])

    per_example = vmap(grad(one_loss), in_dims=(None, 0, 0))
    x_all, y_all = dataset.tensors
    device = next(model.parameters()).device
    n = len(y_all)
    total = {k: torch.zeros_like(v, dtype=torch.float64) for k, v in params.items()}
    total_sq = 0.0
    was_training = model.training
    model.eval()
    try:
        for i in range(0, n, chunk):
            grads = per_example(params, x_all[i : i + chunk].to(device), y_all[i : i + chunk].to(device))
            for k, g in grads.items():
                g = g.double()
                total[k] += g.sum(dim=0)
                total_sq += (g**2).sum().item()
    finally:
        model.train(was_training)
    grad_sq = sum((t / n).pow(2).sum().item() for t in total.values())
    trace_sigma = (total_sq - n * grad_sq) / (n - 1)
    return {"trace_sigma": trace_sigma, "grad_sq": grad_sq, "b_simple": trace_sigma / grad_sq}


# --------------------------------------------------------------------------------------------------------
# The stored sweeps
# --------------------------------------------------------------------------------------------------------


@dataclass
class Sweeps:
    """The results ``benchmarks/mnist1d_sweeps.py`` stored: ``meta`` (how and how long it ran), ``runs`` per
    section name (a list of ``RunResult``), and ``extra`` (the batch-size and noise-scale measurements)."""

    meta: dict
    runs: dict[str, list[RunResult]]
    extra: dict

    def find(self, section: str, **settings) -> list[RunResult]:
        """Every run of ``section`` whose config has all of ``settings`` (for example optimizer="adam")."""
        if section not in self.runs:
            raise ValueError(f"section must be one of {', '.join(self.runs)}, got {section!r}")
        names = {f.name for f in fields(RunConfig)}
        unknown = set(settings) - names
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; a RunConfig has {sorted(names)}")
        return [r for r in self.runs[section] if all(getattr(r.config, k) == v for k, v in settings.items())]

    def table(self, section: str, by: str = "optimizer", metric: str = "final_val_acc") -> dict:
        """{value of ``by``: (mean, std over seeds, number of seeds)} of ``metric`` in ``section``."""
        groups: dict = {}
        for r in self.runs[section]:
            value = r.final_val_acc if metric == "final_val_acc" else getattr(r, metric)
            groups.setdefault(getattr(r.config, by), []).append(value)
        return {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in groups.items()}


def load_sweeps(path: str | Path = SWEEPS_PATH) -> Sweeps:
    """Read the stored sweeps (default: the file shipped in ``course_lib/results/``)."""
    raw = json.loads(Path(path).read_text())
    runs = {name: [RunResult.from_dict(d) for d in items] for name, items in raw["runs"].items()}
    return Sweeps(raw["meta"], runs, raw.get("extra", {}))


# --------------------------------------------------------------------------------------------------------
# Figures of notebook 08 (each returns a matplotlib Figure with a title, axis labels and a legend)
# --------------------------------------------------------------------------------------------------------


def _figure(width: float = 10, height: float = 3.8, cols: int = 2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, cols)


def _plain_log_ticks(axis, ticks) -> None:
    """Ticks of a log-scale ``axis`` at ``ticks``, labelled as plain numbers (0.3, 1, 200), no minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def plot_signals(splits, per_class: int = 3):
    """``per_class`` training signals of each of the ten classes, one small panel per class."""
    from matplotlib.figure import Figure

    from course_lib import plotting

    x, y = splits.train.tensors
    with plotting.style():
        fig = Figure(figsize=(10, 3.4), layout="constrained")
        axes = fig.subplots(2, 5, sharex=True, sharey=True)
        for label, ax in enumerate(axes.flat):
            rows = torch.nonzero(y == label).flatten()[:per_class]
            for k, i in enumerate(rows):
                ax.plot(x[i].numpy(), color=plotting.OKABE_ITO[k], lw=1.2, label=f"example {k + 1}")
            ax.set_title(f"class {label}", fontsize="medium")
        for ax in axes[1]:
            ax.set_xlabel("position (0-39)")
        for ax in axes[:, 0]:
            ax.set_ylabel("value")
        axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=9)  # outside: panels are full
        fig.suptitle(f"MNIST-1D: {per_class} training signals of each class")
    return fig


def plot_tuning(sweeps: Sweeps):
    """Left: final validation accuracy against the learning rate per optimizer (seed 0; diverged runs drawn
    at 0). Right: the tuned rate's validation accuracy per epoch, mean over seeds with a band of +- 1 std."""
    from course_lib import plotting

    with plotting.style():
        fig, (ax_lr, ax_ep) = _figure()
        for i, (name, lr) in enumerate(sweeps.meta["tuned_lr"].items()):
            # the course's dashes, but colours of distinct hues (the course's sgd and rmsprop are both blue)
            colour, dash = plotting.OKABE_ITO[i], plotting.optimizer_style(name)[1]
            tried = sorted(sweeps.find("tuning", optimizer=name), key=lambda r: r.config.lr)
            ax_lr.semilogx([r.config.lr for r in tried], [r.final_val_acc for r in tried], color=colour, ls=dash,
                           marker="o", ms=4, label=name)
            curves = np.array([r.val_acc for r in sweeps.find("final", optimizer=name)])
            epochs = np.arange(1, curves.shape[1] + 1)
            mean, std = curves.mean(0), curves.std(0)
            ax_ep.plot(epochs, mean, color=colour, ls=dash, label=f"{name}, lr {lr:g}")
            ax_ep.fill_between(epochs, mean - std, mean + std, color=colour, alpha=0.15)
        ax_lr.set(xlabel="learning rate", ylabel="validation accuracy after 30 epochs", ylim=(0, 1),
                  title="Tuning: one run per rate (seed 0)")
        ax_ep.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
                  title="Tuned rates: mean of 3 seeds, band +- 1 std")
        ax_lr.legend(loc="lower left", fontsize=9)
        ax_ep.legend(loc="lower right", fontsize=9)
    return fig


def plot_schedule_shapes(total_steps: int = 1020, warmup_steps: int = 102):
    """The five schedules' multipliers over ``total_steps`` steps (30 epochs of 34 batches by default), the
    warmup lasting ``warmup_steps`` (3 epochs by default)."""
    from course_lib import plotting

    with plotting.style():
        fig, ax = _figure(7, 3.4, 1)
        steps = np.arange(total_steps)
        for i, name in enumerate(SCHEDULES):
            w = warmup_steps if name == "warmup_cosine" else 0
            label = f"{name} (warmup {w} steps)" if w else name
            ax.plot(steps, [lr_multiplier(name, t, total_steps, w) for t in steps], color=plotting.OKABE_ITO[i],
                    ls=["-", "--", "-.", ":", "-"][i], label=label)
        ax.set(xlabel=f"step t, out of T = {total_steps}",
               ylabel="multiplier of the peak rate", title="Five learning-rate schedules")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # outside: every corner holds a curve
    return fig


def plot_schedules(sweeps: Sweeps):
    """Validation accuracy per epoch of each schedule (mean over seeds, band +- 1 std), one panel per
    optimizer."""
    from course_lib import plotting

    with plotting.style():
        fig, axes = _figure()
        for ax, name in zip(axes, ("momentum", "adam"), strict=True):
            for i, schedule in enumerate(SCHEDULES):
                runs = sweeps.find("schedules", optimizer=name, schedule=schedule)
                curves = np.array([r.val_acc for r in runs])
                epochs = np.arange(1, curves.shape[1] + 1)
                mean, std = curves.mean(0), curves.std(0)
                ax.plot(epochs, mean, color=plotting.OKABE_ITO[i], ls=["-", "--", "-.", ":", "-"][i],
                        label=f"{schedule}, peak {runs[0].config.lr:g}")
                ax.fill_between(epochs, mean - std, mean + std, color=plotting.OKABE_ITO[i], alpha=0.12)
            ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.1, 1),  # 0.1: chance, the gentle starts show
                   title=f"{name}: mean of 3 seeds, band +- 1 std")
            ax.legend(loc="lower right", fontsize=9)
    return fig


def plot_clipping(sweeps: Sweeps, factor: int):
    """At ``factor`` times momentum's tuned rate: the largest gradient norm per epoch (left, log scale) and the
    validation accuracy (right), per seed, without clipping and with each clipping threshold."""
    from course_lib import plotting

    lr = sweeps.meta["tuned_lr"]["momentum"] * factor
    with plotting.style():
        fig, (ax_norm, ax_acc) = _figure()
        clips = sorted({r.config.clip for r in sweeps.runs["clipping"]}, key=lambda c: -1 if c is None else c)
        any_diverged = False
        for i, clip in enumerate(clips):
            colour, dash = plotting.OKABE_ITO[[0, 1, 3][i % 3]], ["-", "--", ":"][i % 3]
            for k, r in enumerate(sweeps.find("clipping", lr=lr, clip=clip)):
                label = ("no clipping" if clip is None else f"clipped at {clip:g}") if k == 0 else None
                epochs = np.arange(1, len(r.val_acc) + 1)
                ax_norm.semilogy(epochs, r.grad_norm, color=colour, ls=dash, lw=1.2, label=label)
                ax_acc.plot(epochs, r.val_acc, color=colour, ls=dash, lw=1.2, label=label)
                if r.diverged_at is not None:
                    any_diverged = True
                    ax_acc.plot([r.diverged_at], [0], marker="X", ms=9, color=colour, ls="")
        ax_norm.set(xlabel="epoch", ylabel="largest gradient norm in the epoch",
                    title=f"momentum at lr {lr:g} ({factor} x tuned): gradient norms")
        low, high = ax_norm.get_ylim()
        low = min(low, 0.1) / 1.25  # room for a 0.1 tick below norms that settle near 0.15
        ax_norm.set_ylim(low, high)
        _plain_log_ticks(ax_norm.yaxis, [t for t in (0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300) if low <= t <= high])
        ax_acc.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
                   title="validation accuracy" + (" (x: diverged)" if any_diverged else ""))
        # one legend for both panels, in the accuracy panel's empty top strip (the runs stay below 0.8)
        ax_acc.legend(loc="upper center", ncol=len(clips), fontsize=9)
    return fig


def fit_steps_model(batches, steps) -> tuple[float, float]:
    """Least-squares fit of McCandlish et al.'s S = S_min (1 + B_noise / B) to (batch, steps): (S_min, B_noise).

    S is linear in 1/B: S = S_min + (S_min B_noise) / B, so an ordinary least-squares line through (1/B, S)."""
    b, s = np.asarray(batches, dtype=float), np.asarray(steps, dtype=float)
    slope, intercept = np.polyfit(1 / b, s, 1)
    return float(intercept), float(slope / intercept)


def plot_batch_sizes(sweeps: Sweeps, s_min: float, b_noise: float):
    """Steps to reach the target validation accuracy against the batch size (log-log): the rate scaled
    linearly with warmup, and held fixed; the fitted S_min (1 + B_noise / B), drawn only over the batch sizes
    whose linear-scaling runs reached the target (those it was fitted to); runs that never reached it marked at
    the top."""
    from matplotlib.lines import Line2D

    from course_lib import plotting

    info = sweeps.extra["batch"]
    rows = info["rows"]
    with plotting.style():
        fig, ax = _figure(7.5, 4.2, 1)
        top = max(r["steps"] or 0 for r in rows) * 1.6
        any_never = False
        for i, (rule, label) in enumerate((("linear", "lr scaled linearly + warmup"), ("fixed", "lr fixed"))):
            mine = [r for r in rows if r["rule"] == rule]
            bs = sorted({r["batch_size"] for r in mine})
            mean = [np.mean([r["steps"] for r in mine if r["batch_size"] == b and r["steps"] is not None] or [np.nan])
                    for b in bs]
            seeds = max(sum(r["batch_size"] == b for r in mine) for b in bs)
            label = f"{label} ({seeds} seed{'s, mean' if seeds > 1 else ''})"
            ax.loglog(bs, mean, color=plotting.OKABE_ITO[i], marker="o", label=label)
            never = [r["batch_size"] for r in mine if r["steps"] is None]
            if never:
                any_never = True
                ax.plot(never, [top] * len(never), marker="X", ms=9, ls="", color=plotting.OKABE_ITO[i])
        reached = [r["batch_size"] for r in rows if r["rule"] == "linear" and r["steps"] is not None]
        grid = np.geomspace(min(reached), max(reached), 50)
        ax.loglog(grid, s_min * (1 + b_noise / grid), color="grey", ls=":",
                  label=rf"fit $S_\min(1 + B_\mathrm{{noise}}/B)$: $S_\min$ {s_min:.0f}, "
                        rf"$B_\mathrm{{noise}}$ {b_noise:.0f}")
        ax.set(xlabel="batch size B", ylabel=f"steps to {info['target']:.0%} validation accuracy",
               title="Batch size against steps")
        all_batches = sorted({r["batch_size"] for r in rows})
        _plain_log_ticks(ax.xaxis, all_batches)
        low, high = ax.get_ylim()
        _plain_log_ticks(ax.yaxis, [t for t in (100, 200, 300, 500, 1000, 2000, 3000, 5000) if low <= t <= high])
        handles, _ = ax.get_legend_handles_labels()
        if any_never:
            handles.append(Line2D([], [], marker="X", ms=9, ls="", color="dimgrey", label="never reached it"))
        # inside, upper right: below the never-reached row, above the curves' low tail (few runs reach it)
        ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(1, 0.9), fontsize=9)
    return fig
