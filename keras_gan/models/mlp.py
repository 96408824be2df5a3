"""Multilayer perceptrons for vector data (the 2-D toy mixtures)."""

import keras
from keras import layers

from keras_gan import _checks
from keras_gan.layers import MinibatchStdDev
from keras_gan.models import conditioning


def mlp_generator(
    latent_dim,
    output_dim,
    hidden_units=(128, 128),
    activation="relu",
    output_activation=None,
    num_classes=None,
    name="generator",
):
    """An MLP generator `z -> x`.

    Args:
        latent_dim: size of the latent input.
        output_dim: size of a sample.
        hidden_units: width of each hidden layer.
        activation: hidden activation.
        output_activation: activation of the output (`None`: linear, for
            unbounded data such as the toy mixtures; `"tanh"` for [-1, 1]).
        num_classes: condition on integer labels: the model takes
            `[z, labels]` and concatenates a label embedding to `z`.
        name: the model's name.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` (and `(batch,)` labels) to
        `(batch, output_dim)`.
    """
    latent_dim = _checks.integer(latent_dim, "latent_dim")
    output_dim = _checks.integer(output_dim, "output_dim")
    hidden_units = _checks.integers(hidden_units, "hidden_units")
    num_classes = conditioning.check_num_classes(num_classes)
    inputs, x = conditioning.generator_inputs(latent_dim, num_classes)
    for units in hidden_units:
        x = layers.Dense(units, activation=activation)(x)
    outputs = layers.Dense(output_dim, activation=output_activation, dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def mlp_discriminator(
    input_dim,
    hidden_units=(128, 128),
    negative_slope=0.2,
    num_classes=None,
    pack=1,
    minibatch_stddev=None,
    name="discriminator",
):
    """An MLP discriminator `x -> score` with LeakyReLU and a linear output.

    The output is an unbounded score (a logit) of shape `(batch, 1)`, in
    float32 even under mixed precision.

    Args:
        input_dim: size of a sample.
        hidden_units: width of each hidden layer.
        negative_slope: LeakyReLU slope.
        num_classes: condition on integer labels: the model takes
            `[x, labels]` and adds a projection term (Miyato & Koyama 2018).
        pack: judge packs of `pack` samples side by side (PacGAN;
            `GAN.compile(pack=...)`): the input has `pack * input_dim`
            values.
        minibatch_stddev: a group size: a
            `keras_gan.layers.MinibatchStdDev` feature before the last
            hidden layer (ProGAN); None for none.
        name: the model's name.
    """
    input_dim = _checks.integer(input_dim, "input_dim")
    hidden_units = _checks.integers(hidden_units, "hidden_units")
    num_classes = conditioning.check_num_classes(num_classes)
    pack = _checks.integer(pack, "pack")
    inputs, x, labels = conditioning.discriminator_inputs((input_dim * pack,), num_classes)
    for i, units in enumerate(hidden_units):
        if minibatch_stddev and i == len(hidden_units) - 1:
            x = MinibatchStdDev(minibatch_stddev)(x)
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(negative_slope)(x)
    return keras.Model(inputs, conditioning.score(x, labels, num_classes), name=name)
