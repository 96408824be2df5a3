"""The GAN models: `GAN` (`core.py`, its step in `step.py`) and
`ConditionalGAN` (`conditional.py`)."""

from keras_gan.gan.conditional import ConditionalGAN
from keras_gan.gan.core import GAN

__all__ = ["GAN", "ConditionalGAN"]
