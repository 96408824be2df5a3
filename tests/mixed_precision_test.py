"""mixed_float16: each optimizer is wrapped in a LossScaleOptimizer by compile,
scores and losses stay float32, and training gives finite losses."""

import keras
import numpy as np
import pytest

import keras_gan


@pytest.mark.slow
def test_mixed_float16_trains_with_loss_scaling():
    keras.config.set_dtype_policy("mixed_float16")
    generator = keras_gan.models.dcgan_generator(latent_dim=8, image_size=8, width=8)
    discriminator = keras_gan.models.dcgan_discriminator(image_size=8, width=8)
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(
        keras.optimizers.Adam(2e-4),
        keras.optimizers.Adam(2e-4),
        d_penalty=keras_gan.penalties.R1(1.0),
    )
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert generator.layers[1].compute_dtype == "float16"
    assert discriminator.output.dtype == "float32"
    images = keras_gan.data.digits(return_labels=False)[:128]
    history = gan.fit(images, batch_size=32, epochs=2, verbose=0)
    for key in ("d_loss", "g_loss", "r1"):
        assert np.isfinite(history.history[key]).all(), key
    # The loss scale is in use (dynamic scaling starts at 2**15).
    assert float(gan.d_optimizer.dynamic_scale.numpy()) > 1.0
    assert int(gan.g_optimizer.iterations) == 8
