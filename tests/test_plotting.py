"""Plots draw what the trajectories computed, mark divergence, keep global style untouched; figures regenerate."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from course_lib import figures, landscapes, plotting, trajectories


def test_paths_and_losses_draw_the_computed_data():
    land = landscapes.get("ravine")
    runs = trajectories.run_many(land, [("gd", dict(lr=0.4)), ("adam", dict(lr=0.3))], steps=30)
    fig = Figure()
    ax_map, ax_loss = fig.subplots(1, 2)
    plotting.plot_landscape(land, ax_map)
    artists = plotting.plot_paths(runs, ax_map)
    lines = plotting.plot_losses(runs, ax_loss, min_value=land.min_value)
    for t, (line, end), loss_line in zip(runs, artists, lines, strict=True):
        assert np.allclose(np.column_stack(line.get_data()), t.path)
        assert np.allclose(np.ravel(end.get_data()), t.final)
        assert np.allclose(loss_line.get_ydata(), np.maximum(t.losses, 1e-16))
        assert line.get_label() == t.label
    assert ax_loss.get_yscale() == "log"
    assert [t.get_text() for t in ax_map.get_legend().get_texts()] == ["gd (lr=0.4)", "adam (lr=0.3)", "start"]


def test_a_diverged_run_says_so_in_the_legend_and_ends_in_a_cross():
    run = trajectories.run("quadratic", "gd", lr=2.5, steps=100)
    fig = Figure()
    ax = fig.subplots()
    ((line, end),) = plotting.plot_paths([run], ax)
    assert line.get_label() == f"gd (lr=2.5): diverged at step {run.diverged_at}"
    assert end.get_marker() == "X"


def test_each_optimizer_keeps_its_colour_and_a_sweep_gets_distinct_ones():
    runs = trajectories.run_many("beale", [("sgd", {}), ("adam", {})], steps=2)
    swapped = trajectories.run_many("beale", [("adam", {}), ("sgd", {})], steps=2)
    assert list(plotting.colour_of(runs)) == list(plotting.colour_of(swapped))[::-1]
    sweep = trajectories.run_many("beale", [("adam", dict(lr=lr)) for lr in (0.1, 0.01, 0.001)], steps=2)
    assert len(set(plotting.colour_of(sweep))) == 3


def test_plotting_leaves_global_matplotlib_settings_alone():
    before = dict(mpl.rcParams)
    plotting.race_figure(landscapes.get("saddle"), [trajectories.run("saddle", "adam", lr=0.05, steps=20)])
    assert dict(mpl.rcParams) == before


def test_every_figure_regenerates(tmp_path, monkeypatch):
    # the sweep figure trains 44 networks for 8 epochs (a minute); here every fourth rate for 2 epochs draws the
    # same figure from a real, smaller sweep (lr_sweep itself is tested in test_training.py)
    full_sweep = figures.training.lr_sweep

    def smaller_sweep(names, rates, splits, **settings):
        return full_sweep(names, rates[::4], splits, **{**settings, "epochs": 2})

    monkeypatch.setattr(figures.training, "lr_sweep", smaller_sweep)
    monkeypatch.setattr("sys.argv", ["figures", "--out", str(tmp_path)])
    figures.main()
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == sorted(f"{name}.png" for name in figures.FIGURE_MAKERS)
    assert all((tmp_path / name).stat().st_size > 20_000 for name in written)


def test_plot_histories_draws_each_run_and_marks_divergence():
    from course_lib.training import History

    fine = History(train_loss=[1.0, 0.5, 0.2], val_loss=[1.1, 0.6, 0.4], val_acc=[0.5, 0.8, 0.9])
    blown = History(train_loss=[2.0], val_loss=[3.0], val_acc=[0.1], diverged_at=2)
    fig = Figure()
    ax_loss, ax_acc = fig.subplots(1, 2)
    plotting.plot_histories([("adam", fine), ("sgd lr=10", blown)], ax_loss, ax_acc)
    solid = [line for line in ax_loss.lines if line.get_linestyle() == "-"]
    assert [list(line.get_ydata()) for line in solid] == [fine.train_loss, blown.train_loss]
    assert [list(line.get_ydata()) for line in ax_acc.lines] == [fine.val_acc, blown.val_acc]
    crosses = [line for line in ax_loss.lines if line.get_marker() == "X"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [2]
    assert "diverged in epoch 2" in solid[1].get_label() and ax_loss.get_yscale() == "log"
