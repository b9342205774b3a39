"""course_lib.training: the loop trains, records one value per epoch, stops on divergence, and finds an lr."""

from __future__ import annotations

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
        accs = sweep.final_acc(name)
        assert sweep.best(name) == max(accs, key=accs.get)
        low, high = sweep.good_range(name, tolerance=1.0)  # everything within 100 points: the whole range
        assert (low, high) == (min(accs), max(accs))
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
    assert len(acc_axes.lines) == 2, "a curve per optimizer"
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
