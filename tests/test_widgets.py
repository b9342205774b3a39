"""The live tools, driven from code: every control really redraws, bad settings never raise."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import weakref
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import ipywidgets
import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.colors import to_hex
from PIL import Image

from course_lib import landscapes, plotting, trajectories, widgets


@pytest.fixture
def pg():
    return widgets.Playground("rosenbrock", ("sgd", "momentum", "adam"), steps=100)


def drawn_paths(pg) -> dict[str, np.ndarray]:
    return {t.optimizer: np.column_stack(line.get_data()) for t, (line, _) in zip(pg.runs, pg._paths, strict=True)}


def pixels(tool) -> np.ndarray:
    """The figure as it is now, rendered with Agg (what the stored picture shows)."""
    return tool.pixels().copy()


def scene(tool) -> list[dict]:
    """What the browser's canvas draws over the background: the moving artists' items."""
    return tool.view.scene["items"]


def test_required_controls_and_figure(pg):
    assert {"lr", "steps", "landscape", "momentum", "beta1", "beta2", "eps", "start_x", "start_y"} <= set(pg.controls)
    assert pg.figure.axes == [pg.ax_map, pg.ax_loss]
    assert pg.optimizers == ["sgd", "momentum", "adam"]


def test_drawn_paths_are_the_trajectories(pg):
    expected = trajectories.run_many("rosenbrock", pg.configs(), steps=100)
    for t, e in zip(pg.runs, expected, strict=True):
        assert np.allclose(drawn_paths(pg)[t.optimizer], e.path, equal_nan=True)


def test_setting_lr_redraws_before_the_assignment_returns(pg):
    before, image, redraws = drawn_paths(pg), pixels(pg), pg.redraws
    pg.controls["lr"].value = 5e-4
    after = drawn_paths(pg)
    assert pg.redraws == redraws + 1
    assert all(not np.allclose(before[k], after[k], equal_nan=True) for k in before)
    assert (pixels(pg) != image).any(), "the figure's pixels must change, not only the data"
    assert np.allclose(after["adam"], trajectories.run("rosenbrock", "adam", lr=5e-4, steps=100).path)


@pytest.mark.parametrize(
    "control, value, changed, unchanged",
    [
        ("momentum", 0.5, ["momentum"], ["sgd", "adam"]),
        ("beta1", 0.5, ["adam"], ["sgd", "momentum"]),
        ("beta2", 0.9, ["adam"], ["sgd", "momentum"]),
        ("eps", 1e-2, ["adam"], ["sgd", "momentum"]),
        ("lr", 1e-3, ["sgd", "adam", "yogi"], ["adadelta"]),
        ("beta1", 0.5, ["yogi"], ["adadelta"]),
        ("eps", 1e-2, ["rmsprop"], ["adadelta", "yogi"]),
    ],
)
def test_each_hyperparameter_reaches_exactly_the_optimizers_that_use_it(pg, control, value, changed, unchanged):
    for name in changed + unchanged:
        pg.controls[f"show:{name}"].value = True
    before = drawn_paths(pg)
    pg.controls[control].value = value
    after = drawn_paths(pg)
    for k in changed:
        assert not np.allclose(before[k], after[k], equal_nan=True), k
    for k in unchanged:
        assert np.allclose(before[k], after[k], equal_nan=True), k


def test_steps_and_start_point(pg):
    pg.controls["steps"].value = 40
    assert all(len(p) == 41 for p in drawn_paths(pg).values())
    assert pg.ax_loss.get_xlim() == (0, 40)
    pg.controls["start_x"].value = 0.5
    pg.controls["start_y"].value = -0.5
    assert all(np.allclose(p[0], [0.5, -0.5]) for p in drawn_paths(pg).values())


def test_clicking_the_map_moves_the_start(pg):
    pg.canvas.draw()
    x, y = pg.ax_map.transData.transform((0.25, 2.0))
    redraws = pg.redraws
    pg.canvas.callbacks.process("button_press_event", MouseEvent("button_press_event", pg.canvas, x, y, button=1))
    assert pg.controls["start_x"].value == pytest.approx(0.25, abs=0.01)
    assert pg.controls["start_y"].value == pytest.approx(2.0, abs=0.01)
    assert pg.redraws == redraws + 1, "one click, one redraw (not one per coordinate)"
    assert all(
        np.allclose(p[0], [pg.controls["start_x"].value, pg.controls["start_y"].value])
        for p in drawn_paths(pg).values()
    )


def test_changing_landscape_brings_its_window_start_and_learning_rate(pg):
    image = pixels(pg)
    pg.controls["landscape"].value = "himmelblau"
    land = landscapes.get("himmelblau")
    assert pg.ax_map.get_xlim() == land.bounds[0] and pg.ax_map.get_title() == "Himmelblau"
    assert (pg.controls["start_x"].value, pg.controls["start_y"].value) == land.start
    assert pg.controls["lr"].value == widgets.DEFAULT_LR["himmelblau"]
    assert all(np.allclose(p[0], land.start) for p in drawn_paths(pg).values())
    assert (pixels(pg) != image).any()


def test_toggling_optimizers_adds_and_removes_lines(pg):
    pg.controls["show:rmsprop"].value = True
    pg.controls["show:sgd"].value = False
    assert [t.optimizer for t in pg.runs] == ["momentum", "rmsprop", "adam"]
    assert len(pg._paths) == 3 and len(pg.ax_loss.get_legend().get_texts()) == 3
    labels = [t.get_text() for t in pg.ax_loss.get_legend().get_texts()]
    assert labels[1].startswith("rmsprop (lr=")


def test_settings_one_optimizer_refuses_leave_the_others_running(pg):
    before = drawn_paths(pg)
    pg.controls["beta2"].value = 1.0  # the slider allows it; Adam does not
    assert [t.optimizer for t in pg.runs] == ["sgd", "momentum"]
    assert "adam is not shown: betas[1] must be a number in [0, 1), got 1.0" in pg.status.value
    assert "#b3261e" in pg.status.value and pg.error is None
    assert np.allclose(before["sgd"], drawn_paths(pg)["sgd"], equal_nan=True)
    pg.controls["beta2"].value = 0.99  # back to something valid: Adam returns, the message goes
    assert [t.optimizer for t in pg.runs] == ["sgd", "momentum", "adam"] and "not shown" not in pg.status.value


def test_when_nothing_can_run_the_last_good_picture_stays():
    pg = widgets.Playground("beale", ("adam", "amsgrad"), steps=30)
    before, image = drawn_paths(pg), pixels(pg)
    pg.controls["beta1"].value = 1.0
    assert pg.error is not None and "betas[0] must be a number in [0, 1), got 1.0" in pg.error
    assert "last settings that worked" in pg.status.value
    assert all(np.allclose(before[k], v, equal_nan=True) for k, v in drawn_paths(pg).items())
    assert (pixels(pg) == image).all()


def test_momentum_at_zero_keeps_the_race_going():
    pg = widgets.Playground("ravine", ("gd", "momentum", "nesterov"), steps=30)
    pg.controls["momentum"].value = 0.0  # Nesterov needs momentum > 0; the other two still run
    assert [t.optimizer for t in pg.runs] == ["gd", "momentum"]
    assert "nesterov is not shown: nesterov=True needs momentum > 0" in html.unescape(pg.status.value)


def test_no_optimizer_selected_is_explained(pg):
    for name in pg.optimizers:
        pg.controls[f"show:{name}"].value = False
    assert "no optimizer is selected" in pg.error


def test_a_diverging_run_is_shown_as_diverged(pg):
    pg.controls["lr"].value = 1.0
    sgd = next(t for t in pg.runs if t.optimizer == "sgd")
    assert sgd.diverged_at is not None
    labels = [t.get_text() for t in pg.ax_loss.get_legend().get_texts()]
    assert f"sgd (lr=1): diverged at step {sgd.diverged_at}" in labels
    assert f"sgd diverged at step {sgd.diverged_at}" in pg.status.value
    cross = pg._crosses[pg.optimizers.index("sgd")]
    assert len(cross.get_xdata()) == 1 and cross.get_xdata()[0] == sgd.diverged_at - 1


def test_after_a_diverged_run_the_loss_axis_fits_the_converging_runs_again(pg):
    start = pg.ax_loss.get_ylim()
    pg.controls["lr"].value = 1.0  # sgd and momentum diverge: the axis reaches up to huge losses
    assert pg.ax_loss.get_ylim()[1] > start[1] * 1e5
    pg.controls["lr"].value = 1.5e-3  # back: the curves must fill the axis again, not hug its bottom
    low, high = pg._loss_range(pg.runs)
    bottom, top = pg.ax_loss.get_ylim()
    assert top <= high * 1e4 and bottom >= low / 1e4
    assert np.allclose(np.log10(pg.ax_loss.get_ylim()), np.log10(start), atol=1)


def test_an_unexpected_error_is_reported_in_the_widget_not_raised(pg):
    with mock.patch.object(trajectories, "run_many", side_effect=RuntimeError("boom")):
        pg.controls["lr"].value = 0.01
    assert "Something went wrong while drawing (RuntimeError: boom)" in pg.error


def test_the_factory_displays_once_and_global_matplotlib_state_is_untouched():
    rc = dict(mpl.rcParams)
    with mock.patch("course_lib.widgets.display") as shown:
        pg = widgets.optimizer_playground("beale", ("adam",), steps=20)
        pg._ipython_display_()  # the notebook would call this for a returned Playground
    assert shown.call_count == 1
    bundle = shown.call_args.args[0]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Optimizer playground: run this cell to use it")
    assert dict(mpl.rcParams) == rc


def test_unknown_optimizer_name_is_rejected_up_front():
    with pytest.raises(ValueError, match="unknown optimizer 'adma'"):
        widgets.Playground(optimizers=("adma",))


# ---------------------------------------------------------------------------------------------------------
# Learning-rate explorer
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lr, words",
    [
        (0.0, "w never moves"),
        (0.5, "converges straight in"),
        (1.0, "converges in one step"),
        (1.5, "converges oscillating"),
        (2.0, "bounces between +w and -w for ever"),
        (2.2, "diverges"),
    ],
)
def test_explorer_verdicts_follow_1_minus_lr_L(lr, words):
    ex = widgets.LearningRateExplorer(curvature=1.0, lr=lr)
    assert words in ex.verdict() and words in ex.status.value


def test_explorer_draws_the_iterates_of_gradient_descent():
    ex = widgets.LearningRateExplorer(curvature=2.0, lr=0.3, steps=10)
    image = pixels(ex)
    ws = ex._iterates.get_xdata()
    assert np.allclose(ws, 2.0 * (1 - 0.3 * 2.0) ** np.arange(11))
    ex.controls["lr"].value = 1.2  # 1 - 1.2 * 2 = -1.4: diverging
    assert "diverges" in ex.verdict()
    assert np.allclose(ex._iterates.get_xdata()[:5], 2.0 * (-1.4) ** np.arange(5))
    assert (pixels(ex) != image).any()


def line_pixels(item: dict) -> np.ndarray:
    return np.frombuffer(item["xy"], dtype=np.float32).reshape(-1, 2)


def test_a_change_sends_the_moving_parts_to_the_browser_and_no_picture(pg):
    background, items = pg.view.background, scene(pg)
    pg.controls["lr"].value = 1e-3
    assert pg.view.background is background, "the same landscape and limits: no new background picture"
    assert len(scene(pg)) == len(items) and scene(pg) != items
    (line, _end), run = pg._paths[0], pg.runs[0]
    item = next(i for i in scene(pg) if i["kind"] == "line" and i["color"].startswith(to_hex(line.get_color())))
    expected = pg.ax_map.transData.transform(run.path)
    expected[:, 1] = pg.figure.bbox.height - expected[:, 1]  # the canvas counts pixels from the top
    assert np.allclose(line_pixels(item), expected, atol=0.01), "the path, in the figure's pixels"
    assert [i["kind"] for i in scene(pg)].count("legend") == 1
    legend = next(i for i in scene(pg) if i["kind"] == "legend")
    assert [e["label"] for e in legend["entries"]] == [plotting.path_label(t) for t in pg.runs]


def test_a_new_landscape_sends_a_new_background(pg):
    background = pg.view.background
    assert background.startswith(b"\x89PNG") and (pg.view.width, pg.view.height) == (960, 400)
    pg.controls["landscape"].value = "beale"
    assert pg.view.background != background


def test_a_refused_setting_keeps_what_the_browser_shows(pg):
    background, items = pg.view.background, scene(pg)
    pg.controls["show:sgd"].value = False
    pg.controls["show:momentum"].value = False
    shown = scene(pg)
    pg.controls["beta2"].value = 1.0  # Adam refuses beta2 = 1: nothing is left to run
    assert pg.error and "betas[1]" in pg.error
    assert scene(pg) == shown and pg.view.background is not None
    assert items != shown and background


def test_a_click_in_the_browser_moves_the_start(pg):
    x, y = pg.ax_map.transData.transform((0.25, 2.0))
    pg.view._handle_custom_msg({"type": "click", "x": x, "y": pg.figure.bbox.height - y}, [])
    assert pg.controls["start_x"].value == pytest.approx(0.25, abs=0.01)
    assert pg.controls["start_y"].value == pytest.approx(2.0, abs=0.01)


def test_a_view_appearing_marks_the_tool_live():
    pg = widgets.Playground("beale", ("adam",), steps=20)
    assert not pg.frontend_ready()
    pg.view._handle_custom_msg({"type": "connected"}, [])  # what canvas.js sends when it renders
    assert pg.frontend_ready()


def test_the_browser_front_end_ships_with_the_package():
    from course_lib.widgets import canvas

    esm = Path(canvas.__file__).with_name("canvas.js")
    assert esm.exists() and "export default" in esm.read_text()
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert "widgets/*.js" in pyproject["tool"]["setuptools"]["package-data"]["course_lib"]


@pytest.mark.parametrize("make", [lambda: widgets.Playground("rosenbrock", ("adam",), steps=20),
                                  lambda: widgets.LearningRateExplorer(), lambda: widgets.MomentumMap()])
def test_a_value_set_from_code_stays_exact_when_the_slider_echoes_it_snapped(make):
    tool = make()
    slider = tool.controls["lr"]
    slider.value = 1.5e-3 if isinstance(slider, ipywidgets.FloatLogSlider) else 1.2345
    exact = slider.value
    snapped = slider._snap(exact)
    assert snapped != exact
    redraws = tool.redraws
    slider.set_state({"value": snapped})  # the browser's view shows the snapped value and sends it back
    assert slider.value == exact and tool.redraws == redraws, "the echo changes nothing"
    moved = slider._snap(snapped * 1.3 if isinstance(slider, ipywidgets.FloatLogSlider) else snapped + 0.2)
    slider.set_state({"value": moved})  # a learner moving the slider
    assert slider.value == moved and tool.redraws == redraws + 1


def test_a_stale_echo_is_undone_by_the_echo_of_the_later_value():
    """Run All: the view echoes the first value snapped while a later cell already set another."""
    pg = widgets.Playground("rosenbrock", ("adam",), steps=20)
    slider = pg.controls["lr"]
    slider.value = 1.5e-3
    slider.value = 2.5e-3  # a later cell
    slider.set_state({"value": slider._snap(1.5e-3)})  # the view's echo of the first value arrives late
    slider.set_state({"value": slider._snap(2.5e-3)})  # then its echo of the later one
    assert slider.value == 2.5e-3
    assert pg.runs[0].hparams["lr"] == 2.5e-3


def test_a_customised_landscape_and_names_in_any_case():
    steep = landscapes.get("ravine", condition=50)
    pg = widgets.Playground(steep, ("GD", " Momentum "), steps=30)
    assert pg.optimizers == ["gd", "momentum"]
    pg.controls["lr"].value = 0.02
    expected = trajectories.run(steep, "gd", lr=0.02, steps=30)
    assert np.allclose(drawn_paths(pg)["gd"], expected.path)
    assert "condition number 50" in pg.ax_map.get_title()


# ---------------------------------------------------------------------------------------------------------
# Minibatch explorer
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def mb():
    gen = np.random.default_rng(0)
    X = gen.normal(size=(40, 2))
    y = X @ np.array([0.7, -0.3]) + 0.5 * gen.normal(size=40)
    return widgets.MinibatchExplorer(X, y, batch_size=8, lr=0.05, epochs=3)


def test_minibatch_explorer_counts_steps_and_draws_both_paths(mb):
    sgd, gd = mb.paths()
    assert len(sgd) == 3 * 5 + 1 and len(gd) == 3 + 1  # 40 examples in batches of 8: 5 steps an epoch
    assert np.allclose(np.column_stack(mb._sgd_path.get_data()), sgd)
    assert np.allclose(np.column_stack(mb._gd_path.get_data()), gd)
    assert "batch size 8: 5 steps per epoch" in mb.status.value
    image = pixels(mb)
    mb.controls["batch_size"].value = 3  # 40 = 13 * 3 + 1: 14 steps an epoch, the last one a single example
    assert len(mb.sgd) == 3 * 14 + 1 and "14 steps per epoch" in mb.status.value
    assert np.isclose(mb._epoch_axis(len(mb.sgd))[-1], 3.0)
    assert (pixels(mb) != image).any()


def test_full_batch_sgd_is_gradient_descent(mb):
    mb.controls["batch_size"].value = 40
    assert np.allclose(mb.sgd, mb.gd)
    assert "1 step per epoch" in mb.status.value


def test_minibatches_are_reproducible_by_seed(mb):
    first = mb.sgd.copy()
    mb.controls["seed"].value = 1
    assert not np.allclose(first, mb.sgd)
    mb.controls["seed"].value = 0
    assert np.allclose(first, mb.sgd)


def test_a_learning_rate_above_2_over_L_is_named(mb):
    mb.controls["lr"].value = 1.0
    assert "2/L" in mb.status.value and mb.error is None


# ---------------------------------------------------------------------------------------------------------
# The training dashboard
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    from course_lib import data

    return data.load_digits()


def test_dashboard_trains_draws_each_epoch_and_keeps_earlier_runs(digits):
    dash = widgets.TrainingDashboard(digits, batch_size=128, epochs=3)
    assert {"optimizer", "lr", "batch_size", "epochs"} <= set(dash.controls) and not dash.runs
    blank = pixels(dash)
    redraws = dash.redraws
    drawn_while_training, sent = [], []  # points of the first curve at each redraw; what the browser got
    render, refresh = dash._render, dash._refresh

    def recording(draw):
        def recorded():
            if dash.ax_loss.lines:
                drawn_while_training.append(len(dash.ax_loss.lines[0].get_ydata()))
            draw()
            sent.append([len(line_pixels(i)) for i in dash.view.scene["items"]])

        return recorded

    with mock.patch.object(dash, "_render", recording(render)), mock.patch.object(dash, "_refresh", recording(refresh)):
        dash.buttons["train"].click()  # what the button does in the browser
    assert drawn_while_training[:3] == [1, 2, 3], "the curves must grow epoch by epoch while the run trains"
    assert sent[1] == [2, 2, 2], "after the first epoch, the browser gets the growing curves' points"
    assert len(dash.runs) == 1
    label, history = dash.runs[0]
    assert label == "adam lr=0.001 batch=128" and history.epochs == 3 and history.val_acc[-1] > 0.5
    assert dash.redraws >= redraws + 3, "the plot must be redrawn after every epoch, not only at the end"
    assert (pixels(dash) != blank).any()
    train_line = dash.ax_loss.lines[0]
    assert np.allclose(train_line.get_ydata(), history.train_loss)
    dash.controls["optimizer"].value = "sgd"
    dash.controls["lr"].value = 0.1
    second = dash.train()
    assert len(dash.runs) == 2 and dash.runs[1][1] is second
    assert len(dash.ax_acc.lines) == 2 and "sgd lr=0.1 batch=128" in [
        t.get_text() for t in dash.ax_loss.get_legend().get_texts()
    ]
    dash.buttons["clear"].click()
    assert not dash.runs and not dash.ax_loss.lines and "Cleared" in dash.status.value


def test_dashboard_marks_a_diverged_run_instead_of_crashing(digits, capsys):
    dash = widgets.TrainingDashboard(digits, optimizer="sgd", lr=10.0, batch_size=128, epochs=4)
    history = dash.train()
    assert history.diverged_at is not None
    legend = [t.get_text() for t in dash.ax_loss.get_legend().get_texts()]
    assert legend == [f"sgd lr=10 batch=128 (diverged in epoch {history.diverged_at})"]
    assert any(line.get_marker() == "X" for line in dash.ax_loss.lines)
    assert "Training stopped" in dash.status.value and dash.error is None
    assert not dash.buttons["train"].disabled
    dash.controls["lr"].value = 1e-3  # the next run works as usual
    assert dash.train().diverged_at is None and len(dash.runs) == 2


def test_dashboard_explains_itself_where_no_kernel_runs(digits):
    dash = widgets.TrainingDashboard(digits, epochs=1)
    bundle = dash.widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    with mock.patch.object(widgets, "display") as shown:
        dash.show()
    assert shown.call_args.args[0]["text/plain"].startswith("Training dashboard: run this cell")


# ---------------------------------------------------------------------------------------------------------
# Stored pictures: every tool's output carries a PNG of the tool, which follows later cells while no front end
# shows the tool (nbclient, nbval), and is never touched once a browser shows it
# ---------------------------------------------------------------------------------------------------------

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def make_tool(kind: str, digits=None) -> widgets._LiveFigure:
    if kind == "playground":
        return widgets.Playground("quadratic", ("sgd", "adam"), steps=30)
    if kind == "explorer":
        return widgets.LearningRateExplorer(curvature=1.0, lr=0.5)
    if kind == "minibatch":
        rng = np.random.default_rng(0)
        return widgets.MinibatchExplorer(rng.normal(size=(32, 2)), rng.normal(size=32), batch_size=8, epochs=2)
    return widgets.TrainingDashboard(digits, epochs=1)


TOOLS = ["playground", "explorer", "minibatch", "dashboard"]


class FakeKernel:
    """What show() needs from IPython: an event manager on a shell, display handles, and update_display."""

    def __init__(self) -> None:
        from IPython.core.events import EventManager, available_events

        self.shell = SimpleNamespace(events=EventManager(None, available_events), kernel=object())
        self.shown: list[dict] = []
        self.updates: list[tuple[str, dict]] = []

    def display(self, bundle, raw=False, display_id=None):
        assert raw and display_id is True, "a tool is displayed raw, with a display id to update it by"
        self.shown.append(bundle)
        return SimpleNamespace(display_id=f"tool-{len(self.shown)}")

    def update_display(self, bundle, raw=False, display_id=None):
        assert raw
        self.updates.append((display_id, bundle))

    def after_cell(self) -> None:
        self.shell.events.trigger("post_run_cell", None)

    @contextlib.contextmanager
    def running(self):
        with (
            mock.patch.object(widgets, "get_ipython", return_value=self.shell),
            mock.patch.object(widgets, "display", self.display),
            mock.patch.object(widgets, "update_display", self.update_display),
        ):
            yield self


def png_of(bundle: dict) -> Image.Image:
    data = base64.b64decode(bundle["image/png"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("kind", TOOLS)
def test_every_tool_output_holds_the_widget_a_picture_and_a_line_of_text(kind, digits):
    tool = make_tool(kind, digits)
    with FakeKernel().running() as kernel:
        tool.show()
    (bundle,) = kernel.shown
    assert set(bundle) == {WIDGET_VIEW, "image/png", "text/plain"}
    assert bundle[WIDGET_VIEW]["model_id"] == tool.widget.model_id
    assert bundle["text/plain"].startswith(f"{tool.title}: run this cell to use it live")
    assert len(base64.b64decode(bundle["image/png"])) < 120_000, "a picture per tool must stay small"
    picture = png_of(bundle).convert("RGB")
    width, height = (int(v) for v in tool.figure.bbox.size)  # the figure's pixels at its own dpi
    assert picture.width == width and height + 20 < picture.height < height + 120, "the figure, then a caption"
    drawn = np.asarray(Image.fromarray(tool.pixels()).convert("RGB"), dtype=float)
    top = np.asarray(picture, dtype=float)[:height]
    assert np.abs(top - drawn).mean() < 2, "the picture is the figure as drawn (up to 256-colour rounding)"


def test_the_picture_caption_names_the_settings(pg):
    assert "learning rate 0.0015" in pg.settings_text() and "landscape rosenbrock" in pg.settings_text()
    assert "show:" not in pg.settings_text() and "adam" not in pg.settings_text()


def test_the_stored_picture_follows_later_cells_that_change_the_tool():
    ex = make_tool("explorer")
    with FakeKernel().running() as kernel:
        ex.show()
        kernel.after_cell()  # the cell that showed it: nothing changed since
        assert kernel.updates == []
        ex.controls["lr"].value = 1.5  # a later cell drives the tool
        kernel.after_cell()
        assert [display_id for display_id, _ in kernel.updates] == ["tool-1"]
        before, after = png_of(kernel.shown[0]), png_of(kernel.updates[0][1])
        assert before.size != after.size or (np.asarray(before) != np.asarray(after)).any()
        assert kernel.updates[0][1][WIDGET_VIEW] == kernel.shown[0][WIDGET_VIEW], "still the same live widget"
        kernel.after_cell()  # a cell that did not touch the tool sends nothing
        assert len(kernel.updates) == 1


def test_the_picture_hook_is_registered_once_per_kernel_and_holds_tools_weakly():
    kernel = FakeKernel()
    with kernel.running():
        first, second = make_tool("explorer"), make_tool("explorer")
        first.show()
        second.show()
        keeper = kernel.shell._course_lib_pictures
        assert set(keeper.tools) == {first, second}
        assert kernel.shell.events.callbacks["post_run_cell"] == [keeper.after_cell]
    assert isinstance(keeper.tools, weakref.WeakSet)


def test_no_picture_update_once_a_browser_view_of_the_tool_connected():
    ex = make_tool("explorer")
    with FakeKernel().running() as kernel:
        ex.show()
        ex.view._handle_custom_msg({"type": "connected"}, [])  # what the browser's view sends on appearing
        assert ex.frontend_ready()
        ex.controls["lr"].value = 1.5
        kernel.after_cell()
    assert kernel.updates == [], "replacing the output of a connected tool would rebuild its live view"


def test_no_picture_update_while_a_widget_front_end_is_connected_to_the_kernel():
    ex = make_tool("explorer")
    with FakeKernel().running() as kernel, mock.patch.object(ipywidgets.Widget, "_control_comm", object()):
        ex.show()
        ex.controls["lr"].value = 1.5
        kernel.after_cell()
    assert kernel.updates == [], "JupyterLab opens the widget control channel on connecting: its tools stay live"


def test_outside_ipython_show_still_displays_and_registers_nothing():
    ex = make_tool("explorer")
    with mock.patch.object(widgets, "display", return_value=None) as shown:
        ex.show()
    assert shown.call_count == 1 and ex._display_ids == []
    ex._refresh_picture()  # nothing to update, and nothing raises


def tool_outputs(nb: dict) -> list[dict]:
    """The stored outputs of the course's tools: a widget view with a picture beside it."""
    return [
        o
        for cell in nb["cells"]
        for o in cell.get("outputs", [])
        if WIDGET_VIEW in o.get("data", {}) and "image/png" in o.get("data", {})
    ]


