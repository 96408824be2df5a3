"""Argument checks shared by the public builders and the GAN.

Each returns the value in its plain Python type or raises a `ValueError`
that names the argument and the value received, as Keras' own checks do
(`"... Received: units=0"`). Integral floats (`64.0`) are accepted as
integers; booleans, strings and fractions are not.
"""

import math
import numbers

import numpy as np


def _is_integer(value, minimum):
    return (
        not isinstance(value, (bool, np.bool_))
        and isinstance(value, numbers.Real)
        and float(value).is_integer()
        and value >= minimum
    )


def integer(value, name, minimum=1):
    """`value` as an `int` >= `minimum`."""
    if not _is_integer(value, minimum):
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def integers(values, name, minimum=1):
    """`values` as a non-empty tuple of `int`s >= `minimum` (layer widths)."""
    ok = not isinstance(values, (str, bytes)) and hasattr(values, "__iter__")
    if ok:
        values = tuple(values)
        ok = bool(values) and all(_is_integer(v, minimum) for v in values)
    if not ok:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of integers >= {minimum}, such as "
            f"(128, 128). Received: {name}={values!r}"
        )
    return tuple(int(v) for v in values)


def number(value, name, minimum=0.0, inclusive=True):
    """`value` as a finite `float` >= `minimum` (> with `inclusive=False`;
    `minimum=-math.inf`: any finite number)."""
    ok = (
        not isinstance(value, (bool, np.bool_))
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
        and (value >= minimum if inclusive else value > minimum)
    )
    if not ok:
        bound = f" {'>=' if inclusive else '>'} {minimum:g}" if math.isfinite(minimum) else ""
        raise ValueError(f"`{name}` must be a finite number{bound}. Received: {name}={value!r}")
    return float(value)


def fraction(value, name):
    """`value` as a `float` in `[0, 1)` (a rate, a smoothing amount)."""
    as_float = number(value, name, minimum=-math.inf)
    if not 0.0 <= as_float < 1.0:
        raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value!r}")
    return as_float


def labels_message(num_classes, what="`labels`"):
    return f"{what} must be class indices in [0, {num_classes})"


def labels_in_range(labels, num_classes, what="`labels`"):
    """Raises unless every entry of the array `labels` is an integer in
    `[0, num_classes)` (a float label must be integer-valued: 2.0, not 2.5
    or NaN); names the offending labels."""
    labels = np.asarray(labels).reshape(-1)
    bad = (labels < 0) | (labels >= num_classes)
    if np.issubdtype(labels.dtype, np.floating):
        bad |= labels != np.floor(labels)  # fractional, or NaN
    bad = labels[bad]
    if bad.size:
        shown = sorted(set(bad.tolist()))
        raise ValueError(
            f"{labels_message(num_classes, what)}. Received: labels containing "
            f"{shown[:10]}{' ...' if len(shown) > 10 else ''}"
        )
