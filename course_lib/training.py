"""Train and evaluate a classifier, one value per epoch, and find a learning rate (range test, or a sweep).

``train`` is the plain PyTorch loop written once (zero_grad, forward, loss, backward, step), with a progress
bar, a validation pass after each epoch, an optional learning-rate scheduler, and a guard: a loss that turns
NaN or infinite stops the run with a message, and the history so far is kept. It works with any
``torch.optim`` optimizer, course_lib's or torch's, and runs on the device the model's parameters are on
(put the model on a GPU and the batches follow it).

Introduced in notebook 06; ``lr_sweep`` (choosing the rate by validation) in notebook 07; ``cnn1d`` and
gradient clipping (``train(..., clip_grad_norm=...)``) in notebook 08.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = [
    "History",
    "train",
    "evaluate",
    "mlp",
    "cnn1d",
    "RangeTest",
    "lr_range_test",
    "LRSweep",
    "lr_sweep",
    "default_device",
]


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU: where ``mlp`` puts a new model unless told otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def mlp(
    inputs: int = 64, hidden: Iterable[int] = (128,), classes: int = 10, *, seed: int = 0, device=None
) -> nn.Sequential:
    """A multilayer perceptron (Linear, ReLU, ..., Linear) that outputs logits; seeded, so runs are repeatable."""
    torch.manual_seed(seed)
    sizes = [inputs, *hidden]
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], classes))
    return nn.Sequential(*layers).to(device if device is not None else default_device())


def cnn1d(
    length: int = 40, channels: int = 25, classes: int = 10, *, seed: int = 0, device=None
) -> nn.Sequential:
    """A small 1-D convolutional network for signals of ``length`` values (MNIST-1D); outputs logits; seeded.

    The network of Greydanus (2020, "Scaling down deep learning") for MNIST-1D: three convolutions with
    ``channels`` filters each (kernel 5, then 3 and 3; stride 2, padding 1; ReLU after each), which shorten a
    signal of 40 values to 19, 10, then 5 positions, and one linear layer from those ``channels`` x 5 values
    to the ``classes`` logits: 5,210 weights and biases at the defaults. It takes the same flat (batch, length) input as
    ``mlp`` and adds the channel axis itself, so both models train on the same loaders.
    """
    for name, value, low in (("length", length, 8), ("channels", channels, 1), ("classes", classes, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    torch.manual_seed(seed)
    out = length
    for kernel in (5, 3, 3):
        out = (out + 2 - kernel) // 2 + 1  # Conv1d's output length with padding 1 and stride 2
    model = nn.Sequential(
        nn.Unflatten(1, (1, length)),
        nn.Conv1d(1, channels, 5, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(channels * out, classes),
    )
    return model.to(device if device is not None else default_device())


@dataclass
class History:
    """What a training run recorded: one value per completed epoch.

    ``train_loss``: the mean training loss over the epoch's batches; ``val_loss`` and ``val_acc``: measured on
    the validation loader after the epoch (empty without one); ``lr``: the first param group's learning rate
    at the start of the epoch; ``seconds``: wall time since the start, at the end of each epoch; ``grad_norm``:
    with ``clip_grad_norm`` set, the largest gradient norm (before clipping) among the epoch's batches.
    ``diverged_at`` is the epoch (counting from 1) in which the loss became NaN or infinite, else None;
    ``message`` says what happened.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    diverged_at: int | None = None
    message: str = ""

    @property
    def epochs(self) -> int:
        """How many epochs completed."""
        return len(self.train_loss)

    def epochs_to(self, accuracy: float) -> int | None:
        """The first epoch (counting from 1) whose validation accuracy reached ``accuracy``; None if none did."""
        for epoch, acc in enumerate(self.val_acc, start=1):
            if acc >= accuracy:
                return epoch
        return None

    def summary(self) -> str:
        """One line: the last epoch's figures, or where the run diverged."""
        if self.epochs == 0:
            return self.message or "no epoch completed"
        line = f"{self.epochs} epochs: train loss {self.train_loss[-1]:.4f}"
        if self.val_acc:
            line += f", val loss {self.val_loss[-1]:.4f}, val accuracy {self.val_acc[-1]:.2%}"
        if self.diverged_at is not None:
            line += f"; diverged in epoch {self.diverged_at}"
        return line


