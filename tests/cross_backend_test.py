"""A GAN trained and saved on JAX or PyTorch loads on TensorFlow, gives the
same samples, keeps training, and exports a SavedModel."""

import keras
import numpy as np
import pytest

import keras_gan
from tests.scripts import run_python

pytestmark = pytest.mark.tensorflow_only("loads on TensorFlow what JAX and PyTorch saved")

TRAIN = r"""
import json, sys
import keras, numpy as np, keras_gan
out = sys.argv[1]
keras.utils.set_random_seed(0)
gan = keras_gan.GAN(
    keras_gan.models.dcgan_generator(latent_dim=4, image_size=8, width=4),
    keras_gan.models.dcgan_discriminator(image_size=8, width=4),
    seed=0,
)
gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
            d_penalty=keras_gan.penalties.R1(1.0))
history = gan.fit(keras_gan.data.digits(return_labels=False)[:64], batch_size=32, epochs=2,
                  verbose=0, callbacks=[keras_gan.callbacks.GeneratorEMA(64)])
gan.save(out + "/gan.keras")
z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
np.save(out + "/samples.npy", keras.ops.convert_to_numpy(gan.ema_generator(z, training=False)))
np.savez(out + "/weights.npz", *[np.asarray(w) for w in gan.weights])
print("RESULT" + json.dumps({"backend": keras.backend.backend(),
                             "d_iterations": int(gan.d_optimizer.iterations)}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_saved_on_another_backend_loads_trains_and_exports(backend, tmp_path):
    import tensorflow as tf

    trained = run_python(TRAIN, tmp_path, env={"KERAS_BACKEND": backend})
    assert trained == {"backend": backend, "d_iterations": 4}

    gan = keras_gan.saving.load_model(tmp_path / "gan.keras")
    saved = np.load(tmp_path / "weights.npz")
    for i, weight in enumerate(gan.weights):
        np.testing.assert_array_equal(np.asarray(weight), saved[f"arr_{i}"])
    assert int(gan.d_optimizer.iterations) == 4 and gan.ema_generator is not None
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    expected = np.load(tmp_path / "samples.npy")
    np.testing.assert_allclose(gan.ema_generator(z, training=False), expected, atol=1e-5)

    history = gan.fit(
        keras_gan.data.digits(return_labels=False)[:64], batch_size=32, epochs=1, verbose=0
    ).history
    assert np.isfinite(history["d_loss"]).all() and int(gan.d_optimizer.iterations) == 6
    exported = tf.saved_model.load(str(gan.export_generator(tmp_path / "generator")))
    samples = exported.signatures["serving_default"](z=tf.constant(z))["samples"].numpy()
    after = keras.ops.convert_to_numpy(gan.ema_generator(z, training=False))
    np.testing.assert_allclose(samples, after, atol=1e-5)
