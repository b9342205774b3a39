"""Train the course's digits classifier with Adam at its defaults: test accuracy and wall seconds.

Model: an MLP 64-512-10 (ReLU) on scikit-learn's digits (train 1257 / val 270 / test 270, standardized),
course_lib's Adam at PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8), batch size 32, 20 epochs,
cross-entropy loss, with a validation pass after every epoch, exactly as notebook 06 trains it. Each repeat
uses another model seed. Printed: the median and the lowest test accuracy, and the median wall time of one
whole run (data loading excluded, validation included). Target (issue "Full training"): >= 97% test accuracy
in <= 5 s on the 2-core course machine.

Baseline for the ratio: the same run with ``torch.optim.Adam`` (foreach=False), to show that the course's
optimizer costs nothing noticeable here.

Run:  .venv/bin/python benchmarks/training_digits.py [--repeats 7] [--threads 2] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib import data, optim, training


def one_run(splits, make_optimizer, seed: int, device: torch.device) -> tuple[float, float]:
    start = time.perf_counter()
    model = training.mlp(splits.features, (512,), seed=seed, device=device)
    train_loader, val_loader, test_loader = splits.loaders(32, seed=seed)
    training.train(
        model, make_optimizer(model.parameters()), train_loader, epochs=20, val_loader=val_loader, progress=False
    )
    seconds = time.perf_counter() - start
    _, accuracy = training.evaluate(model, test_loader)
    return accuracy, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=str(training.default_device()))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    splits = data.load_digits()
    one_run(splits, optim.Adam, seed=100, device=device)  # warm-up: first-call costs are not training
    results = {}
    for label, make in (
        ("course_lib optim.Adam", optim.Adam),
        ("torch.optim.Adam", lambda p: torch.optim.Adam(p, foreach=False)),
    ):
        runs = [one_run(splits, make, seed, device) for seed in range(args.repeats)]
        accs, secs = [a for a, _ in runs], [s for _, s in runs]
        results[label] = statistics.median(secs)
        print(
            f"{label:22s} test accuracy median {statistics.median(accs):.2%} (lowest {min(accs):.2%}), "
            f"wall time median {statistics.median(secs):.2f} s over {args.repeats} seeds, {device}, "
            f"{args.threads} threads"
        )
    ours = results["course_lib optim.Adam"]
    print(f"ratio course_lib / torch wall time: {ours / results['torch.optim.Adam']:.2f}")
    print(f"target: >= 97% test accuracy in <= 5 s; wall time {'met' if ours <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
