"""course_lib.training: the loop trains, records one value per epoch, stops on divergence, and finds an lr."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib import data, optim, training


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def small_model(seed=0):
    return training.mlp(64, (32,), seed=seed, device="cpu")


def test_train_learns_digits_and_records_one_value_per_epoch(digits):
    model = small_model()
    train_loader, val_loader, test_loader = digits.loaders(32)
    _, before = training.evaluate(model, test_loader)
    history = training.train(
        model, optim.Adam(model.parameters()), train_loader, epochs=6, val_loader=val_loader, progress=False
    )
    assert history.epochs == 6 and history.diverged_at is None
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_acc) == len(history.lr) == 6
    assert history.train_loss[-1] < history.train_loss[0] / 3
    loss, accuracy = training.evaluate(model, test_loader)
    assert before < 0.3 and accuracy > 0.9
    assert history.val_acc[-1] == pytest.approx(training.evaluate(model, val_loader)[1])
    assert history.epochs_to(0.9) is not None and history.epochs_to(1.01) is None
    assert "6 epochs: train loss" in history.summary()
    assert all(b > a for a, b in zip(history.seconds, history.seconds[1:], strict=False))


def test_evaluate_weighs_batches_by_size_and_restores_the_mode():
    model = nn.Linear(2, 3)
    x, y = torch.randn(10, 2), torch.randint(0, 3, (10,))
    whole = nn.functional.cross_entropy(model(x), y).item()
    model.train()
    loss, acc = training.evaluate(model, DataLoader(TensorDataset(x, y), batch_size=4))  # batches of 4, 4, 2
    assert loss == pytest.approx(whole, rel=1e-6) and model.training
    assert acc == pytest.approx((model(x).argmax(1) == y).float().mean().item())
    with pytest.raises(ValueError, match="no examples"):
        training.evaluate(model, [])


def test_course_and_torch_optimizers_train_identically(digits):
    train_loader, val_loader, _ = digits.loaders(64)
    runs = []
    for make in (lambda p: optim.RMSprop(p, lr=1e-3), lambda p: torch.optim.RMSprop(p, lr=1e-3, foreach=False)):
        model = small_model()
        runs.append(training.train(model, make(model.parameters()), train_loader, epochs=2, progress=False))
        train_loader, val_loader, _ = digits.loaders(64)  # the same shuffling for the second run
    assert runs[0].train_loss == pytest.approx(runs[1].train_loss, rel=1e-5)


def test_divergence_stops_training_keeps_history_and_says_so(digits, capsys):
    model = small_model()
    train_loader, val_loader, _ = digits.loaders(32)
    history = training.train(
        model, optim.SGD(model.parameters(), lr=1e4), train_loader, epochs=5, val_loader=val_loader, progress=True
    )
    assert history.diverged_at is not None and history.epochs == history.diverged_at - 1
    assert "Training stopped: the loss became" in history.message and "smaller learning rate" in history.message
    assert "Training stopped" in capsys.readouterr().out
    again = small_model()
    quiet = training.train(again, optim.SGD(again.parameters(), lr=1e4), train_loader, epochs=5, progress=False)
    assert quiet.diverged_at is not None and "Training stopped" in quiet.message
    assert "Training stopped" not in capsys.readouterr().out, "a quiet run (a sweep) leaves the message to the caller"


def test_schedulers_step_per_epoch_or_per_batch(digits):
    train_loader, _, _ = digits.loaders(128)
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = training.train(model, opt, train_loader, epochs=3, scheduler=sched, progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])
    model = small_model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=3 * len(train_loader))
    training.train(model, opt, train_loader, epochs=3, scheduler=one_cycle, scheduler_step="batch", progress=False)
    assert one_cycle.last_epoch == 3 * len(train_loader)
    with pytest.raises(ValueError, match="scheduler_step must be 'epoch' or 'batch', got 'step'"):
        training.train(model, opt, train_loader, epochs=1, scheduler=one_cycle, scheduler_step="step")
    with pytest.raises(ValueError, match="epochs must be a whole number >= 1, got 0"):
        training.train(model, opt, train_loader, epochs=0)


def test_progress_bar_and_epoch_callback(digits, capsys):
    train_loader, _, _ = digits.loaders(256)
    model = small_model()
    seen = []
    training.train(
        model, optim.Adam(model.parameters()), train_loader, epochs=2, on_epoch=lambda h: seen.append(h.epochs)
    )
    assert seen == [1, 2]
    assert "training (Adam)" in capsys.readouterr().err


def test_range_test_finds_a_useful_lr_and_restores_the_model(digits):
    train_loader, val_loader, _ = digits.loaders(32)
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.123, momentum=0.9)
    before = [p.detach().clone() for p in model.parameters()]
    result = training.lr_range_test(model, opt, train_loader, start_lr=1e-4, end_lr=100.0, steps=120)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert opt.param_groups[0]["lr"] == 0.123 and not opt.state  # nothing of the test is left behind
    assert result.stopped_early and result.lrs[-1] < 100.0  # the loss exploded before the end
    assert 1e-3 < result.suggestion < 1.0
    # the suggestion trains: better than the smallest and the largest rate tried
    scores = {}
    for lr in (1e-4, result.suggestion, float(result.lrs[-1])):
        m = small_model()
        h = training.train(
            m,
            optim.SGD(m.parameters(), lr=lr, momentum=0.9),
            train_loader,
            epochs=2,
            val_loader=val_loader,
            progress=False,
        )
        scores[lr] = h.val_acc[-1] if h.diverged_at is None else 0.0
    assert scores[result.suggestion] == max(scores.values())
    assert result.plot().axes


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start_lr=0), r"start_lr must be a finite number > 0, got 0"),
        (dict(start_lr=1.0, end_lr=0.5), r"end_lr must be larger than start_lr"),
        (dict(steps=1), r"steps must be a whole number >= 2, got 1"),
        (dict(smoothing=1.0), r"smoothing must be a number in \[0, 1\), got 1\.0"),
    ],
)
def test_range_test_refuses_bad_settings(digits, kwargs, message):
    model = small_model()
    with pytest.raises(ValueError, match=message):
        training.lr_range_test(model, optim.SGD(model.parameters(), lr=0.1), digits.loaders(32)[0], **kwargs)


def test_lr_sweep_chooses_among_stable_runs_only():
    """A run above the rate of the lowest validation loss that ends with a loss far above it is unstable: its
    accuracy, however high, is not chosen, and it is outside the good range. A low rate with a high loss is only
    undertrained (stable), and a diverged run has no accuracy at all."""

    def run(loss, acc, diverged=False):
        if diverged:
            return training.History(train_loss=[math.nan], diverged_at=1)
        return training.History(train_loss=[loss], val_loss=[loss], val_acc=[acc])

    histories = {  # 0.1 has the best accuracy, but a loss 3x the lowest (at 3e-3): unstable
        ("adam", 1e-4): run(0.90, 0.60),  # undertrained
        ("adam", 1e-3): run(0.35, 0.90),
        ("adam", 3e-3): run(0.20, 0.95),
        ("adam", 1e-2): run(0.30, 0.948),
        ("adam", 0.1): run(0.60, 0.97),
        ("adam", 1.0): run(0.0, 0.0, diverged=True),
    }
    sweep = training.LRSweep(["adam"], [1e-4, 1e-3, 3e-3, 1e-2, 0.1, 1.0], 1, histories)
    assert sweep.unstable_rates("adam") == [0.1]
    assert sweep.stable_rates("adam") == [1e-4, 1e-3, 3e-3, 1e-2]
    assert sweep.best("adam") == 3e-3 and sweep.good_range("adam") == (3e-3, 1e-2)
    assert sweep.good_range("adam", tolerance=0.1) == (1e-3, 1e-2)
    assert sweep.best("adam", loss_factor=4.0) == 0.1, "a looser factor counts 0.1 as stable"
    with pytest.raises(ValueError, match="loss_factor"):
        sweep.stable_rates("adam", loss_factor=1.0)
    all_diverged = training.LRSweep(["sgd"], [1.0], 1, {("sgd", 1.0): run(0.0, 0.0, diverged=True)})
    with pytest.raises(ValueError, match="every run of 'sgd' diverged"):
        all_diverged.best("sgd")
    fig = sweep.plot()  # the unstable run gets a ring on both axes; the legend names it
    ax_acc, ax_loss, _ = fig.axes
    for ax in (ax_acc, ax_loss):
        rings = [line for line in ax.lines if line.get_markerfacecolor() == "none" and len(line.get_xdata())]
        assert [list(line.get_xdata()) for line in rings] == [[0.1]]
    assert "unstable" in [t.get_text() for t in ax_acc.get_legend().get_texts()]


def test_lr_sweep_keeps_every_run_picks_by_validation_and_marks_divergence(digits):
    sweep = training.lr_sweep(
        ["SGD", "adam"], [1e-3, 0.3, 1e4], digits, epochs=2, model_factory=lambda seed=0: small_model(seed)
    )
    assert sweep.optimizers == ["sgd", "adam"] and sorted(sweep.histories) == sorted(
        (n, lr) for n in ("sgd", "adam") for lr in (1e-3, 0.3, 1e4)
    )
    assert sweep.histories["sgd", 1e4].diverged_at is not None, "SGD at 1e4 must diverge, and be kept"
    assert 1e4 not in sweep.final_acc("sgd"), "a diverged run has no final accuracy to be chosen by"
    for name in sweep.optimizers:
        accs, stable = sweep.final_acc(name), sweep.stable_rates(name)
        assert set(stable) <= set(accs) and sweep.best(name) == max(stable, key=accs.get)
        low, high = sweep.good_range(name, tolerance=1.0)  # everything within 100 points: every stable rate
        assert (low, high) == (min(stable), max(stable))
    assert sweep.best("sgd") == 0.3, "SGD learns far more in 2 epochs at 0.3 than at 1e-3"
    # same start, same batches: a run repeated alone gives the same history
    model = small_model(0)
    train_loader, val_loader, _ = digits.loaders(32, seed=0)
    alone = training.train(
        model, optim.SGD(model.parameters(), lr=0.3), train_loader, epochs=2, val_loader=val_loader, progress=False
    )
    assert alone.val_acc == sweep.histories["sgd", 0.3].val_acc
    fig = sweep.plot(title="test")
    acc_axes, loss_axes, diverged_axes = fig.axes
    curves = [line for line in acc_axes.lines if line.get_label() in sweep.optimizers]
    assert [line.get_label() for line in curves] == ["sgd", "adam"], "a curve per optimizer"
    assert not any(line.get_marker() == "X" for line in acc_axes.lines), "no cross may read as an accuracy"
    crosses = [line for line in diverged_axes.lines if line.get_marker() == "X"]
    for row, (name, line) in enumerate(zip(sweep.optimizers, crosses, strict=True)):  # one row per optimizer
        diverged = [lr for lr in sweep.lrs if sweep.histories[name, lr].diverged_at is not None]
        assert list(line.get_xdata()) == diverged and set(line.get_ydata()) <= {row}
    assert 1e4 in crosses[0].get_xdata(), "SGD's diverged run, in SGD's row"
    assert diverged_axes.get_ylabel() == "diverged"
    assert [t.get_text() for t in diverged_axes.get_yticklabels()] == ["sgd", "adam"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(optimizers=["adamm"], lrs=[0.1]), "unknown optimizer 'adamm'"),
        (dict(optimizers=[], lrs=[0.1]), "at least one optimizer"),
        (dict(optimizers=["sgd"], lrs=[]), "lrs must be"),
        (dict(optimizers=["sgd"], lrs=[0.0]), "lrs must be"),
        (dict(optimizers=["sgd"], lrs=["fast"]), "lrs must be"),
        (dict(optimizers=["sgd"], lrs=[0.1], epochs=0), "epochs"),
    ],
)
def test_lr_sweep_refuses_bad_settings(digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.lr_sweep(kwargs.pop("optimizers"), kwargs.pop("lrs"), digits, **kwargs)


# ---------------------------------------------------------------------------------------------------------
# The 1-D convolutional network and gradient clipping (notebook 08)
# ---------------------------------------------------------------------------------------------------------


def test_cnn1d_takes_flat_signals_is_seeded_and_has_greydanus_size():
    model = training.cnn1d(seed=3, device="cpu")
    x = torch.randn(7, 40)
    assert model(x).shape == (7, 10)
    assert sum(p.numel() for p in model.parameters()) == 5210  # 150 + 1900 + 1900 + 1260
    again = training.cnn1d(seed=3, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters(), strict=True))
    other = training.cnn1d(seed=4, device="cpu")
    assert not torch.equal(next(model.parameters()), next(other.parameters()))
    # other lengths: the linear layer follows the three stride-2 convolutions (100 -> 49 -> 25 -> 13)
    wide = training.cnn1d(length=100, channels=4, classes=3, device="cpu")
    assert wide(torch.randn(2, 100)).shape == (2, 3) and wide[-1].in_features == 4 * 13
    # a convolution sees a shifted pattern as the same pattern: the first layer's output shifts with the input
    bump = torch.zeros(1, 40)
    bump[0, 10:14] = 1.0
    first = model[:3]
    assert torch.allclose(first(bump)[..., 3:12], first(torch.roll(bump, 2, dims=1))[..., 4:13])
    with pytest.raises(ValueError, match=r"channels must be a whole number >= 1, got 0"):
        training.cnn1d(channels=0)
    with pytest.raises(ValueError, match=r"length must be a whole number >= 8, got 4"):
        training.cnn1d(length=4)


def test_cnn1d_learns_mnist1d_beyond_chance():
    splits = data.load_mnist1d()
    train_loader, val_loader, _ = splits.loaders(100)
    model = training.cnn1d(device="cpu")
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = training.train(model, opt, train_loader, epochs=3, val_loader=val_loader, progress=False)
    assert history.val_acc[-1] > 0.35, "ten classes: chance is 10%"


def test_clip_grad_norm_bounds_every_step_and_records_the_norm(digits):
    runs = {}
    for clip in (None, math.inf, 0.5):
        train_loader, _, _ = digits.loaders(64)  # the same batches in the same order for each run
        model = small_model()
        opt = optim.SGD(model.parameters(), lr=0.1)
        start = [p.detach().clone() for p in model.parameters()]
        history = training.train(model, opt, train_loader, epochs=1, progress=False, clip_grad_norm=clip)
        steps = torch.cat([(p.detach() - s).flatten() for p, s in zip(model.parameters(), start, strict=True)])
        runs[clip] = history, steps
    plain, recorded, clipped = runs[None][0], runs[math.inf][0], runs[0.5][0]
    assert plain.grad_norm == [] and len(recorded.grad_norm) == 1 and recorded.grad_norm[0] > 0.5
    assert plain.train_loss == recorded.train_loss, "clipping at infinity changes nothing"
    assert torch.equal(runs[None][1], runs[math.inf][1])
    assert clipped.train_loss != plain.train_loss, "with norms above 0.5, clipping changes the run"
    # a single step of SGD moves the weights by lr * clipped gradient: its length is at most lr * 0.5
    model = small_model()
    x, y = next(iter(train_loader))
    start = [p.detach().clone() for p in model.parameters()]
    training.train(model, optim.SGD(model.parameters(), lr=0.1), [(x, y)], epochs=1, progress=False, clip_grad_norm=0.5)
    moved = torch.cat([(p.detach() - s).flatten() for p, s in zip(model.parameters(), start, strict=True)])
    assert moved.norm().item() == pytest.approx(0.05, rel=1e-4)
    with pytest.raises(ValueError, match=r"clip_grad_norm must be None or a number > 0 \(math\.inf allowed\), got 0"):
        training.train(model, optim.SGD(model.parameters(), lr=0.1), [(x, y)], epochs=1, clip_grad_norm=0)
