"""Label conditioning shared by the reference architectures.

Generators concatenate a learned label embedding to `z` (Mirza & Osindero
2014); discriminators use a projection (Miyato & Koyama 2018): the score is
`dense(h) + <embed(y), h>` for the penultimate features `h`.
"""

import keras
from keras import layers

from keras_gan import _checks


def check_num_classes(num_classes):
    """`num_classes` as an int >= 2, or None (an unconditional model)."""
    if num_classes is None:
        return None
    return _checks.integer(num_classes, "num_classes", minimum=2)


def generator_inputs(latent_dim, num_classes):
    """Returns `(model inputs, the tensor the body starts from)`."""
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return z, z
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(labels)
    return [z, labels], layers.Concatenate(name="z_and_label")([z, embedded])


def discriminator_inputs(sample_shape, num_classes):
    """Returns `(model inputs, the sample tensor, the labels tensor or None)`."""
    x = keras.Input(sample_shape, name="x")
    if num_classes is None:
        return x, x, None
    labels = keras.Input((), dtype="int32", name="labels")
    return [x, labels], x, labels


def score(features, labels, num_classes, wrap=None):
    """A float32 score `(batch, 1)` from penultimate features, with the
    projection term when `labels` is given. `wrap` wraps the output layer
    (e.g. in spectral normalization)."""
    dense = layers.Dense(1, dtype="float32", name="score")
    out = (wrap(dense) if wrap else dense)(features)
    if labels is None:
        return out
    embedded = layers.Embedding(num_classes, features.shape[-1], name="label_projection")(labels)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, features])
    return layers.Add(dtype="float32", name="projected_score")([out, projection])
