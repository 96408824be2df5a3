"""Constraints applied to every discriminator variable after each of its updates.

`GAN.compile(d_constraint=...)` takes a `WeightClip`, any
`keras.constraints.Constraint`, or a name that `keras.constraints.get`
understands. The constraint is applied to every trainable variable of the
discriminator right after every discriminator update (the course's WGAN
requirement that the critic's weights stay in a compact range).
"""

import keras
from keras import ops

from keras_gan import _checks, _names


@_names.register
class WeightClip(keras.constraints.Constraint):
    """Clips every weight to `[-clip_value, clip_value]` (WGAN, Arjovsky 2017).

    Args:
        clip_value: positive float, the bound `c`. The WGAN paper uses 0.01.

    Example:

    >>> clip = keras_gan.constraints.WeightClip(0.01)
    >>> clip(np.array([-1.0, 0.005, 1.0])).tolist()
    [-0.01, 0.005, 0.01]
    """

    def __init__(self, clip_value=0.01):
        self.clip_value = _checks.number(clip_value, "clip_value", inclusive=False)

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        c = ops.cast(self.clip_value, w.dtype)
        return ops.clip(w, -c, c)

    def get_config(self):
        return {"clip_value": self.clip_value}


def serialize(constraint):
    """Returns the Keras config dict of a constraint."""
    return keras.saving.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Rebuilds a constraint from `serialize`'s output."""
    return _names.deserialize(
        config,
        {"WeightClip": WeightClip},
        custom_objects,
        keras.constraints.Constraint,
        "a constraint",
    )


def get(identifier):
    """Returns a constraint from `None`, a name, a config dict or an instance.

    Args:
        identifier: `None`; `"weight_clip"` (clip value 0.01); a config dict;
            a `keras.constraints.Constraint`; or a callable `w -> w`.

    Returns:
        A callable constraint, or `None`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and _names.key(identifier) in ("weight_clip", "clip"):
        return WeightClip()
    if isinstance(identifier, str):
        try:
            return keras.constraints.get(identifier)
        except ValueError as error:  # Keras' message names no argument
            raise ValueError(
                "Unknown discriminator constraint name (keras_gan's: 'weight_clip'; or "
                f"Keras' own). Received: d_constraint={identifier!r}"
            ) from error
    if isinstance(identifier, type):
        raise ValueError(
            "A discriminator constraint must be an instance, not its class, e.g. "
            f"WeightClip(0.01). Received: d_constraint={identifier!r}"
        )
    if isinstance(identifier, dict):
        identifier = deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "A discriminator constraint must be a keras.constraints.Constraint, a "
        f"callable or a name. Received: d_constraint={identifier!r}"
    )
