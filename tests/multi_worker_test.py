"""MultiWorkerMirroredStrategy: 2 worker processes on 127.0.0.1 with TF_CONFIG
train examples/multi_worker.py, back up with BackupAndRestore, resume from
the backup, and hold the same weights on both workers."""

import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.tensorflow_only("tf.distribute.MultiWorkerMirroredStrategy")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "multi_worker.py")


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_workers(out, epochs):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        env["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        )
        command = [sys.executable, EXAMPLE, "--out", str(out), "--epochs", str(epochs)]
        procs.append(
            subprocess.Popen(
                [*command, "--steps-per-epoch", "5", "--keep-backup"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    for proc in procs:
        try:
            output, _ = proc.communicate(timeout=300)
        finally:
            proc.kill()
        assert proc.returncode == 0, output[-3000:]
        outputs.append(output)
    return outputs


def weights(out, index):
    archive = np.load(out / f"weights_worker_{index}.npz")
    return [archive[name] for name in archive.files]


@pytest.mark.slow
def test_two_workers_train_back_up_resume_and_agree(tmp_path):
    first = run_workers(tmp_path, epochs=2)
    for index, output in enumerate(first):
        line = re.search(rf"worker {index}: (\d+) replicas in sync, (\d+) epochs run", output)
        assert line and line.groups() == ("2", "2"), output[-2000:]
        assert os.listdir(tmp_path / f"backup_worker_{index}")  # a backup exists
    w0, w1 = weights(tmp_path, 0), weights(tmp_path, 1)
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1, strict=True))
    # The logs are the global mean: both workers print the same d_loss.
    losses = [re.search(r"d_loss (\S+),", out).group(1) for out in first]
    assert losses[0] == losses[1]

    # Run again with 3 epochs: both workers resume from their backups and run
    # only the third epoch.
    second = run_workers(tmp_path, epochs=3)
    for index, output in enumerate(second):
        assert f"worker {index}: 2 replicas in sync, 1 epochs run" in output, output[-2000:]
    v0, v1 = weights(tmp_path, 0), weights(tmp_path, 1)
    assert all(np.array_equal(a, b) for a, b in zip(v0, v1, strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(v0, w0, strict=True))
