"""Train notebook 08's 1-D CNN on MNIST-1D with each optimizer at its tuned rate: test accuracy and wall seconds.

Model: ``training.cnn1d()`` (Greydanus's three-convolution network, 5,210 weights) on ``data.load_mnist1d()``
(train 3,400 / val 600 / test 1,000), batch size 100, 30 epochs, constant rate, a validation pass after every
epoch, exactly as ``mnist1d_experiments.run`` trains it in notebook 08. Each optimizer runs at the rate that
``benchmarks/mnist1d_sweeps.py`` chose on validation (stored in course_lib/results/mnist1d_sweeps.json); each
repeat uses another seed (initial weights and batch order). Printed per optimizer: the median and the range of
the test accuracy, and the median wall time of one run (data generation excluded, validation included).

Run:  .venv/bin/python benchmarks/mnist1d_training.py [--repeats 3] [--threads 1] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from course_lib import data, training
from course_lib import mnist1d_experiments as mx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default=str(training.default_device()))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    splits = data.load_mnist1d()
    tuned = mx.load_sweeps().meta["tuned_lr"]
    mx.run(mx.RunConfig("adam", 1e-3, epochs=1), splits=splits, device=args.device)  # warm-up: first-call costs
    print(f"MNIST-1D, 1-D CNN, batch 100, 30 epochs, {args.repeats} seeds, {args.device}, {args.threads} thread(s)")
    for name, lr in tuned.items():
        configs = [mx.RunConfig(name, lr, seed=s) for s in range(args.repeats)]
        results = [mx.run(c, splits=splits, device=args.device) for c in configs]
        accs = [r.test_acc if r.test_acc is not None else 0.0 for r in results]
        secs = [r.seconds for r in results]
        print(
            f"{name:9s} lr {lr:<6g} test accuracy median {statistics.median(accs):.1%} "
            f"(range {min(accs):.1%} to {max(accs):.1%}), wall time median {statistics.median(secs):.2f} s per run"
        )


if __name__ == "__main__":
    main()
