"""Library code and prediction questions added for notebooks 03 (momentum) and 04 (Adagrad and RMSprop)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import landscapes, optim, plotting, predict, trajectories

RACE_04 = [("gd", dict(lr=0.099)), ("adagrad", dict(lr=1.0)), ("rmsprop", dict(lr=0.05))]


@pytest.fixture(scope="module")
def race_04():
    land = landscapes.get("ravine", condition=100)
    return land, trajectories.run_many(land, RACE_04, steps=100)


# ---------------------------------------------------------------------------------------------------------------
# plotting.race_panels: one map per path, then the loss curves


def test_race_panels_draws_each_path_on_its_own_map(race_04):
    land, runs = race_04
    fig = plotting.race_panels(land, runs, title="a race")
    maps, loss_ax, spare = fig.axes[:3], fig.axes[3], fig.axes[4:]
    assert len(fig.axes) == 4 and not spare  # three maps and the loss panel fill a 2 x 2 grid
    for ax, run in zip(maps, runs, strict=True):
        drawn = [line for line in ax.get_lines() if line.get_label() == plotting.path_label(run)]
        assert len(drawn) == 1, "each map shows exactly its own path"
        np.testing.assert_array_equal(drawn[0].get_xydata(), run.path)
        assert ax.get_aspect() == 1.0, "x and y share units: the map keeps equal scales"
        assert ax.get_title() == plotting.path_label(run)
        assert ax.get_legend() is not None
    assert [line.get_label() for line in loss_ax.get_lines()[: len(runs)]] == [r.label for r in runs]
    assert loss_ax.get_yscale() == "log"
    assert fig._suptitle.get_text() == "a race"


def test_race_panels_colours_match_the_loss_panel(race_04):
    land, runs = race_04
    fig = plotting.race_panels(land, runs)
    loss_colours = [line.get_color() for line in fig.axes[-1].get_lines()[: len(runs)]]
    for ax, run, colour in zip(fig.axes, runs, loss_colours, strict=False):
        path_line = next(line for line in ax.get_lines() if line.get_label() == plotting.path_label(run))
        assert path_line.get_color() == colour
    assert fig._suptitle.get_text() == land.title  # the landscape's title when none is given


def test_race_panels_hides_unused_cells_and_marks_divergence():
    land = landscapes.get("ravine")
    runs = trajectories.run_many(land, [("gd", dict(lr=0.1)), ("gd", dict(lr=0.6))], steps=100)
    assert runs[1].diverged_at is not None
    fig = plotting.race_panels(land, runs, columns=2)  # two maps + losses: a 2 x 2 grid with one cell spare
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()
    assert "diverged" in fig.axes[1].get_title()
    assert any(line.get_marker() == "X" for line in fig.axes[1].get_lines())


# ---------------------------------------------------------------------------------------------------------------
# The prediction questions: each answer agrees with what the library computes (the notebook's next cell)


def test_notebooks_03_and_04_have_at_least_two_questions_each():
    ids = predict.ids()
    assert sum(i.startswith("03.") for i in ids) >= 2
    assert sum(i.startswith("04.") for i in ids) >= 2


def test_03_untuned_momentum_ends_highest():
    ravine = landscapes.get("ravine", condition=20)
    race = [
        ("gd", dict(lr=0.476)),
        ("momentum", dict(lr=0.668, momentum=0.403)),
        ("momentum", dict(lr=0.05, momentum=0.9)),
    ]
    losses = [run.losses[-1] for run in trajectories.run_many(ravine, race, steps=40)]
    question = predict.get("03.untuned-momentum")
    assert int(np.argmax(losses)) == question.answer == 2
    assert predict.answer("03.untuned-momentum", "c").passed
    assert not predict.answer("03.untuned-momentum", "a").passed


def _largest_stable_h(**hparams) -> float:
    h = torch.linspace(0.01, 6, 600, dtype=torch.float64)
    w = torch.ones_like(h, requires_grad=True)
    opt = optim.SGD([w], lr=1.0, **hparams)
    for _ in range(1000):
        w.grad = h * w.detach()
        opt.step()
    return h[w.detach().abs() < 1].max().item()


def test_03_nesterov_limit_is_below_gradient_descent():
    nesterov = _largest_stable_h(momentum=0.9, nesterov=True)
    assert nesterov < _largest_stable_h() < _largest_stable_h(momentum=0.9)
    assert nesterov == pytest.approx(2 * 1.9 / 2.8, abs=0.02)
    assert predict.get("03.nesterov-limit").choices[predict.get("03.nesterov-limit").answer].startswith("below 2")


def test_04_rotated_ravine_loses_the_advantage():
    rotated = landscapes.get("ravine", condition=100, angle=45)
    losses = [run.losses[-1] for run in trajectories.run_many(rotated, RACE_04, steps=100)]
    assert all(0.3 < loss < 1 for loss in losses)
    assert predict.get("04.rotated-ravine").answer == 1


def test_04_adagrad_step_100_is_lr_over_sqrt_t_whatever_the_gradient():
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = optim.Adagrad([w], lr=0.1)
    for _ in range(100):
        before = w.detach().clone()
        w.grad = torch.tensor([1.0, 0.01], dtype=torch.float64)
        opt.step()
    step = (w.detach() - before).abs()
    question = predict.get("04.adagrad-step-100")
    assert step[1].item() == pytest.approx(question.answer, rel=1e-6)
    assert step[0].item() == pytest.approx(step[1].item(), rel=1e-6)
    assert predict.answer("04.adagrad-step-100", 0.0105).passed
    assert not predict.answer("04.adagrad-step-100", 1.0).passed  # the multiplier, not the step


def test_04_rmsprop_first_step_is_ten_times_adagrads():
    first = []
    for cls in (optim.Adagrad, optim.RMSprop):
        w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = cls([w], lr=0.01)
        w.grad = torch.tensor([0.5], dtype=torch.float64)
        opt.step()
        first.append(abs(w.item()))
    assert first[1] / first[0] == pytest.approx(10, rel=1e-6)
    question = predict.get("04.rmsprop-first-step")
    assert question.choices[question.answer] == "ten times as long"
