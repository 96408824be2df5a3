"""Feature extractors for the sample-quality metrics.

Each builder returns a plain `keras.Model` from samples (in [-1, 1]) to
feature vectors, to pass as `features=` to a metric of `keras_gan.metrics`:

- `inception_v3(weights="imagenet")`: the standard FID network as Keras ships
  it (`keras.applications.InceptionV3`, `pooling="avg"`, 2,048 features).
  Keras' InceptionV3 is not the TF-Inception graph of the original FID code,
  so its scores are not comparable with published FIDs: metrics built on it
  log under names that say so (`fid_keras_inception`, `kid_keras_inception`, ...).
- `digits_classifier()` (defined with the digits protocol in
  `keras_gan.evaluation`, reachable here too): a small CNN trained,
  deterministically, on the `"classifier"` part of
  `keras_gan.data.digits_split`, and cached in the user's cache directory;
  its 128 penultimate features (or its logits, for `InceptionScore` and
  class coverage) judge 8x8 digit GANs.
- `identity()`: the samples themselves, flattened (the 2-D toys).

A metric remembers which builder made its features (not their weights), so
`get_config`/`from_config` and saving a compiled GAN rebuild the same
extractor: the cached or downloaded weights, not a random network.
"""

import os

import keras

from keras_gan import _checks

_BUILDERS = {}  # builder name -> (function, tag metrics append to their log names)


def builder(name, tag):
    """Registers a feature-extractor builder under `name`: the models it
    makes (marked with `mark`) are saved with metrics as that builder call,
    and their metrics' log names end in `_<tag>` (no suffix for None)."""

    def register(fn):
        _BUILDERS[name] = (fn, tag)
        return fn

    return register


def mark(model, builder, **kwargs):
    """Marks `model` as built by `builder(**kwargs)` (what metrics serialize)."""
    model._keras_gan_features = {"builder": builder, "config": kwargs}
    return model


def spec(model):
    """The builder call that made `model`, or None for a user's own model."""
    return getattr(model, "_keras_gan_features", None)


def rebuild(config):
    """The feature extractor described by `spec(...)`'s output."""
    builder = config["builder"]
    if builder not in _BUILDERS:
        raise ValueError(
            f"Unknown feature extractor {builder!r}; known: {sorted(_BUILDERS)}. "
            f"Received: {config!r}"
        )
    return _BUILDERS[builder][0](**config.get("config", {}))


def tag_of(model):
    """The short name metrics append to their log names ("keras_inception",
    "digits"), or None for a user's own model."""
    found = spec(model)
    return None if found is None else _BUILDERS[found["builder"]][1]


@builder("identity", tag=None)
def identity(input_shape=None):
    """The samples themselves, flattened: the features of the 2-D toys.

    Args:
        input_shape: a sample's shape, e.g. `(2,)`; lets metrics size their
            state up front (otherwise read off the first batch).
    """
    if input_shape is None:
        model = keras.Sequential([keras.layers.Flatten()], name="identity")
    else:
        inputs = keras.Input(tuple(input_shape))
        model = keras.Model(inputs, keras.layers.Flatten()(inputs), name="identity")
    return mark(model, "identity", input_shape=None if input_shape is None else list(input_shape))


@builder("inception_v3", tag="keras_inception")
def inception_v3(weights="imagenet", input_shape=(299, 299, 3), resize_to=299):
    """Keras' InceptionV3 as an FID-style feature extractor (2,048 features).

    Samples in [-1, 1] (the data range keras_gan uses, and what InceptionV3
    expects after its own preprocessing) of any size and 1 or 3 channels are
    resized to `resize_to` (at least 75, InceptionV3's minimum; 299 is the
    standard) and grey images repeated to 3 channels; the output is the
    network's global average pool.

    Args:
        weights: `"imagenet"` (Keras downloads them once into `~/.keras`, so
            the first call needs the internet), a path to a weights file
            saved from `keras.applications.InceptionV3(include_top=False)`,
            or `None` for random weights (tests only: such scores mean nothing).
        input_shape: the samples' shape `(height, width, channels)`.
        resize_to: the side the samples are resized to.

    Returns:
        A `keras.Model` named `"keras_inception"`; metrics built on it log
        as `fid_keras_inception`, `kid_keras_inception`, and so on.
    """
    resize_to = _checks.integer(resize_to, "resize_to")
    if resize_to < 75:
        raise ValueError(
            f"InceptionV3 needs inputs of at least 75x75. Received: resize_to={resize_to}"
        )
    given = input_shape
    input_shape = _checks.integers(input_shape, "input_shape")
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(
            "`input_shape` must be (height, width, 1 or 3 channels). "
            f"Received: input_shape={given!r}"
        )
    file_weights = weights not in (None, "imagenet")
    if file_weights and not os.path.exists(weights):
        raise FileNotFoundError(f"No InceptionV3 weights file. Received: weights={weights!r}")
    inputs = keras.Input(input_shape)
    x = inputs
    if input_shape[-1] == 1:
        x = keras.layers.Concatenate()([x, x, x])
    if input_shape[:2] != (resize_to, resize_to):
        x = keras.layers.Resizing(resize_to, resize_to, interpolation="bilinear")(x)
    backbone = keras.applications.InceptionV3(
        include_top=False,
        weights=None if file_weights else weights,
        input_shape=(resize_to, resize_to, 3),
        pooling="avg",
    )
    if file_weights:
        backbone.load_weights(weights)
    model = keras.Model(inputs, backbone(x), name="keras_inception")
    return mark(
        model,
        "inception_v3",
        weights=weights,
        input_shape=list(input_shape),
        resize_to=resize_to,
    )


def cache_dir():
    """Where built feature extractors are cached: `$KERAS_GAN_CACHE`, else
    `$XDG_CACHE_HOME/keras_gan`, else `~/.cache/keras_gan`."""
    explicit = os.environ.get("KERAS_GAN_CACHE")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keras_gan")


# Defined with the digits protocol (`keras_gan.evaluation`, which trains it
# on `keras_gan.data`); still reachable from here, where the docs name it.
_IN_EVALUATION = ("digits_classifier", "train_digits_classifier", "DIGITS_CLASSIFIER_VERSION")


def __getattr__(name):
    if name in _IN_EVALUATION:
        from keras_gan import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
