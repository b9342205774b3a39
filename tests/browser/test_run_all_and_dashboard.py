"""Run All and the training dashboard in JupyterLab: values set from code survive the sliders' views, every
tool draws, and the dashboard trains (its curves appear), then clears."""

from __future__ import annotations

import time

from labdriver import CANVAS, learner, plot_drawn


def test_run_all_keeps_values_set_from_code_and_draws_every_tool(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("run_all.ipynb")
        page = tab.page
        tab.step = "running the first two cells at once"
        prompts = page.locator(".jp-InputPrompt")
        for _ in range(5):  # a command that lands while the kernel session is still connecting is lost
            page.locator(".jp-Cell .cm-content").first.click()
            page.keyboard.press("Shift+Enter")
            page.keyboard.press("Shift+Enter")
            try:  # both cells queued or run
                page.wait_for_function(
                    "els => els.every(el => /\\[(\\*|\\d+)\\]/.test(el.textContent))",
                    arg=[prompts.nth(0).element_handle(), prompts.nth(1).element_handle()],
                    timeout=8_000,
                )
                break
            except Exception:
                continue
        tab.step = "waiting for both tools to draw"
        for i in range(2):
            assert plot_drawn(page, page.locator(CANVAS).nth(i)), f"tool {i + 1} stayed blank after Run All"
        time.sleep(2.0)  # the sliders' views have appeared and said what they show
        tab.step = "reading the values in the last cell"
        page.keyboard.press("Shift+Enter")
        printed = page.locator(".jp-OutputArea-output", has_text="values ").first
        printed.wait_for(timeout=30_000)
        assert printed.inner_text().split() == ["values", "0.002", "1.234", "0.002"], printed.inner_text()
        tab.no_errors()


def test_the_dashboard_trains_draws_and_clears(jupyterlab, tmp_path):
    with learner(jupyterlab, tmp_path) as tab:
        tab.open("dashboard.ipynb")
        canvas = tab.run_and_wait_for_plot(min_length=5_000)  # empty axes: a small picture
        empty = canvas.evaluate("el => el.toDataURL()")

        tab.step = "pressing Train"
        page = tab.page
        page.locator("button.jupyter-button", has_text="Train").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html-content')]"
            ".some(el => /adam lr=0.001 batch=32: 3 epochs: .*val accuracy/.test(el.textContent))",
            timeout=120_000,
        )
        tab.wait_for_change(canvas, empty)
        time.sleep(1.0)  # the last epoch's redraw
        trained = canvas.evaluate("el => el.toDataURL()")
        assert len(trained) > len(empty) + 2_000, "the curves should add to the picture"

        tab.step = "pressing Clear runs"
        page.locator("button.jupyter-button", has_text="Clear runs").first.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-html-content')].some(el => /Cleared/.test(el.textContent))",
            timeout=30_000,
        )
        tab.wait_for_change(canvas, trained)
        tab.no_errors()
