"""The optimizer playground in a real JupyterLab, driven through headless Chromium as a learner would.

Starts JupyterLab on 127.0.0.1 with a random token and temporary settings and workspace folders, opens a
notebook that shows the playground, runs all cells, moves the learning-rate slider with the keyboard, and
checks that the plot's pixels changed and that no error appeared. Needs Debian's chromium (`.ci/run`
installs it); without it the test is skipped, except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "id": "playground",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "from course_lib import widgets\n"
            "pg = widgets.optimizer_playground('rosenbrock', ('sgd', 'momentum', 'adam'), steps=200)",
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
SETTINGS = {  # user settings for this server only: render every cell, no news pop-ups
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Chromium is missing at {CHROMIUM}; .ci/run installs Debian's chromium before the tests")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium): the browser test needs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server of our own on a free loopback port; yields (base url, token); stopped afterwards."""
    sys.path.insert(0, str(ROOT))
    from tools.jupyter_env import kernel_in_this_environment

    kernel_in_this_environment()  # the server's kernels run in this environment, whatever else is installed
    work = tmp_path / "work"
    work.mkdir()
    (work / "playground.ipynb").write_text(json.dumps(NOTEBOOK))
    settings = tmp_path / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = tmp_path / "jupyterlab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_first_cell(page, count: int) -> None:
    """Run the first cell and wait until its prompt shows it running or run (execution count `count`)."""
    prompt = page.locator(".jp-InputPrompt").first
    for _ in range(5):  # a keypress that lands while the kernel session is still connecting is lost
        page.locator(".jp-Cell .cm-content").first.click()  # into the first cell, then run it
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(
                f"el => /\\[(\\*|{count})\\]/.test(el.textContent)", arg=prompt.element_handle(), timeout=8_000
            )
            return
        except Exception:
            continue


def plot_drawn(page, canvas) -> bool:
    """Whether the canvas shows a real picture (wide, and more than a blank image's few bytes) within a minute."""
    try:
        canvas.wait_for(state="visible", timeout=90_000)
        page.wait_for_function(
            "el => el.width > 300 && el.toDataURL().length > 20000", arg=canvas.element_handle(), timeout=60_000
        )
        return True
    except Exception:
        return False


def test_moving_the_lr_slider_redraws_the_playground(jupyterlab, tmp_path):
    need_chromium()
    from playwright.sync_api import sync_playwright

    base, token = jupyterlab
    step = "starting the browser"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        try:
            step = "opening the notebook"
            page.goto(f"{base}/lab/tree/playground.ipynb?token={token}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
            for dialog in page.query_selector_all("dialog.jp-Dialog .jp-mod-reject, dialog.jp-Dialog .jp-mod-accept"):
                dialog.click()

            step = "running the cell"
            run_first_cell(page, count=1)

            step = "waiting for the plot"
            canvas = page.locator(".jupyter-matplotlib-canvas-div canvas").first
            if not plot_drawn(page, canvas):
                # Re-running the cell is what a learner would do; the plot must come then. The first blank is
                # reported as a warning (with the browser's console) so that a recurrence stays visible.
                warnings.warn(
                    f"the plot stayed blank until the cell was run again; console: {console[-10:]}", stacklevel=1
                )
                step = "waiting for the plot after running the cell again"
                run_first_cell(page, count=2)
                canvas = page.locator(".jupyter-matplotlib-canvas-div canvas").first
                if not plot_drawn(page, canvas):
                    raise AssertionError("the plot stayed blank, also after running the cell again")
            time.sleep(1.0)  # let the first full redraw after the front end's handshake land
            before = canvas.evaluate("el => el.toDataURL()")

            step = "moving the learning-rate slider"
            slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="learning rate"))
            readout = slider.locator(".widget-readout")
            lr_before = readout.inner_text()
            handle = slider.locator(".noUi-handle")
            for _ in range(3):
                handle.focus()
                for _ in range(6):
                    handle.press("ArrowRight")
                try:
                    page.wait_for_function(
                        "([el, old]) => el.toDataURL() !== old", arg=[canvas.element_handle(), before], timeout=15_000
                    )
                    break
                except Exception:
                    continue
            else:
                raise AssertionError("the plot did not change after the slider moved")
            assert readout.inner_text() != lr_before, "the slider's readout should show the new learning rate"

            step = "looking for errors"
            errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            assert errors.count() == 0, errors.first.inner_text()
            status = page.locator(".widget-html-content").all_inner_texts()
            assert any("reached loss" in s or "diverged" in s for s in status), status
            assert not any("Cannot run" in s or "Something went wrong" in s for s in status), status
        except Exception as exc:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            log = (tmp_path / "jupyterlab.log").read_text()[-2000:]
            messages = "\n".join(console[-15:])
            raise AssertionError(
                f"failed while {step}: {exc}\nscreenshot: {shot}\nbrowser console:\n{messages}\nserver log:\n{log}"
            ) from exc
        finally:
            browser.close()
