"""course_lib.mnist1d_experiments: schedules, one run, the noise scale, and the stored sweeps still reproduce."""

from __future__ import annotations

import math

import pytest
import torch
from torch.utils.data import TensorDataset

from course_lib import data, optim, training
from course_lib import mnist1d_experiments as mx


@pytest.fixture(scope="module")
def splits():
    return data.load_mnist1d()


def test_schedules_follow_their_formulas():
    T, W = 1000, 100
    m = {s: [mx.lr_multiplier(s, t, T, W if s == "warmup_cosine" else 0) for t in range(T)] for s in mx.SCHEDULES}
    assert set(m["constant"]) == {1.0}
    assert m["step"][499] == 1.0 and m["step"][500] == pytest.approx(0.1) and m["step"][750] == pytest.approx(0.01)
    assert m["cosine"][0] == 1.0 and m["cosine"][500] == pytest.approx(0.5) and m["cosine"][-1] < 1e-4
    assert m["warmup_cosine"][0] == pytest.approx(1 / W) and m["warmup_cosine"][W - 1] == 1.0
    assert m["warmup_cosine"][W] == 1.0 and m["warmup_cosine"][W + (T - W) // 2] == pytest.approx(0.5)
    assert all(b >= a for a, b in zip(m["warmup_cosine"][:W], m["warmup_cosine"][1:W], strict=False))
    # constant with a warmup: the linear ramp, then 1
    assert mx.lr_multiplier("constant", 9, T, 20) == pytest.approx(0.5) and mx.lr_multiplier("constant", 20, T, 20) == 1


def test_one_cycle_is_torch_one_cycle_lr_without_the_momentum_cycle():
    T = 200
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=T, cycle_momentum=False)
    for t in range(T - 1):
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * mx.lr_multiplier("one_cycle", t, T), rel=1e-6, abs=1e-9)
        opt.step()
        sched.step()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(optimizer="adamm"), "unknown optimizer 'adamm'"),
        (dict(lr=0), r"lr must be a finite number > 0, got 0"),
        (dict(batch_size=0), r"batch_size must be a whole number >= 1, got 0"),
        (dict(schedule="linear"), r"schedule must be one of constant, step, cosine, warmup_cosine, one_cycle"),
        (dict(warmup_epochs=30), r"warmup_epochs must be in \[0, epochs=30\), got 30"),
        (dict(clip=0.0), r"clip must be None or a number > 0, got 0\.0"),
        (dict(model="rnn"), r"model must be 'cnn' or 'mlp', got 'rnn'"),
    ],
)
def test_run_config_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mx.RunConfig(**kwargs)
    with pytest.raises(ValueError, match="warmup_steps must be between 0 and total_steps - 1 = 9, got 10"):
        mx.lr_multiplier("constant", 0, 10, 10)


def test_run_is_train_with_the_schedule_stepped_per_batch(splits):
    config = mx.RunConfig("adam", 3e-3, batch_size=200, epochs=2, schedule="cosine", seed=4)
    result = mx.run(config, splits=splits)
    assert len(result.val_acc) == len(result.grad_norm) == 2 and result.diverged_at is None
    assert 0 <= result.test_acc <= 1 and result.final_val_acc == result.val_acc[-1]
    # the same by hand: train with a LambdaLR stepped after each of the 2 x 17 batches
    model = training.cnn1d(seed=4, device="cpu")
    opt = optim.make_optimizer("adam", model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (1 + math.cos(math.pi * min(t, 33) / 34)) / 2)
    train_loader, val_loader, _ = splits.loaders(200, seed=4)
    history = training.train(
        model, opt, train_loader, epochs=2, val_loader=val_loader, progress=False, scheduler=sched,
        scheduler_step="batch",
    )
    assert history.val_acc == result.val_acc and history.train_loss == result.train_loss
    again = mx.RunResult.from_dict(result.to_dict())
    assert again.config == config and again.val_acc == pytest.approx(result.val_acc, rel=1e-5)


def test_a_diverged_run_has_no_test_accuracy_and_scores_zero(splits):
    result = mx.run(mx.RunConfig("sgd", 1e5, batch_size=400, epochs=1), splits=splits)
    assert result.diverged_at == 1 and result.test_acc is None and result.final_val_acc == 0.0


