"""keras_gan: train generative adversarial networks with Keras' compile / fit."""

from keras_gan import (
    backend,  # noqa: F401  (fails early on an unsupported backend)
    callbacks,
    constraints,
    data,
    losses,
    metrics,
    models,
    penalties,
    recipes,
    saving,
    tuning,
    visualize,
)
from keras_gan.gan import GAN, ConditionalGAN

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "ConditionalGAN",
    "callbacks",
    "constraints",
    "data",
    "losses",
    "metrics",
    "models",
    "penalties",
    "recipes",
    "saving",
    "tuning",
    "visualize",
]
