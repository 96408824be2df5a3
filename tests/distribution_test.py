"""MirroredStrategy on two logical CPU devices: one step under 2 replicas
equals one single-device step on the same global batch."""

import pytest

from tests.scripts import run_python

pytestmark = pytest.mark.tensorflow_only("tf.distribute.MirroredStrategy")

SCRIPT = r"""
import json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from tests.scripts import penalised_toy_gan as build

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
    out = run_python(SCRIPT, env={"KERAS_BACKEND": "tensorflow"})
    assert out["replicas"] == 2
    assert out["max_diff"] < 1e-5, out
    assert not out["same_noise_on_replicas"]
