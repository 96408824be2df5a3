"""Layers for discriminators."""

import keras
from keras import ops

from keras_gan import _checks, _names


@_names.register
class MinibatchStdDev(keras.layers.Layer):
    """The minibatch standard deviation (Karras et al. 2018, ProGAN).

    A remedy for mode collapse: the discriminator sees, beside each sample's
    features, how much the samples of its group differ. The batch is cut
    into groups of `group_size` (sample `n` is in group `n % (batch /
    group_size)`); for each group the standard deviation of every feature
    over its samples is averaged into one number, appended to each of its
    samples as one more channel (images) or feature (vectors). A collapsed
    generator's batches, alike within a group, show it at once.

    Args:
        group_size: samples per group (the batch size when smaller); the
            batch must be a multiple of it.

    Input shape: `(batch, ..., channels)`. Output shape: the same with one
    more channel.

    Example:

    ```python
    x = keras_gan.layers.MinibatchStdDev(group_size=4)(features)
    ```
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = _checks.integer(group_size, "group_size")

    def call(self, x):
        batch = ops.shape(x)[0]
        group = self.group_size
        if isinstance(batch, int):
            group = min(group, batch)
            if batch % group:
                raise ValueError(
                    f"MinibatchStdDev needs a batch that is a multiple of its group size "
                    f"{group}. Received: a batch of {batch}"
                )
        else:
            group = ops.minimum(group, batch)
        rest = tuple(x.shape[1:])
        grouped = ops.reshape(x, (group, -1) + rest)  # (group member, group, ...)
        variance = ops.var(ops.cast(grouped, "float32"), axis=0)
        deviation = ops.sqrt(variance + 1e-8)
        per_group = ops.mean(ops.reshape(deviation, (ops.shape(deviation)[0], -1)), axis=1)
        per_sample = ops.tile(per_group, (group,))
        feature = ops.reshape(per_sample, (-1,) + (1,) * len(rest))
        feature = ops.broadcast_to(ops.cast(feature, x.dtype), ops.shape(x)[:-1] + (1,))
        return ops.concatenate([x, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        *head, channels = input_shape
        return (*head, None if channels is None else channels + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
