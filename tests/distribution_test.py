"""MirroredStrategy on two logical CPU devices: one step under 2 replicas
equals one single-device step on the same global batch."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.tensorflow_only("tf.distribute.MirroredStrategy")

SCRIPT = r"""
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
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
single.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = build()
history = mirrored.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0).history
noise = []
def per_replica():
    return mirrored.sample_latent(4)
with strategy.scope():
    result = strategy.run(tf.function(per_replica))
z0, z1 = (t.numpy() for t in strategy.experimental_local_results(result))
print("RESULT" + json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "max_diff": max(float(np.abs(a.numpy() - b.numpy()).max())
                    for a, b in zip(single.weights, mirrored.weights)),
    "moved": max(float(np.abs(a.numpy()).max()) for a in mirrored.weights),
    "same_noise_on_replicas": bool(np.allclose(z0, z1)),
    "d_loss": history["d_loss"][0],
}))
"""


@pytest.mark.slow
def test_two_replicas_equal_one_device_on_the_global_batch():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
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
    assert out["replicas"] == 2
    assert out["max_diff"] < 1e-5, out
    assert not out["same_noise_on_replicas"]
