"""Data-parallel training with torch.distributed: N worker processes, each with its shard of every batch.

Why N workers with batch B compute what one process with batch N*B computes: rank r takes B examples of a
global batch of N*B and computes the gradient g_r of its mean loss (1/B) sum_i l_i. DistributedDataParallel
(DDP) all-reduces the gradients and divides by N, so every rank holds

    g = (1/N) sum_r g_r = (1/N) sum_r (1/B) sum_{i in shard r} grad l_i = (1/(N B)) sum_{i in batch} grad l_i,

the gradient of the mean loss over the whole global batch. Every rank then takes the same optimizer step from
the same weights, so the replicas stay identical, and identical to one process training with batch N*B. The
middle equality (a mean of means is the mean) needs shards of equal size: the trainer drops the last incomplete
global batch of every epoch, and a global batch that does not split into N equal shards is refused.

One entry point runs everywhere; the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT) decides how many processes take part, and torch.distributed does all the communication::

    python -m course_lib.distributed --data digits --lr 0.05 --batch-size 64             # one process
    torchrun --standalone --nproc-per-node 2 -m course_lib.distributed --batch-size 32   # two on this machine
    torchrun --nnodes 2 --nproc-per-node 4 --rdzv-backend c10d --rdzv-endpoint HOST:29500 \\
        -m course_lib.distributed --batch-size 32                                         # on each of 2 machines

The backend is NCCL with rank r on cuda:LOCAL_RANK when each local rank has a GPU, otherwise gloo on the CPU.
From Python or a notebook, ``launch(2, ...)`` starts the worker processes as torchrun would (the same module,
the same environment variables), waits with a timeout, stops every worker on the first failure and raises
its traceback; ``train_single(...)`` is the one-process run to compare with.

Introduced in notebook 08.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import record

__all__ = ["Settings", "Result", "WorkerError", "launch", "train_single", "free_port", "main", "MAX_LOCAL_WORKERS"]

MAX_LOCAL_WORKERS = 16  # launch starts every worker on this machine, each a Python process with torch loaded
_DATA = ("digits", "mnist1d")
_MODELS = ("mlp", "cnn1d")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_FAULTS = ("raise", "hang")


def _whole(name: str, value, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        allowed = f">= {low}" if high == math.inf else f"from {low} to {high}"
        raise ValueError(f"{name} must be a whole number {allowed}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """What a run trains, the same on every rank: the command line's options as fields.

    ``batch_size`` is the batch of one worker (B) and ``global_batch_size`` the batch of one optimizer step
    over all N workers (N*B); give either (both must agree), the default is 64 per worker. ``optimizer`` is a
    ``optim.make_optimizer`` name; ``momentum`` is passed only when given. ``seed`` fixes the data split, the
    initial weights and the order of examples, identically on every rank. ``data`` is "digits" (with the
    "mlp" of notebook 06) or "mnist1d" (with "cnn1d"). ``fault`` ("raise" or "hang", on
    ``fault_rank``, default the last rank) makes one worker fail in its first step: it shows, and tests, what
    happens to the others.
    """

    data: str = "digits"
    model: str = "mlp"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float | None = None
    batch_size: int | None = None
    global_batch_size: int | None = None
    epochs: int = 1
    seed: int = 0
    dtype: str = "float32"
    fault: str | None = None
    fault_rank: int | None = None

    def shards(self, world_size: int) -> tuple[int, int]:
        """(batch per worker, global batch) for ``world_size`` workers; ValueError if they cannot agree."""
        _whole("world_size", world_size, 1)
        local, total = self.batch_size, self.global_batch_size
        if local is not None:
            _whole("batch_size", local, 1)
        if total is not None:
            _whole("global_batch_size", total, 1)
            if total % world_size:
                raise ValueError(
                    f"global_batch_size {total} does not split into {world_size} equal shards: choose a multiple "
                    f"of {world_size} (equal shards make the mean of the workers' mean losses the global mean)"
                )
            if local is not None and local * world_size != total:
                raise ValueError(
                    f"batch_size {local} per worker x {world_size} workers is {local * world_size}, "
                    f"not global_batch_size {total}: give one of the two"
                )
            return total // world_size, total
        local = 64 if local is None else local
        return local, local * world_size

    def check(self, world_size: int) -> None:
        """Raise ValueError naming the first setting that cannot run with ``world_size`` workers."""
        from course_lib import optim

        if self.data not in _DATA:
            raise ValueError(f"data must be one of {', '.join(_DATA)}, got {self.data!r}")
        if self.model not in _MODELS:
            raise ValueError(f"model must be one of {', '.join(_MODELS)}, got {self.model!r}")
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {self.dtype!r}")
        optim.make_optimizer(self.optimizer, [torch.zeros(1, requires_grad=True)], **self.hparams())
        _whole("epochs", self.epochs, 1)
        _whole("seed", self.seed, 0)
        self.shards(world_size)
        if self.fault is not None and self.fault not in _FAULTS:
            raise ValueError(f"fault must be None or one of {', '.join(_FAULTS)}, got {self.fault!r}")
        if self.fault_rank is not None:
            _whole("fault_rank", self.fault_rank, 0, world_size - 1)

    def hparams(self) -> dict:
        return {"lr": self.lr} | ({} if self.momentum is None else {"momentum": self.momentum})

    def to_args(self) -> list[str]:
        """The command-line options that give these settings (the defaults left out)."""
        args = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None and value != f.default:
                args += [f"--{f.name.replace('_', '-')}", str(value)]
        return args


@dataclass
class Result:
    """Rank 0's account of a run (every rank ends with the same weights; ``replica_spread`` checks it).

    ``state_dict``: the final weights (on the CPU); ``history``: a ``training.History`` (train loss over the
    epoch's global batches, validation loss and accuracy, seconds since the start of training); ``steps``:
    optimizer steps taken; ``seconds``: training time on rank 0; ``wall_seconds``: from the call to the end,
    starting the processes included; ``replica_spread``: the largest difference between any two ranks'
    copies of any weight after training (0.0 when the replicas agree exactly).
    """

    state_dict: dict[str, torch.Tensor]
    history: object
    world_size: int
    batch_size: int
    global_batch_size: int
    steps: int
    backend: str
    device: str
    seconds: float
    wall_seconds: float = math.nan
    replica_spread: float = 0.0
    settings: dict = field(default_factory=dict)

    def flat_weights(self) -> torch.Tensor:
        return torch.cat([t.flatten().double() for t in self.state_dict.values()])

    def max_difference(self, other: Result) -> float:
        """The largest |difference| between a weight of this run and the same weight of ``other``."""
        if list(self.state_dict) != list(other.state_dict):
            raise ValueError("the two runs trained different models: their weights have different names")
        return float((self.flat_weights() - other.flat_weights()).abs().max())

    def weights_sha256(self) -> str:
        """A hash of the exact final weights: equal hashes mean bit-for-bit equal weights."""
        digest = hashlib.sha256()
        for name, t in self.state_dict.items():
            digest.update(name.encode())
            digest.update(t.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()

    def summary(self) -> str:
        how = "one process, no torch.distributed" if self.backend == "none" else self.backend
        return (
            f"{self.world_size} worker(s) x batch {self.batch_size} = global batch {self.global_batch_size}, "
            f"{self.steps} steps ({how}, {self.device}): {self.history.summary()}"
        )

    @classmethod
    def _from_payload(cls, payload: dict) -> Result:
        from course_lib import training

        history = training.History(**payload.pop("history"))
        return cls(history=history, **payload)


class WorkerError(RuntimeError):
    """A worker process failed. ``rank``, ``exitcode``, and ``traceback``: the worker's own traceback text."""

    def __init__(self, message: str, *, rank: int, exitcode: int, traceback: str):
        super().__init__(message)
        self.rank, self.exitcode, self.traceback = rank, exitcode, traceback


# --------------------------------------------------------------------------------------------------------
# One worker's training loop (also the single process run)
# --------------------------------------------------------------------------------------------------------


def _load(settings: Settings):
    from course_lib import data

    if settings.data == "mnist1d":
        if not hasattr(data, "load_mnist1d"):
            raise ValueError("data 'mnist1d' needs course_lib.data.load_mnist1d, which this version lacks")
        return data.load_mnist1d(seed=settings.seed)
    return data.load_digits(seed=settings.seed)


def _build_model(settings: Settings, splits) -> torch.nn.Module:
    from course_lib import training

    if settings.model == "cnn1d":
        if not hasattr(training, "cnn1d"):
            raise ValueError("model 'cnn1d' needs course_lib.training.cnn1d, which this version lacks")
        return training.cnn1d(splits.features, classes=splits.classes, seed=settings.seed, device="cpu")
    return training.mlp(splits.features, (128,), splits.classes, seed=settings.seed, device="cpu")


def _backend_and_device(local_rank: int, local_world_size: int) -> tuple[str, torch.device]:
    """NCCL with one GPU per local rank when there are enough GPUs, else gloo on the CPU."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world_size:
        return "nccl", torch.device("cuda", local_rank)
    return "gloo", torch.device("cpu")


def _train(settings: Settings, *, distributed: bool, group_timeout: float = 300.0) -> dict:
    """Train on this process's shards; with ``distributed``, join the process group the environment describes.

    Every rank draws the same seeded permutation each epoch, cuts it into global batches of N*B (the last
    incomplete one dropped) and takes slice [r*B, (r+1)*B) of each: shards of equal size, as the equality needs.
    """
    from torch.nn.parallel import DistributedDataParallel

    from course_lib import optim, training

    if distributed:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        backend, device = _backend_and_device(local_rank, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    else:
        rank, world, backend, device = 0, 1, "none", training.default_device()
    settings.check(world)  # before joining the group: a bad setting fails every rank alike, none waits
    local, total = settings.shards(world)
    dtype = _DTYPES[settings.dtype]
    if distributed:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend, timeout=timedelta(seconds=group_timeout))
    splits = _load(settings)
    x, y = (t.to(device) for t in splits.train.tensors)
    x = x.to(dtype)
    x_val, y_val = (t.to(device) for t in splits.val.tensors)
    n = len(y)
    if total > n:
        raise ValueError(f"the global batch of {total} is larger than the {n} training examples")
    model = _build_model(settings, splits).to(device=device, dtype=dtype)
    net = model
    if distributed:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = optim.make_optimizer(settings.optimizer, net.parameters(), **settings.hparams())
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(settings.seed)  # the same stream on every rank
    fault_rank = world - 1 if settings.fault_rank is None else settings.fault_rank
    history = training.History()
    steps_per_epoch, steps = n // total, 0
    if distributed:
        dist.barrier()  # time the training, not the others' start-up
    start = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        perm = torch.randperm(n, generator=order).to(device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        for step in range(steps_per_epoch):
            if settings.fault is not None and rank == fault_rank and epoch == 1 and step == 0:
                if settings.fault == "hang":
                    time.sleep(10**6)  # never reaches the all-reduce: the others wait for it
                raise RuntimeError(f"injected fault: rank {rank} raised in its first step (fault='raise')")
            idx = perm[step * total + rank * local : step * total + (rank + 1) * local]
            optimizer.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()  # DDP all-reduces the gradients here, averaged over the ranks
            optimizer.step()
            loss_sum += loss.detach().double()
            steps += 1
        if distributed:
            dist.all_reduce(loss_sum)  # sum over ranks of each rank's mean loss
        history.train_loss.append(float(loss_sum) / (steps_per_epoch * world))
        history.lr.append(float(optimizer.param_groups[0]["lr"]))
        if rank == 0:
            with torch.no_grad():
                logits = model(x_val.to(dtype))
                history.val_loss.append(float(loss_fn(logits, y_val)))
                history.val_acc.append(float((logits.argmax(1) == y_val).double().mean()))
        history.seconds.append(time.perf_counter() - start)
        if rank == 0 and not math.isfinite(history.train_loss[-1]):
            history.diverged_at = epoch
    spread = 0.0
    if distributed:
        flat = torch.cat([p.detach().flatten() for p in model.parameters()])
        high, low = flat.clone(), flat.clone()
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        spread = float((high - low).abs().max())
        # DDP's reducer holds the group too: free it first, or the group can be destroyed inside the reducer's
        # destructor with the GIL held, a deadlock in torch (github.com/pytorch/pytorch/issues/75097)
        del net
        gc.collect()
        dist.destroy_process_group()
    history.message = history.summary()
    return {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": dataclasses.asdict(history),
        "world_size": world,
        "batch_size": local,
        "global_batch_size": total,
        "steps": steps,
        "backend": backend,
        "device": str(device),
        "seconds": history.seconds[-1],
        "replica_spread": spread,
        "settings": dataclasses.asdict(settings),
    }


def train_single(**settings) -> Result:
    """One process, no torch.distributed: the run that N workers with batch B must equal (give it batch N*B)."""
    cfg = _settings(settings)
    if cfg.fault is not None:
        raise ValueError("fault is for worker processes (launch or torchrun), not for train_single")
    start = time.perf_counter()
    result = Result._from_payload(_train(cfg, distributed=False))
    result.wall_seconds = time.perf_counter() - start
    return result


def _settings(settings: dict) -> Settings:
    known = [f.name for f in dataclasses.fields(Settings)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; the settings are {', '.join(known)}")
    return Settings(**settings)


# --------------------------------------------------------------------------------------------------------
# Starting N local workers from Python (a notebook): what torchrun --standalone does, plus a timeout
# --------------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port that is free now on this machine (the operating system picks it), for MASTER_PORT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(world_size: int, *, timeout: float = 60.0, **settings) -> Result:
    """Train with ``world_size`` worker processes on this machine; returns rank 0's Result.

    Each worker runs ``python -m course_lib.distributed`` (the entry point torchrun runs: nothing defined in a
    notebook needs pickling) with torchrun's environment variables and its own log file. If a worker fails,
    every other is stopped and a WorkerError (a RuntimeError) carries the failing rank's traceback; the rank
    whose error came first is named, since the others then fail for want of it. If the run takes longer than
    ``timeout`` seconds, every worker is stopped and TimeoutError is raised. No worker outlives the call.
    """
    _whole("world_size", world_size, 1, MAX_LOCAL_WORKERS)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    cfg = _settings(settings)
    cfg.check(world_size)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-ddp-") as tmp:
        out = Path(tmp) / "result.pt"
        # the workers' own collective timeout is longer, so the deadline here always comes first
        cmd = [sys.executable, "-m", "course_lib.distributed", *cfg.to_args(), "--out", str(out)]
        cmd += ["--group-timeout", str(timeout + 30)]
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE=str(world_size))
        env |= {"LOCAL_WORLD_SIZE": str(world_size), "GROUP_RANK": "0", "ROLE_RANK": "0"}
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // world_size))  # as torchrun: no oversubscribing
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        workers, stopped = [], set()
        try:
            for rank in range(world_size):
                log, error_file = Path(tmp) / f"rank{rank}.log", Path(tmp) / f"rank{rank}.error.json"
                rank_env = env | {"RANK": str(rank), "LOCAL_RANK": str(rank)}
                rank_env["TORCHELASTIC_ERROR_FILE"] = str(error_file)  # where torch's @record writes a traceback
                with open(log, "wb") as sink:
                    proc = subprocess.Popen(cmd, env=rank_env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
                workers.append((rank, proc, log, error_file))
            deadline = start + timeout
            while True:
                codes = [proc.poll() for _, proc, _, _ in workers]
                if any(code not in (None, 0) for code in codes) or all(code == 0 for code in codes):
                    break
                if time.perf_counter() > deadline:
                    running = [rank for (rank, *_), code in zip(workers, codes, strict=True) if code is None]
                    stopped |= _stop(workers)
                    raise TimeoutError(_timeout_message(world_size, timeout, running, workers))
                time.sleep(0.02)
        finally:
            stopped |= _stop(workers)  # on success a no-op; after a failure, interrupt or timeout it ends them all
        failed = [w for w in workers if w[0] not in stopped and w[1].returncode != 0]
        if failed:
            raise _failure(failed, world_size)
        result = Result._from_payload(torch.load(out, weights_only=True))
    result.wall_seconds = time.perf_counter() - start
    return result


def _stop(workers) -> set[int]:
    """Kill every worker still running and wait for all of them; returns the ranks it killed."""
    killed = set()
    for rank, proc, _, _ in workers:
        if proc.poll() is None:
            proc.kill()
            killed.add(rank)
    for _, proc, _, _ in workers:
        proc.wait()
    return killed


def _traceback(log: Path, error_file: Path) -> str:
    """The worker's traceback from its error file (torch's @record writes it), else the end of its log."""
    try:
        info = json.loads(error_file.read_text())["message"]
        return info["extraInfo"]["py_callstack"].rstrip()
    except (OSError, ValueError, KeyError, TypeError):
        lines = log.read_text(errors="replace").rstrip().splitlines()
        return "\n".join(lines[-30:]) if lines else "(the worker wrote nothing)"


def _failure(failed, world_size: int) -> WorkerError:
    def written(w):  # the rank whose error file was written first failed first; the others followed it
        try:
            return w[3].stat().st_mtime_ns
        except OSError:
            return math.inf

    first, *others = sorted(failed, key=lambda w: (written(w), w[0]))
    rank, proc, log, error_file = first
    text = _traceback(log, error_file)
    last = text.splitlines()[-1] if text else ""
    message = f"rank {rank} of {world_size} failed (exit code {proc.returncode}): {last}\n\n{text}"
    if others:
        also = ", ".join(str(w[0]) for w in others)
        message += f"\n\n(rank(s) {also} failed after it, waiting for rank {rank}; every worker has been stopped)"
    return WorkerError(message, rank=rank, exitcode=proc.returncode, traceback=text)


def _timeout_message(world_size: int, timeout: float, running: list[int], workers) -> str:
    tails = []
    for rank, _, log, _ in workers:
        lines = log.read_text(errors="replace").rstrip().splitlines()
        tails.append(f"rank {rank}: {lines[-1] if lines else '(no output)'}")
    return (
        f"the {world_size} worker(s) did not finish within {timeout:g} s and have been stopped (still running: "
        f"rank(s) {', '.join(map(str, running))}). A worker stuck before an all-reduce keeps all the others "
        f"waiting; a longer run needs a larger timeout. Last log line of each:\n" + "\n".join(tails)
    )


# --------------------------------------------------------------------------------------------------------
# The command line (what torchrun runs on every rank)
# --------------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m course_lib.distributed",
        description="Data-parallel training: run it directly (one process) or under torchrun (one per rank).",
    )
    d = Settings()
    p.add_argument("--data", choices=_DATA, default=d.data)
    p.add_argument("--model", choices=_MODELS, default=d.model)
    p.add_argument("--optimizer", default=d.optimizer, help="an optim.make_optimizer name (default sgd)")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--momentum", type=float, default=None)
    batch = p.add_mutually_exclusive_group()
    batch.add_argument("--batch-size", type=int, default=None, help="examples per worker and step (default 64)")
    batch.add_argument("--global-batch-size", type=int, default=None, help="examples per step over all workers")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--dtype", choices=list(_DTYPES), default=d.dtype)
    p.add_argument("--fault", choices=_FAULTS, default=None, help="make one worker fail (to see what happens)")
    p.add_argument("--fault-rank", type=int, default=None, help="the worker that fails (default the last)")
    p.add_argument("--group-timeout", type=float, default=300.0, help="seconds a collective waits for the others")
    p.add_argument("--out", type=Path, default=None, help="rank 0 writes its result: .json (summary) or .pt")
    return p


@record  # a failing rank writes its traceback where torchrun (and launch) read it: TORCHELASTIC_ERROR_FILE
def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = vars(parser.parse_args(argv))
    out, group_timeout = args.pop("out"), args.pop("group_timeout")
    settings = Settings(**args)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    payload = _train(settings, distributed=distributed, group_timeout=group_timeout)
    if payload is None or int(os.environ.get("RANK", "0")) != 0:
        return
    result = Result._from_payload(dict(payload))
    for epoch in range(result.history.epochs):
        h = result.history
        print(
            f"epoch {epoch + 1}: train loss {h.train_loss[epoch]:.4f}, val loss {h.val_loss[epoch]:.4f}, "
            f"val accuracy {h.val_acc[epoch]:.2%} ({h.seconds[epoch]:.1f} s)"
        )
    print(result.summary())
    if out is not None:
        if out.suffix == ".pt":
            torch.save(payload, out)
        else:
            summary = {k: v for k, v in payload.items() if k != "state_dict"}
            summary["weights_sha256"] = result.weights_sha256()
            out.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        # @record has written the traceback for torchrun or launch. Leave at once: an orderly exit would tear
        # down a process group whose peers may be gone or stuck, and that can hang or abort (pytorch#75097)
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
