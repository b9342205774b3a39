"""Trajectories equal what torch.optim does (bit for bit given the same gradient, to round-off through autograd);
divergence is reported, never raised."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from course_lib import landscapes, optim, trajectories

NAMES = optim.optimizer_names()
HPARAMS = {
    "gd": dict(lr=1e-3),
    "sgd": dict(lr=1e-3, weight_decay=0.01),
    "momentum": dict(lr=1e-3, momentum=0.8),
    "nesterov": dict(lr=1e-3),
    "adagrad": dict(lr=0.3, lr_decay=0.01),
    "rmsprop": dict(lr=0.01, centered=True),
    "adadelta": dict(lr=1.0, rho=0.95, eps=1e-4),
    "adam": dict(lr=0.05),
    "adamw": dict(lr=0.05, weight_decay=0.1),
    "amsgrad": dict(lr=0.05, betas=(0.8, 0.99)),
    "yogi": dict(lr=0.05, eps=1e-4),
}


def torch_path(land, name, start, steps, hparams):
    """The naive way: the torch.optim class of that name (Yogi: ours), autograd through the landscape's value."""
    cls, settings = optim.optimizer_settings(name, **hparams)
    torch_cls = getattr(torch.optim, cls.__name__, None)
    if torch_cls is None:  # Yogi has no torch twin; test_optim checks its maths against the paper
        torch_cls = cls
    else:
        settings.pop("decoupled_weight_decay", None)
        settings["foreach"] = False
    xy = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch_cls([xy], **settings)
    path = [xy.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        land.value(xy).backward()
        opt.step()
        path.append(xy.detach().clone())
    return torch.stack(path).numpy()


@pytest.mark.parametrize("land_name", landscapes.names())
@pytest.mark.parametrize("name", NAMES)
def test_path_equals_torch_optim_through_autograd(land_name, name):
    land = landscapes.get(land_name)
    traj = trajectories.run(land, name, steps=60, **HPARAMS[name])
    expected = torch_path(land, name, land.start, 60, HPARAMS[name])
    assert traj.diverged_at is None
    assert np.allclose(traj.path, expected, rtol=1e-9, atol=1e-9)
    assert np.allclose(traj.losses, land.value(expected), rtol=1e-9, atol=1e-9)


def torch_path_given_gradient(land, name, start, steps, hparams):
    """torch.optim's class of that name as a user gets it (Yogi: ours), fed the landscape's analytic gradient."""
    cls, settings = optim.optimizer_settings(name, **hparams)
    torch_cls = getattr(torch.optim, cls.__name__, cls)
    if torch_cls is not cls:
        settings.pop("decoupled_weight_decay", None)
    xy = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch_cls([xy], **settings)
    path = [xy.detach().clone()]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            xy.grad = torch.from_numpy(land.grad(xy.detach().numpy()))
            opt.step()
            path.append(xy.detach().clone())
    return torch.stack(path).numpy()


@pytest.mark.parametrize("land_name", landscapes.names())
@pytest.mark.parametrize("name", NAMES)
def test_path_is_torch_optim_bit_for_bit_given_the_same_gradient(land_name, name):
    land = landscapes.get(land_name)
    traj = trajectories.run(land, name, steps=200, **HPARAMS[name])
    assert traj.diverged_at is None
    assert np.array_equal(traj.path, torch_path_given_gradient(land, name, land.start, 200, HPARAMS[name]))


@pytest.mark.parametrize("land_name", landscapes.names())
def test_the_playground_race_is_torch_optim_bit_for_bit_and_a_divergence_is_found_at_its_step(land_name):
    from course_lib.widgets import DEFAULT_LR  # the rate the playground opens each landscape with

    land = landscapes.get(land_name)
    lr = DEFAULT_LR[land_name]
    race = [("sgd", {"lr": lr}), ("momentum", {"lr": lr, "momentum": 0.9})]
    race += [("adam", {"lr": lr, "betas": (0.9, 0.999), "eps": 1e-8}), ("nesterov", {"lr": 3.0})]  # the last diverges
    (x0, x1), (y0, y1) = land.bounds
    limit = trajectories.DIVERGENCE_FACTOR * max(x1 - x0, y1 - y0)
    for t, (name, hp) in zip(trajectories.run_many(land, race, steps=200), race, strict=True):
        expected = torch_path_given_gradient(land, name, land.start, 200, hp)
        end = 201 if t.diverged_at is None else t.diverged_at
        assert np.array_equal(t.path[:end], expected[:end])
        with np.errstate(all="ignore"):
            gone = ~np.isfinite(expected).all(axis=1) | ~np.isfinite(land.value(expected))
            gone |= np.abs(expected - [(x0 + x1) / 2, (y0 + y1) / 2]).max(axis=1) > limit
        assert t.diverged_at == (int(np.argmax(gone)) if gone.any() else None)
        assert (t.diverged_at is not None) == (name == "nesterov")


def test_one_gradient_call_per_step_serves_every_configuration():
    land = landscapes.get("rosenbrock")
    calls = []

    def counting(x, y):
        calls.append(len(x))
        return land._grad(x, y)

    configs = [("sgd", {"lr": 1e-3}), ("momentum", {"lr": 1e-3}), ("adam", {"lr": 0.01}), ("adam", {"lr": 0.02})]
    runs = trajectories.run_many(dataclasses.replace(land, _grad=counting), configs, steps=50)
    assert calls == [4] * 50
    assert np.array_equal(runs[1].path, trajectories.run(land, "momentum", lr=1e-3, steps=50).path)


def test_run_many_equals_run_one_by_one_including_mixed_batches():
    configs = [
        ("sgd", dict(lr=1e-3)),
        ("momentum", dict(lr=1e-3, momentum=0.5)),
        ("sgd", dict(lr=2e-3)),
        ("momentum", dict(lr=5e-4, momentum=0.9, dampening=0.2)),
        ("adam", dict(lr=0.1, betas=(0.8, 0.99))),
        ("adam", dict(lr=0.02)),
        ("amsgrad", dict(lr=0.05)),
        ("rmsprop", dict(lr=0.01, alpha=0.9)),
        ("rmsprop", dict(lr=0.01, momentum=0.5)),
        ("adagrad", dict(lr=0.5, initial_accumulator_value=0.1)),
        ("adagrad", dict(lr=0.2)),
        ("adadelta", dict(lr=1.0)),
        ("adadelta", dict(lr=0.5, rho=0.5)),
        ("yogi", dict(lr=0.02)),
        ("yogi", dict(lr=0.05, betas=(0.5, 0.9))),
        ("sgd", dict(lr=5.0)),  # diverges, alongside the others
    ]
    many = trajectories.run_many("rosenbrock", configs, steps=80)
    for (name, hp), t in zip(configs, many, strict=True):
        one = trajectories.run("rosenbrock", name, steps=80, **hp)
        assert t.label == one.label and t.diverged_at == one.diverged_at
        assert np.allclose(t.path, one.path, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_divergence_is_reported_at_its_step_and_the_rest_is_blank():
    land = landscapes.get("quadratic")  # L = 1: lr = 2.5 multiplies the distance by |1 - 2.5| = 1.5 per step
    t = trajectories.run(land, "gd", lr=2.5, steps=200)
    radius = np.hypot(*land.start)
    limit = trajectories.DIVERGENCE_FACTOR * 5.0
    expected = int(np.ceil(np.log(limit / (radius * np.sqrt(1 / 2))) / np.log(1.5)))
    assert t.diverged_at is not None and abs(t.diverged_at - expected) <= 2
    assert np.isnan(t.path[t.diverged_at :]).all() and np.isfinite(t.path[: t.diverged_at]).all()
    assert np.isnan(t.losses[t.diverged_at :]).all()
    assert "diverged at step" in t.describe() and np.isfinite(t.final).all()


def test_overflow_to_infinity_is_caught_without_warnings():
    with np.errstate(all="raise"):
        t = trajectories.run("rosenbrock", "sgd", lr=1.0, steps=300)
    assert t.diverged_at is not None and t.diverged_at < 10


def test_two_over_L_threshold_on_the_quadratic():
    land = landscapes.get("ravine", condition=10)  # L = 2, threshold 1.0
    below = trajectories.run(land, "gd", lr=0.99, steps=3000)
    above = trajectories.run(land, "gd", lr=1.01, steps=3000)
    assert below.diverged_at is None and below.losses[-1] < 1e-6
    assert above.diverged_at is not None


def test_a_start_on_the_saddle_line_never_leaves_it():
    t = trajectories.run("saddle", "gd", start=(-1.5, 0.0), lr=0.1, steps=300)
    assert np.allclose(t.final, [0, 0], atol=1e-8)
    t = trajectories.run("saddle", "gd", start=(-1.5, 1e-6), lr=0.1, steps=300)
    assert abs(t.final[1]) == pytest.approx(1.0, abs=1e-3)


def test_bad_configurations_raise_before_running():
    with pytest.raises(ValueError, match=r"betas\[1\] must be a number in \[0, 1\), got 1.0"):
        trajectories.run("beale", "adam", betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        trajectories.run_many("beale", [("sgd", {}), ("adamm", {})])
    with pytest.raises(ValueError, match="start must be a point"):
        trajectories.run("beale", "adam", start=(1.0,))
    with pytest.raises(ValueError, match="steps must be a whole number >= 0, got -1"):
        trajectories.run("beale", "adam", steps=-1)


def test_labels_and_shapes():
    t = trajectories.run("beale", "adam", lr=0.01, betas=(0.9, 0.99), steps=7)
    assert t.label == "adam (lr=0.01, betas=(0.9, 0.99))"
    assert t.path.shape == (8, 2) and t.losses.shape == (8,) and t.steps == 7
    assert trajectories.run("beale", "gd", steps=0).path.shape == (1, 2)


def test_steps_to_reach_counts_from_the_start_and_ignores_divergence():
    land = landscapes.get("quadratic")
    t = trajectories.run(land, "gd", lr=0.5, steps=40)
    gaps = t.losses - land.min_value
    reached = trajectories.steps_to_reach(t, land.min_value, tol=1e-3)
    assert gaps[reached] < 1e-3 and (gaps[:reached] >= 1e-3).all()
    bad = trajectories.run(land, "gd", lr=5.0, steps=40)
    assert bad.diverged_at is not None and trajectories.steps_to_reach(bad, land.min_value) is None


def test_tuned_race_gives_each_optimizer_its_best_learning_rate():
    land = landscapes.get("ravine")
    lrs = [1e-3, 1e-2, 0.1, 0.19, 0.5, 3.0]
    race = trajectories.tuned_race(land, ["gd", "adam"], lrs, steps=200, tol=1e-4)
    assert [t.optimizer for t in race] == ["gd", "adam"]
    for t in race:  # no other rate of the grid reaches the tolerance in fewer steps
        best = trajectories.steps_to_reach(t, land.min_value, 1e-4)
        assert best is not None and t.diverged_at is None
        for lr in lrs:
            other = trajectories.run(land, t.optimizer, lr=lr, steps=200)
            reached = trajectories.steps_to_reach(other, land.min_value, 1e-4)
            assert reached is None or other.diverged_at is not None or reached >= best
    # gd at lr 3 diverges on this ravine; the race never picks it while another rate works
    assert race[0].hparams["lr"] != 3.0


def test_tuned_race_when_every_rate_diverges_or_none_arrives():
    land = landscapes.get("quadratic")
    [t] = trajectories.tuned_race(land, ["gd"], [10.0, 50.0], steps=30)
    assert t.diverged_at is not None and t.hparams["lr"] == 10.0  # the one that lasted longest
    [slow] = trajectories.tuned_race(land, ["gd"], [1e-4, 1e-3], steps=5)
    assert slow.hparams["lr"] == 1e-3  # neither arrives: the lower final loss wins
    with pytest.raises(ValueError, match="lrs must hold at least one"):
        trajectories.tuned_race(land, ["gd"], [])


def test_steps_to_settle_counts_from_when_the_loss_stays_within_tol():
    def losses(*values):
        return trajectories.Trajectory(np.zeros((len(values), 2)), np.array(values), None, "x", "gd")

    touches_then_leaves = losses(5.0, 5e-4, 2e-3, 5e-4, 1e-4)
    assert trajectories.steps_to_reach(touches_then_leaves, 0.0) == 1
    assert trajectories.steps_to_settle(touches_then_leaves, 0.0) == 3
    assert trajectories.steps_to_settle(losses(5.0, 5e-4, 2e-3), 0.0) is None  # comes to rest outside
    assert trajectories.steps_to_settle(losses(1e-4, 1e-5), 0.0) == 0
    assert trajectories.steps_to_settle(losses(11.0, 10.5, 10.0), 10.0, tol=0.6) == 1  # gaps, not losses
    bad = trajectories.run("quadratic", "gd", lr=5.0, steps=40)
    assert bad.diverged_at is not None and trajectories.steps_to_settle(bad, 0.0) is None


def test_tuned_race_can_choose_the_rate_that_settles_soonest():
    land = landscapes.get("quadratic")
    lrs = [0.1, 0.3, 1.0, 1.8]
    [fast] = trajectories.tuned_race(land, ["adam"], lrs, steps=150)
    [settled] = trajectories.tuned_race(land, ["adam"], lrs, steps=150, settle=True)
    best = trajectories.steps_to_settle(settled, land.min_value)
    assert best is not None
    for lr in lrs:  # no other rate settles sooner
        other = trajectories.steps_to_settle(trajectories.run(land, "adam", lr=lr, steps=150), land.min_value)
        assert other is None or other >= best
    # the rate that first touches the tolerance overshoots it and settles later than the chosen one
    assert trajectories.steps_to_reach(fast, land.min_value) < trajectories.steps_to_settle(fast, land.min_value)
    assert trajectories.steps_to_settle(fast, land.min_value) > best
