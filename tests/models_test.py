import keras
import numpy as np
import pytest

from keras_gan import models


@pytest.mark.parametrize(
    "size",
    [
        8,
        32,
        *(
            pytest.param(s, marks=pytest.mark.tensorflow_only("more sizes of the same layers"))
            for s in (28, 64)
        ),
    ],
)
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


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_conditional_builders(kind):
    if kind == "mlp":
        generator = models.mlp_generator(4, 2, hidden_units=(8,), num_classes=3)
        discriminator = models.mlp_discriminator(2, hidden_units=(8,), num_classes=3)
    else:
        generator = models.dcgan_generator(4, image_size=8, width=4, num_classes=3)
        discriminator = models.dcgan_discriminator(8, width=4, num_classes=3, spectral_norm=True)
    z = np.zeros((2, 4), "float32")
    labels = np.array([0, 2], "int32")
    samples = keras.ops.convert_to_numpy(generator([z, labels]))
    scores = keras.ops.convert_to_numpy(discriminator([samples, labels]))
    assert tuple(scores.shape) == (2, 1)
    # The label reaches both networks.
    assert not np.allclose(samples[0], samples[1])
    same = keras.ops.convert_to_numpy(discriminator([samples[:1].repeat(2, 0), labels]))
    assert not np.allclose(same[0], same[1])


@pytest.mark.slow
def test_conditional_builders_train_in_a_conditional_gan():
    import keras_gan

    gan = keras_gan.ConditionalGAN(
        models.dcgan_generator(8, image_size=8, width=8, num_classes=10),
        models.dcgan_discriminator(8, width=8, num_classes=10),
        num_classes=10,
        seed=0,
    )
    gan.compile("adam", "adam", loss="hinge")
    x, y = keras_gan.data.digits()
    history = gan.fit(x[:128], y[:128], batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    assert gan.generate(10, seed=0).shape == (10, 8, 8, 1)


def test_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes=1"):
        models.mlp_generator(4, 2, num_classes=1)
    with pytest.raises(ValueError, match="num_classes='x'"):
        models.dcgan_discriminator(image_size=8, num_classes="x")


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: models.mlp_generator(0, 2), "latent_dim=0"),
        (lambda: models.mlp_generator(4, 0), "output_dim=0"),
        (lambda: models.mlp_generator(4, 2, hidden_units=64), "hidden_units=64"),
        (lambda: models.mlp_generator(4, 2, hidden_units=(8.5,)), r"hidden_units=\(8.5,\)"),
        (lambda: models.mlp_discriminator(0), "input_dim=0"),
        (lambda: models.mlp_discriminator(2, hidden_units=(8, 0)), r"hidden_units=\(8, 0\)"),
        (lambda: models.dcgan_generator(latent_dim=0, image_size=8), "latent_dim=0"),
        (lambda: models.dcgan_generator(image_size=8, width=0), "width=0"),
        (lambda: models.dcgan_generator(image_size=8, channels=0), "channels=0"),
        (lambda: models.dcgan_generator(image_size=8.5), "image_size=8.5"),
        (lambda: models.dcgan_discriminator(image_size=8, width=-1), "width=-1"),
        (lambda: models.dcgan_discriminator(image_size=8, dropout=1.0), "dropout=1.0"),
    ],
)
def test_builder_arguments_are_checked_by_name(build, match):
    """Each bad argument is named with its value (not Keras' `units` or
    `filters`, nor a model built on a zero-width input)."""
    with pytest.raises(ValueError, match=match):
        build()
