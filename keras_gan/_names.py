"""Names shared by the packages: the Keras-serialization package and the
lookup key of their `get` functions."""

import copy
import re

import keras

#: The package every keras_gan object is registered under for Keras saving.
PACKAGE = "keras_gan"


def register(cls):
    """Registers `cls` as Keras-serializable under `PACKAGE`
    (`"keras_gan>ClassName"`)."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def key(name):
    """The lookup key of a name given to a `get`: snake case, so a class name
    (`"NonSaturating"`, `"WeightClip"`) finds what its snake-case name
    (`"non_saturating"`, `"weight_clip"`) does, as in Keras' own `get`s."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return snake.lower().replace("-", "_")


def deserialize(config, module_objects, custom_objects, kind, what):
    """`keras.saving.deserialize_keras_object(config)`, checked to be an
    instance of `kind`: Keras returns an unknown class's name (a string)
    rather than raising, which would fail far from here."""
    # A copy: Keras consumes a functional model's config in place (a metric's
    # `features`), so the same config could not be deserialized twice.
    obj = keras.saving.deserialize_keras_object(
        copy.deepcopy(config), module_objects=module_objects, custom_objects=custom_objects
    )
    if not isinstance(obj, kind):
        raise ValueError(
            f"Could not rebuild {what} from this config: its class is not one keras_gan "
            "knows, nor registered (keras.saving.register_keras_serializable) or given in "
            f"`custom_objects`. Received: {config!r}"
        )
    return obj
