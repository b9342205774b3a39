"""Landscapes: analytic gradients equal autograd, stated minima are minima, numpy in numpy out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import landscapes

ALL = [landscapes.get(n) for n in landscapes.names()] + [
    landscapes.get("ravine", condition=50, angle=30),
    landscapes.get("quadratic", a=1.0, b=4.0),
]
IDS = [f"{l.name}-{i}" for i, l in enumerate(ALL)]


def test_names():
    assert landscapes.names() == ["quadratic", "ravine", "rosenbrock", "beale", "himmelblau", "saddle"]


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_gradient_equals_autograd_at_many_points(land):
    (x0, x1), (y0, y1) = land.bounds
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(500, 2, generator=gen, dtype=torch.float64)
    xy = torch.stack([x0 + (x1 - x0) * xy[:, 0], y0 + (y1 - y0) * xy[:, 1]], dim=1).requires_grad_()
    land.value(xy).sum().backward()
    analytic = land.grad(xy.detach())
    scale = analytic.abs().max().item()
    assert torch.allclose(analytic, xy.grad, rtol=1e-12, atol=1e-12 * scale)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-10, 10), y=st.floats(-10, 10), i=st.integers(0, len(ALL) - 1))
def test_gradient_equals_autograd_anywhere(x, y, i):
    land = ALL[i]
    xy = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    land.value(xy).backward()
    g = land.grad(xy.detach())
    assert torch.allclose(g, xy.grad, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_stated_minima_are_minima(land):
    for m in land.minima:
        assert np.abs(land.grad(np.array(m))).max() < 1e-9
        assert land.value(np.array(m)) == pytest.approx(land.min_value, abs=1e-12)
        around = np.array(m) + 1e-3 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]])
        assert (land.value(around) > land.min_value).all()
    for s in land.saddles:
        assert np.abs(land.grad(np.array(s))).max() == 0


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_numpy_in_numpy_out_torch_in_torch_out_any_leading_shape(land):
    pts = np.zeros((3, 4, 2)) + np.array(land.start)
    assert isinstance(land.value(pts), np.ndarray) and land.value(pts).shape == (3, 4)
    assert isinstance(land.grad(pts), np.ndarray) and land.grad(pts).shape == (3, 4, 2)
    t = torch.tensor(pts)
    assert isinstance(land.value(t), torch.Tensor) and land.value(t).shape == (3, 4)
    assert isinstance(land.grad(t), torch.Tensor) and land.grad(t).shape == (3, 4, 2)
    assert np.allclose(land.grad(t).numpy(), land.grad(pts))
    assert land.value([1.0, 2.0]).shape == ()


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_window_and_start_make_sense(land):
    (x0, x1), (y0, y1) = land.bounds
    assert x0 < land.start[0] < x1 and y0 < land.start[1] < y1
    assert any(x0 <= mx <= x1 and y0 <= my <= y1 for mx, my in land.minima)
    X, Y, Z = land.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50) and np.isfinite(Z).all()


def test_quadratic_curvatures_give_the_2_over_L_threshold():
    land = landscapes.get("ravine", condition=25)
    assert land.curvatures == (0.2, 5.0) and land.lipschitz == 5.0
    # the Hessian is diag(curvatures): check by finite differences of the gradient
    h = 1e-6
    hess = [(land.grad(np.array([h, 0.0])) - land.grad(np.array([-h, 0.0]))) / (2 * h)]
    hess.append((land.grad(np.array([0.0, h])) - land.grad(np.array([0.0, -h]))) / (2 * h))
    assert np.allclose(np.array(hess), np.diag([0.2, 5.0]), atol=1e-6)
    assert landscapes.get("rosenbrock").lipschitz is None


def test_bad_requests_are_explained():
    with pytest.raises(ValueError, match="unknown landscape 'rosenbruck'; the known ones are: quadratic"):
        landscapes.get("rosenbruck")
    with pytest.raises(ValueError, match="the 'ravine' landscape has no parameter 'kappa'; it takes: condition, angle"):
        landscapes.get("ravine", kappa=3)
    with pytest.raises(ValueError, match="the 'beale' landscape has no parameter 'a'; it takes none"):
        landscapes.get("beale", a=1)
    with pytest.raises(ValueError, match="condition must be a finite number >= 1, got 0.5"):
        landscapes.get("ravine", condition=0.5)
    with pytest.raises(ValueError, match=r"points must have shape \(..., 2\)"):
        landscapes.get("quadratic").value([1.0, 2.0, 3.0])


def test_least_squares_landscape_is_the_mean_squared_error():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(50, 2))
    X[:, 1] = 0.9 * X[:, 0] + 0.3 * X[:, 1]  # correlated features: a ravine
    y = X @ np.array([1.5, -2.0]) + 0.1 * gen.normal(size=50)
    land = landscapes.least_squares(X, y, name="toy regression")
    pts = gen.normal(size=(20, 2))
    direct = ((pts @ X.T - y) ** 2).mean(axis=1)
    assert np.allclose(land.value(pts), direct)
    assert np.allclose(land.minima[0], np.linalg.lstsq(X, y, rcond=None)[0])
    assert np.abs(land.grad(np.array(land.minima[0]))).max() < 1e-10
    xy = torch.tensor(pts, requires_grad=True)
    land.value(xy).sum().backward()
    assert torch.allclose(land.grad(xy.detach()), xy.grad)
    hessian = 2 * X.T @ X / len(y)
    assert np.allclose(land.curvatures, np.linalg.eigvalsh(hessian))
    assert land.lipschitz / land.curvatures[0] > 10, "correlated features make a ravine"
    with pytest.raises(ValueError, match=r"features must have shape \(n, 2\)"):
        landscapes.least_squares(X[:, :1], y)
