"""BackupAndRestore after a real SIGKILL mid-epoch: the resumed process ends
with the same weights, bit for bit, as a run that was never interrupted."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import os, signal, sys
import numpy as np
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    # Grappler may order a sum of three or more gradient terms (the penalties
    # make them) differently in another process: last-bit differences.
    # Bit-exact cross-process resume runs the graphs as traced.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
import keras_gan
from tests.saving_test import compiled_gan, DATA

backup_dir, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])

class KillMidEpoch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.seen = getattr(self, "seen", 0) + 1
        if self.seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

def train(callbacks):
    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    gan.fit(DATA, batch_size=16, epochs=4, shuffle=False, verbose=0, callbacks=callbacks)
    return [np.asarray(v) for v in gan.variables]

class CountBatches(keras.callbacks.Callback):
    seen = 0

    def on_train_batch_end(self, batch, logs=None):
        CountBatches.seen += 1

backup = keras.callbacks.BackupAndRestore(backup_dir)
if kill_at > 0:
    train([backup, KillMidEpoch()])
# The run resumed from the backup, then (one process start fewer) the
# reference: the same training never interrupted, built from the same seed.
resumed = train([backup, CountBatches()])
np.savez(out + ".resumed.npz", *resumed, batches_run=CountBatches.seen)
np.savez(out + ".reference.npz", *train([]))
"""


def run(tmp_path, backup, out, kill_at):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / backup), str(tmp_path / out), str(kill_at)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    # 4 batches an epoch: batch 10 is the middle of the third epoch.
    killed = run(tmp_path, "backup", "never", 10)
    assert killed.returncode == -signal.SIGKILL
    assert not list(tmp_path.glob("never*"))
    resumed = run(tmp_path, "backup", "run", 0)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = np.load(tmp_path / "run.reference.npz"), np.load(tmp_path / "run.resumed.npz")
    # It resumed from the backup of the end of epoch 2: 2 epochs of 4 batches
    # left (a restore that did nothing would run all 16 and match as well).
    assert int(b["batches_run"]) == 8
    assert len(a.files) == len(b.files) - 1 > 10
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
