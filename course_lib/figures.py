"""Regenerate every figure in figures/ (``make figures``): the course's pictures for slides and the README.

    python -m course_lib.figures [--out DIR]

Each figure is made by a small function from ``trajectories``, ``training`` and ``plotting``, so what it shows
is what the tested code computes. The landscape figures involve no random source; the learning-rate sweep on
digits (notebook 07's, about 10 s on two cores) is seeded, so it is the same on every run on one machine.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from course_lib import data, landscapes, plotting, training, trajectories

RAVINE_RACE = [
    ("gd", dict(lr=0.4)),
    ("momentum", dict(lr=0.1, momentum=0.8)),
    ("rmsprop", dict(lr=0.1)),
    ("adam", dict(lr=0.3)),
]
ROSENBROCK_RACE = [
    ("gd", dict(lr=1e-3)),
    ("momentum", dict(lr=1e-3, momentum=0.9)),
    ("adagrad", dict(lr=0.5)),
    ("rmsprop", dict(lr=0.01)),
    ("adam", dict(lr=0.05)),
]


def race_ravine() -> Figure:
    land = landscapes.get("ravine", condition=20)
    runs = trajectories.run_many(land, RAVINE_RACE, steps=60)
    return plotting.race_figure(land, runs, title="60 steps down a ravine (condition number 20)")


def race_rosenbrock() -> Figure:
    land = landscapes.get("rosenbrock")
    runs = trajectories.run_many(land, ROSENBROCK_RACE, steps=1000)
    return plotting.race_figure(land, runs, title="1000 steps on Rosenbrock's valley")


def learning_rate_panel() -> Figure:
    """Gradient descent on the ravine with a learning rate too small, about right, and just above 2/L.

    On a quadratic, each step multiplies the distance to the minimum along each curvature direction by
    1 - lr * curvature: the run converges when every factor lies strictly between -1 and 1, that is lr < 2/L.
    """
    land = landscapes.get("ravine", condition=20)
    threshold = 2 / land.lipschitz
    cases = [(0.05, "too small: crawls"), (0.45, "just under 2/L"), (0.55, "just over 2/L")]
    with plotting.style():
        fig = Figure(figsize=(13, 4.3), layout="constrained")
        for ax, (lr, verdict) in zip(fig.subplots(1, 3), cases, strict=True):
            t = trajectories.run(land, "gd", lr=lr, steps=30)
            plotting.plot_landscape(land, ax)
            plotting.plot_paths([t], ax, legend=False)
            fx, fy = (1 - lr * c for c in land.curvatures)
            ax.set_title(f"lr = {lr:g}, {verdict}\nerror x {fx:.2f} per step along x, x {fy:.2f} along y")
        fig.suptitle(
            f"Gradient descent on a ravine with curvatures {land.curvatures[0]:g} and {land.curvatures[1]:g}: "
            f"it converges exactly when lr < 2/L = {threshold:g}"
        )
        return fig


def lr_sweep_digits() -> Figure:
    """Notebook 07's sweep: each optimizer's final validation accuracy and loss against its learning rate."""
    rates = [10.0 ** (k / 2) for k in range(-8, 3)]  # 1e-4 to 10 in half-decades
    sweep = training.lr_sweep(["sgd", "momentum", "rmsprop", "adam"], rates, data.load_digits(), epochs=8)
    return sweep.plot(title="An MLP on digits, 8 epochs per run: every optimizer has its own good range")


FIGURE_MAKERS: dict[str, Callable[[], Figure]] = {
    "race_ravine": race_ravine,
    "race_rosenbrock": race_rosenbrock,
    "learning_rate_panel": learning_rate_panel,
    "lr_sweep_digits": lr_sweep_digits,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate every figure of the course.")
    parser.add_argument("--out", type=Path, default=plotting.FIGURES, help="folder for the PNG files")
    args = parser.parse_args()
    for name, make in FIGURE_MAKERS.items():
        path = plotting.save_figure(make(), name, args.out)
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
