"""Live tools for the notebooks: the optimizer playground, the explorers and the training dashboard.

Each tool builds its matplotlib figure once, then on every control change recomputes the runs with
``course_lib.trajectories`` and updates the drawn lines in place (``set_data``). The browser shows the figure on
the course's own canvas (``course_lib.widgets.canvas``, an anywidget): the figure's fixed parts arrive as one
picture per landscape or axis limits, and the moving parts (paths, curves, markers, titles, legends) as their
pixel coordinates, drawn in the page: a redraw sends a few hundred numbers and renders nothing in the kernel.
Setting a control's ``.value`` from code redraws before the assignment returns, which is how the tests drive the
tools without a browser. Settings that cannot run (a beta of 1, say) show a message under the plot and leave the
last good picture in place; nothing raises into the notebook.
Introduced in notebook 01 (explorer) and used from notebook 03 on (playground).

Stored pictures: a tool's output carries, beside the live widget, a PNG of the tool (its figure and a caption
with its settings). JupyterLab shows the widget when the output came from a running kernel and the picture in a
notebook opened without running it (untrusted outputs skip the widget renderer); nbconvert's HTML export shows
the picture too (it skips widgets whose state is not saved). While no front end shows a tool (nbclient and
nbval), the picture follows the tool: after every later cell that changed it, the output is updated in place,
so a stored notebook shows each tool as the notebook left it.
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
import weakref
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np
import torch
import traitlets
from IPython import get_ipython
from IPython.display import display, update_display
from matplotlib import colormaps as mpl_colormaps
from matplotlib.backend_bases import MouseEvent
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from course_lib import landscapes, optim, plotting, trajectories
from course_lib.widgets import canvas as browser

__all__ = [
    "Playground",
    "optimizer_playground",
    "LearningRateExplorer",
    "lr_explorer",
    "MinibatchExplorer",
    "minibatch_explorer",
    "TrainingDashboard",
    "training_dashboard",
    "MomentumMap",
    "momentum_map",
]

# a learning rate that gives an interesting race on each landscape (one rate is shared by all optimizers)
DEFAULT_LR = {"quadratic": 0.1, "ravine": 0.1, "rosenbrock": 1.5e-3, "beale": 0.01, "himmelblau": 0.01, "saddle": 0.05}
USES = {  # which shared hyperparameter sliders reach which optimizer
    "momentum": ("momentum", "nesterov"),
    "beta1": ("adam", "adamw", "amsgrad", "yogi"),
    "beta2": ("adam", "adamw", "amsgrad", "yogi"),
    # Adadelta's eps (1e-6) sets the size of its first steps and Yogi's (1e-3) bounds them: a slider shared with
    # Adam's 1e-8 would change what they are, so they keep their own
    "eps": ("adagrad", "rmsprop", "adam", "adamw", "amsgrad"),
}
# optimizers whose learning rate is not the shared slider's: Adadelta's paper has no learning rate (lr=1)
FIXED_LR = {"adadelta": 1.0}


class _KeepsCodeValues:
    """A slider that keeps a value set from code exactly, even off its step grid.

    ipywidgets' slider view snaps the value to its step when it shows it, and (with continuous_update) sends the
    snapped value back: 1.5e-3 on a log slider of step 0.05 came back as 0.00158 and replaced the value set from
    code, even a later cell's. Here a value from the browser that is only the snapped form of the last value set
    from code is taken as that echo, and the exact value stays. Any other value from the browser (a learner
    moving the slider) is taken as it is.
    """

    def _snap(self, value: float) -> float:
        raise NotImplementedError

    @traitlets.validate("value")
    def _validate_value(self, proposal: Any) -> float:
        value = super()._validate_value(proposal)  # the slider's own clamping to its range
        if "value" not in self._property_lock:  # set from code
            self._from_code = value
            return value
        exact = getattr(self, "_from_code", None)
        if exact is not None and self.step and math.isclose(value, self._snap(exact), rel_tol=1e-9, abs_tol=1e-12):
            return exact
        return value


class _FloatSlider(_KeepsCodeValues, w.FloatSlider):
    def _snap(self, value: float) -> float:
        return self.min + round((value - self.min) / self.step) * self.step


class _FloatLogSlider(_KeepsCodeValues, w.FloatLogSlider):
    def _snap(self, value: float) -> float:
        if value <= 0:
            return value
        exponent = math.log(value, self.base)
        return self.base ** (self.min + round((exponent - self.min) / self.step) * self.step)


def _lr_slider(value: float, low: int, high: int, step: float, **options: Any) -> w.FloatLogSlider:
    """The learning-rate slider every tool uses: log scale from 10**low to 10**high, two significant digits."""
    return _FloatLogSlider(
        value=value, base=10, min=low, max=high, step=step, readout_format=".2g", description="learning rate", **options
    )


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CAPTION_CHAR_PIXELS = 7  # the caption (9 pt sans-serif at 100 dpi) wraps at about one character per 7 pixels


class _PictureKeeper:
    """The tools shown in one kernel, whose stored pictures follow the later cells that change them.

    One keeper lives on the IPython shell (made on the first ``show()``) and holds the tools weakly, so nothing
    outlives its kernel or leaks between tests. Its ``after_cell`` runs after every cell (IPython's
    ``post_run_cell`` event). It leaves alone a tool that a browser shows: once the tool's view has connected
    (the browser canvas says "connected"), or a widget front end has restored its widgets from the kernel
    (ipywidgets' control channel, which JupyterLab opens on reconnecting to a running kernel), the live widget
    is what is shown, and replacing its output would only rebuild the view. An update that reaches JupyterLab
    before the view has connected ("Run All": the next cell runs at once) is harmless: the output still shows
    one live tool (tests/browser checks this).
    """

    def __init__(self) -> None:
        self.tools: weakref.WeakSet[_LiveFigure] = weakref.WeakSet()

    def after_cell(self, *args: Any) -> None:
        if w.Widget._control_comm is not None:  # a widget front end is connected: tools are live, not pictures
            return
        for tool in list(self.tools):
            tool._refresh_picture()


def _picture_keeper() -> _PictureKeeper | None:
    """This kernel's keeper, registered for post_run_cell on first use; None outside a Jupyter kernel (plain
    Python, or a terminal IPython, which would print every update)."""
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    keeper = getattr(shell, "_course_lib_pictures", None)
    if keeper is None:
        keeper = _PictureKeeper()
        shell._course_lib_pictures = keeper
        shell.events.register("post_run_cell", keeper.after_cell)
    return keeper


def _caption_pixels(lines: list[str], width: int, dpi: float) -> np.ndarray:
    """The caption under a tool's picture: lines of text rendered with Agg, ``width`` pixels wide (RGBA)."""
    height = 10 + 16 * len(lines)
    caption = Figure(figsize=((width + 1) / dpi, height / dpi), dpi=dpi, facecolor="#f3f4f6")  # cropped below
    for i, line in enumerate(lines):
        caption.text(
            8 / width,
            1 - (6 + 16 * i) / height,
            line,
            va="top",
            fontsize=9,
            color="#1f2328" if i == 0 else "#4b5563",
            weight="bold" if i == 0 else "normal",
            family="sans-serif",
        )
    canvas = FigureCanvasAgg(caption)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :width]


