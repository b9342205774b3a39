"""The course's plots: landscapes with optimizer paths, loss curves, one consistent style.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour blindness, and
each optimizer keeps its colour and line style throughout the course. The style is applied inside each
function (``with style():``), never to matplotlib's global state, so a learner's own plots are untouched.

Every drawing function takes an ``ax`` and returns the artists it made, so a widget can update them in place
(``set_data``) instead of drawing everything again. Introduced in notebook 01.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from course_lib.landscapes import Landscape
from course_lib.trajectories import Trajectory

__all__ = [
    "style",
    "colour_of",
    "optimizer_style",
    "plot_landscape",
    "plot_paths",
    "plot_losses",
    "race_figure",
    "race_panels",
    "family_race_grid",
    "save_figure",
    "FIGURES",
]

FIGURES = Path(__file__).resolve().parent.parent / "figures"
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
_BY_OPTIMIZER = {  # one colour and dash per optimizer, throughout the course
    "gd": ("#0072B2", "-"),
    "sgd": ("#0072B2", "-"),
    "momentum": ("#D55E00", "--"),
    "nesterov": ("#E69F00", "-."),
    "adagrad": ("#009E73", ":"),
    "rmsprop": ("#56B4E9", "--"),
    "adam": ("#CC79A7", "-"),
    "adamw": ("#000000", "-."),
    "amsgrad": ("#8F4E00", ":"),
    "adadelta": ("#009E73", "--"),
    "yogi": ("#6A3D9A", ":"),
}
_DASHES = ["-", "--", "-.", ":"]
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
    "lines.linewidth": 1.8,
}


def style() -> contextlib.AbstractContextManager:
    """The course's matplotlib style, for a ``with`` block."""
    return plt.rc_context(STYLE)


def optimizer_style(name: str) -> tuple[str, str]:
    """The (colour, line style) the course draws an optimizer with, e.g. ``optimizer_style("adam")``."""
    key = name.strip().lower()
    if key not in _BY_OPTIMIZER:
        raise ValueError(f"no course style for {name!r}; the styled optimizers are: {', '.join(_BY_OPTIMIZER)}")
    return _BY_OPTIMIZER[key]


