"""Reference architectures; each builder returns a plain `keras.Model`."""

from keras_gan.models.dcgan import dcgan_discriminator, dcgan_generator
from keras_gan.models.image import image_discriminator, image_generator
from keras_gan.models.mlp import mlp_discriminator, mlp_generator

__all__ = [
    "dcgan_discriminator",
    "dcgan_generator",
    "image_discriminator",
    "image_generator",
    "mlp_discriminator",
    "mlp_generator",
]
