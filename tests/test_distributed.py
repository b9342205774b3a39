"""course_lib.distributed: 2 real worker processes (gloo, CPU) compute what one process with twice the batch does.

Each test that starts workers costs a few seconds (every worker imports torch), so the run that several tests
compare against is made once per module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from course_lib import distributed

# momentum carries every step's round-off into the next, so equality after an epoch is a real test
SETTINGS = {"lr": 0.05, "momentum": 0.9, "dtype": "float64", "epochs": 1, "seed": 0}
TORCHRUN = Path(sys.executable).with_name("torchrun")


def children() -> set[int]:
    """The ids of this process's living child processes (a killed child that was waited for is gone)."""
    try:
        import psutil
    except ImportError:
        if not Path("/proc").is_dir():
            pytest.skip("needs psutil or /proc to list child processes")
        found = set()
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            except OSError:
                continue
            if int(fields.get("PPid", "0")) == os.getpid() and not fields.get("State", "").startswith("Z"):
                found.add(int(status.parent.name))
        return found
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.fixture(scope="module")
def two_workers():
    return distributed.launch(2, batch_size=16, **SETTINGS)


@pytest.fixture(scope="module")
def one_process():
    return distributed.train_single(batch_size=32, **SETTINGS)


def test_two_workers_with_batch_b_compute_what_one_process_with_batch_2b_computes(two_workers, one_process):
    assert two_workers.world_size == 2 and two_workers.batch_size == 16 and two_workers.global_batch_size == 32
    assert two_workers.backend == "gloo" and one_process.world_size == 1
    assert two_workers.steps == one_process.steps == 1257 // 32  # digits' training split; the last partial dropped
    assert two_workers.max_difference(one_process) < 1e-12
    assert two_workers.replica_spread == 0.0  # the two replicas hold bit-for-bit the same weights
    assert two_workers.history.train_loss == pytest.approx(one_process.history.train_loss, rel=1e-12)
    assert two_workers.history.val_acc == pytest.approx(one_process.history.val_acc)
    # the comparison can tell runs apart: one process with batch 16 (the per-worker batch) is a different run
    other = distributed.train_single(batch_size=16, **SETTINGS)
    assert other.max_difference(one_process) > 1e-3


def test_training_learns_and_the_result_describes_itself(two_workers):
    h = two_workers.history
    assert h.epochs == 1 and h.val_acc[0] > 0.5 and h.diverged_at is None
    assert two_workers.seconds > 0 and two_workers.wall_seconds > two_workers.seconds
    assert "2 worker(s) x batch 16 = global batch 32" in two_workers.summary()
    assert set(two_workers.state_dict) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(t.dtype == torch.float64 for t in two_workers.state_dict.values())


def test_a_worker_that_raises_surfaces_its_traceback_and_no_worker_is_left():
    before = children()
    with pytest.raises(distributed.WorkerError) as caught:
        distributed.launch(2, batch_size=16, fault="raise", fault_rank=0, timeout=120)
    err = caught.value
    assert isinstance(err, RuntimeError) and err.rank == 0 and err.exitcode == 1
    assert "Traceback (most recent call last)" in err.traceback and "injected fault: rank 0" in err.traceback
    assert str(err).startswith("rank 0 of 2 failed (exit code 1): RuntimeError: injected fault")
    assert children() == before


def test_a_worker_that_hangs_runs_into_the_timeout_and_every_worker_is_stopped():
    before = children()
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"did not finish within 4 s .*still running: rank\(s\) 0, 1"):
        distributed.launch(2, batch_size=16, fault="hang", timeout=4)
    assert time.perf_counter() - start < 15
    assert children() == before


@pytest.mark.parametrize(
    ("world_size", "settings", "match"),
    [
        (0, {}, "world_size must be a whole number from 1 to 16, got 0"),
        (True, {}, "world_size must be a whole number"),
        (2.0, {}, "world_size must be a whole number"),
        (17, {}, "world_size must be a whole number from 1 to 16"),
        (3, {"global_batch_size": 64}, "global_batch_size 64 does not split into 3 equal shards"),
        (2, {"batch_size": 16, "global_batch_size": 64}, "not global_batch_size 64"),
        (2, {"batch_size": 0}, "batch_size must be a whole number >= 1"),
        (2, {"lr": -1.0}, "lr"),
        (2, {"epochs": 0}, "epochs must be a whole number >= 1"),
        (2, {"dtype": "float16"}, "dtype must be one of float32, float64"),
        (2, {"data": "cifar"}, "data must be one of"),
        (2, {"model": "resnet"}, "model must be one of"),
        (2, {"optimizer": "lion"}, "lion"),
        (2, {"fault": "explode"}, "fault must be None or one of raise, hang"),
        (2, {"fault": "raise", "fault_rank": 2}, "fault_rank must be a whole number from 0 to 1"),
        (2, {"batchsize": 16}, "unknown setting.*batchsize"),
        (2, {"timeout": 0}, "timeout must be a number of seconds > 0"),
    ],
)
def test_settings_that_cannot_run_raise_value_error_before_any_worker_starts(world_size, settings, match):
    before = children()
    with pytest.raises(ValueError, match=match):
        distributed.launch(world_size, **settings)
    assert children() == before


