"""Data parallelism on JAX: `keras.distribution.DataParallel` over 2 host
devices trains a GAN, and one step equals the single-device step on the same
global batch (as the MirroredStrategy test checks on TensorFlow)."""

import json
import os
import subprocess
import sys

import keras
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution's JAX data parallelism"
)

SCRIPT = r"""
import json
import keras, numpy as np, keras_gan

def build():
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="tanh", name="g1"),
                          keras.layers.Dense(2, name="g2")], name="generator")
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh", name="d1"),
                          keras.layers.Dense(1, name="d2")], name="discriminator")
    gan = keras_gan.GAN(g, d, seed=3)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), d_steps=2,
                d_penalty=[keras_gan.penalties.R1(1.0), keras_gan.penalties.GradientPenalty(1.0)])
    return gan

x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
single = build()
single.fit(x, batch_size=16, epochs=2, shuffle=False, verbose=0)
devices = keras.distribution.list_devices("cpu")
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
parallel = build()
history = parallel.fit(x, batch_size=16, epochs=2, shuffle=False, verbose=0).history
print("RESULT" + json.dumps({
    "devices": len(devices),
    "weight_devices": len(parallel.generator.weights[0].value.sharding.device_set),
    "max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                    for a, b in zip(single.weights, parallel.weights, strict=True)),
    "moved": max(float(np.abs(np.asarray(a)).max()) for a in parallel.weights),
    "d_loss": history["d_loss"],
}))
"""


@pytest.mark.slow
def test_data_parallel_on_two_devices_equals_one_device():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))[6:])
    assert out["devices"] == 2 and out["weight_devices"] == 2, out
    assert out["moved"] > 0
    # Two steps each: the sharded step, and the state it returns training on
    # as the single device's does.
    assert out["max_diff"] < 1e-5, out
