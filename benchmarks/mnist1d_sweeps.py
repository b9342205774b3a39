"""Run notebook 08's experiments on MNIST-1D once and store every result in course_lib/results/mnist1d_sweeps.json.

Too long for a notebook (about 150 training runs of the 1-D CNN), so this script runs them and the notebook
reads the file. Every run is ``course_lib.mnist1d_experiments.run(RunConfig(...))`` on one CPU thread, so each
is repeatable: notebook 08 and tests/test_mnist1d_experiments.py re-run a stored run and compare.

Stages (each choice is made on validation accuracy; test accuracy is stored but only read in the end):
1. tuning: sgd, momentum, rmsprop, adam, each over five learning rates (LRS), 30 epochs, batch 100, seed 0;
   the best rate of each then over seeds 0, 1, 2 ("final").
2. schedules: momentum and adam, five schedules, each at peak rates of 1 and 3 times the tuned constant rate
   (seed 0, "schedule_tuning"), the better one over seeds 0, 1, 2 ("schedules").
3. clipping: momentum at 4 and 16 times its tuned rate, unclipped and with the gradient norm clipped at 1 and
   at 5, seeds 0, 1, 2.
4. batch: steps to reach 80% validation accuracy against batch size (evaluated every 10 steps, every 5 from
   batch 400; at most 2,000 steps), momentum with its rate scaled linearly with the batch (from the tuned rate
   at batch 100) after a 2-epoch linear warmup (seeds 0, 1), and with the rate held at the tuned one (seed 0);
   and the gradient noise scale B_simple at several epochs of the tuned momentum run.
5. generalization: momentum (weight decay 0, 5e-4), adam, adamw (weight decay 0.01, 0.1) at their tuned rates
   (adamw at adam's); weight decay chosen on validation (seeds 0, 1, "wd_tuning"); the chosen ones over seeds
   0-4, with test accuracy.

Run:  .venv/bin/python benchmarks/mnist1d_sweeps.py [--workers 3] [--out PATH]
      (the stored file took 23 minutes with 3 workers on a busy 2-core machine)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from course_lib import data, training
from course_lib import mnist1d_experiments as mx

# five rates ~3x apart per optimizer (a first pass with grids 3x lower found Adam's and RMSprop's best at the top)
LRS = {
    "sgd": [0.03, 0.1, 0.3, 1.0, 3.0],
    "momentum": [0.01, 0.03, 0.1, 0.3, 1.0],
    "rmsprop": [1e-3, 3e-3, 1e-2, 3e-2, 0.1],
    "adam": [1e-3, 3e-3, 1e-2, 3e-2, 0.1],
}
OPTIMIZERS = ["sgd", "momentum", "rmsprop", "adam"]
SEEDS = [0, 1, 2]
BATCHES = [25, 50, 100, 200, 400, 800, 1600]
TARGET = 0.8
NOISE_EPOCHS = [0, 1, 3, 10, 30]
MAX_STEPS = 2000
WARMUP = 3.0  # epochs of linear warmup before the cosine
RC = mx.RunConfig  # --quick: a smoke test with 1-epoch runs, written elsewhere


def _init() -> None:
    torch.set_num_threads(1)


def _run(config: mx.RunConfig) -> dict:
    return mx.run(config).to_dict()


def _steps(args: tuple[mx.RunConfig, float]) -> int | None:
    config, target = args
    return mx.steps_to_accuracy(config, target, eval_every=5 if config.batch_size >= 400 else 10, max_steps=MAX_STEPS)


def best(results: list[dict], key: str) -> object:
    """The value of config[key] with the highest mean final validation accuracy (a diverged run counts 0)."""
    scores: dict = {}
    for r in results:
        acc = 0.0 if r["diverged_at"] is not None else r["val_acc"][-1]
        scores.setdefault(r["config"][key], []).append(acc)
    return max(scores, key=lambda k: np.mean(scores[k]))


def noise_scales(lr: float) -> list[dict]:
    """B_simple of the momentum run at rate ``lr`` (batch 100, seed 0) after each of NOISE_EPOCHS epochs."""
    splits = data.load_mnist1d()
    model = training.cnn1d(seed=0, device="cpu")
    from course_lib import optim

    opt = optim.make_optimizer("momentum", model.parameters(), lr=lr)
    train_loader, _, _ = splits.loaders(100, seed=0)
    out, done = [], 0
    for epoch in NOISE_EPOCHS:
        if epoch > done:
            training.train(model, opt, train_loader, epochs=epoch - done, progress=False)
            done = epoch
        ns = mx.gradient_noise_scale(model, splits.train)
        out.append({"epoch": epoch, **{k: float(f"{v:.6g}") for k, v in ns.items()}})
        print(f"  noise scale after {epoch} epochs: B_simple {ns['b_simple']:.0f}", flush=True)
    return out


def dumps(content: dict) -> str:
    """JSON with one run (or one measurement) per line: small, and a diff shows which runs changed."""
    lines = ["{", f'"meta": {json.dumps(content["meta"])},', '"runs": {']
    sections = list(content["runs"].items())
    for i, (name, items) in enumerate(sections):
        lines.append(f"{json.dumps(name)}: [")
        lines += [json.dumps(r) + ("," if j < len(items) - 1 else "") for j, r in enumerate(items)]
        lines.append("]" + ("," if i < len(sections) - 1 else ""))
    lines.append("},")
    lines.append(f'"extra": {json.dumps(content["extra"])}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(mx.SWEEPS_PATH))
    parser.add_argument("--quick", action="store_true", help="a smoke test: 1-epoch runs, few settings")
    args = parser.parse_args()
    if args.quick:
        global RC, LRS, BATCHES, NOISE_EPOCHS, MAX_STEPS, TARGET, WARMUP
        RC, BATCHES, NOISE_EPOCHS = partial(mx.RunConfig, epochs=4), [100, 400], [0, 1]
        LRS = {n: lrs[2:4] for n, lrs in LRS.items()}
        MAX_STEPS, TARGET, WARMUP = 50, 0.3, 1.0
    _init()
    start = time.perf_counter()
    runs: dict[str, list[dict]] = {}
    extra: dict = {}
    with ProcessPoolExecutor(args.workers, initializer=_init) as pool:

        def many(configs):
            return list(pool.map(_run, configs))

        # 1. tuning, then the tuned rate over three seeds
        runs["tuning"] = many([RC(name, lr) for name in OPTIMIZERS for lr in LRS[name]])
        by_name = {n: [r for r in runs["tuning"] if r["config"]["optimizer"] == n] for n in OPTIMIZERS}
        tuned = {n: best(by_name[n], "lr") for n in OPTIMIZERS}
        print("tuned rates:", tuned, f"({time.perf_counter() - start:.0f} s)", flush=True)
        seed0 = [next(r for r in by_name[n] if r["config"]["lr"] == tuned[n]) for n in OPTIMIZERS]
        runs["final"] = seed0 + many(
            [RC(n, tuned[n], seed=s) for n in OPTIMIZERS for s in SEEDS[1:]]
        )
        # 2. schedules
        candidates = [
            RC(n, tuned[n] * k, schedule=sch, warmup_epochs=WARMUP if sch == "warmup_cosine" else 0.0)
            for n in ("momentum", "adam")
            for sch in mx.SCHEDULES
            for k in (1, 3)
        ]
        tried = many(candidates)
        chosen = []
        for n in ("momentum", "adam"):
            for sch in mx.SCHEDULES:
                group = [r for r in tried if r["config"]["optimizer"] == n and r["config"]["schedule"] == sch]
                lr = best(group, "lr")
                chosen += [r for r in group if r["config"]["lr"] == lr]
        runs["schedule_tuning"] = tried
        runs["schedules"] = chosen + many(
            [replace(mx.RunConfig(**r["config"]), seed=s) for r in chosen for s in SEEDS[1:]]
        )
        print(f"schedules done ({time.perf_counter() - start:.0f} s)", flush=True)
        # 3. clipping
        runs["clipping"] = many(
            [
                RC("momentum", tuned["momentum"] * k, clip=clip, seed=s)
                for k in (4, 16)
                for clip in (None, 1.0, 5.0)
                for s in SEEDS
            ]
        )
        print(f"clipping done ({time.perf_counter() - start:.0f} s)", flush=True)
        # 4. batch size: steps to TARGET, linear scaling with warmup vs a fixed rate
        base = tuned["momentum"]
        jobs = []
        for rule in ("linear", "fixed"):
            for b in BATCHES:
                lr = base * b / 100 if rule == "linear" else base
                warm = 2.0 if rule == "linear" else 0.0
                for s in (0, 1) if rule == "linear" else (0,):
                    config = RC("momentum", lr, batch_size=b, warmup_epochs=warm, seed=s)
                    jobs.append((rule, b, s, (config, TARGET)))
        steps = list(pool.map(_steps, [j[-1] for j in jobs]))
        extra["batch"] = {
            "target": TARGET,
            "base_lr": base,
            "base_batch": 100,
            "warmup_epochs": 2.0,
            "rows": [
                {"rule": rule, "batch_size": b, "seed": s, "lr": cfg[0].lr, "steps": st}
                for (rule, b, s, cfg), st in zip(jobs, steps, strict=True)
            ],
        }
        extra["noise_scale"] = noise_scales(base)
        print(f"batch sizes done ({time.perf_counter() - start:.0f} s)", flush=True)
        # 5. generalization: weight decay chosen on validation (seeds 0, 1), then five seeds
        options = [("momentum", wd) for wd in (0.0, 5e-4)] + [("adam", 0.0)]
        options += [("adamw", wd) for wd in (0.01, 0.1)]
        rate = {"momentum": tuned["momentum"], "adam": tuned["adam"], "adamw": tuned["adam"]}
        tried = many([RC(n, rate[n], weight_decay=wd, seed=s) for n, wd in options for s in (0, 1)])
        runs["wd_tuning"] = tried
        picks = {n: best([r for r in tried if r["config"]["optimizer"] == n], "weight_decay") for n in rate}
        runs["generalization"] = many(
            [RC(n, rate[n], weight_decay=picks[n], seed=s) for n in rate for s in range(5)]
        )
    seconds = time.perf_counter() - start
    meta = {
        "command": "python benchmarks/mnist1d_sweeps.py --workers " + str(args.workers),
        "seconds": round(seconds),
        "workers": args.workers,
        "threads_per_run": 1,
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "tuned_lr": tuned,
        "lrs": LRS,
        "data": repr(data.load_mnist1d()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(dumps({"meta": meta, "runs": runs, "extra": extra}))
    print(f"wrote {args.out} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
