"""Time one ``step()`` of each course_lib optimizer against its torch.optim twin.

Model: an MLP of about one million float32 parameters (784-1024-200-10). Baseline: torch.optim's default
single-tensor path on the CPU (``foreach=False``). Every configuration steps the same parameters with the
same fixed gradients; we report the median over several repeats of the mean over a block of steps, and the
ratio ours / torch. Target (issue "Course foundation"): ratio <= 1.3 for every optimizer.

Run:  .venv/bin/python benchmarks/optimizer_step.py [--repeats 9] [--steps 30] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib import optim

CASES = [  # (label, course_lib class, torch class, hyperparameters)
    ("SGD", optim.SGD, torch.optim.SGD, dict(lr=1e-3)),
    ("SGD momentum", optim.SGD, torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
    ("SGD nesterov", optim.SGD, torch.optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("Adagrad", optim.Adagrad, torch.optim.Adagrad, dict(lr=1e-2)),
    ("RMSprop", optim.RMSprop, torch.optim.RMSprop, dict(lr=1e-3)),
    ("RMSprop centered+mom", optim.RMSprop, torch.optim.RMSprop, dict(lr=1e-3, momentum=0.9, centered=True)),
    ("Adadelta", optim.Adadelta, torch.optim.Adadelta, dict()),
    ("Adam", optim.Adam, torch.optim.Adam, dict(lr=1e-3)),
    ("Adam amsgrad", optim.Adam, torch.optim.Adam, dict(lr=1e-3, amsgrad=True)),
    ("AdamW", optim.AdamW, torch.optim.AdamW, dict(lr=1e-3)),
]


def make_params(device: str) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1024),
        torch.nn.ReLU(),
        torch.nn.Linear(1024, 200),
        torch.nn.ReLU(),
        torch.nn.Linear(200, 10),
    ).to(device)
    params = list(model.parameters())
    for p in params:
        p.grad = torch.randn_like(p) * 1e-2
    return params


def time_steps(opt: torch.optim.Optimizer, steps: int, repeats: int, device: str) -> float:
    """Median over `repeats` blocks of the mean seconds per step within a block of `steps` steps."""
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(5):  # warm-up: state allocation, caches
        opt.step()
    sync()
    blocks = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            opt.step()
        sync()
        blocks.append((time.perf_counter() - start) / steps)
    return statistics.median(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    params = make_params(args.device)
    n = sum(p.numel() for p in params)
    print(f"MLP with {n:,} parameters on {args.device}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"median of {args.repeats} blocks x {args.steps} steps; torch baseline with foreach=False\n")
    print(f"{'optimizer':<22}{'course_lib ms':>14}{'torch ms':>10}{'ratio':>8}")
    worst = 0.0
    for label, ours_cls, torch_cls, hp in CASES:
        # interleave ours and torch's (twice each, best of the two medians) so drifting machine load hits both
        ours_t, torch_t = [], []
        for _ in range(2):
            ours_t.append(time_steps(ours_cls(params, **hp), args.steps, args.repeats, args.device))
            torch_t.append(time_steps(torch_cls(params, foreach=False, **hp), args.steps, args.repeats, args.device))
        ours, base = min(ours_t), min(torch_t)
        worst = max(worst, ours / base)
        print(f"{label:<22}{ours * 1e3:>14.3f}{base * 1e3:>10.3f}{ours / base:>8.2f}")
    print(f"\nworst ratio {worst:.2f} (target <= 1.30): {'met' if worst <= 1.3 else 'NOT met'}")


if __name__ == "__main__":
    main()
