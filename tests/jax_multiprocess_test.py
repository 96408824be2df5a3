"""Multi-process data parallelism on JAX: examples/multi_process_jax.py run
as 2 processes on 127.0.0.1 (CPU) trains the same weights as one process on
the same global batches, and `BackupAndRestore` resumes both processes
after a restart, process 0 alone having written the backups."""

import os
import socket
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest

from tests.scripts import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        keras.backend.backend() != "jax",
        reason="jax.distributed: multi-process data parallelism is JAX's (run once, "
        "in the JAX pass)",
    ),
]

EXAMPLE = str(ROOT / "examples" / "multi_process_jax.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(out, epochs, processes):
    """Runs the example as `processes` processes; returns their outputs."""
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    command = [sys.executable, EXAMPLE, "--out", str(out), "--epochs", str(epochs)]
    command += ["--keep-backup", "--num-processes", str(processes)]
    if processes > 1:
        command += ["--coordinator", f"127.0.0.1:{port}"]
    procs = [
        subprocess.Popen(
            [*command, "--process-id", str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(processes)
    ]
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-3000:]
        outputs.append(stdout)
    return outputs


def read_weights(path):
    with h5py.File(path) as f:
        arrays = []
        f.visititems(
            lambda name, obj: (
                arrays.append((name, obj[()]))
                if isinstance(obj, h5py.Dataset) and obj.shape
                else None
            )
        )
    return dict(arrays)


def test_two_processes_train_as_one_and_resume_from_process_0s_backups(tmp_path):
    """2 processes train 2 epochs and stop; both restart, resume from the
    backup and run epoch 3: the weights equal one process's 3 uninterrupted
    epochs on the same global batches (`fit` tells the data each epoch's
    number, so the resumed epoch draws the uninterrupted run's order)."""
    single, double = tmp_path / "single", tmp_path / "double"
    run(single, epochs=3, processes=1)
    first = run(double, epochs=2, processes=2)
    assert all("resumed from None" in o and "2 epochs run" in o for o in first), first
    # One backup per epoch, numbered by the one process that wrote them.
    assert sorted(os.listdir(double / "backup")) == ["backup-000000000", "backup-000000001"]
    second = run(double, epochs=3, processes=2)
    for output in second:
        assert "2 devices" in output and "backup-000000001" in output, second
        assert "1 epochs run" in output, second
    expected = read_weights(single / "final.weights.h5")
    got = read_weights(double / "final.weights.h5")
    assert expected.keys() == got.keys() and len(expected) >= 12
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, atol=1e-5, err_msg=name)