def colour_of(trajectories: Sequence[Trajectory]) -> Iterator[tuple[str, str]]:
    """(colour, line style) for each trajectory: by optimizer when each appears once, else by position."""
    names = [t.optimizer for t in trajectories]
    if len(set(names)) == len(names) and all(n in _BY_OPTIMIZER for n in names):
        yield from (_BY_OPTIMIZER[n] for n in names)
    else:
        for i in range(len(names)):
            yield OKABE_ITO[i % 7], _DASHES[(i // 7) % len(_DASHES)]


def plot_landscape(land: Landscape, ax: Axes, *, resolution: int = 160, lines: int = 14) -> list:
    """The landscape as a shaded image with contour lines, its minima (stars) and saddle points (crosses).

    Heights are shown relative to the minimum, f - f*, on a log scale where the function spans many decades.
    """
    with style():
        X, Y, Z = land.grid(resolution)
        gap = Z - land.min_value
        (x0, x1), (y0, y1) = land.bounds
        if land.log_scale:
            low = max(np.percentile(gap, 1), gap.max() * 1e-7, 1e-12)
            norm = LogNorm(vmin=low, vmax=gap.max())
            levels = np.geomspace(low, gap.max(), lines)
            shown = np.clip(gap, low, None)
        else:
            top = np.percentile(gap, 97)
            norm, levels, shown = Normalize(0, top), np.linspace(0, top, lines)[1:], gap
        artists = [
            ax.imshow(
                shown,
                extent=(x0, x1, y0, y1),
                origin="lower",
                cmap="Greys",
                norm=norm,
                alpha=0.4,
                aspect="auto",
                interpolation="bilinear",
                zorder=0,
            ),
            ax.contour(X, Y, shown, levels=levels, colors="#6b6b6b", linewidths=0.6, alpha=0.8, zorder=1),
        ]
        for mx, my in land.minima:
            artists += ax.plot(mx, my, marker="*", ms=13, color="white", mec="black", mew=1, ls="", zorder=5)
        for sx, sy in land.saddles:
            artists += ax.plot(sx, sy, marker="X", ms=9, color="white", mec="black", mew=1, ls="", zorder=5)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel(land.axis_labels[0])
        ax.set_ylabel(land.axis_labels[1])
        ax.set_title(land.title)
        return artists


def path_label(t: Trajectory) -> str:
    return f"{t.label}: diverged at step {t.diverged_at}" if t.diverged_at is not None else t.label


def plot_paths(trajectories: Sequence[Trajectory], ax: Axes, *, legend: bool = True) -> list[tuple[Line2D, Line2D]]:
    """Each path as a line from its start (a circle); a diverged path ends in a cross at its last finite point.

    Returns (line, end marker) per trajectory, for updating in place.
    """
    artists = []
    with style():
        for t, (colour, dash) in zip(trajectories, colour_of(trajectories), strict=True):
            (line,) = ax.plot(t.path[:, 0], t.path[:, 1], color=colour, ls=dash, lw=1.6, label=path_label(t), zorder=3)
            end = _end_point(t)
            (marker,) = ax.plot(
                *end, marker="X" if t.diverged_at is not None else "o", ms=7, color=colour, mec="white", ls="", zorder=4
            )
            artists.append((line, marker))
        if trajectories:
            x, y = trajectories[0].path[0]
            ax.plot(x, y, marker="o", ms=7, color="black", mfc="white", ls="", zorder=4, label="start")
            if legend:
                ax.legend(loc="best")
    return artists


def _end_point(t: Trajectory) -> tuple[float, float]:
    x, y = t.final
    return float(x), float(y)


def loss_gap(t: Trajectory, min_value: float) -> np.ndarray:
    """f - f* per step, floored at 1e-16 so that a log scale can show it."""
    return np.maximum(t.losses - min_value, 1e-16)


def plot_losses(
    trajectories: Sequence[Trajectory], ax: Axes, *, min_value: float = 0.0, mark_divergence: bool = True
) -> list[Line2D]:
    """Loss gap f - f* against step, log scale; a diverged run's curve stops, with a cross, where it diverged."""
    lines = []
    with style():
        for t, (colour, dash) in zip(trajectories, colour_of(trajectories), strict=True):
            (line,) = ax.plot(
                np.arange(len(t.losses)), loss_gap(t, min_value), color=colour, ls=dash, label=path_label(t)
            )
            lines.append(line)
            if mark_divergence and t.diverged_at is not None and t.diverged_at > 0:
                k = t.diverged_at - 1
                ax.plot(k, loss_gap(t, min_value)[k], marker="X", ms=8, color=colour, ls="")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("loss gap f - f*  (log scale)")
        ax.set_title("Loss per step")
        ax.grid(True, which="major", alpha=0.3)
    return lines


def race_figure(land: Landscape, trajectories: Sequence[Trajectory], *, title: str | None = None) -> Figure:
    """Paths on the landscape beside their loss curves: the course's standard picture of an optimizer race."""
    with style():
        fig = Figure(figsize=(11, 4.4), layout="constrained")
        ax_map, ax_loss = fig.subplots(1, 2, width_ratios=[1.15, 1])
        plot_landscape(land, ax_map)
        plot_paths(trajectories, ax_map, legend=False)
        plot_losses(trajectories, ax_loss, min_value=land.min_value)
        ax_loss.legend(loc="lower left")
        if title:
            fig.suptitle(title)
        return fig


def family_race_grid(
    races: Mapping[str, Sequence[Trajectory]],
    families: Mapping[str, Sequence[str]],
    *,
    min_values: Mapping[str, float],
    tol: float | None = None,
    floor: float = 1e-12,
) -> Figure:
    """Many optimizers on many landscapes, readable: one row per landscape, one column per optimizer family.

    ``races`` maps a landscape's name to its runs (one Trajectory per optimizer, as ``trajectories.tuned_race``
    returns them); ``families`` maps a column title to the optimizer names it shows in colour. Each panel draws
    the loss gap f - f* (log scale) of its family's few runs in colour over every other run in light grey, so
    a family can be compared with the rest without ten near-identical colours in one panel. Colours are the
    course's per optimizer, except that two optimizers sharing a colour within one family get different ones.
    ``min_values`` maps each landscape's name to f*; ``tol`` draws a dotted line at that gap; each row's
    axis starts at the lowest gap its runs reach, but not below ``floor``. Notebook 05.
    """
    names = list(races)
    with style():
        fig = Figure(figsize=(3.6 * len(families) + 0.6, 2.0 * len(names) + 0.9), layout="constrained")
        axes = fig.subplots(len(names), len(families), sharex=True, sharey="row", squeeze=False)
        for j, (family, members) in enumerate(families.items()):
            colours = _family_colours(members)
            for i, land_name in enumerate(names):
                ax = axes[i, j]
                runs = {t.optimizer: t for t in races[land_name]}
                f_star = min_values[land_name]
                for name, t in runs.items():
                    if name not in members:
                        ax.plot(loss_gap(t, f_star), color="#c9c9c9", lw=0.8, zorder=1)
                for name in members:
                    t = runs[name]
                    colour, dash = colours[name]
                    ax.plot(loss_gap(t, f_star), color=colour, ls=dash, lw=1.8, label=name, zorder=3)
                    if t.diverged_at is not None and t.diverged_at > 0:
                        k = t.diverged_at - 1
                        ax.plot(k, loss_gap(t, f_star)[k], marker="X", ms=8, color=colour, ls="", zorder=4)
                if tol is not None:
                    ax.axhline(tol, color="#6b6b6b", lw=0.8, ls=":", zorder=2)
                ax.set_yscale("log")
                ax.grid(True, which="major", alpha=0.3)
                if j == 0:
                    ax.set_ylabel(f"{land_name}\nf - f*")
                if i == len(names) - 1:
                    ax.set_xlabel("step")
            for i, land_name in enumerate(names):
                lowest = min(np.nanmin(loss_gap(t, min_values[land_name])) for t in races[land_name])
                axes[i, j].set_ylim(bottom=max(floor, lowest / 3))
            handles = [Line2D([], [], color=colours[n][0], ls=colours[n][1], lw=1.8, label=n) for n in members]
            handles.append(Line2D([], [], color="#c9c9c9", lw=0.8, label="the others"))
            axes[0, j].legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.02), ncol=2,
                              title=family, title_fontsize=10, frameon=False)
        return fig


