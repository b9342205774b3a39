"""The momentum map: its rate formula against simulated runs, its boundary and optimum, and the live tool."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
from matplotlib.backend_bases import MouseEvent

from course_lib import optim, trajectories, widgets

rate = widgets.MomentumMap.rate


def measured_rate(h: float, mu: float, steps: int = 400, nesterov: bool = False) -> float:
    """The decay per step of |w| on f(w) = h w² / 2 with lr 1, by torch's SGD rule, over the last 100 steps."""
    w, buf, sizes = torch.tensor([1.0], dtype=torch.float64), None, []
    for _ in range(steps):
        buf = optim.sgd_update(w, h * w, buf, lr=1.0, momentum=mu, nesterov=nesterov)
        sizes.append(abs(w.item()))
    # the envelope: the largest |w| over a window of 20 steps, which ignores where an oscillation is in its cycle
    env = np.array([max(sizes[i - 20 : i]) for i in range(20, steps + 1)])
    return float((env[-1] / env[-101]) ** (1 / 100))


@pytest.mark.parametrize(
    "h, mu",
    [
        (0.5, 0.0),  # plain gradient descent, real root 0.5
        (1.9, 0.0),  # oscillating, real root -0.9
        (0.1, 0.2),  # real roots (overdamped)
        (0.05, 0.9),  # complex roots: modulus sqrt(0.9)
        (2.0, 0.6),  # complex roots
        (3.5, 0.8),  # real negative roots near the boundary 3.6
        (3.0, 0.3),  # beyond the boundary 2.6: diverges
    ],
)
def test_rate_is_the_measured_decay_of_heavy_ball_runs(h, mu):
    expected = float(rate(h, mu))
    assert measured_rate(h, mu) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("h, mu", [(0.5, 0.5), (0.2, 0.9), (1.5, 0.3), (1.6, 0.5)])
def test_nesterov_rate_is_the_measured_decay_of_nesterov_runs(h, mu):
    expected = float(rate(h, mu, nesterov=True))
    assert measured_rate(h, mu, nesterov=True) == pytest.approx(expected, rel=0.01)
    assert (expected < 1) == (h < (2 + 2 * mu) / (1 + 2 * mu))


def test_rate_matches_the_spectral_radius_of_the_iteration_matrix():
    rng = np.random.default_rng(0)
    hs, mus = rng.uniform(0, 5, 200), rng.uniform(0, 1, 200)
    radius = [np.abs(np.linalg.eigvals([[1 + m - h, -m], [1, 0]])).max() for h, m in zip(hs, mus, strict=True)]
    assert np.allclose(rate(hs, mus), radius, atol=1e-6)
    assert rate(hs, mus).shape == (200,)


def test_rate_is_below_one_exactly_inside_the_closed_form_region():
    h = np.linspace(-0.5, 4.5, 501)[None, :]
    mu = np.linspace(0, 0.99, 100)[:, None]
    inside = (h > 1e-9) & (h < 2 + 2 * mu - 1e-9)
    edge = (np.abs(h) < 1e-6) | (np.abs(h - (2 + 2 * mu)) < 1e-6)
    converges = rate(h, mu) < 1 - 1e-12
    assert (converges == inside)[~edge].all()


def test_polyak_point_minimises_the_worst_rate_on_a_fine_grid():
    condition = 20.0
    lrs = np.linspace(0.01, 4.2, 841)[None, :]
    mus = np.linspace(0, 0.99, 991)[:, None]
    worst = np.maximum(rate(lrs / condition, mus), rate(lrs, mus))
    i, j = np.unravel_index(worst.argmin(), worst.shape)
    lr_star, mu_star = widgets.MomentumMap.polyak_point(condition)
    best = float(np.maximum(rate(lr_star / condition, mu_star), rate(lr_star, mu_star)))
    root = condition**0.5
    assert best == pytest.approx((root - 1) / (root + 1), abs=1e-6)
    assert worst.min() >= best - 1e-9
    assert abs(lrs[0, j] - lr_star) < 0.02 and abs(mus[i, 0] - mu_star) < 0.01


@pytest.fixture
def mm():
    return widgets.MomentumMap(condition=20.0)


def test_controls_and_starting_point(mm):
    assert {"lr", "momentum", "condition"} <= set(mm.controls)
    assert mm.controls["lr"].value == pytest.approx(mm.polyak[0], abs=1e-3)
    assert mm.controls["momentum"].value == pytest.approx(mm.polyak[1], abs=1e-3)
    assert mm.error is None and "rate 0.635" in mm.status_text
    assert mm.rates.shape == widgets.MomentumMap.GRID


