"""`ConditionalGAN`: a GAN whose networks both see a class label."""

import keras
import numpy as np
from keras import ops

from keras_gan import _checks, _names, backend
from keras_gan.gan.core import GAN


@_names.register
class ConditionalGAN(GAN):
    """A GAN whose networks both see a class label (Mirza & Osindero 2014).

    `generator([z, labels])` makes a sample of the class `labels`;
    `discriminator([x, labels])` scores a sample as real *for that class*. The
    dataset yields `(x, labels)` with integer labels in `[0, num_classes)`.
    Generated samples of a step use the labels of the step's real batch, so
    the discriminator compares real and generated data of the same classes.
    Everything else (losses, constraints, penalties, freezing, logs) is
    `GAN`'s.

    Args:
        generator: a `keras.Model` on `[z, labels]`.
        discriminator: a `keras.Model` on `[x, labels]` returning a score.
        num_classes: number of classes, >= 2.
        latent_dim: size of `z`; defaults to the generator's first input size.
        latent_distribution: as `GAN`.
        seed: as `GAN`.

    Example:

    ```python
    gan = keras_gan.ConditionalGAN(generator, discriminator, num_classes=10)
    gan.compile("adam", "adam")
    gan.fit(keras_gan.data.from_numpy(images, labels), epochs=50)
    sevens = gan.generate(16, labels=7, seed=0)
    ```
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes,
        latent_dim=None,
        latent_distribution="normal",
        seed=None,
        ema_half_life=None,
        **kwargs,
    ):
        self.num_classes = _checks.integer(num_classes, "num_classes", minimum=2)
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            seed=seed,
            ema_half_life=ema_half_life,
            **kwargs,
        )
        for name, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            for layer in net._flatten_layers():
                if isinstance(layer, keras.layers.Embedding) and layer.input_dim < self.num_classes:
                    raise ValueError(
                        f"The {name} embeds at most {layer.input_dim} labels (its Embedding "
                        f"{layer.name!r}), fewer than num_classes: labels from "
                        f"{layer.input_dim} on would index past its table. Build the "
                        f"networks for {self.num_classes} classes, or pass the number they take. "
                        f"Received: num_classes={self.num_classes}"
                    )

    def _unpack(self, data):
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError(
                "A ConditionalGAN trains on (samples, labels) batches. Received a batch "
                f"without labels: data={data!r}"
            )
        labels = ops.convert_to_tensor(labels)
        try:
            shape = tuple(labels.shape)
        except ValueError:  # a TensorFlow shape of unknown rank
            shape = ()
        dtype = keras.backend.standardize_dtype(labels.dtype)
        if dtype == "bool" or not (
            keras.backend.is_int_dtype(dtype) or keras.backend.is_float_dtype(dtype)
        ):  # booleans would pass as classes 0 and 1
            raise ValueError(
                "A ConditionalGAN's labels are integer class indices; booleans need a cast "
                f"first. Received: labels of dtype {dtype}"
            )
        if len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None)):
            raise ValueError(
                "A ConditionalGAN's labels are integer class indices of shape (batch,) "
                "or (batch, 1); one-hot labels need an argmax first. "
                f"Received: labels of shape {shape}"
            )
        # (batch, 1) labels become (batch,): the networks take (batch,), and a
        # fit after one on the other shape retraces with a rank-free shape.
        # Checked before the cast, which would truncate a fractional label.
        labels = backend.check_labels(ops.reshape(labels, (-1,)), self.num_classes)
        return ops.convert_to_tensor(real), ops.cast(labels, "int32")

    def _checked_batch(self, data):
        x, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            return data
        checked = backend.check_batch_labels(labels, self.num_classes)
        if checked is labels:
            return data
        return keras.utils.pack_x_y_sample_weight(x, checked, sample_weight)

    def _generate(self, z, labels, training, net=None):
        return (net or self.generator)([z, labels], training=training)

    def _discriminate(self, x, labels, training):
        return self.discriminator([x, labels], training=training)

    def call(self, inputs, training=False):
        """Calling the model runs its generator on `[z, labels]`."""
        return self.generator(inputs, training=training)

    def _build_condition(self, n):
        return ops.convert_to_tensor(self._labels_for(n, None))

    def _labels_for(self, n, labels):
        if labels is None:
            return np.arange(n, dtype="int32") % self.num_classes
        return _checks.labels(labels, self.num_classes, count=n)

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Generates `n` samples of the given classes.

        Args:
            n: number of samples.
            labels: one label for all, `n` labels, or `None` for the classes
                in turn (0, 1, ..., num_classes - 1, 0, ...).
            seed: integer seed; the same seed and labels give the same samples.
            batch_size: samples per generator call.

        Returns:
            A numpy array of `n` samples.
        """
        n = self._check_count(n)
        labels = ops.convert_to_tensor(self._labels_for(n, labels))
        return self._sample(n, labels, seed, batch_size)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
