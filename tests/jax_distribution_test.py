"""Data parallelism on JAX: `keras.distribution.DataParallel` over 2 host
devices trains a GAN, and one step equals the single-device step on the same
global batch (as the MirroredStrategy test checks on TensorFlow)."""

import keras
import pytest

from tests.scripts import run_python

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution's JAX data parallelism"
)

SCRIPT = r"""
import json
import keras, numpy as np
from tests.scripts import penalised_toy_gan as build

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
    out = run_python(
        SCRIPT,
        env={"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    )
    assert out["devices"] == 2 and out["weight_devices"] == 2, out
    assert out["moved"] > 0
    # Two steps each: the sharded step, and the state it returns training on
    # as the single device's does.
    assert out["max_diff"] < 1e-5, out
