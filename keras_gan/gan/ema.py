"""The exponential moving average of the generator's weights."""

import keras
from keras import ops

from keras_gan import _checks


class GeneratorEMA:
    """`GAN`'s moving average of its generator (a mixin of `GAN`).

    Enabled by `enable_ema` (or the `keras_gan.callbacks.GeneratorEMA`
    callback): `ema_generator` then follows the generator's weights inside
    the train step, and `sampling_generator` (what `generate`, evaluation
    and export use) is the average.

    `GAN.__init__` sets `ema_generator` and `ema_half_life` (to None): not
    class attributes, which would hide a network that PyTorch's
    `nn.Module.__setattr__` keeps in `_modules`.
    """

    def enable_ema(self, half_life):
        """Keeps an exponential moving average of the generator's weights.

        After every train step each trainable weight of `ema_generator`
        becomes `beta * ema + (1 - beta) * weight` with
        `beta = 0.5 ** (batch_size / half_life)`: an image seen `half_life`
        images ago counts half as much (StyleGAN's parametrisation). Other
        weights (BatchNormalization statistics) are copied. `generate`,
        saving and `export_generator` then use the average. Usually enabled
        by the `keras_gan.callbacks.GeneratorEMA` callback.

        Args:
            half_life: the half-life in images, > 0.
        """
        half_life = _checks.number(half_life, "half_life", inclusive=False)
        self.ema_half_life = half_life
        if self.ema_generator is None:
            try:
                self.ema_generator = keras.models.clone_model(self.generator)
            except NotImplementedError as error:
                raise ValueError(
                    "The moving average keeps a copy of the generator, made with "
                    "keras.models.clone_model, which could not copy it: a subclassed "
                    "model needs a config its constructor takes (`get_config` / "
                    "`from_config`, or keyword arguments only). "
                    f"Received: generator={self.generator.name!r} of type "
                    f"{type(self.generator).__name__}: {' '.join(str(error).split())}"
                ) from error
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_generator.trainable = False
            self.train_function = None  # the next fit traces the EMA update in

    def _update_ema(self, batch_size):
        beta = ops.power(0.5, ops.cast(batch_size, "float32") / self.ema_half_life)
        for average, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            if weight.trainable:
                b = ops.cast(beta, average.dtype)
                average.assign(b * average + (1.0 - b) * ops.cast(weight, average.dtype))
            else:
                average.assign(weight)

    @property
    def sampling_generator(self):
        """The generator `generate` and `export_generator` use: the moving
        average when enabled, else the trained generator."""
        return self.ema_generator if self.ema_generator is not None else self.generator
