"""How long the optimizer playground takes to redraw after the learning-rate slider moves, in a real kernel.

In a Jupyter kernel started by nbclient (no browser), build the playground on Rosenbrock with sgd, momentum and
Adam for 200 steps, then set ``controls["lr"].value`` to a dozen values and time each assignment: that is
the whole redraw (three runs computed, lines updated, their pixel coordinates sent to the browser's canvas).
Two settings (benchmarks/browser_latency.py times the same in a real JupyterLab, keypress to picture):

- no front end: no browser view has said it appeared (the lines are sent all the same; nbclient drops them);
- as in JupyterLab: the kernel receives the "connected" message that the tool's browser canvas sends; every
  redraw sends the moving lines' pixel coordinates (no picture). This is what a learner gets.

Beside them, in the same kernel: the naive computation of the same three runs with torch.optim and autograd,
one step at a time, and the course's batched computation alone. Targets (issue "Loss landscapes ..."):
median redraw <= 100 ms on a 2-core machine, and the computation >= 10x faster than the naive one.

Run:  .venv/bin/python benchmarks/playground_latency.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.jupyter_env import kernel_in_this_environment  # noqa: E402 (needs the path above)

KERNEL_CODE = r'''
import json, statistics, time
import numpy as np
import torch
from course_lib import landscapes, trajectories, widgets

LR_VALUES = [float(v) for v in np.geomspace(3e-4, 3e-2, 12)]
pg = widgets.optimizer_playground("rosenbrock", ("sgd", "momentum", "adam"), steps=200)
land = landscapes.get("rosenbrock")


def redraw_times():
    times = []
    for lr in LR_VALUES:
        start = time.perf_counter()
        pg.controls["lr"].value = lr
        times.append(time.perf_counter() - start)
    assert pg.error is None, pg.error
    return times


def naive(lr):
    """torch.optim and autograd, one step at a time, the three runs."""
    for cls, hp in ((torch.optim.SGD, {}), (torch.optim.SGD, {"momentum": 0.9}), (torch.optim.Adam, {})):
        xy = torch.tensor(land.start, dtype=torch.float64, requires_grad=True)
        opt = cls([xy], lr=lr, **hp)
        path = [xy.detach().clone()]
        for _ in range(200):
            opt.zero_grad()
            land.value(xy).backward()
            opt.step()
            path.append(xy.detach().clone())


def timed(fn):
    times = []
    for lr in LR_VALUES:
        start = time.perf_counter()
        fn(lr)
        times.append(time.perf_counter() - start)
    return times


no_frontend = redraw_times()
pg.view._handle_custom_msg({"type": "connected"}, [])  # what the browser's canvas sends when it appears
with_frontend = redraw_times()
naive_times = timed(naive)
ours_times = timed(lambda lr: trajectories.run_many(land, pg.configs(), steps=200))
print(json.dumps({"no_frontend": no_frontend, "with_frontend": with_frontend, "naive": naive_times,
                  "ours": ours_times, "threads": torch.get_num_threads(), "redraws": pg.redraws}))
'''


def main() -> None:
    kernel_in_this_environment()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_CODE)])
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    result = json.loads(text.strip().splitlines()[-1])

    def median_ms(key: str) -> float:
        values = sorted(result[key])
        mid = len(values) // 2
        return 1e3 * (values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2)

    lab, bare = median_ms("with_frontend"), median_ms("no_frontend")
    naive, ours = median_ms("naive"), median_ms("ours")
    print(f"optimizer playground, Rosenbrock, sgd + momentum + adam x 200 steps, {len(result['ours'])} lr values, "
          f"torch threads {result['threads']}")
    print(f"  redraw after setting lr, as in JupyterLab (front end connected): median {lab:6.1f} ms")
    print(f"  redraw after setting lr, no front end (rendered, nothing sent):   median {bare:6.1f} ms")
    print(f"  computing the three runs, course_lib (batched, analytic grad):   median {ours:6.1f} ms")
    print(f"  computing the three runs, naive (torch.optim + autograd):        median {naive:6.1f} ms")
    print(f"  naive / course_lib computation: {naive / ours:.1f}x (target >= 10x)")
    print(f"  redraw target <= 100 ms: {'met' if lab <= 100 else 'NOT met'} as in JupyterLab, "
          f"{'met' if bare <= 100 else 'NOT met'} with no front end")


if __name__ == "__main__":
    main()