def _family_colours(members: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The course's (colour, dash) per optimizer; a colour already taken within the family is replaced.

    The replacement is a colour no optimizer of the course has (Paul Tol's wine, indigo, teal), so it cannot be
    mistaken for another optimizer drawn in another column; only when those run out does an Okabe-Ito one follow.
    """
    spare = ["#882255", "#332288", "#44AA99"]  # no optimizer's colour in _BY_OPTIMIZER
    fallback = ["#D55E00", "#000000", "#E69F00", "#CC79A7", "#0072B2", "#009E73", "#56B4E9"]  # most distinct first
    course = {_BY_OPTIMIZER[m][0] for m in members if m in _BY_OPTIMIZER}
    chosen: dict[str, tuple[str, str]] = {}
    for name in members:
        taken = {c for c, _ in chosen.values()}
        colour, dash = _BY_OPTIMIZER.get(name, ("", "-"))
        if not colour or colour in taken:
            free = [c for c in spare + fallback if c not in taken and c not in course]
            colour = free[0] if free else fallback[len(chosen) % len(fallback)]
        chosen[name] = (colour, dash)
    return chosen


def race_panels(
    land: Landscape, trajectories: Sequence[Trajectory], *, title: str | None = None, columns: int = 2
) -> Figure:
    """Small multiples: one map per path, so that no path hides under another, and all the loss curves.

    For races whose paths overlap on the map (notebook 04: Adagrad's path lies under RMSprop's). Each map has
    equal scales on its two axes, so a round bowl looks round; colours are those of the loss panel.
    """
    with style():
        rows = -(-(len(trajectories) + 1) // columns)
        fig = Figure(figsize=(5.2 * columns, 2.9 * rows + 0.4), layout="constrained")
        axes = list(fig.subplots(rows, columns, squeeze=False).flat)
        for ax, t, (colour, dash) in zip(axes, trajectories, colour_of(trajectories), strict=False):
            plot_landscape(land, ax)
            ax.plot(t.path[:, 0], t.path[:, 1], color=colour, ls=dash, lw=1.4, label=path_label(t), zorder=3,
                    marker="o", ms=2.5)  # a dot per step: the steps' sizes show
            ax.plot(*_end_point(t), marker="X" if t.diverged_at is not None else "o", ms=7, color=colour,
                    mec="white", ls="", zorder=4, label="end")
            ax.plot(*t.path[0], marker="o", ms=7, color="black", mfc="white", ls="", zorder=4, label="start")
            ax.set_aspect("equal")
            ax.set_title(path_label(t))
            ax.legend(loc="upper right")
        ax_loss = axes[len(trajectories)]
        plot_losses(trajectories, ax_loss, min_value=land.min_value)
        ax_loss.legend(loc="best")
        for ax in axes[len(trajectories) + 1 :]:
            ax.set_visible(False)
        fig.suptitle(title or land.title)
        return fig


def plot_histories(runs: Sequence[tuple[str, object]], ax_loss: Axes, ax_acc: Axes) -> None:
    """Training runs epoch by epoch: loss (solid: train, dashed: val; log scale) and validation accuracy.

    ``runs`` holds (label, ``training.History``) pairs, one colour each; a diverged run gets a cross at the
    epoch where it diverged and says so in the legend. The training dashboard and notebook 06 draw with this.
    """
    with style():
        for i, (label, h) in enumerate(runs):
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            epochs = np.arange(1, h.epochs + 1)
            name = label if h.diverged_at is None else f"{label} (diverged in epoch {h.diverged_at})"
            ax_loss.plot(epochs, h.train_loss, color=colour, label=name)
            if h.val_loss:
                ax_loss.plot(epochs, h.val_loss, color=colour, ls="--")
                ax_acc.plot(epochs, h.val_acc, color=colour, marker="o", ms=3, label=name)
            if h.diverged_at is not None:
                y = h.train_loss[-1] if h.train_loss else 1.0
                ax_loss.plot([h.diverged_at], [y], marker="X", ms=10, color=colour, ls="")
        ax_loss.set(xlabel="epoch", ylabel="loss (solid: train, dashed: val)", yscale="log", title="Cross-entropy loss")
        ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy")
        for ax in (ax_loss, ax_acc):
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.grid(True, alpha=0.3)


def save_figure(fig: Figure, name: str, folder: Path | str | None = None) -> Path:
    """Save as PNG into figures/ (or `folder`) and return the path."""
    folder = Path(folder) if folder is not None else FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    with style():
        fig.savefig(path)
    return path
