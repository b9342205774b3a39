"""How long ``trajectories.run_many`` takes for the optimizer playground's runs, before and after issue #12.

The playground's default race is sgd, momentum 0.9 and Adam (betas (0.9, 0.999), eps 1e-8) for 200 steps at
the playground's default learning rate for the landscape. For every landscape this script times
``run_many`` for that race many times and prints the medians, twice, interleaved run by run so that other work
on the machine slows both alike:

- after: the course's ``run_many`` as it is now (gradient formula on numpy columns, the classes' own rules
  stepping a torch tensor that shares their memory, everything prepared before the loop);
- before: the same ``run_many`` with the step loop as it was up to commit 4a01eb0 (gradient through
  ``Landscape.grad`` on torch tensors, new views every step), kept below as ``_simulate_before``.

It also checks whether both give the same paths, bit for bit: they do except on the saddle, whose gradient
has ``y**3``, which numpy computes with the C library's pow and torch as y*y*y (one ulp apart at times). The
fastest call of each kind is printed too: on a busy machine it shows what an idle one would. A last row times
a wide batch (every optimizer at eight learning rates on Rosenbrock), where one gradient call per step serves
88 runs. Issue #12's target: the three runs of 200 steps in <= 10 ms on a 2-core machine (13 ms before, as
measured in the issue). Medians move with the machine's load (printed), so compare before and after from the
same run.

Run:  .venv/bin/python benchmarks/trajectory_speed.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course_lib import landscapes, optim, trajectories  # noqa: E402 (needs the path above)
from course_lib.widgets import DEFAULT_LR  # noqa: E402

ISSUE_BEFORE_MS = 13.0  # issue #12: run_many(rosenbrock, [sgd, momentum 0.9, adam], steps=200), before
TARGET_MS = 10.0
STEPS = 200


def _simulate_before(land, batches, start_xy, steps):
    """The step loop of trajectories.py at commit 4a01eb0, unchanged."""
    n = sum(len(rows) for _, _, rows in batches)
    params = torch.tensor(start_xy, dtype=torch.float64).repeat(n, 1)
    path = torch.empty(steps + 1, n, 2, dtype=torch.float64)
    path[0] = params
    slices, states, offset = [], [], 0
    for cls, group, rows in batches:
        view = params[offset : offset + len(rows)]
        slices.append((cls, group, view, slice(offset, offset + len(rows))))
        states.append(cls._init_state(view, group))
        offset += len(rows)
    for k in range(1, steps + 1):
        grads = land.grad(params)
        for (cls, group, view, rows), state in zip(slices, states, strict=True):
            cls._update(view, grads[rows], state, group)
        path[k] = params
    return path


@contextlib.contextmanager
def before():
    """run_many with the old step loop."""
    now = trajectories._simulate
    trajectories._simulate = _simulate_before
    try:
        yield
    finally:
        trajectories._simulate = now


def race(lr: float) -> list[tuple[str, dict]]:
    """The playground's default configurations, as Playground.configs() builds them."""
    return [("sgd", {"lr": lr}), ("momentum", {"lr": lr, "momentum": 0.9}),
            ("adam", {"lr": lr, "betas": (0.9, 0.999), "eps": 1e-8})]


def time_both(land, configs, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per run_many call, after and before, alternating which goes first."""
    after_t, before_t = [], []
    for r in range(repeats):
        for which in ((0, 1) if r % 2 else (1, 0)):
            start = time.perf_counter()
            if which:
                with before():
                    trajectories.run_many(land, configs, steps=STEPS)
                before_t.append(time.perf_counter() - start)
            else:
                trajectories.run_many(land, configs, steps=STEPS)
                after_t.append(time.perf_counter() - start)
    return after_t, before_t


def same_paths(land, configs) -> bool:
    new = trajectories.run_many(land, configs, steps=STEPS)
    with before():
        old = trajectories.run_many(land, configs, steps=STEPS)
    return all(np.array_equal(a.path, b.path, equal_nan=True) for a, b in zip(new, old, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed calls of each kind per row")
    repeats = parser.parse_args().repeats

    rows = [(name, race(DEFAULT_LR[name])) for name in landscapes.names()]
    wide = [(name, {"lr": lr}) for name in optim.optimizer_names() for lr in np.geomspace(1e-4, 1e-1, 8).tolist()]
    rows.append(("rosenbrock, 88 runs", wide))
    print(f"run_many, {STEPS} steps, median of {repeats} calls each, interleaved; torch threads "
          f"{torch.get_num_threads()}, {torch.backends.cpu.get_cpu_capability()}")
    print(f"{'landscape':22s} {'before':>9s} {'after':>9s} {'speed-up':>9s}  {'fastest before/after':>21s}  same paths")
    results = {}
    for label, configs in rows:
        land = landscapes.get(label.split(",")[0])
        for _ in range(5):  # warm-up: imports, caches, first allocations
            trajectories.run_many(land, configs, steps=STEPS)
        after_t, before_t = time_both(land, configs, repeats)
        a, b = 1e3 * statistics.median(after_t), 1e3 * statistics.median(before_t)
        results[label] = (a, b)
        fastest = f"{1e3 * min(before_t):.2f} / {1e3 * min(after_t):.2f} ms"  # what an idle machine would show
        print(f"{label:22s} {b:7.2f}ms {a:7.2f}ms {b / a:8.2f}x  {fastest:>21s}  {same_paths(land, configs)}")
    after_ms, before_ms = results["rosenbrock"]
    print(f"playground default race on Rosenbrock: {after_ms:.2f} ms (before: {before_ms:.2f} ms alongside it, "
          f"{ISSUE_BEFORE_MS:.0f} ms in the issue); target <= {TARGET_MS:.0f} ms "
          f"{'met' if after_ms <= TARGET_MS else 'NOT met'} at load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
