"""Checks shared by the public builders, the GAN, export and the server.

Argument checks return the value in its plain Python type or raise a
`ValueError` that names the argument and the value received, as Keras' own
checks do (`"... Received: units=0"`). Integral floats (`64.0`) are accepted
as integers; booleans, strings and fractions are not.

Also here, each defined once: the label contract of a conditional model
(`invalid_labels`, `labels`), the probe of a model's static shapes
(`model_shape`), and the checks on what the networks return.
"""

import importlib
import math
import numbers

import keras
import numpy as np
from keras import ops

# The optional packages, by module: the distribution to install and the part
# of the library that needs it. The minimal install (keras, numpy,
# scikit-learn, pillow; README "Installing without TensorFlow") trains on JAX
# and PyTorch without any of them.
OPTIONAL = {
    "tensorflow": ("tensorflow", "the SavedModel export (`GAN.export_generator`)"),
    "tensorflow_datasets": ("tensorflow-datasets", "`keras_gan.data.from_tfds`"),
    "keras_tuner": ("keras-tuner", "`keras_gan.tuning`"),
    "matplotlib": ("matplotlib", "the plots of `keras_gan.visualize`"),
    "PIL": ("pillow", "writing PNG images"),
    "fastapi": ("fastapi", "the HTTP server (`keras-gan serve`)"),
    "pydantic": ("fastapi", "the HTTP server (`keras-gan serve`)"),
    "uvicorn": ("uvicorn", "the HTTP server (`keras-gan serve`)"),
}


def require(module, purpose=None):
    """Imports the optional package `module`; when it is not installed,
    raises a `ModuleNotFoundError` that names the package to install and what
    needs it (`purpose`, or the package's entry in `OPTIONAL`). A missing
    dependency of the package itself is re-raised as is."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        top = module.split(".")[0]
        if error.name is None or error.name.split(".")[0] != top:
            raise
        package, default = OPTIONAL[top]
        purpose = purpose or default
        raise ModuleNotFoundError(
            f"{purpose} needs the package {package!r}, which is not installed: "
            f"`pip install {package}` (or the full `pip install keras-gan`). "
            f"Received: import {module!r} failed ({error})",
            name=module,
        ) from error


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


def seed(value, name="seed"):
    """A seed as the `int` that Keras' random functions take (numpy integers
    included), checked to be a non-negative 64-bit integer; `None` and
    Keras objects (a `SeedGenerator`) as they are, for Keras to use."""
    if value is None or not isinstance(value, (numbers.Number, str, bytes)):
        return value
    if not _is_integer(value, 0) or value >= 2**63 or isinstance(value, float):
        raise ValueError(f"`{name}` must be an integer in [0, 2**63). Received: {name}={value!r}")
    return int(value)


def finite_samples(x, name="x"):
    """Raises when the float array `x` holds NaN or infinity (a GAN trained
    on them need not show it: a ReLU maps NaN to 0 on some backends)."""
    if not np.issubdtype(x.dtype, np.floating):
        return x
    bad = ~np.isfinite(x)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), x.shape)
        raise ValueError(
            f"`{name}` must hold finite numbers: it holds {int(bad.sum())} NaN or infinite "
            f"values, the first at index {tuple(int(i) for i in index)}. "
            f"Received: {name}[{', '.join(str(int(i)) for i in index)}]={x[index].item()!r}"
        )
    return x


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


def value_range(value, name="value_range"):
    """`value` as a `(low, high)` pair of finite floats with low < high (the
    range of image data, mapped to black..white)."""
    ok = not isinstance(value, (str, bytes)) and hasattr(value, "__len__") and len(value) == 2
    if ok:
        try:
            low, high = (number(v, name, minimum=-math.inf) for v in value)
        except ValueError:
            ok = False
        else:
            ok = low < high
    if not ok:
        raise ValueError(
            f"`{name}` must be a pair (low, high) of finite numbers with low < high, such as "
            f"(-1.0, 1.0). Received: {name}={value!r}"
        )
    return low, high


# ---------------------------------------------------------------- labels
# The one rule for class labels, wherever they come from (a training batch,
# `generate`, an exported signature, an HTTP request): integer-valued class
# indices in [0, num_classes). Floats must be integral (2.0, not 2.5 or NaN).


def labels_message(num_classes, what="`labels`"):
    return f"{what} must be integer class indices in [0, {num_classes})"


def invalid_labels(labels, num_classes):
    """A boolean mask of the entries of `labels` that break the rule, in
    `keras.ops`: it runs in a traced step, eagerly, or on numpy arrays."""
    labels = ops.convert_to_tensor(labels)
    bad = ops.logical_or(ops.less(labels, 0), ops.greater_equal(labels, num_classes))
    if keras.backend.is_float_dtype(labels.dtype):
        bad = ops.logical_or(bad, ops.not_equal(labels, ops.floor(labels)))  # fractional, NaN
    return bad


def invalid_label_values(labels, num_classes):
    """The distinct entries of the array `labels` that break the rule,
    sorted (numbers too large for int64, from JSON, break it too)."""
    array = np.asarray(labels).reshape(-1)
    if array.dtype == object:  # Python ints beyond int64
        return sorted({v for v in array.tolist() if not -(2**62) < v < 2**62})
    bad = array[np.asarray(ops.convert_to_numpy(invalid_labels(array, num_classes)))]
    return sorted(set(bad.tolist()))


def raise_invalid_labels(labels, num_classes, what="`labels`"):
    """Raises a `ValueError` naming the labels of the array `labels` that
    break the rule (up to ten of them), if any."""
    shown = invalid_label_values(labels, num_classes)
    if shown:
        raise ValueError(
            f"{labels_message(num_classes, what)}. Received: labels containing "
            f"{shown[:10]}{' ...' if len(shown) > 10 else ''}"
        )


def labels(values, num_classes, count=None, what="`labels`"):
    """`values` (a number or a sequence) as an int32 numpy array of class
    labels, checked on the host.

    Args:
        values: one label (repeated `count` times) or one label per sample.
        num_classes: labels are in `[0, num_classes)`.
        count: the number of samples the labels are for; `None` takes any.
        what: how the error names the labels.
    """
    array = np.asarray(values)
    if count is not None and array.ndim == 0:
        array = np.full((count,), array)
    array = array.reshape(-1)
    if count is not None and len(array) != count:
        raise ValueError(
            f"{what} must be one label or {count} labels, one per sample. "
            f"Received: {len(array)} labels"
        )
    numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if not numeric:  # booleans, strings, objects
        raise ValueError(
            f"{what} must be integer class indices. Received: labels={values!r} "
            f"(dtype {array.dtype})"
        )
    raise_invalid_labels(array, num_classes, what)
    return array.astype("int32")


# ---------------------------------------------------------------- shapes


def model_shape(model, which="output"):
    """`model`'s static output (or input) shape, batch axis included, as a
    tuple; the first input's for a model of several inputs (`[z, labels]`).
    None when the model does not know it (a subclassed model not yet
    called)."""
    try:
        shape = getattr(model, f"{which}_shape")
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, list) and shape:
        shape = shape[0]
    return tuple(shape) if isinstance(shape, tuple) and shape else None


def static_size(shape):
    """The number of values of one sample of `shape` (batch axis first), or
    None when an axis is not known."""
    if shape is None or not all(isinstance(d, int) for d in shape[1:]):
        return None
    return int(np.prod(shape[1:]))


# ---------------------------------------------------------------- networks


def scores_shape(scores, what):
    """Raises unless a discriminator's `scores` hold one per sample."""
    shape = tuple(scores.shape)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return
    raise ValueError(
        "The discriminator must return one score (a logit) per sample, of shape "
        f"(batch,) or (batch, 1). Received: discriminator output shape={shape} "
        f"on {what} data"
    )


