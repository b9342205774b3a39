"""Library code written for notebooks 01 and 02: trajectories.minibatch_sgd (notebook 02's batch-size figures and
checks) agrees with torch.optim.SGD, with full-batch gradient descent and with the minibatch explorer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import landscapes, trajectories, widgets


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(37, 2))
    y = X @ np.array([0.7, -0.4]) + 0.3 * rng.normal(size=37)
    return X, y


def test_full_batch_is_gradient_descent(problem):
    X, y = problem
    land = landscapes.least_squares(X, y)
    path = trajectories.minibatch_sgd(X, y, batch_size=len(y), lr=0.1, steps=25, start=land.start)
    gd = trajectories.run(land, "gd", lr=0.1, steps=25)
    np.testing.assert_allclose(path, gd.path, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 5, 16])
def test_same_steps_as_torch_sgd_on_the_same_shuffles(problem, batch_size):
    X, y = problem
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    generator = torch.Generator().manual_seed(3)
    expected = [w.detach().clone()]
    for _ in range(3):
        for idx in torch.randperm(len(y), generator=generator).split(batch_size):
            opt.zero_grad()
            ((Xt[idx] @ w - yt[idx]) ** 2).mean().backward()
            opt.step()
            expected.append(w.detach().clone())
    steps = len(expected) - 1
    path = trajectories.minibatch_sgd(X, y, batch_size=batch_size, lr=0.05, steps=steps, seed=3)
    assert path.shape == (steps + 1, 2)
    np.testing.assert_allclose(path, torch.stack(expected).numpy(), rtol=1e-10, atol=1e-12)


def test_a_shorter_run_is_the_start_of_a_longer_one(problem):
    X, y = problem
    long = trajectories.minibatch_sgd(X, y, batch_size=4, lr=0.05, steps=50)
    short = trajectories.minibatch_sgd(X, y, batch_size=4, lr=0.05, steps=13)  # stops inside the second epoch
    np.testing.assert_array_equal(long[:14], short)
    np.testing.assert_array_equal(long[0], np.zeros(2))


def test_the_minibatch_explorer_takes_the_same_steps(problem):
    X, y = problem
    explorer = widgets.MinibatchExplorer(X, y, batch_size=8, lr=0.05, epochs=3)
    sgd, _ = explorer.paths()
    path = trajectories.minibatch_sgd(X, y, batch_size=8, lr=0.05, steps=len(sgd) - 1, start=explorer.land.start)
    np.testing.assert_allclose(path, sgd, rtol=1e-12, atol=1e-12)


def test_works_with_many_features():
    X = np.eye(5)
    path = trajectories.minibatch_sgd(X, np.ones(5), batch_size=5, lr=0.5, steps=3)
    assert path.shape == (4, 5)
    # each step removes 2/5 * 0.5 = 20% of each weight's error
    np.testing.assert_allclose(path[-1], np.full(5, 1 - (1 - 0.2) ** 3))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(batch_size=0, lr=0.1), "batch_size"),
        (dict(batch_size=38, lr=0.1), "batch_size"),
        (dict(batch_size=4, lr=-0.1), "lr"),
    ],
)
def test_bad_settings_raise_naming_the_setting(problem, kwargs, message):
    X, y = problem
    with pytest.raises(ValueError, match=message):
        trajectories.minibatch_sgd(X, y, steps=3, **kwargs)


def test_bad_shapes_raise(problem):
    X, y = problem
    with pytest.raises(ValueError, match="shape"):
        trajectories.minibatch_sgd(X, y[:-1], batch_size=4, lr=0.1, steps=3)