def test_train_single_refuses_what_it_cannot_run():
    with pytest.raises(ValueError, match="global batch of 2000 is larger than the 1257 training examples"):
        distributed.train_single(batch_size=2000)
    with pytest.raises(ValueError, match="fault is for worker processes"):
        distributed.train_single(fault="raise")


def test_settings_and_the_command_line_agree():
    settings = distributed.Settings(optimizer="adam", lr=0.01, global_batch_size=64, epochs=3, dtype="float64")
    args = vars(distributed._parser().parse_args(settings.to_args()))
    args.pop("out"), args.pop("group_timeout")
    assert distributed.Settings(**args) == settings
    assert settings.shards(4) == (16, 64) and distributed.Settings().shards(3) == (64, 192)


@pytest.mark.filterwarnings("ignore:Unable to enable fault handler")  # pytest captures stderr
def test_the_entry_point_runs_as_one_process_without_torchrun(tmp_path, monkeypatch, capsys):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "result.json"
    args = ["--batch-size", "32", "--lr", "0.05", "--momentum", "0.9", "--dtype", "float64", "--out", str(out)]
    distributed.main(args)
    summary = json.loads(out.read_text())
    assert summary["world_size"] == 1 and summary["backend"] == "none" and summary["global_batch_size"] == 32
    assert "1 worker(s) x batch 32 = global batch 32" in capsys.readouterr().out
    single = distributed.train_single(batch_size=32, **SETTINGS)
    assert summary["weights_sha256"] == single.weights_sha256()  # the same process, the same arithmetic


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed next to this Python")
def test_the_same_entry_point_runs_under_torchrun(tmp_path, two_workers):
    out = tmp_path / "result.json"
    cmd = [str(TORCHRUN), "--standalone", "--nproc-per-node", "2", "-m", "course_lib.distributed"]
    cmd += ["--batch-size", "16", "--lr", "0.05", "--momentum", "0.9", "--dtype", "float64", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["world_size"] == 2 and summary["batch_size"] == 16 and summary["replica_spread"] == 0.0
    assert summary["weights_sha256"] == two_workers.weights_sha256()  # torchrun and launch: the same run, bit for bit


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed next to this Python")
def test_under_torchrun_the_group_timeout_ends_a_run_whose_worker_hangs(tmp_path):
    cmd = [str(TORCHRUN), "--standalone", "--nproc-per-node", "2", "-m", "course_lib.distributed"]
    cmd += ["--batch-size", "16", "--fault", "hang", "--group-timeout", "3"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode != 0
    assert "Timed out waiting 3000ms" in done.stderr and "rank      : 0" in done.stderr


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed next to this Python")
def test_the_cluster_command_works_with_two_torchrun_agents_meeting_at_a_rendezvous(tmp_path, two_workers):
    """The README's command for many machines, with both "machines" on this one: each agent starts 1 worker."""
    endpoint = f"127.0.0.1:{distributed.free_port()}"
    agents = []
    for node in range(2):
        cmd = [str(TORCHRUN), "--nnodes", "2", "--nproc-per-node", "1", "--rdzv-backend", "c10d"]
        cmd += ["--rdzv-endpoint", endpoint, "--rdzv-id", "test", "-m", "course_lib.distributed"]
        cmd += ["--batch-size", "16", "--lr", "0.05", "--momentum", "0.9", "--dtype", "float64"]
        cmd += ["--out", str(tmp_path / f"node{node}.json")]
        agents.append(subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        logs = [agent.communicate(timeout=180)[0] for agent in agents]
    finally:
        for agent in agents:
            agent.kill()
            agent.wait()
    assert [agent.returncode for agent in agents] == [0, 0], "\n".join(log[-2000:] for log in logs)
    written = list(tmp_path.glob("node*.json"))  # only global rank 0 writes, on whichever machine it runs
    assert len(written) == 1
    summary = json.loads(written[0].read_text())
    assert summary["world_size"] == 2 and summary["weights_sha256"] == two_workers.weights_sha256()


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM (POSIX)")
def test_interrupting_launch_stops_every_worker():
    """Jupyter's interrupt button raises KeyboardInterrupt in the kernel: no worker may outlive it."""
    before = children()

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.alarm(2)
        with pytest.raises(KeyboardInterrupt):
            distributed.launch(2, batch_size=16, fault="hang", timeout=60)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert children() == before
