"""The GAN's two optimizers, as `compile` prepares them and Keras' trainers
see them."""

import keras


def prepare(optimizer, name):
    """`optimizer` (an instance or a name) as the GAN trains with it: wrapped
    in a `LossScaleOptimizer` under the `"mixed_float16"` policy."""
    try:
        optimizer = keras.optimizers.get(optimizer)
    except ValueError as error:  # Keras' message names no argument
        raise ValueError(
            f"`{name}` must be a keras.optimizers.Optimizer or the name of one (such as "
            f"'adam'). Received: {name}={optimizer!r} ({error})"
        ) from error
    if optimizer is None:
        raise ValueError(f"`{name}` is required. Received: {name}=None")
    if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=name)
    return optimizer


def unwrapped(optimizer):
    """The optimizer inside a `LossScaleOptimizer` (which `compile` wraps
    again under mixed precision), else `optimizer`."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.inner_optimizer
    return optimizer


class OptimizerPair:
    """`model.optimizer` for Keras' trainers: the discriminator's and the
    generator's optimizers seen as one, whose `variables` are both lists.

    On JAX only `model.optimizer.variables` travel through the jitted step,
    so both optimizers' must be there. A plain object, not a Keras
    optimizer: saving skips it (each optimizer is saved under its own
    attribute) and nothing tracks its variables twice.
    """

    def __init__(self, d_optimizer, g_optimizer):
        self.optimizers = (d_optimizer, g_optimizer)

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]

    @property
    def built(self):
        return all(optimizer.built for optimizer in self.optimizers)

    def build(self, variables):  # compile built both on their own variables
        pass

    def __repr__(self):
        return "<OptimizerPair d={!r} g={!r}>".format(*self.optimizers)