def test_setting_a_slider_redraws_and_moves_the_marker(mm):
    image, redraws, rates = mm.pixels().copy(), mm.redraws, mm.rates
    mm.controls["momentum"].value = 0.7
    assert mm.redraws == redraws + 1
    assert mm.rates is rates, "a pick moves lines only; the map is computed once per condition"
    assert tuple(mm._pick.get_data()[1]) == (0.7,)
    expected = trajectories.run(
        mm._land, "momentum", start=mm.START, lr=mm.controls["lr"].value, momentum=0.7, steps=60
    )
    assert np.allclose(mm.run.path, expected.path, equal_nan=True)
    assert np.allclose(np.column_stack(mm._path.get_data()), expected.path)
    assert (mm.pixels() != image).any()


def test_clicking_the_map_picks_lr_and_momentum_with_one_redraw(mm):
    mm.canvas.draw()
    x, y = mm.ax_map.transData.transform((1.5, 0.6))
    redraws = mm.redraws
    mm.canvas.callbacks.process("button_press_event", MouseEvent("button_press_event", mm.canvas, x, y, button=1))
    assert mm.controls["lr"].value == pytest.approx(1.5, abs=0.02)
    assert mm.controls["momentum"].value == pytest.approx(0.6, abs=0.01)
    assert mm.redraws == redraws + 1
    assert mm._pick.get_data()[0][0] == mm.controls["lr"].value


def test_divergence_is_reported_with_its_step(mm):
    mm.controls["momentum"].value = 0.3
    mm.controls["lr"].value = 3.0
    assert mm.run.diverged_at is not None
    assert f"diverges: the run blew up at step {mm.run.diverged_at}" in mm.status_text
    assert mm.error is None, "a diverged run is a result, not an error"
    assert len(mm._cross.get_data()[0]) == 1


def test_bad_condition_gives_a_message_and_keeps_the_picture(mm):
    image, redraws = mm.pixels().copy(), mm.redraws
    mm.controls["condition"].value = 0.5
    assert mm.error is not None and "condition number must be between 1 and 1e6" in mm.status_text
    assert mm.redraws == redraws
    assert (mm.pixels() == image).all()
    mm.controls["condition"].value = 100.0
    assert mm.error is None and mm.polyak[1] == pytest.approx((9 / 11) ** 2)


def test_the_stored_bundle_has_a_picture():
    from test_widgets import FakeKernel, png_of

    tool = widgets.MomentumMap(condition=10.0)
    with FakeKernel().running() as kernel:
        tool.show()
    (bundle,) = kernel.shown
    assert bundle["text/plain"].startswith("Momentum map: run this cell to use it live")
    assert len(base64.b64decode(bundle["image/png"])) < 200_000
    width, height = (int(v) for v in tool.figure.bbox.size)
    assert png_of(bundle).width == width and png_of(bundle).height > height


def test_a_pick_redraws_only_the_moving_parts_and_a_new_condition_everything(mm):
    full_draws = []
    mm.canvas.mpl_connect("draw_event", full_draws.append)
    mm.pick(1.0, 0.5)
    assert full_draws == [] and mm._pick.get_data()[0][0] == 1.0
    mm.controls["condition"].value = 50.0
    assert len(full_draws) == 1 and mm.polyak[1] == pytest.approx(((50**0.5 - 1) / (50**0.5 + 1)) ** 2)


def test_nesterov_map_and_its_refusal_at_zero_momentum(mm):
    mm.controls["method"].value = "nesterov"
    assert mm.error is None
    assert mm.run.hparams.get("nesterov") is True
    assert np.allclose(
        mm._boundary.get_data()[0], (2 + 2 * mm._boundary.get_data()[1]) / (1 + 2 * mm._boundary.get_data()[1])
    )
    expected = trajectories.run(
        mm._land,
        "nesterov",
        start=mm.START,
        lr=mm.controls["lr"].value,
        momentum=mm.controls["momentum"].value,
        steps=60,
    )
    assert np.allclose(mm.run.path, expected.path, equal_nan=True)
    redraws = mm.redraws
    mm.pick(1.0, 0.0)
    assert mm.error is not None and "nesterov" in mm.status_text and mm.redraws == redraws
    mm.pick(1.0, 0.5)
    assert mm.error is None and mm.redraws == redraws + 1
