"""The GAN models: `GAN` (`core.py`, its step in `step.py`),
`ConditionalGAN` (`conditional.py`) and `SelfConditionedGAN`
(`self_conditioned.py`)."""

from keras_gan.gan.conditional import ConditionalGAN
from keras_gan.gan.core import GAN
from keras_gan.gan.self_conditioned import SelfConditionedGAN

__all__ = ["GAN", "ConditionalGAN", "SelfConditionedGAN"]
