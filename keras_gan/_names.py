"""Name lookup shared by the packages' `get` functions."""

import re


def key(name):
    """The lookup key of a name given to a `get`: snake case, so a class name
    (`"NonSaturating"`, `"WeightClip"`) finds what its snake-case name
    (`"non_saturating"`, `"weight_clip"`) does, as in Keras' own `get`s."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return snake.lower().replace("-", "_")