class _LiveFigure:
    """A figure on a live canvas, a status line, and the code shared by the tools: redraw, errors, display.

    ``figure`` is a plain matplotlib Figure on an Agg canvas (``canvas``); ``view`` is the browser canvas. The
    artists in ``_moving`` are animated: a full draw (``_render``) renders everything else once as the
    background picture, and a quick redraw (``_refresh``) sends only the moving artists' data. ``pixels()``
    renders the figure as it is now with Agg, for the stored picture and the tests.
    """

    def __init__(self, figsize: tuple[float, float]) -> None:
        with plotting.style():
            self.figure = Figure(figsize=figsize, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.canvas.mpl_connect("draw_event", self._after_full_draw)
        self.view = browser.BrowserCanvas(width=int(self.figure.bbox.width), height=int(self.figure.bbox.height))
        self.view.on_msg(self._view_message)
        self.status = w.HTML()
        self._message = ""
        self.error: str | None = None  # the message shown while the settings cannot run, else None
        self.redraws = 0  # how many times the picture was updated (tests and benchmarks read it)
        self._holding = False
        self._shown = False
        self._connected = False  # whether a browser view of the canvas has appeared
        self._moving: list = []  # the animated artists, drawn in the browser over the background
        self._static: Any = None  # the Agg background (everything but the moving artists) of the last full draw
        self._agg_stale = False  # whether the Agg pixels lag behind the moving artists' data
        self._display_ids: list[str] = []  # the outputs showing this tool (their stored pictures follow it)
        self._pictured: tuple | None = None  # what the stored pictures show: (redraws, status) when made
        self.widget: w.Widget = w.VBox()

    def frontend_ready(self) -> bool:
        """Whether a browser view of the canvas has appeared (False in tests and under nbval)."""
        return self._connected

    def _view_message(self, widget: Any, content: dict, buffers: list) -> None:
        if content.get("type") == "connected":
            self._connected = True
        elif content.get("type") == "click":  # figure pixels from the top left, as matplotlib's mouse event
            x, y = float(content["x"]), self.figure.bbox.height - float(content["y"])
            event = MouseEvent("button_press_event", self.canvas, x, y, button=1)
            self.canvas.callbacks.process("button_press_event", event)

    def _after_full_draw(self, event: Any) -> None:
        """After any Agg draw of the whole figure: keep its background, then paint the moving parts over it."""
        self._static = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_rgba = np.asarray(self.canvas.buffer_rgba()).copy()
        self._paint_moving()

    def _paint_moving(self) -> None:
        for artist in self._moving:
            if artist.get_animated() and artist.get_visible():
                (artist.axes or self.figure).draw_artist(artist)
        self._agg_stale = False

    def _render(self) -> None:
        """A full draw: the background picture rendered and sent, then the moving parts."""
        FigureCanvasAgg.draw(self.canvas)  # fires draw_event: the background is kept, the moving parts painted
        self.view.width, self.view.height = int(self.figure.bbox.width), int(self.figure.bbox.height)
        self.view.background = browser.png_bytes(self._background_rgba)
        self.view.scene = browser.scene(self._moving, self.figure)

    def _refresh(self) -> None:
        """A quick redraw: only the moving artists' data goes to the browser; Agg renders them when asked."""
        self._agg_stale = True
        self.view.scene = browser.scene(self._moving, self.figure)

    def _show(self, limits: tuple) -> None:
        """Show the moving artists' new data: the whole figure again only when ``limits`` (whatever fixes the
        background: axis limits, tick labels) changed since the last full draw, else only the moving parts. The
        first call lays the figure out once and makes the moving artists animated."""
        if self.redraws == 0 and self._static is None:
            FigureCanvasAgg.draw(self.canvas)  # constrained layout, once; afterwards the axes stay where they are
            self.figure.set_layout_engine("none")
            for artist in self._moving:
                artist.set_animated(True)
        if self._static is None or limits != getattr(self, "_limits", None):
            self._limits = limits
            self._render()
        else:
            self._refresh()

    def pixels(self) -> np.ndarray:
        """The figure as it is now, RGBA pixels rendered with Agg (only the moving parts, when they changed)."""
        if self._static is None:
            FigureCanvasAgg.draw(self.canvas)
        elif self._agg_stale:
            self.canvas.restore_region(self._static)
            self._paint_moving()
        return np.asarray(self.canvas.buffer_rgba())

    def _controls_changed(self, change: dict | None = None) -> None:
        if change is not None and change.get("old") == change.get("new"):  # an echo from the browser, kept out
            return
        if not self._holding:
            self.update()

    def update(self) -> None:
        """Recompute and redraw now; on invalid settings, say why and keep the last good picture."""
        try:
            self._recompute_and_draw()
        except ValueError as err:  # settings that cannot run: tell the learner what is allowed
            self._say(f"Cannot run these settings: {err}. The picture shows the last settings that worked.", bad=True)
            return
        except Exception as err:  # anything else is our bug, not the learner's: say so instead of a dead widget
            self._say(
                f"Something went wrong while drawing ({type(err).__name__}: {err}). "
                "Please report this; the picture shows the last settings that worked.",
                bad=True,
            )
            return
        self.redraws += 1

    @property
    def status_text(self) -> str:
        """The status line under the plot, as plain text (what a notebook prints to show what the tool says)."""
        return self._message

    def _say(self, message: str, *, bad: bool = False) -> None:
        self._message = message
        self.error = message if bad else None
        colour = "#b3261e" if bad else "#1f2328"
        self.status.value = (
            f'<span style="color:{colour};font-family:sans-serif;font-size:13px">{html.escape(message)}</span>'
        )

    def _recompute_and_draw(self) -> None:
        raise NotImplementedError

    title = "A live tool"

    def _ipython_display_(self) -> None:
        if not self._shown:  # the factory function already displayed it; do not show it twice
            self.show()

    def settings_text(self) -> str:
        """The tool's settings in one line, such as "learning rate 0.5 · curvature L 1 · steps 20"."""
        parts = []
        for key, control in self.controls.items():
            if isinstance(control, w.ToggleButton):  # the playground's optimizer switches: the legend names them
                continue
            value = f"{control.value:.3g}" if isinstance(control.value, float) else str(control.value)
            parts.append(f"{control.description or key} {value}")
        return " · ".join(parts)

    def picture(self) -> bytes:
        """A PNG of the tool as it is now: the figure as last drawn, over a caption with its settings and status.

        The figure's pixels are rendered with Agg from the figure's artists (only the moving parts are painted
        again); the browser's canvas is not touched.
        """
        figure = self.pixels()
        width = figure.shape[1]
        lines = [f"{self.title}: a picture of the tool as the notebook left it. Run the cell to use it live."]
        # no-break spaces inside each setting: a wrapped line breaks only after a dot, never inside "start x -1.2"
        settings = "\u00a0· ".join(part.replace(" ", "\u00a0") for part in self.settings_text().split(" · "))
        for text in (settings, self.status_text):
            lines += textwrap.wrap(text, width=max(40, width // CAPTION_CHAR_PIXELS))
        rgba = np.concatenate([figure, _caption_pixels(lines, width, self.figure.dpi)])
        # 256 colours (median cut, no dithering): a third of the size, and no visible change on these plots
        image = Image.fromarray(rgba).convert("RGB")
        image = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        with io.BytesIO() as png:
            image.save(png, format="png", optimize=True)
            return png.getvalue()

    def _bundle(self) -> dict[str, Any]:
        """The output that shows the tool: the live widget, its picture, and a line of text for consoles."""
        bundle = self.widget._repr_mimebundle_()
        bundle["image/png"] = base64.b64encode(self.picture()).decode("ascii")
        bundle["text/plain"] = (
            f"{self.title}: run this cell to use it live (a live tool needs a running kernel); "
            "where none runs, a picture of the tool shows instead."
        )
        return bundle

    def show(self) -> None:
        """Display the tool (again) in the notebook.

        The output holds the live widget and a picture of the tool (see the module's docstring): JupyterLab
        shows the widget once the cell has run, and the picture in a notebook opened without running it.
        """
        handle = display(self._bundle(), raw=True, display_id=True)
        self._pictured = (self.redraws, self.status_text)
        if handle is not None:
            self._display_ids.append(handle.display_id)
            keeper = _picture_keeper()
            if keeper is not None:
                keeper.tools.add(self)
        self._shown = True

    def _refresh_picture(self) -> None:
        """After a cell: update the stored pictures if the tool changed, unless a browser view shows it."""
        if not self._display_ids or self.frontend_ready():
            return
        now = (self.redraws, self.status_text)
        if now == self._pictured:
            return
        bundle = self._bundle()
        for display_id in self._display_ids:
            update_display(bundle, raw=True, display_id=display_id)
        self._pictured = now


class Playground(_LiveFigure):
    """Several optimizers racing across a landscape, with their loss curves beside the map.

    ``controls``: "landscape", "lr", "momentum", "beta1", "beta2", "eps", "steps", "start_x", "start_y", and one
    toggle "show:<name>" per optimizer. ``figure``: the matplotlib Figure. ``runs``: the trajectories drawn.
    Clicking the map sets the start point.
    """

    title = "Optimizer playground"

    def __init__(
        self,
        landscape: str | landscapes.Landscape = "rosenbrock",
        optimizers: Sequence[str] = ("sgd", "momentum", "adam"),
        steps: int = 200,
        lr: float | None = None,
    ) -> None:
        super().__init__(figsize=(9.6, 4.0))
        land = landscapes.get(landscape)
        # every landscape of the dropdown, with the caller's own version (say a ravine of condition 50) in place
        self._catalogue = {name: landscapes.get(name) for name in landscapes.names()}
        self._catalogue[land.name] = land
        for name in optimizers:
            optim.optimizer_class(name)  # an unknown name raises the usual "unknown optimizer ..." error
        optimizers = [name.strip().lower() for name in optimizers]
        slider = dict(continuous_update=True, style={"description_width": "110px"}, layout=w.Layout(width="360px"))
        self.controls: dict[str, w.ValueWidget] = {
            "landscape": w.Dropdown(
                options=landscapes.names(), value=land.name, description="landscape", style=slider["style"]
            ),
            "lr": _lr_slider(lr if lr is not None else DEFAULT_LR[land.name], -4, 1, 0.05, **slider),
            "momentum": _FloatSlider(value=0.9, min=0.0, max=1.0, step=0.01, description="momentum", **slider),
            "beta1": _FloatSlider(value=0.9, min=0.0, max=1.0, step=0.01, description="beta1 (Adam)", **slider),
            "beta2": _FloatSlider(
                value=0.999, min=0.0, max=1.0, step=0.001, readout_format=".3f", description="beta2 (Adam)", **slider
            ),
            "eps": _FloatLogSlider(
                value=1e-8, base=10, min=-10, max=0, step=0.5, readout_format=".0e", description="eps", **slider
            ),
            "steps": w.IntSlider(value=steps, min=1, max=1000, step=1, description="steps", **slider),
            "start_x": w.FloatText(
                value=land.start[0], description="start x", step=0.1, layout=w.Layout(width="180px")
            ),
            "start_y": w.FloatText(
                value=land.start[1], description="start y", step=0.1, layout=w.Layout(width="180px")
            ),
        }
        for name in optim.optimizer_names():
            self.controls[f"show:{name}"] = w.ToggleButton(
                value=name in optimizers, description=name, layout=w.Layout(width="auto", min_width="84px")
            )
        self.runs: list[trajectories.Trajectory] = []
        self._land: landscapes.Landscape | None = None
        self._frame: tuple | None = None
        self.ax_map, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        self.controls["landscape"].observe(self._landscape_changed, names="value")
        for key, control in self.controls.items():
            if key != "landscape":
                control.observe(self._controls_changed, names="value")
        self.canvas.mpl_connect("button_press_event", self._clicked)
        c = self.controls
        toggles = w.HBox([c[f"show:{n}"] for n in optim.optimizer_names()], layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox(
            [
                w.HBox([c["landscape"], c["start_x"], c["start_y"]]),
                toggles,
                w.HBox([w.VBox([c["lr"], c["steps"], c["momentum"]]), w.VBox([c["beta1"], c["beta2"], c["eps"]])]),
                self.view,
                self.status,
            ]
        )
        self.update()

    @property
    def optimizers(self) -> list[str]:
        """The optimizers shown, in the course's order."""
        return [n for n in optim.optimizer_names() if self.controls[f"show:{n}"].value]

    def configs(self) -> list[tuple[str, dict[str, Any]]]:
        """The (name, hyperparameters) of every optimizer shown, as ``trajectories.run_many`` takes them."""
        c = self.controls
        configs = []
        for name in self.optimizers:
            hp: dict[str, Any] = {"lr": FIXED_LR.get(name, c["lr"].value)}
            if name in USES["momentum"]:
                hp["momentum"] = c["momentum"].value
            if name in USES["beta1"]:
                hp["betas"] = (c["beta1"].value, c["beta2"].value)
            if name in USES["eps"]:
                hp["eps"] = c["eps"].value
            configs.append((name, hp))
        return configs

    def _landscape_changed(self, change: dict) -> None:
        """A new landscape brings its own start point and a learning rate that suits it, then one redraw."""
        land = self._catalogue[change["new"]]
        self._holding = True
        try:
            self.controls["start_x"].value, self.controls["start_y"].value = land.start
            self.controls["lr"].value = DEFAULT_LR[land.name]
        finally:
            self._holding = False
        self.update()

    def _clicked(self, event: Any) -> None:
        if event.inaxes is not self.ax_map or event.xdata is None:
            return
        self._holding = True
        try:
            self.controls["start_x"].value = round(float(event.xdata), 3)
            self.controls["start_y"].value = round(float(event.ydata), 3)
        finally:
            self._holding = False
        self.update()

    def _recompute_and_draw(self) -> None:
        c = self.controls
        land = self._catalogue[c["landscape"].value]
        if not self.optimizers:
            raise ValueError("no optimizer is selected; switch at least one on")
        start = (c["start_x"].value, c["start_y"].value)
        valid, refused = [], []
        for name, hp in self.configs():  # settings one optimizer cannot take should not stop the others
            try:
                optim.optimizer_settings(name, **hp)
                valid.append((name, hp))
            except ValueError as err:
                refused.append(f"{name} is not shown: {err}")
        if not valid:
            raise ValueError("; ".join(refused))
        runs = trajectories.run_many(land, valid, start=start, steps=c["steps"].value)
        rebuild = self._land is None or land.name != self._land.name
        rebuild |= [r.optimizer for r in runs] != [r.optimizer for r in self.runs]
        frame = (land.name, start, c["steps"].value)  # what fixes the loss axes' limits
        self.runs, self._land = runs, land
        if rebuild:
            self._build(land, runs)
        self._set_data(runs)
        if rebuild or frame != self._frame or self._static is None or not self._losses_fit(runs):
            self._frame = frame
            self._set_limits(land, runs)
            self._full_draw(layout=rebuild)
        else:
            self._refresh()
        if refused:
            self._say("; ".join(refused) + ". " + self._summary(runs), bad=True)
            self.error = None  # a picture was drawn; the message names what is missing from it
        else:
            self._say(self._summary(runs))

    # Drawing. The moving artists (paths, end points, loss curves, crosses, legend) are "animated": a full draw
    # renders everything else into the background picture. A change of learning rate or betas then only sends
    # the moving artists' data to the browser: no tick labels, contours or layout are computed again, and
    # nothing is rendered in the kernel.

    def _build(self, land: landscapes.Landscape, runs: list[trajectories.Trajectory]) -> None:
        for ax in (self.ax_map, self.ax_loss):
            ax.clear()
        plotting.plot_landscape(land, self.ax_map)
        self._paths = plotting.plot_paths(runs, self.ax_map, legend=False)
        self._start_marker = self.ax_map.lines[-1]
        self._loss_lines = plotting.plot_losses(runs, self.ax_loss, min_value=land.min_value, mark_divergence=False)
        self._crosses = [
            self.ax_loss.plot([], [], marker="X", ms=8, color=line.get_color(), ls="")[0] for line in self._loss_lines
        ]
        with plotting.style():
            self._legend = self.ax_loss.legend(loc="lower left")
        self._moving = [a for pair in self._paths for a in pair] + [self._start_marker]
        self._moving += self._loss_lines + self._crosses + [self._legend]
        for artist in self._moving:
            artist.set_animated(True)

    def _set_data(self, runs: list[trajectories.Trajectory]) -> None:
        low = self._land.min_value
        for t, (line, end), loss_line, cross, text in zip(
            runs, self._paths, self._loss_lines, self._crosses, self._legend.get_texts(), strict=True
        ):
            line.set_data(t.path[:, 0], t.path[:, 1])
            end.set_data([t.final[0]], [t.final[1]])
            end.set_marker("X" if t.diverged_at is not None else "o")
            gaps = plotting.loss_gap(t, low)
            loss_line.set_data(np.arange(len(gaps)), gaps)
            if t.diverged_at is not None and t.diverged_at > 0:
                top = self.ax_loss.get_ylim()[1]
                cross.set_data([t.diverged_at - 1], [min(gaps[t.diverged_at - 1], top)])
            else:
                cross.set_data([], [])
            text.set_text(plotting.path_label(t))
        self._start_marker.set_data([runs[0].path[0, 0]], [runs[0].path[0, 1]])

    def _loss_range(self, runs: list[trajectories.Trajectory]) -> tuple[float, float]:
        gaps = np.concatenate([plotting.loss_gap(t, self._land.min_value) for t in runs])
        gaps = gaps[np.isfinite(gaps)]
        return float(gaps.min()), float(gaps.max())

    def _losses_fit(self, runs: list[trajectories.Trajectory]) -> bool:
        """Whether the loss curves fit the current limits (then a blit is enough).

        They fit when they stay inside, and when they still fill a fair part of the axis: after a diverged run
        (limits up to 1e300) a converging one would otherwise stay squeezed against the bottom.
        """
        low, high = self._loss_range(runs)
        bottom, top = self.ax_loss.get_ylim()
        inside = bottom <= low and high <= top
        roomy = top <= high * 1e4 and bottom >= low / 1e4  # at most 4 spare decades above and below
        return inside and roomy

    def _set_limits(self, land: landscapes.Landscape, runs: list[trajectories.Trajectory]) -> None:
        """Limits that fit the curves with a margin; they change only when a curve leaves them, or the frame."""
        low, high = self._loss_range(runs)
        self.ax_loss.set_xlim(0, max(len(runs[0].losses) - 1, 1))
        self.ax_loss.set_ylim(max(low / 30, 1e-16), min(high * 30, 1e300))
        (x0, x1), (y0, y1) = land.bounds
        self.ax_map.set_xlim(x0, x1)
        self.ax_map.set_ylim(y0, y1)
        self._set_data(runs)  # the crosses of diverged runs sit at the top edge, which may have moved

    def _full_draw(self, *, layout: bool) -> None:
        if layout:  # lay the axes out again only when they were rebuilt: constrained layout is slow
            self.figure.set_layout_engine("constrained")
            self._render()
            self.figure.set_layout_engine("none")
        else:
            self._render()

    @staticmethod
    def _summary(runs: list[trajectories.Trajectory]) -> str:
        parts = []
        for t in runs:
            if t.diverged_at is not None:
                parts.append(f"{t.optimizer} diverged at step {t.diverged_at}")
            else:
                parts.append(f"{t.optimizer} reached loss {t.losses[-1]:.3g}")
        return "; ".join(parts) + ". Click the map to start somewhere else."


def optimizer_playground(
    landscape: str | landscapes.Landscape = "rosenbrock",
    optimizers: Sequence[str] = ("sgd", "momentum", "adam"),
    steps: int = 200,
    lr: float | None = None,
) -> Playground:
    """Show optimizers racing on a landscape, with live controls; returns the Playground (already displayed)."""
    playground = Playground(landscape, optimizers, steps, lr)
    playground.show()
    return playground


class LearningRateExplorer(_LiveFigure):
    """Gradient descent on the 1-D quadratic f(w) = L w^2 / 2, to find the 2/L threshold by hand.

    Each step computes w <- w - lr * L * w = (1 - lr L) w: the iterates shrink when |1 - lr L| < 1, that is
    0 < lr < 2/L, and grow otherwise. ``controls``: "lr", "curvature" (L), "steps". Left: the parabola with the
    iterates on it; right: |w| per step on a log scale.
    """

    title = "Learning-rate explorer"

    def __init__(self, curvature: float = 1.0, lr: float = 0.5, steps: int = 20, start: float = 2.0) -> None:
        super().__init__(figsize=(10, 3.8))
        self.start = start
        slider = dict(continuous_update=True, style={"description_width": "110px"}, layout=w.Layout(width="420px"))
        self.controls: dict[str, w.ValueWidget] = {
            "lr": _FloatSlider(value=lr, min=0.0, max=3.0, step=0.01, description="learning rate", **slider),
            "curvature": _FloatSlider(
                value=curvature, min=0.1, max=4.0, step=0.1, description="curvature L", **slider
            ),
            "steps": w.IntSlider(value=steps, min=1, max=60, description="steps", **slider),
        }
        for control in self.controls.values():
            control.observe(self._controls_changed, names="value")
        self.ax_curve, self.ax_size = self.figure.subplots(1, 2)
        with plotting.style():
            (self._parabola,) = self.ax_curve.plot([], [], color="#6b6b6b", lw=1.2)
            (self._iterates,) = self.ax_curve.plot([], [], color="#0072B2", marker="o", ms=4, lw=1)
            (self._sizes,) = self.ax_size.plot([], [], color="#0072B2", marker="o", ms=3)
            self.ax_curve.set_xlabel("weight w")
            self.ax_curve.set_ylabel("loss f(w) = L w² / 2")
            self.ax_size.set_yscale("log")
            self.ax_size.set_xlabel("step")
            self.ax_size.set_ylabel("|w|, distance to the minimum (log)")
            self.ax_size.grid(True, alpha=0.3)
        self._moving = [self._parabola, self._iterates, self._sizes, self.ax_curve.title, self.ax_size.title]
        c = self.controls
        self.widget = w.VBox([c["lr"], c["curvature"], c["steps"], self.view, self.status])
        self.run: trajectories.Trajectory | None = None
        self.update()

    def verdict(self) -> str:
        """What gradient descent does at these settings, from the factor 1 - lr L."""
        lr, L = self.controls["lr"].value, self.controls["curvature"].value
        factor = 1 - lr * L
        threshold = f"2/L = {2 / L:.3g}"
        if lr == 0:
            return f"lr = 0: w never moves ({threshold})"
        if abs(factor) < 1:
            how = "straight in" if factor > 0 else ("in one step" if factor == 0 else "oscillating")
            return f"lr = {lr:.3g} < {threshold}: converges {how} (w is multiplied by {factor:.2f} each step)"
        if factor == -1:
            return f"lr = {lr:.3g} = {threshold}: bounces between +w and -w for ever"
        return f"lr = {lr:.3g} > {threshold}: diverges (w is multiplied by {factor:.2f} each step)"

    def _recompute_and_draw(self) -> None:
        c = self.controls
        L = c["curvature"].value
        land = landscapes.get("quadratic", a=L, b=1.0)
        run = trajectories.run(land, "gd", start=(self.start, 0.0), lr=c["lr"].value, steps=c["steps"].value)
        ws = run.path[:, 0]
        finite = ws[np.isfinite(ws)]
        # the window grows in doublings (a new background only when it must), up to 8 times the start
        needed = min(np.abs(finite).max() * 1.1, abs(self.start) * 8)
        reach = abs(self.start) * 1.25
        while reach < needed:
            reach *= 2
        grid = np.linspace(-reach, reach, 200)
        self._parabola.set_data(grid, 0.5 * L * grid**2)
        self._iterates.set_data(finite, 0.5 * L * finite**2)
        self._sizes.set_data(np.arange(len(finite)), np.maximum(np.abs(finite), 1e-300))
        self.ax_curve.set_xlim(-reach, reach)
        self.ax_curve.set_ylim(-0.05 * L * reach**2, 0.55 * L * reach**2)
        sizes = np.abs(finite)[np.abs(finite) > 0]
        low = 10.0 ** np.floor(np.log10(max(sizes.min(), 1e-300))) if len(sizes) else 1e-3
        high = 10.0 ** np.ceil(np.log10(max(sizes.max(), 1e-300))) if len(sizes) else 10.0
        self.ax_size.set_ylim(low / 2, high * 2)  # whole decades: the limits change only when a decade is crossed
        self.ax_size.set_xlim(-0.03 * c["steps"].value, 1.03 * c["steps"].value)
        verdict = self.verdict()
        self.ax_curve.set_title(verdict.split(":")[0])
        self.ax_size.set_title(verdict.split(": ", 1)[1].split(" (")[0])
        self.run = run
        self._say(verdict)
        axes = (self.ax_curve, self.ax_size)
        self._show(tuple((ax.get_xlim(), ax.get_ylim()) for ax in axes))


def lr_explorer(curvature: float = 1.0, lr: float = 0.5, steps: int = 20) -> LearningRateExplorer:
    """Show the learning-rate explorer for f(w) = L w^2 / 2; returns it (already displayed)."""
    explorer = LearningRateExplorer(curvature, lr, steps)
    explorer.show()
    return explorer


class MinibatchExplorer(_LiveFigure):
    """Minibatch SGD against full-batch gradient descent on a linear regression with two weights.

    Each epoch shuffles the examples (a seeded generator) and takes one step per minibatch with the minibatch
    gradient 2/B X_b'(X_b w - y_b), through ``optim.sgd_update``; full-batch gradient descent takes one step
    per epoch with the full gradient. ``controls``: "batch_size", "lr", "epochs", "seed". Left: both paths on
    the loss landscape; right: the full-data loss gap against epochs. Introduced in notebook 02.
    """

    title = "Minibatch explorer"

    def __init__(
        self,
        features: Any,
        targets: Any,
        *,
        batch_size: int = 16,
        lr: float = 0.05,
        epochs: int = 5,
        name: str = "least squares",
        axis_names: tuple[str, str] = ("w1", "w2"),
    ) -> None:
        super().__init__(figsize=(9.6, 4.0))
        self.land = landscapes.least_squares(features, targets, name=name, axis_names=axis_names)
        self.X = torch.as_tensor(np.asarray(features, dtype=float))
        self.y = torch.as_tensor(np.asarray(targets, dtype=float))
        n = len(self.y)
        slider = dict(continuous_update=True, style={"description_width": "110px"}, layout=w.Layout(width="420px"))
        self.controls: dict[str, w.ValueWidget] = {
            "batch_size": w.IntSlider(value=batch_size, min=1, max=n, description="batch size", **slider),
            "lr": _lr_slider(lr, -3, 0, 0.05, **slider),
            "epochs": w.IntSlider(value=epochs, min=1, max=20, description="epochs", **slider),
            "seed": w.IntSlider(value=0, min=0, max=9, description="shuffle seed", **slider),
        }
        for control in self.controls.values():
            control.observe(self._controls_changed, names="value")
        self.ax_map, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        with plotting.style():
            plotting.plot_landscape(self.land, self.ax_map)
            self.ax_map.set_aspect("equal")  # both axes are weights: equal units show the true shape of the bowl
            (self._sgd_path,) = self.ax_map.plot(
                [], [], color="#D55E00", lw=0.9, marker=".", ms=3, label="minibatch SGD"
            )
            (self._gd_path,) = self.ax_map.plot(
                [], [], color="#0072B2", lw=1.8, marker="o", ms=4, label="full-batch GD"
            )
            self.ax_map.legend(loc="upper right")
            (self._sgd_loss,) = self.ax_loss.plot([], [], color="#D55E00", lw=1, label="minibatch SGD")
            (self._gd_loss,) = self.ax_loss.plot(
                [], [], color="#0072B2", lw=1.8, marker="o", ms=4, label="full-batch GD"
            )
            self.ax_loss.set_yscale("log")
            self.ax_loss.set_xlabel("epochs (passes over the data)")
            self.ax_loss.set_ylabel("loss gap f - f*  (log scale)")
            self.ax_loss.grid(True, alpha=0.3)
            self.ax_loss.legend(loc="lower left")
        c = self.controls
        self.widget = w.VBox(
            [w.HBox([w.VBox([c["batch_size"], c["lr"]]), w.VBox([c["epochs"], c["seed"]])]), self.view, self.status]
        )
        self._moving = [self._sgd_path, self._gd_path, self._sgd_loss, self._gd_loss]
        self.sgd: np.ndarray | None = None  # the last SGD path, (steps+1, 2)
        self.gd: np.ndarray | None = None  # the last gradient-descent path, (epochs+1, 2)
        self.update()

    def paths(self) -> tuple[np.ndarray, np.ndarray]:
        """(SGD path, GD path) for the current settings: each starts at the landscape's start point."""
        c = self.controls
        bs, lr, epochs = c["batch_size"].value, c["lr"].value, c["epochs"].value
        optim._check_real("lr", lr, 0.0)
        n = len(self.y)
        generator = torch.Generator().manual_seed(c["seed"].value)
        with torch.inference_mode():
            wt = torch.tensor(self.land.start, dtype=torch.float64)
            sgd = [wt.clone()]
            for _ in range(epochs):
                for idx in torch.randperm(n, generator=generator).split(bs):
                    Xb, yb = self.X[idx], self.y[idx]
                    optim.sgd_update(wt, 2 / len(idx) * Xb.T @ (Xb @ wt - yb), None, lr=lr)
                    sgd.append(wt.clone())
            gd = trajectories.run(self.land, "gd", lr=lr, steps=epochs)
        return torch.stack(sgd).numpy(), gd.path

    def _recompute_and_draw(self) -> None:
        sgd, gd = self.paths()
        n, bs = len(self.y), self.controls["batch_size"].value
        with np.errstate(over="ignore", invalid="ignore"):
            gap_sgd = np.maximum(self.land.value(sgd) - self.land.min_value, 1e-16)
            gap_gd = np.maximum(self.land.value(gd) - self.land.min_value, 1e-16)
        self._sgd_path.set_data(sgd[:, 0], sgd[:, 1])
        self._gd_path.set_data(gd[:, 0], gd[:, 1])
        self._sgd_loss.set_data(self._epoch_axis(len(sgd)), gap_sgd)
        self._gd_loss.set_data(np.arange(len(gd)), gap_gd)
        finite = np.concatenate([gap_sgd, gap_gd])
        finite = finite[np.isfinite(finite)]
        self.ax_loss.set_xlim(0, len(gd) - 1)
        low, high = max(finite.min() / 3, 1e-16), min(finite.max() * 3, 1e300)
        self.ax_loss.set_ylim(10.0 ** np.floor(np.log10(low)), 10.0 ** np.ceil(np.log10(high)))  # whole decades
        (x0, x1), (y0, y1) = self.land.bounds
        self.ax_map.set_xlim(x0, x1)
        self.ax_map.set_ylim(y0, y1)
        self.sgd, self.gd = sgd, gd
        steps = -(-n // bs)
        if not np.isfinite(gap_sgd[-1]) or not np.isfinite(gap_gd[-1]):
            verdict = "the learning rate is too large: a run blew up"
        else:
            verdict = f"loss gap after the last epoch: SGD {gap_sgd[-1]:.2g}, GD {gap_gd[-1]:.2g}"
        threshold = 2 / self.land.lipschitz
        if self.controls["lr"].value >= threshold:
            verdict += f" (lr is at or above 2/L = {threshold:.2g}: full-batch gradient descent cannot converge)"
        self._say(f"batch size {bs}: {steps} step{'' if steps == 1 else 's'} per epoch; {verdict}")
        self._show((self.ax_loss.get_xlim(), self.ax_loss.get_ylim()))

    def _epoch_axis(self, count: int) -> np.ndarray:
        """The epoch (a fraction) reached after each SGD step, the last batch of an epoch being smaller."""
        n, bs = len(self.y), self.controls["batch_size"].value
        per_epoch = -(-n // bs)
        k = np.arange(count)
        epoch, within = np.divmod(k, per_epoch)
        return epoch + np.minimum(within * bs, n) / n


def minibatch_explorer(features: Any, targets: Any, **kwargs: Any) -> MinibatchExplorer:
    """Show the minibatch explorer for a two-feature regression; returns it (already displayed)."""
    explorer = MinibatchExplorer(features, targets, **kwargs)
    explorer.show()
    return explorer


class TrainingDashboard(_LiveFigure):
    """Train a classifier from the notebook: choose optimizer, learning rate, batch size and epochs, press Train.

    Every run starts from the same initial weights (``model_factory(seed=0)``) and the same shuffling, so runs
    differ only in the settings chosen. The curves (training and validation loss, validation accuracy, per
    epoch) grow while a run trains; earlier runs stay on the plot for comparison until "Clear" is pressed. A run
    whose loss becomes NaN or infinite is stopped and marked with a cross where it diverged. ``controls``:
    "optimizer", "lr", "batch_size", "epochs"; ``buttons``: "train", "clear"; ``runs``: (label, History) pairs.
    ``train()`` and ``clear()`` do what the buttons do. Introduced in notebook 06.
    """

    title = "Training dashboard"

    def __init__(
        self,
        splits=None,
        model_factory=None,
        *,
        optimizer: str = "adam",
        lr: float = 1e-3,
        batch_size: int = 32,
        epochs: int = 10,
    ) -> None:
        from course_lib import data, training

        super().__init__(figsize=(9.6, 3.8))
        self.splits = splits if splits is not None else data.load_digits()
        self.model_factory = model_factory or (
            lambda seed=0: training.mlp(self.splits.features, (128,), self.splits.classes, seed=seed)
        )
        style = {"description_width": "110px"}
        self.controls: dict[str, w.ValueWidget] = {
            "optimizer": w.Dropdown(
                options=optim.optimizer_names(), value=optimizer, description="optimizer", style=style
            ),
            "lr": _lr_slider(lr, -5, 1, 0.1, style=style, layout=w.Layout(width="420px")),
            "batch_size": w.Dropdown(
                options=[8, 16, 32, 64, 128, 256, 512], value=batch_size, description="batch size", style=style
            ),
            "epochs": w.IntSlider(
                value=epochs, min=1, max=60, description="epochs", style=style, layout=w.Layout(width="420px")
            ),
        }
        self.buttons = {
            "train": w.Button(description="Train", button_style="primary", icon="play"),
            "clear": w.Button(description="Clear runs", icon="trash"),
        }
        self.buttons["train"].on_click(lambda _: self.train())
        self.buttons["clear"].on_click(lambda _: self.clear())
        self.runs: list[tuple[str, Any]] = []
        self._planned = 0  # the epochs of the run being trained (0: none), which fix the x axis meanwhile
        self.ax_loss, self.ax_acc = self.figure.subplots(1, 2)
        c = self.controls
        self.widget = w.VBox(
            [
                w.HBox([w.VBox([c["optimizer"], c["batch_size"]]), w.VBox([c["lr"], c["epochs"]])]),
                w.HBox([self.buttons["train"], self.buttons["clear"]]),
                self.view,
                self.status,
            ]
        )
        self.update()
        self._say("Choose the settings and press Train. Every run starts from the same initial weights.")

    def _label(self) -> str:
        c = self.controls
        return f"{c['optimizer'].value} lr={c['lr'].value:.2g} batch={c['batch_size'].value}"

    def train(self) -> Any:
        """Train one run with the current settings, redrawing after every epoch; returns its History."""
        from course_lib import training

        c = self.controls
        label = self._label()
        self.buttons["train"].disabled = True
        first_new = len(self.runs)
        try:
            model = self.model_factory(seed=0)
            optimizer = optim.make_optimizer(c["optimizer"].value, model.parameters(), lr=c["lr"].value)
            train_loader, val_loader, _ = self.splits.loaders(c["batch_size"].value, seed=0)
            epochs = c["epochs"].value

            def after_epoch(h):  # h is the History being filled: the new run's curves grow with it
                if len(self.runs) == first_new:
                    self.runs.append((label, h))
                self._say(f"Training {label}: epoch {h.epochs}/{epochs}, {h.summary()}")
                self._grow(h)

            self._say(f"Training {label}...")
            self._planned = epochs
            history = training.train(
                model,
                optimizer,
                train_loader,
                epochs=epochs,
                val_loader=val_loader,
                progress=False,
                on_epoch=after_epoch,
            )
            if len(self.runs) == first_new:  # diverged before its first epoch ended: still a run to show
                self.runs.append((label, history))
            self.update()
            diverged = history.diverged_at is not None
            self._say(history.message if diverged else f"{label}: {history.summary()}", bad=diverged)
            if diverged:
                self.error = None  # a diverged run is a result, drawn and named, not a failure of the tool
            return history
        except ValueError as err:  # settings no optimizer accepts: say so, keep what is drawn
            del self.runs[first_new:]
            self._say(f"Cannot train with these settings: {err}", bad=True)
            return None
        finally:
            self._planned = 0
            self.buttons["train"].disabled = False

    def clear(self) -> None:
        """Remove every run from the plot."""
        self.runs.clear()
        self.update()
        self._say("Cleared. Press Train to start a new run.")

    def _grow(self, h: Any) -> None:
        """After an epoch: the growing run's three curves get one more point. Only those lines go to the
        browser, unless the new point leaves the axes (then everything is drawn again)."""
        if h.epochs > 1 and len(self._moving) == 3 and not h.diverged_at and len(h.val_loss) == h.epochs:
            epochs = np.arange(1, h.epochs + 1)
            for line, values in zip(self._moving, (h.train_loss, h.val_loss, h.val_acc), strict=True):
                line.set_data(epochs, values)
            bottom, top = self.ax_loss.get_ylim()
            losses = np.asarray(h.train_loss + h.val_loss)
            if np.isfinite(losses).all() and bottom <= losses.min() and losses.max() <= top:
                self._refresh()
                self.redraws += 1
                return
        self.update()

    def _recompute_and_draw(self) -> None:
        for ax in (self.ax_loss, self.ax_acc):
            ax.clear()
        plotting.plot_histories(self.runs, self.ax_loss, self.ax_acc)
        self._moving = []
        with plotting.style():
            self.ax_acc.set_ylim(0, 1.01)
            if self.runs:
                self.ax_loss.legend(loc="upper right")
        if self._planned and self.runs:  # training: fixed axes, and the new run's curves drawn in the browser
            _, h = self.runs[-1]
            last = max(self._planned, *(h.epochs for _, h in self.runs))
            for ax in (self.ax_loss, self.ax_acc):
                ax.set_xlim(0.5, last + 0.5)
            losses = np.asarray([v for _, h in self.runs for v in h.train_loss + h.val_loss], dtype=float)
            losses = losses[np.isfinite(losses) & (losses > 0)]
            if len(losses) and h.val_loss and h.diverged_at is None:
                low, high = np.floor(np.log10(losses.min())) - 1, np.ceil(np.log10(losses.max()))
                self.ax_loss.set_ylim(10.0**low, 10.0**high)  # a decade of room below: the loss falls
                train, val = self.ax_loss.lines[-2:]
                self._moving = [train, val, self.ax_acc.lines[-1]]
                for artist in self._moving:
                    artist.set_animated(True)
        self._render()


def training_dashboard(splits=None, model_factory=None, **settings: Any) -> TrainingDashboard:
    """Show the training dashboard (digits by default); returns it (already displayed)."""
    dashboard = TrainingDashboard(splits, model_factory, **settings)
    dashboard.show()
    return dashboard


WINDOW = 3.6  # the momentum map's path plot shows -3.6 .. 3.6 in x and y


class MomentumMap(_LiveFigure):
    """Distill's momentum map: how fast heavy-ball momentum converges, over the plane of (learning rate, momentum).

    The quadratic f(x, y) = (x² / condition + y²) / 2 has curvatures λ_min = 1 / condition (along x) and
    λ_max = 1 (along y), so the learning rate is also lr · λ_max. Left: the convergence rate (the factor by which
    the error shrinks per step, in the slowest direction) for every (lr, momentum), computed once per condition,
    with the boundary lr · λ_max = 2 + 2 μ and Polyak's optimum. Middle: the path at the picked point, run by
    ``course_lib.trajectories`` (exactly what torch.optim.SGD computes). Right: the error along each eigendirection
    per step, with the predicted rate^k. ``controls``: "lr", "momentum" (sliders), "method" ("heavy ball" or
    "nesterov", PyTorch's form, whose boundary is lr · λ_max = (2 + 2 μ) / (1 + 2 μ)) and "condition"; clicking the
    map (or ``pick(lr, momentum)``) picks both with one redraw, which repaints only the moving parts (blitting).
    ``run``: the trajectory drawn; ``rates``: the map (momentum rows, lr columns); ``polyak``: Polyak's (lr, momentum).
    """

    title = "Momentum map"
    LR_MAX = 4.2  # the map's learning-rate axis: 0 .. 4.2, past the largest boundary 2 + 2 μ = 4
    GRID = (240, 280)  # momentum rows x learning-rate columns
    START = (-3.0, 1.5)  # far along the shallow x direction, a little up the steep y wall

    @staticmethod
    def rate(lr_times_curvature: Any, momentum: Any, *, nesterov: bool = False) -> np.ndarray:
        """The convergence rate of the heavy ball on a 1-D quadratic of curvature h, with lr · h given.

        The spectral radius of [[1 + μ - lr h, -μ], [1, 0]], which maps (w_k, w_{k-1}) to (w_{k+1}, w_k): the
        largest modulus of the roots of z² - a z + c = 0 with a = 1 + μ - lr h and c = μ. Complex roots
        (a² < 4 c) both have modulus √c; real ones give (|a| + √(a² - 4 c)) / 2. A rate >= 1 means no
        convergence. ``nesterov=True``: PyTorch's Nesterov form, whose weights follow
        w_{k+1} = (1 + μ)(1 - lr h) w_k - μ (1 - lr h) w_{k-1}, so a = (1 + μ)(1 - lr h), c = μ (1 - lr h).
        Arrays broadcast; an array comes back.
        """
        h, mu = np.broadcast_arrays(np.asarray(lr_times_curvature, dtype=float), np.asarray(momentum, dtype=float))
        a, c = ((1 + mu) * (1 - h), mu * (1 - h)) if nesterov else (1 + mu - h, mu)
        disc = a * a - 4 * c
        real = (np.abs(a) + np.sqrt(np.maximum(disc, 0.0))) / 2
        return np.where(disc < 0, np.sqrt(np.abs(c)), real)

    @staticmethod
    def polyak_point(condition: float) -> tuple[float, float]:
        """Polyak's (1964) best (lr, momentum) for curvatures 1 / condition and 1."""
        low, high = 1 / condition, 1.0
        root = condition**0.5
        return 4 / (high**0.5 + low**0.5) ** 2, ((root - 1) / (root + 1)) ** 2

    def __init__(
        self, condition: float = 20.0, lr: float | None = None, momentum: float | None = None, steps: int = 60
    ) -> None:
        super().__init__(figsize=(12.6, 4.0))
        self._check_condition(condition)
        self.steps = steps
        polyak_lr, polyak_mu = self.polyak_point(condition)
        slider = dict(continuous_update=True, style={"description_width": "80px"}, layout=w.Layout(width="400px"))
        self.controls: dict[str, w.ValueWidget] = {
            "lr": _FloatSlider(
                value=round(polyak_lr if lr is None else lr, 3),
                min=0.0,
                max=self.LR_MAX,
                step=0.001,
                readout_format=".3f",
                description="lr",
                **slider,
            ),
            "momentum": _FloatSlider(
                value=round(polyak_mu if momentum is None else momentum, 3),
                min=0.0,
                max=1.0,
                step=0.001,
                readout_format=".3f",
                description="momentum",
                **slider,
            ),
            "method": w.Dropdown(
                options=["heavy ball", "nesterov"],
                value="heavy ball",
                description="method",
                style={"description_width": "80px"},
                layout=w.Layout(width="200px"),
            ),
            "condition": w.FloatText(
                value=condition,
                description="condition",
                style={"description_width": "80px"},
                layout=w.Layout(width="200px"),
            ),
        }
        for control in self.controls.values():
            control.observe(self._controls_changed, names="value")
        self.ax_map, self.ax_path, self.ax_error = self.figure.subplots(1, 3, width_ratios=[1.25, 1, 1])
        self._map_key: tuple | None = None  # the (condition, method) the map shows
        self.rates = np.empty(self.GRID)
        self.polyak = (polyak_lr, polyak_mu)
        self.run: trajectories.Trajectory | None = None
        self._build()
        self.canvas.mpl_connect("button_press_event", self._clicked)
        c = self.controls
        self.widget = w.VBox(
            [
                w.HBox([w.VBox([c["lr"], c["momentum"]]), w.VBox([c["method"], c["condition"]])]),
                self.view,
                self.status,
            ]
        )
        self.update()

    @staticmethod
    def _check_condition(condition: Any) -> None:
        if not (isinstance(condition, int | float) and np.isfinite(condition) and 1 <= condition <= 1e6):
            raise ValueError(f"the condition number must be between 1 and 1e6, got {condition!r}")

    def _build(self) -> None:
        """The artists, made once; a pick only moves their data."""
        lrs = np.linspace(0, self.LR_MAX, self.GRID[1])
        with plotting.style():
            ax = self.ax_map
            cmap = mpl_colormaps["viridis"].with_extremes(over="#d9d9d9")
            self._image = ax.imshow(
                self.rates,
                extent=(0, self.LR_MAX, 0, 1),
                origin="lower",
                aspect="auto",
                cmap=cmap,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            bar = self.figure.colorbar(self._image, ax=ax, extend="max", pad=0.02)
            bar.set_label("rate: error × this per step (grey: diverges)")
            mus = np.linspace(0, 1, 50)
            (self._boundary,) = ax.plot(2 + 2 * mus, mus, color="black", lw=1.3, ls="--", label="boundary")
            (self._polyak_marker,) = ax.plot([], [], "*", ms=13, color="#E69F00", mec="black", label="Polyak's optimum")
            (self._pick,) = ax.plot([], [], "o", ms=12, mfc="none", mec="#CC79A7", mew=2.2, label="your pick")
            ax.set_xlim(0, self.LR_MAX)
            ax.set_ylim(0, 1)
            ax.set_xlabel("learning rate (= lr · λmax, as λmax = 1)")
            ax.set_ylabel("momentum μ")
            del lrs
            ap = self.ax_path
            (self._path,) = ap.plot([], [], "-o", color="#0072B2", ms=2.5, lw=1, label="path")
            (self._start,) = ap.plot([], [], "s", color="black", ms=5, label="start")
            (self._minimum,) = ap.plot([0], [0], "+", color="black", mew=2, ms=12, label="minimum")
            ap.set_xlim(-WINDOW, WINDOW)
            ap.set_ylim(-WINDOW, WINDOW)
            ap.set_aspect("equal")
            ap.set_xlabel("x (shallow direction, λmin)")
            ap.set_ylabel("y (steep direction, λmax)")
            ap.legend(loc="lower right", fontsize=8)
            ae = self.ax_error
            self._errors = [
                ae.plot([], [], "-", color=colour, lw=1.6, label=f"|{name}| / |{name}₀|, measured")[0]
                for name, colour in (("x", "#0072B2"), ("y", "#D55E00"))
            ]
            self._predicted = [  # dashed and dotted, so that both show where the two rates coincide
                ae.plot([], [], style, color=colour, lw=1.4, label=f"rate^k along {name}")[0]
                for name, colour, style in (("x", "#0072B2", "--"), ("y", "#D55E00", ":"))
            ]
            (self._cross,) = ae.plot([], [], "X", color="black", ms=9, ls="", label="where a run diverged")
            ae.set_yscale("log")
            ae.set_xlim(0, self.steps)
            ae.set_ylim(1e-12, 1e4)
            ae.set_xlabel("step k")
            ae.set_ylabel("error along each direction (log)")
            ae.legend(loc="lower left", fontsize=8)
            ae.grid(True, alpha=0.3)
        self._contours: list = []
        # what a pick changes: drawn over a cached background (blitting), so a pick redraws no axes or ticks
        self._moving = [
            self._pick,
            self._path,
            self._start,
            self._minimum,
            *self._errors,
            *self._predicted,
            self._cross,
        ]
        self._moving += [self.ax_path.title, self.ax_error.title]

    def _set_map(self, condition: float, method: str) -> None:
        """The map and the contours for a new condition number or method (the slow part, once for each)."""
        nesterov = method == "nesterov"
        lrs = np.linspace(0, self.LR_MAX, self.GRID[1])
        mus = np.linspace(0, 1, self.GRID[0])[:, None]
        self.rates = np.maximum(
            self.rate(lrs / condition, mus, nesterov=nesterov), self.rate(lrs, mus, nesterov=nesterov)
        )
        self._image.set_data(self.rates)
        self._image.set_clim(min(np.floor(self.rates.min() * 10) / 10, 0.9), 1)  # colours for the rates that occur
        self.polyak = self.polyak_point(condition)
        self._polyak_marker.set_data(*(([], []) if nesterov else ([self.polyak[0]], [self.polyak[1]])))
        mus = np.linspace(0, 1, 50)
        if nesterov:
            self._boundary.set_data((2 + 2 * mus) / (1 + 2 * mus), mus)
            self._boundary.set_label("boundary (2 + 2μ) / (1 + 2μ)")
        else:
            self._boundary.set_data(2 + 2 * mus, mus)
            self._boundary.set_label("boundary 2 + 2μ")
        with plotting.style():
            handles = [self._boundary, self._pick] if nesterov else [self._boundary, self._polyak_marker, self._pick]
            # in the grey (diverging) corner, clear of the boundary, the μ = 0 row and the low-lr columns
            corner = "upper right" if nesterov else "lower right"
            self.ax_map.legend(handles=handles, loc=corner, fontsize=8, framealpha=0.85)
        name = "Nesterov" if nesterov else "Heavy-ball"
        self.ax_map.set_title(f"{name} convergence rate, condition {condition:g}")
        for artist in self._contours:
            artist.remove()
        X, Y = np.meshgrid(np.linspace(-WINDOW, WINDOW, 120), np.linspace(-WINDOW, WINDOW, 120))
        with plotting.style():
            levels = np.geomspace(0.01, 6, 10)
            contour = self.ax_path.contour(
                X, Y, (X**2 / condition + Y**2) / 2, levels=levels, colors="#9a9a9a", linewidths=0.6, zorder=0
            )
        self._contours = [contour]
        self._map_key = (condition, method)

    def pick(self, lr: float, momentum: float) -> None:
        """Set both sliders (rounded to 0.001, kept inside the map), then redraw once: what a click does."""
        self._holding = True
        try:
            self.controls["lr"].value = round(float(np.clip(lr, 0, self.LR_MAX)), 3)
            self.controls["momentum"].value = round(float(np.clip(momentum, 0, 1)), 3)
        finally:
            self._holding = False
        self.update()

    def _clicked(self, event: Any) -> None:
        if event.inaxes is self.ax_map and event.xdata is not None:
            self.pick(event.xdata, event.ydata)

    def _recompute_and_draw(self) -> None:
        c = self.controls
        condition, method = c["condition"].value, c["method"].value
        self._check_condition(condition)
        lr, mu = c["lr"].value, c["momentum"].value
        land = landscapes.quadratic(a=1 / condition, b=1.0)
        hparams = dict(lr=lr, momentum=mu, nesterov=method == "nesterov")
        run = trajectories.run(land, "momentum", start=self.START, steps=self.steps, **hparams)  # may refuse: first
        self.run, self._land = run, land
        full = (condition, method) != self._map_key or self._static is None
        if (condition, method) != self._map_key:
            self._set_map(condition, method)
        self._pick.set_data([lr], [mu])
        path = run.path[np.isfinite(run.path).all(axis=1)]
        self._path.set_data(path[:, 0], path[:, 1])
        self._start.set_data([path[0, 0]], [path[0, 1]])
        k = np.arange(self.steps + 1)
        errors = np.abs(run.path) / np.abs(run.path[0])
        rates = self._rates_here()
        for i, (line, guide) in enumerate(zip(self._errors, self._predicted, strict=True)):
            line.set_data(k, np.maximum(errors[:, i], 1e-300))
            with np.errstate(over="ignore"):
                guide.set_data(k, rates[i] ** k)
        if run.diverged_at is not None:
            last = run.diverged_at - 1
            self._cross.set_data([last], [min(errors[last].max(), 1e4)])
        else:
            self._cross.set_data([], [])
        self.ax_path.set_title(f"Path: lr {lr:.3g}, momentum {mu:.3g}")
        fate = f"diverged at step {run.diverged_at}" if run.diverged_at is not None else f"rate {max(rates):.3f}"
        self.ax_error.set_title(f"Error per direction, {fate}")
        self._say(self.verdict(rates))
        if self.redraws == 0:  # lay out once (titles included), then keep the layout and animate what moves
            FigureCanvasAgg.draw(self.canvas)
            self.figure.set_layout_engine("none")
            for artist in self._moving:
                artist.set_animated(True)
        if full:  # a new condition changes the map and the contours: everything is drawn again
            self._render()
        else:
            self._refresh()

    def _rates_here(self) -> list[float]:
        """The rate along x (curvature 1 / condition) and along y (curvature 1) at the picked point."""
        c = self.controls
        lr, mu, nesterov = c["lr"].value, c["momentum"].value, c["method"].value == "nesterov"
        return [float(self.rate(lr * h, mu, nesterov=nesterov)) for h in (1 / c["condition"].value, 1.0)]

    def verdict(self, rates: list[float] | None = None) -> str:
        """What the heavy ball does at the picked point, in one line (the status under the plot)."""
        lr, mu = self.controls["lr"].value, self.controls["momentum"].value
        if rates is None:
            rates = self._rates_here()
        worst = max(rates)
        both = f"rate {worst:.3f} per step (x: {rates[0]:.3f}, y: {rates[1]:.3f})"
        if self.run is not None and self.run.diverged_at is not None:
            return f"lr {lr:.3g}, momentum {mu:.3g}: {both}, diverges: the run blew up at step {self.run.diverged_at}"
        error = float(np.abs(self.run.path[-1] / self.run.path[0]).max()) if self.run is not None else worst**self.steps
        if worst > 1 + 1e-9:
            return (
                f"lr {lr:.3g}, momentum {mu:.3g}: {both}, diverges: the error grows each step, "
                f"{error:.1e} times the start after {self.steps} steps"
            )
        if worst >= 1 - 1e-9:
            return f"lr {lr:.3g}, momentum {mu:.3g}: {both}, on the boundary: the error never shrinks"
        return f"lr {lr:.3g}, momentum {mu:.3g}: {both}; after {self.steps} steps the error is {error:.1e} of the start"


def momentum_map(
    condition: float = 20.0, lr: float | None = None, momentum: float | None = None, steps: int = 60
) -> MomentumMap:
    """Show the momentum map for curvatures 1 / condition and 1; returns it (already displayed).

    The picked point starts at Polyak's optimum unless ``lr`` and ``momentum`` are given.
    """
    tool = MomentumMap(condition=condition, lr=lr, momentum=momentum, steps=steps)
    tool.show()
    return tool