def same_sample_shape(fake, real):
    """Raises unless generated samples have the shape of the data's."""
    fake_shape, real_shape = tuple(fake.shape[1:]), tuple(real.shape[1:])
    compatible = len(fake_shape) == len(real_shape) and all(
        f is None or r is None or f == r for f, r in zip(fake_shape, real_shape, strict=True)
    )
    if not compatible:
        raise ValueError(
            "The generator's samples must have the shape of the data's. "
            f"Received: generator output shape={(None,) + fake_shape}, "
            f"data shape={(None,) + real_shape}"
        )


def _is_sigmoid(activation):
    return activation is keras.activations.sigmoid or (
        getattr(activation, "__name__", None) == "sigmoid"
    )


def sigmoid_output(model):
    """The layer (or op) whose sigmoid makes a Sequential / Functional
    model's scores, or None: a layer with `activation="sigmoid"`, an
    `Activation` layer or `keras.ops.sigmoid`, possibly followed by layers
    that only reshape or drop out (`Flatten`, `Reshape`, `Dropout`: the
    classic DCGAN ends in `Dense(1, activation="sigmoid")` then `Flatten`)."""
    for op in _scoring_ops(model):
        if isinstance(op, keras.Model):
            inner = sigmoid_output(op)
            if inner is not None:
                return inner
        elif type(op).__name__ == "Sigmoid" or _is_sigmoid(getattr(op, "activation", None)):
            return op  # a layer with a sigmoid activation, or keras.ops.sigmoid
    return None


# Layers that move or drop values without changing their range.
_PASS_THROUGH = (keras.layers.Flatten, keras.layers.Reshape, keras.layers.Dropout)


def _scoring_ops(model):
    """The layers (or ops) that compute `model`'s outputs, looking through
    pass-through layers."""
    if isinstance(model, keras.Sequential):
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        while len(layers) > 1 and isinstance(layers[-1], _PASS_THROUGH):
            layers.pop()
        return layers[-1:]
    found = []
    for out in keras.tree.flatten(getattr(model, "outputs", None) or []):
        history = getattr(out, "_keras_history", None)
        while history is not None and isinstance(history[0], _PASS_THROUGH):
            inputs = history[0]._inbound_nodes[history[1]].input_tensors
            history = getattr(inputs[0], "_keras_history", None) if inputs else None
        if history is not None:
            found.append(history[0])
    return found
