"""The convolutional networks of the image recipe (`recipes.image_gan`).

Both work at every resolution from the base (4 to 7 pixels) up by doubling:
8x8, 16x16, 28x28, 32x32, 64x64, ... The generator upsamples (nearest
neighbour, then a 3x3 convolution: no checkerboard) with batch
normalization; the discriminator mirrors it with strided convolutions,
optionally spectrally normalized, and can see the minibatch standard
deviation and packed inputs (the remedies for mode collapse).
"""

import keras
from keras import layers

from keras_gan import _checks
from keras_gan.layers import MinibatchStdDev
from keras_gan.models import conditioning
from keras_gan.models.dcgan import base_size


def _image_shape(image_shape):
    shape = tuple(image_shape) if hasattr(image_shape, "__iter__") else ()
    if len(shape) != 3 or shape[0] != shape[1]:
        raise ValueError(
            "`image_shape` must be (size, size, channels), square. "
            f"Received: image_shape={image_shape!r}"
        )
    size = _checks.integer(shape[0], "image_shape[0]", minimum=4)
    return size, _checks.integer(shape[2], "image_shape[2]")


def image_generator(image_shape, latent_dim=64, width=64, num_classes=None, name="generator"):
    """The recipe's generator: Dense to the base resolution, then per
    doubling an upsampling and two 3x3 convolutions (batch normalization,
    ReLU), and a 3x3 convolution to the image in [-1, 1] (tanh, float32).

    Args:
        image_shape: `(size, size, channels)`, with `size` a base of 4 to 7
            times a power of two (8, 28, 32, 64, ...).
        latent_dim: size of `z`.
        width: channels at the full resolution; each coarser stage doubles
            them (at most 8x).
        num_classes: condition on integer labels (`[z, labels]` in).
        name: the model's name.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to `(batch, *image_shape)`.
    """
    size, channels = _image_shape(image_shape)
    base, doublings = base_size(size)
    latent_dim = _checks.integer(latent_dim, "latent_dim")
    width = _checks.integer(width, "width")
    num_classes = conditioning.check_num_classes(num_classes)

    def filters(stage):  # stage 0: the base resolution
        return width * min(2 ** (doublings - stage), 8)

    inputs, x = conditioning.generator_inputs(latent_dim, num_classes)
    x = layers.Dense(base * base * filters(0), use_bias=False)(x)
    x = layers.Reshape((base, base, filters(0)))(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for stage in range(1, doublings + 1):
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        for _ in range(2):
            x = layers.Conv2D(filters(stage), 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def image_discriminator(
    image_shape,
    width=64,
    spectral_norm=False,
    minibatch_stddev=None,
    pack=1,
    num_classes=None,
    name="discriminator",
):
    """The recipe's discriminator: a 3x3 convolution, then per halving a 3x3
    and a strided 4x4 convolution (LeakyReLU 0.2), at the base resolution
    the minibatch standard deviation (optional) and a 3x3 convolution, and a
    linear float32 score. No batch normalization (it combines with input
    gradient penalties).

    Args:
        image_shape: `(size, size, channels)` of one sample.
        width: channels at the full resolution; each coarser stage doubles
            them (at most 8x).
        spectral_norm: spectral normalization of every convolution and the
            score (Miyato et al. 2018).
        minibatch_stddev: a group size for `keras_gan.layers.MinibatchStdDev`
            at the base resolution; None for none.
        pack: judge packs of `pack` images (`GAN.compile(pack=...)`).
        num_classes: condition on integer labels (`[x, labels]` in, a
            projection term in the score).
        name: the model's name.
    """
    size, channels = _image_shape(image_shape)
    _, doublings = base_size(size)
    width = _checks.integer(width, "width")
    pack = _checks.integer(pack, "pack")
    num_classes = conditioning.check_num_classes(num_classes)

    def wrap(layer):
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    def filters(stage):  # stage 0: the full resolution
        return width * min(2**stage, 8)

    inputs, x, labels = conditioning.discriminator_inputs(
        (size, size, channels * pack), num_classes
    )
    x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(filters(0), 3, padding="same"))(x))
    for stage in range(1, doublings + 1):
        x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(filters(stage - 1), 3, padding="same"))(x))
        x = wrap(layers.Conv2D(filters(stage), 4, strides=2, padding="same"))(x)
        x = layers.LeakyReLU(0.2)(x)
    if minibatch_stddev:
        x = MinibatchStdDev(minibatch_stddev)(x)
    x = layers.LeakyReLU(0.2)(wrap(layers.Conv2D(filters(doublings), 3, padding="same"))(x))
    x = layers.Flatten()(x)
    outputs = conditioning.score(x, labels, num_classes, wrap if spectral_norm else None)
    return keras.Model(inputs, outputs, name=name)