def test_nbconvert_html_shows_the_picture_of_every_tool(digits):
    import nbformat
    from nbconvert import HTMLExporter

    cells = []
    for kind in TOOLS:
        with FakeKernel().running() as kernel:
            make_tool(kind, digits).show()
        output = nbformat.v4.new_output("display_data", data=kernel.shown[0])
        cells.append(nbformat.v4.new_code_cell(f"# {kind}", outputs=[output], execution_count=1))
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "00_start_here.ipynb"
    course = nbformat.read(notebook, as_version=4)  # as committed: widget state stripped
    cells += [c for c in course.cells if c.cell_type == "code" and tool_outputs({"cells": [c]})]
    nb = nbformat.v4.new_notebook(cells=cells)
    html, _ = HTMLExporter().from_notebook_node(nb)
    pictures = tool_outputs(nb)
    assert len(pictures) >= len(TOOLS) + 1, "notebook 00 shows the playground"
    for output in pictures:
        assert f'src="data:image/png;base64,{output["data"]["image/png"]}"' in html
    assert WIDGET_VIEW not in html, "without saved widget state the export shows the picture, not a dead widget"


COURSE_NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=lambda p: p.name)
def test_every_tool_stored_in_a_course_notebook_carries_its_picture(path):
    """A notebook executed before tools stored pictures shows only text where each tool is: execute it again."""
    import json

    titles = tuple(f"{cls.title}:" for cls in widgets._LiveFigure.__subclasses__())
    outputs = [o.get("data", {}) for c in json.loads(path.read_text())["cells"] for o in c.get("outputs", [])]
    tools = [d for d in outputs if WIDGET_VIEW in d and "".join(d.get("text/plain", "")).startswith(titles)]
    missing = [d["text/plain"] for d in tools if "image/png" not in d]
    assert not missing, f"re-execute {path.name} (make execute): {len(missing)} tool(s) without a picture"
