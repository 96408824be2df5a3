"""keras_gan: train generative adversarial networks with Keras' compile / fit."""

from keras_gan import (
    augment,
    backend,  # noqa: F401  (fails early on an unsupported backend)
    callbacks,
    constraints,
    data,
    evaluation,
    layers,
    losses,
    metrics,
    models,
    penalties,
    recipes,
    saving,
    visualize,
)
from keras_gan.gan import GAN, ConditionalGAN, SelfConditionedGAN

__version__ = "0.1.0"

# Imported when first used: KerasTuner (and on TensorFlow, TensorBoard with
# it) costs seconds and memory that training without tuning never needs.
_LAZY = ("tuning",)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"keras_gan.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GAN",
    "ConditionalGAN",
    "SelfConditionedGAN",
    "augment",
    "callbacks",
    "constraints",
    "data",
    "evaluation",
    "layers",
    "losses",
    "metrics",
    "models",
    "penalties",
    "recipes",
    "saving",
    "tuning",
    "visualize",
]
