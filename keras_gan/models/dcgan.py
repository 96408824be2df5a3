"""DCGAN (Radford et al. 2016) generator and discriminator for square images."""

import keras
from keras import layers

from keras_gan import _checks
from keras_gan.layers import MinibatchStdDev
from keras_gan.models import conditioning


def base_size(image_size):
    """The first feature map's size and the number of stride-2 stages: halve
    while even and above 7 (8 -> 4, 28 -> 7, 32 -> 4, 64 -> 4)."""
    size, doublings = _checks.integer(image_size, "image_size", minimum=4), 0
    while size % 2 == 0 and size > 7:
        size //= 2
        doublings += 1
    if doublings == 0:
        raise ValueError(
            "`image_size` must be a base size of 4 to 7 times a power of two, "
            f"such as 8, 28, 32 or 64. Received: image_size={image_size}"
        )
    return size, doublings


def dcgan_generator(
    latent_dim=64, image_size=28, channels=1, width=64, num_classes=None, name="generator"
):
    """DCGAN generator: Dense -> (Conv2DTranspose, BatchNorm, ReLU) x k -> tanh.

    Args:
        latent_dim: size of `z`.
        image_size: output height and width (8, 28, 32, 64, ...).
        channels: output channels (1 grey, 3 colour).
        width: channels of the last hidden feature map; each earlier
            upsampling stage doubles it.
        num_classes: condition on integer labels: the model takes
            `[z, labels]` and concatenates a label embedding to `z`.
        name: the model's name.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to
        `(batch, image_size, image_size, channels)` in [-1, 1].
    """
    base, doublings = base_size(image_size)
    latent_dim = _checks.integer(latent_dim, "latent_dim")
    channels = _checks.integer(channels, "channels")
    width = _checks.integer(width, "width")
    top = width * 2 ** (doublings - 1)
    num_classes = conditioning.check_num_classes(num_classes)
    inputs, x = conditioning.generator_inputs(latent_dim, num_classes)
    x = layers.Dense(base * base * top, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, top))(x)
    for i in range(doublings):
        filters = width * 2 ** (doublings - 1 - i)
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def dcgan_discriminator(
    image_size=28,
    channels=1,
    width=64,
    spectral_norm=False,
    dropout=0.0,
    num_classes=None,
    pack=1,
    minibatch_stddev=None,
    name="discriminator",
):
    """DCGAN discriminator: (Conv2D stride 2, LeakyReLU) x k -> Dense score.

    No batch normalization (so it combines with gradient penalties) and a
    linear float32 output: an unbounded score (logit) of shape `(batch, 1)`.

    Args:
        image_size: input height and width.
        channels: input channels.
        width: filters of the first convolution; each next one doubles.
        spectral_norm: wrap every convolution and the output layer in
            `keras.layers.SpectralNormalization` (Miyato et al. 2018).
        dropout: dropout rate after each convolution.
        num_classes: condition on integer labels: the model takes
            `[x, labels]` and adds a projection term (Miyato & Koyama 2018).
        pack: judge packs of `pack` images side by side on the channel axis
            (PacGAN; `GAN.compile(pack=...)`): the input has `pack *
            channels` channels.
        minibatch_stddev: a group size: a
            `keras_gan.layers.MinibatchStdDev` feature after the
            convolutions (ProGAN); None for none.
        name: the model's name.
    """
    _, doublings = base_size(image_size)
    image_size = int(image_size)
    channels = _checks.integer(channels, "channels")
    width = _checks.integer(width, "width")
    dropout = _checks.fraction(dropout, "dropout")
    num_classes = conditioning.check_num_classes(num_classes)
    pack = _checks.integer(pack, "pack")

    def wrap(layer):
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    inputs, x, labels = conditioning.discriminator_inputs(
        (image_size, image_size, channels * pack), num_classes
    )
    for i in range(doublings):
        x = wrap(layers.Conv2D(width * 2**i, 4, strides=2, padding="same"))(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    if minibatch_stddev:
        x = MinibatchStdDev(minibatch_stddev)(x)
    x = layers.Flatten()(x)
    outputs = conditioning.score(x, labels, num_classes, wrap if spectral_norm else None)
    return keras.Model(inputs, outputs, name=name)
