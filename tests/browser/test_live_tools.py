"""Each live tool, run in JupyterLab and used with keyboard and mouse: its picture must change each time.

The playground's learning-rate slider is moved with the keyboard and the canvas's pixels must change; a refused
setting (Adam's beta2 at 1) says why and keeps the last picture; a tool changed by its own cell before its view
connects shows one live tool, not two; a click on the momentum map picks that point and its slider moves it.
"""

from __future__ import annotations

import time

from labdriver import CANVAS, learner, slider_handle


def test_moving_the_lr_slider_redraws_the_playground(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("playground.ipynb")
        canvas = tab.run_and_wait_for_plot()
        before = canvas.evaluate("el => el.toDataURL()")

        tab.step = "moving the learning-rate slider"
        page = tab.page
        slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="learning rate"))
        readout = slider.locator(".widget-readout")
        lr_before = readout.inner_text()
        handle = slider.locator(".noUi-handle")
        for _ in range(3):
            handle.focus()
            for _ in range(6):
                handle.press("ArrowRight")
            try:
                tab.wait_for_change(canvas, before, timeout=15_000)
                break
            except Exception:
                continue
        else:
            raise AssertionError("the plot did not change after the slider moved")
        assert readout.inner_text() != lr_before, "the slider's readout should show the new learning rate"
        tab.no_errors()
        assert any("reached loss" in s or "diverged" in s for s in tab.statuses()), tab.statuses()


def test_each_key_press_redraws_the_canvas_and_a_refused_setting_keeps_the_picture(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("refused.ipynb")
        canvas = tab.run_and_wait_for_plot()
        page = tab.page
        tab.step = "pressing ArrowLeft on the learning-rate slider, three times"
        handle = slider_handle(page, "learning rate")
        handle.focus()
        for _ in range(3):
            before = canvas.evaluate("el => el.toDataURL()")
            handle.press("ArrowLeft")
            tab.wait_for_change(canvas, before, timeout=15_000)
        tab.no_errors()

        tab.step = "pressing ArrowRight on beta2 (0.999 to 1: refused)"
        kept = canvas.evaluate("el => el.toDataURL()")
        beta2 = slider_handle(page, "beta2")
        beta2.focus()
        beta2.press("ArrowRight")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html-content')]"
            ".some(el => el.textContent.startsWith('Cannot run these settings') && el.textContent.includes('betas'))",
            timeout=30_000,
        )
        time.sleep(0.5)
        assert canvas.evaluate("el => el.toDataURL()") == kept, "the last picture stays"
        assert page.locator(".widget-slider", has_text="beta2").locator(".widget-readout").inner_text() == "1.000"

        tab.step = "pressing ArrowLeft on beta2 (back to 0.999)"
        beta2.press("ArrowLeft")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html-content')].some(el => /adam reached loss/.test("
            "el.textContent))",
            timeout=30_000,
        )
        tab.no_errors()


def test_a_picture_update_before_the_view_connects_leaves_one_live_tool(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("early_update.ipynb")
        canvas = tab.run_and_wait_for_plot()
        page = tab.page
        tab.step = "counting the tool's views"
        assert page.locator(CANVAS).count() == 1, "one view of the tool, not two"
        assert page.locator(".widget-slider").count() == 3, "the explorer's three sliders, once"
        assert page.locator(".jp-RenderedImage img").count() == 0, "the live tool, not its picture"
        tab.step = "moving the learning-rate slider"
        before = canvas.evaluate("el => el.toDataURL()")
        handle = slider_handle(page, "learning rate")
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        tab.wait_for_change(canvas, before)
        tab.no_errors()


def test_clicking_the_momentum_map_picks_a_point_and_the_slider_moves_it(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("momentum_map.ipynb")
        canvas = tab.run_and_wait_for_plot()
        page = tab.page
        tab.step = "reading where the map's point lies"
        printed = page.locator(".jp-OutputArea-output", has_text="map point at").first.inner_text()
        fx, fy = (float(v) for v in printed.split("map point at")[1].split()[:2])
        before = canvas.evaluate("el => el.toDataURL()")
        first_status = tab.statuses()

        tab.step = "clicking the map at lr 1, momentum 0.6"
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.wait_for_function(  # the status line of the new pick
            "old => [...document.querySelectorAll('.widget-html-content')]"
            ".some(el => el.textContent.startsWith('lr ') && !old.includes(el.textContent))",
            arg=first_status,
            timeout=30_000,
        )
        tab.wait_for_change(canvas, before)
        status = next(s for s in tab.statuses() if s.startswith("lr "))
        assert status not in first_status, status
        named = status.split(":")[0].removeprefix("lr ").split(", momentum ")  # "lr 1.01, momentum 0.598: ..."
        lr, momentum = (float(v) for v in named)
        assert abs(lr - 1.0) < 0.05 and abs(momentum - 0.6) < 0.03, f"the status should name the pick: {status}"
        readouts = page.locator(".widget-slider .widget-readout").all_inner_texts()
        assert [f"{float(r):.3g}" for r in readouts] == named, f"sliders {readouts}, status {status}"
        assert "after 60 steps the error is" in status, status
        tab.no_errors()

        tab.step = "pressing ArrowRight on the momentum slider"
        clicked = canvas.evaluate("el => el.toDataURL()")
        handle = slider_handle(page, "momentum")
        handle.focus()
        handle.press("ArrowRight")
        tab.wait_for_change(canvas, clicked, timeout=15_000)
        tab.no_errors()