def _device_of(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _check_epochs(epochs) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}")


@torch.no_grad()
def evaluate(model: nn.Module, loader, loss_fn: Callable | None = None) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` over every batch of ``loader``, in eval mode, without gradients."""
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = _device_of(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)  # the loss is a mean over the batch
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("the loader yielded no examples to evaluate")
    return total_loss / count, correct / count


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader,
    *,
    epochs: int,
    val_loader=None,
    loss_fn: Callable | None = None,
    progress: bool = True,
    scheduler=None,
    scheduler_step: str = "epoch",
    on_epoch: Callable[[History], None] | None = None,
    clip_grad_norm: float | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns the History, one value per epoch.

    ``loss_fn`` defaults to ``nn.CrossEntropyLoss()`` (the model outputs logits). ``scheduler``: any
    ``torch.optim.lr_scheduler`` built on ``optimizer``, stepped after every epoch (``scheduler_step="epoch"``)
    or after every batch (``"batch"``, for OneCycleLR and similar). ``on_epoch(history)`` is called after each
    epoch (the training dashboard redraws there). ``clip_grad_norm``: if set, every batch's gradient is
    rescaled before the step so that its norm (over all parameters at once) is at most that value, with
    ``torch.nn.utils.clip_grad_norm_``; ``history.grad_norm`` keeps each epoch's largest norm before clipping
    (``math.inf`` records the norms without clipping). A loss that becomes NaN or infinite stops training at once;
    the History keeps every completed epoch, and says in which epoch it diverged (printed too, when ``progress``
    is on; quiet runs such as sweeps read ``history.message``).
    """
    _check_epochs(epochs)
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    if clip_grad_norm is not None and (
        isinstance(clip_grad_norm, bool) or not isinstance(clip_grad_norm, (int, float)) or not clip_grad_norm > 0
    ):
        raise ValueError(f"clip_grad_norm must be None or a number > 0 (math.inf allowed), got {clip_grad_norm!r}")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = _device_of(model)
    history = History()
    start = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=f"training ({type(optimizer).__name__})", unit="epoch", leave=True)
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            lr = optimizer.param_groups[0]["lr"]
            total, count, largest_norm = 0.0, 0, 0.0
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                value = loss.item()
                if not math.isfinite(value):
                    history.diverged_at = epoch
                    history.message = (
                        f"Training stopped: the loss became {value} in epoch {epoch} (lr {lr:.3g}). The history "
                        f"keeps the {epoch - 1} completed epoch(s). A smaller learning rate usually fixes this."
                    )
                    return history
                loss.backward()
                if clip_grad_norm is not None:
                    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm).item()
                    largest_norm = max(largest_norm, norm)
                optimizer.step()
                if scheduler is not None and scheduler_step == "batch":
                    scheduler.step()
                total += value * len(y)
                count += len(y)
            if scheduler is not None and scheduler_step == "epoch":
                scheduler.step()
            history.train_loss.append(total / max(count, 1))
            history.lr.append(float(lr))
            if clip_grad_norm is not None:
                history.grad_norm.append(largest_norm)
            if val_loader is not None:
                val_loss, val_acc = evaluate(model, val_loader, loss_fn)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                shown = {"loss": f"{history.train_loss[-1]:.4f}"}
                if history.val_acc:
                    shown["val acc"] = f"{history.val_acc[-1]:.3f}"
                bar.set_postfix(shown)
                bar.update(1)
            if on_epoch is not None:
                on_epoch(history)
        history.message = history.summary()
        return history
    finally:
        if bar is not None:
            if history.diverged_at is not None:
                bar.set_postfix_str(f"diverged in epoch {history.diverged_at}")
            bar.close()
        if history.diverged_at is not None and progress:
            print(history.message)


# --------------------------------------------------------------------------------------------------------
# The learning-rate range test
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeTest:
    """The learning rates tried, the loss at each (raw and smoothed), and the suggested learning rate."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    stopped_early: bool

    def plot(self, ax=None):
        """Loss against learning rate (log scale), with the suggestion marked; returns the Figure."""
        from matplotlib.figure import Figure

        from course_lib import plotting

        with plotting.style():
            if ax is None:
                fig = Figure(figsize=(6.4, 3.6), layout="constrained")
                ax = fig.subplots()
            ax.semilogx(self.lrs, self.losses, color="#b0b0b0", lw=0.8, label="loss per batch")
            ax.semilogx(self.lrs, self.smoothed, color="#0072B2", label="smoothed")
            ax.axvline(self.suggestion, color="#D55E00", ls="--", lw=1.2, label=f"suggestion {self.suggestion:.2g}")
            top = float(np.nanpercentile(self.smoothed, 95)) if len(self.smoothed) else 1.0
            low = float(np.nanmin(self.losses)) if len(self.losses) else 0.0
            ax.set(xlabel="learning rate", ylabel="training loss", title="Learning-rate range test")
            ax.set_ylim(max(0.0, low - 0.05 * top), top * 1.1)
            ax.legend()
        return ax.figure


def lr_range_test(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader,
    *,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    steps: int | None = None,
    loss_fn: Callable | None = None,
    smoothing: float = 0.9,
) -> RangeTest:
    """Raise the learning rate exponentially from ``start_lr`` to ``end_lr`` over one pass, recording the loss.

    Smith (2017, "Cyclical Learning Rates for Training Neural Networks") introduced the idea: the loss falls
    slowly at tiny rates, fastest in a useful range, then explodes. The suggestion is the rate where the
    smoothed loss falls fastest per step of log(lr), before its minimum. The test stops once the smoothed loss
    exceeds four times its lowest value. The model's weights and the optimizer's state are restored afterwards,
    so training can start from the same point.
    """
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if end_lr <= start_lr:
        raise ValueError(f"end_lr must be larger than start_lr, got start_lr={start_lr!r}, end_lr={end_lr!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be a number in [0, 1), got {smoothing!r}")
    steps = steps if steps is not None else len(train_loader)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be a whole number >= 2, got {steps!r}")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = _device_of(model)
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    saved_lrs = [g["lr"] for g in optimizer.param_groups]
    factor = (end_lr / start_lr) ** (1 / (steps - 1))
    lrs, losses, smoothed = [], [], []
    average, stopped = 0.0, False
    model.train()
    try:
        batches = iter(train_loader)
        for i in range(steps):
            try:
                x, y = next(batches)
            except StopIteration:  # fewer batches than steps: start another pass
                batches = iter(train_loader)
                x, y = next(batches)
            lr = start_lr * factor**i
            for g in optimizer.param_groups:
                g["lr"] = lr
            optimizer.zero_grad()
            loss = loss_fn(model(x.to(device)), y.to(device))
            value = loss.item()
            if not math.isfinite(value):
                stopped = True
                break
            loss.backward()
            optimizer.step()
            average = smoothing * average + (1 - smoothing) * value
            lrs.append(lr)
            losses.append(value)
            smoothed.append(average / (1 - smoothing ** (i + 1)))  # bias-corrected, as in Adam
            if smoothed[-1] > 4 * min(smoothed):
                stopped = True
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        for g, lr in zip(optimizer.param_groups, saved_lrs, strict=True):
            g["lr"] = lr
    if len(lrs) < 3:
        raise ValueError(f"the loss diverged within the first steps; start_lr={start_lr:g} is already too large")
    lrs_a, smooth_a = np.array(lrs), np.array(smoothed)
    lowest = int(np.argmin(smooth_a))
    slopes = np.gradient(smooth_a[: lowest + 1], np.log(lrs_a[: lowest + 1])) if lowest >= 2 else np.array([0.0])
    suggestion = float(lrs_a[int(np.argmin(slopes))]) if lowest >= 2 else float(lrs_a[lowest])
    return RangeTest(lrs_a, np.array(losses), smooth_a, suggestion, stopped)


# --------------------------------------------------------------------------------------------------------
# A learning-rate sweep: choosing the rate by validation
# --------------------------------------------------------------------------------------------------------


@dataclass
class LRSweep:
    """One training run per (optimizer name, learning rate), all from the same weights and the same data order.

    ``histories[name, lr]`` is that run's History. A run that did not diverge is **unstable** when its rate is
    above the one with the lowest final validation loss of that optimizer's sweep and its own final validation
    loss is ``loss_factor`` (2) times that lowest or more (``unstable_rates(name)``): it overshoots, is
    confidently wrong on some examples, and its accuracy is partly luck (it amplifies float round-off, so it
    differs between computers). A run at a lower rate with a high loss is only undertrained, and its accuracy
    says so. ``stable_rates(name)`` are the rest of the runs that did not diverge; ``best(name)`` is the stable
    rate with the highest final validation accuracy, so an unstable run is never chosen even where its accuracy is
    higher; ``good_range(name)`` the smallest and largest stable rates within ``tolerance`` of that accuracy.
    ``plot()`` draws final validation accuracy and loss against the rate.
    """

    optimizers: list[str]
    lrs: list[float]
    epochs: int
    histories: dict[tuple[str, float], History]

    def final_acc(self, name: str) -> dict[float, float]:
        """The final validation accuracy of every run of ``name`` that did not diverge, by learning rate."""
        runs = ((lr, self.histories[name, lr]) for lr in self.lrs)
        return {lr: h.val_acc[-1] for lr, h in runs if h.diverged_at is None and h.val_acc}

    def unstable_rates(self, name: str, loss_factor: float = 2.0) -> list[float]:
        """The rates of ``name``, in sweep order, above the rate with the lowest final validation loss whose run
        did not diverge but ended with a validation loss of ``loss_factor`` times that lowest or more."""
        if not loss_factor > 1:
            raise ValueError(f"loss_factor must be a number > 1, got {loss_factor!r}")
        losses = {lr: self.histories[name, lr].val_loss[-1] for lr in self.final_acc(name)}
        if not losses:
            raise ValueError(f"every run of {name!r} diverged: try smaller learning rates")
        lowest_at = min(losses, key=losses.get)
        return [lr for lr, loss in losses.items() if lr > lowest_at and loss >= loss_factor * losses[lowest_at]]

    def stable_rates(self, name: str, loss_factor: float = 2.0) -> list[float]:
        """The rates of ``name``, in sweep order, whose run neither diverged nor is unstable (``unstable_rates``)."""
        unstable = set(self.unstable_rates(name, loss_factor))
        return [lr for lr in self.final_acc(name) if lr not in unstable]

    def best(self, name: str, loss_factor: float = 2.0) -> float:
        """The stable rate (see ``stable_rates``) with the highest final validation accuracy."""
        accs = self.final_acc(name)
        return max(self.stable_rates(name, loss_factor), key=accs.get)

    def good_range(self, name: str, tolerance: float = 0.01, loss_factor: float = 2.0) -> tuple[float, float]:
        """The smallest and largest stable rates whose accuracy is within ``tolerance`` (0.01: one point) of the
        best's."""
        accs = self.final_acc(name)
        top = accs[self.best(name, loss_factor)]
        good = [lr for lr in self.stable_rates(name, loss_factor) if accs[lr] >= top - tolerance]
        return min(good), max(good)

    def plot(self, title: str | None = None):
        """Validation accuracy (top left), the runs that diverged (a band under it) and loss (right, log-log).

        A diverged run has no accuracy to plot, so its cross sits in a separate band labelled "diverged", one row
        per optimizer, under the accuracy axes and sharing their learning-rate axis: no cross reads as a value.
        An unstable run (see ``unstable_rates``) has a hollow ring around its point.
        ``fig.axes`` is (accuracy, loss, diverged band).
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import LogLocator

        from course_lib import plotting

        with plotting.style():
            fig = Figure(figsize=(11, 4.2), layout="constrained")
            grid = fig.add_gridspec(2, 2, height_ratios=(4, 1.1))
            ax_acc = fig.add_subplot(grid[0, 0])
            ax_loss = fig.add_subplot(grid[:, 1])
            ax_div = fig.add_subplot(grid[1, 0], sharex=ax_acc)
            for i, name in enumerate(self.optimizers):
                colour, dash = plotting.optimizer_style(name)
                accs = self.final_acc(name)
                ok = list(accs)
                losses = [self.histories[name, lr].val_loss[-1] for lr in ok]
                ax_acc.semilogx(ok, list(accs.values()), color=colour, ls=dash, marker="o", ms=3, label=name)
                ax_loss.loglog(ok, losses, color=colour, ls=dash, marker="o", ms=3, label=name)
                if ok:  # unstable runs (see unstable_rates): hollow rings around their points
                    unstable = self.unstable_rates(name)
                    ring = dict(marker="o", ms=7, ls="", mfc="none", mec=colour, mew=1.2)
                    ax_acc.plot(unstable, [accs[lr] for lr in unstable], **ring)
                    ax_loss.plot(unstable, [self.histories[name, lr].val_loss[-1] for lr in unstable], **ring)
                diverged = [lr for lr in self.lrs if self.histories[name, lr].diverged_at is not None]
                ax_div.axhline(i, color="grey", lw=0.5, alpha=0.4)
                ax_div.plot(diverged, [i] * len(diverged), marker="X", ms=8, color=colour, ls="")
            ax_acc.set(
                ylabel=f"validation accuracy\nafter {self.epochs} epochs",
                ylim=(0, 1.02),
                title="Accuracy (runs that diverged: the band below)",
            )
            ax_acc.tick_params(labelbottom=False)
            ax_acc.plot([], [], marker="o", ms=7, ls="", mfc="none", mec="grey", mew=1.2, label="unstable")
            ax_acc.legend(loc="lower right")
            ax_div.set(xlabel="learning rate", ylabel="diverged", ylim=(len(self.optimizers) - 0.5, -0.5))
            ax_div.set_yticks(range(len(self.optimizers)), self.optimizers, fontsize="small")
            ax_div.grid(False)
            ax_loss.set(xlabel="learning rate", ylabel=f"validation loss after {self.epochs} epochs", title="Loss")
            ax_loss.yaxis.set_major_locator(LogLocator(base=10, numticks=30))  # a tick every decade, however many
            ax_loss.legend(loc="upper left")
            if title:
                fig.suptitle(title)
        return fig


def lr_sweep(
    optimizers: Iterable[str],
    lrs: Iterable[float],
    splits,
    *,
    epochs: int = 8,
    batch_size: int = 32,
    seed: int = 0,
    model_factory: Callable[..., nn.Module] | None = None,
) -> LRSweep:
    """Train one run per optimizer (a ``make_optimizer`` name) and learning rate, and keep every History.

    Every run starts from ``model_factory(seed=seed)`` (default: ``mlp`` sized for ``splits``) and sees the
    same batches in the same order, so runs differ only in optimizer and rate. Diverged runs are kept, marked.
    """
    from course_lib import optim

    names = []
    for name in optimizers:
        optim.optimizer_class(name)  # an unknown name raises ValueError listing the known ones
        names.append(name.strip().lower())
    lrs = list(lrs)
    try:
        rates = [float(lr) for lr in lrs]
    except (TypeError, ValueError):
        raise ValueError(f"lrs must be one or more finite numbers > 0, got {lrs!r}") from None
    if not names:
        raise ValueError("optimizers must name at least one optimizer")
    if not rates or any(not 0 < lr < math.inf for lr in rates):
        raise ValueError(f"lrs must be one or more finite numbers > 0, got {rates!r}")
    _check_epochs(epochs)
    factory = model_factory or (lambda seed=0: mlp(splits.features, (128,), splits.classes, seed=seed))
    histories = {}
    for name in names:
        for lr in rates:
            model = factory(seed=seed)
            train_loader, val_loader, _ = splits.loaders(batch_size, seed=seed)
            optimizer = optim.make_optimizer(name, model.parameters(), lr=lr)
            histories[name, lr] = train(
                model, optimizer, train_loader, epochs=epochs, val_loader=val_loader, progress=False
            )
    return LRSweep(names, rates, epochs, histories)