def test_steps_to_accuracy_counts_steps_and_gives_up(splits):
    config = mx.RunConfig("momentum", 0.05, batch_size=100)
    steps = mx.steps_to_accuracy(config, 0.3, eval_every=5, splits=splits)
    assert steps is not None and steps % 5 == 0 and 0 < steps <= 300
    assert mx.steps_to_accuracy(config, 0.99, eval_every=5, max_steps=20, splits=splits) is None
    with pytest.raises(ValueError, match="target must be an accuracy strictly between 0 and 1, got 80"):
        mx.steps_to_accuracy(config, 80)


def test_gradient_noise_scale_matches_a_loop_over_examples(splits):
    model = training.cnn1d(seed=2, device="cpu")
    x, y = splits.train.tensors
    subset = TensorDataset(x[:30], y[:30])
    grads = []
    for i in range(30):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i : i + 1]), y[i : i + 1]).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]).double())
    g = torch.stack(grads)
    mean = g.mean(0)
    expected_trace = ((g - mean) ** 2).sum().item() / 29
    ns = mx.gradient_noise_scale(model, subset, chunk=7)  # chunks of 7: the sums must add up across chunks
    assert ns["grad_sq"] == pytest.approx(mean.pow(2).sum().item(), rel=1e-5)
    assert ns["trace_sigma"] == pytest.approx(expected_trace, rel=1e-5)
    assert ns["b_simple"] == pytest.approx(expected_trace / mean.pow(2).sum().item(), rel=1e-5)
    # a minibatch of B examples (drawn with replacement) has E|g_B - G|^2 = tr(Sigma) (n-1)/n / B: check at B = 1
    assert ((g - mean) ** 2).sum(1).mean().item() == pytest.approx(expected_trace * 29 / 30, rel=1e-6)


def test_stored_sweeps_are_complete_and_a_stored_run_reproduces(splits):
    sweeps = mx.load_sweeps()
    for section in ("tuning", "final", "schedules", "clipping", "generalization"):
        assert sweeps.runs[section], section
    tuned = sweeps.meta["tuned_lr"]
    for name, lr in tuned.items():
        tried = sweeps.find("tuning", optimizer=name)
        assert max(tried, key=lambda r: r.final_val_acc).config.lr == lr, "the tuned rate is the best on validation"
        assert len(sweeps.find("final", optimizer=name, lr=lr)) == 3
    with pytest.raises(ValueError, match="section must be one of"):
        sweeps.find("nope")
    with pytest.raises(ValueError, match=r"unknown settings \['learning_rate'\]"):
        sweeps.find("tuning", learning_rate=0.1)
    # the shortest stored run of the final table, re-run now: the numbers must still be what the file says. The
    # first epoch agrees to ~1e-6 on every CPU tried (torch's default, AVX2 and AVX512 kernels); later epochs
    # drift apart between CPUs (float32 round-off amplified by training), up to ~3 points of final accuracy
    torch.set_num_threads(1)
    stored = sweeps.find("final", optimizer="adam", seed=0)[0]
    live = mx.run(stored.config, splits=splits)
    assert live.train_loss[0] == pytest.approx(stored.train_loss[0], rel=1e-4)
    assert live.val_acc[0] == pytest.approx(stored.val_acc[0], abs=2 / 600)
    assert live.val_acc[-1] == pytest.approx(stored.val_acc[-1], abs=0.05)


def test_fit_steps_model_recovers_s_min_and_b_noise():
    batches = [25, 50, 100, 200, 400, 800]
    steps = [300 * (1 + 150 / b) for b in batches]
    s_min, b_noise = mx.fit_steps_model(batches, steps)
    assert s_min == pytest.approx(300) and b_noise == pytest.approx(150)


def test_every_figure_has_a_title_axis_labels_and_a_legend(splits):
    sweeps = mx.load_sweeps()
    s_min, b_noise = 100.0, 50.0
    figures = [
        mx.plot_signals(splits),
        mx.plot_tuning(sweeps),
        mx.plot_schedule_shapes(),
        mx.plot_schedules(sweeps),
        mx.plot_clipping(sweeps, 16),
        mx.plot_batch_sizes(sweeps, s_min, b_noise),
    ]
    for fig in figures:
        titled = [ax for ax in fig.axes if ax.get_title()] or ([fig] if fig.get_suptitle() else [])
        assert titled, "a figure needs a title"
        assert any(ax.get_legend() is not None for ax in fig.axes)
        for ax in fig.axes:
            assert ax.get_xlabel() or not ax.get_xticklabels(), "every axis with ticks has a label"
    tuning = figures[1]
    assert len(tuning.axes[0].lines) == len(sweeps.meta["tuned_lr"]), "one curve per optimizer"
