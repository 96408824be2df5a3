import keras
import numpy as np
import pytest

from keras_gan import models


@pytest.mark.parametrize("size", [8, 28, 32, 64])
def test_dcgan_shapes(size):
    generator = models.dcgan_generator(latent_dim=16, image_size=size, channels=3, width=8)
    discriminator = models.dcgan_discriminator(image_size=size, channels=3, width=8)
    images = generator(np.zeros((2, 16), "float32"))
    assert tuple(images.shape) == (2, size, size, 3)
    assert float(keras.ops.max(keras.ops.abs(images))) <= 1.0
    assert tuple(discriminator(images).shape) == (2, 1)


def test_dcgan_spectral_norm():
    discriminator = models.dcgan_discriminator(image_size=8, width=8, spectral_norm=True)
    assert any(
        isinstance(layer, keras.layers.SpectralNormalization) for layer in discriminator.layers
    )


def test_dcgan_bad_size():
    with pytest.raises(ValueError, match="image_size=9"):
        models.dcgan_generator(image_size=9)


def test_mlp_shapes():
    generator = models.mlp_generator(4, 2, hidden_units=(8,))
    discriminator = models.mlp_discriminator(2, hidden_units=(8, 8))
    x = generator(np.zeros((3, 4), "float32"))
    assert tuple(x.shape) == (3, 2)
    assert tuple(discriminator(x).shape) == (3, 1)
    with pytest.raises(ValueError, match="hidden_units"):
        models.mlp_generator(4, 2, hidden_units=())
