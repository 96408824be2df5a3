"""Feature extractors for the sample-quality metrics.

Each builder returns a plain `keras.Model` from samples (in [-1, 1]) to
feature vectors, to pass as `features=` to a metric of `keras_gan.metrics`:

- `inception_v3(weights="imagenet")`: the standard FID network as Keras ships
  it (`keras.applications.InceptionV3`, `pooling="avg"`, 2,048 features).
  Keras' InceptionV3 is not the TF-Inception graph of the original FID code,
  so its scores are not comparable with published FIDs: metrics built on it
  log under names that say so (`fid_keras_inception`, `kid_keras_inception`, ...).
- `digits_classifier()`: a small CNN trained, deterministically, on the
  `"classifier"` part of `keras_gan.data.digits_split`, and cached in the
  user's cache directory; its 128 penultimate features (or its logits, for
  `InceptionScore` and class coverage) judge 8x8 digit GANs.
- `identity()`: the samples themselves, flattened (the 2-D toys).

A metric remembers which builder made its features (not their weights), so
`get_config`/`from_config` and saving a compiled GAN rebuild the same
extractor: the cached or downloaded weights, not a random network.
"""

import os
import warnings

import keras
import numpy as np

#: Bumped whenever the digits classifier's recipe changes: new cache entries.
DIGITS_CLASSIFIER_VERSION = 1
_BUILDERS = {}  # builder name -> (function, tag metrics append to their log names)


def _builder(name, tag):
    def register(fn):
        _BUILDERS[name] = (fn, tag)
        return fn

    return register


def _tag(model, builder, **kwargs):
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


@_builder("identity", tag=None)
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
    return _tag(model, "identity", input_shape=None if input_shape is None else list(input_shape))


@_builder("inception_v3", tag="keras_inception")
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
    resize_to = int(resize_to)
    if resize_to < 75:
        raise ValueError(
            f"InceptionV3 needs inputs of at least 75x75. Received: resize_to={resize_to}"
        )
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(
            "`input_shape` must be (height, width, 1 or 3 channels). "
            f"Received: input_shape={input_shape}"
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
    return _tag(
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


def _digits_cnn(seed):
    init = lambda k: keras.initializers.GlorotUniform(seed=seed + k)  # noqa: E731
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(0))(
        inputs
    )
    x = keras.layers.Conv2D(
        64, 3, strides=2, padding="same", activation="relu", kernel_initializer=init(1)
    )(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu", kernel_initializer=init(2), name="features")(x)
    logits = keras.layers.Dense(10, kernel_initializer=init(3), name="logits")(x)
    return keras.Model(inputs, logits, name="digits_logits")


def train_digits_classifier(seed=0, epochs=40):
    """Trains the digits classifier on the `"classifier"` part of
    `digits_split(seed)` (the same seed gives the same weights on a machine)
    and returns `(model, accuracy on the "reference" part)`."""
    from keras_gan import data

    split = data.digits_split(seed=seed)
    x, y = split["classifier"]
    model = _digits_cnn(seed)
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        data.from_numpy(x, y, batch_size=32, seed=seed, drop_remainder=False),
        epochs=epochs,
        verbose=0,
        shuffle=False,
    )
    x_ref, y_ref = split["reference"]
    predicted = np.argmax(model.predict(x_ref, verbose=0), axis=-1)
    return model, float(np.mean(predicted == y_ref))


@_builder("digits_classifier", tag="digits")
def digits_classifier(output="features", seed=0):
    """A small CNN judge for 8x8 digit GANs, trained once and cached.

    The first call trains it (about 10 s on a CPU) on the 600-image
    `"classifier"` part of `keras_gan.data.digits_split(seed)`, which is
    disjoint from the parts a GAN should train on (`"gan"`) and be compared
    with (`"reference"`); it classifies the reference part about 97% right.
    Later calls load it from `cache_dir()`, keyed by this module's recipe
    version, the Keras version and the seed; a cache entry that fails to
    load is retrained and replaced.

    Args:
        output: `"features"` (the 128 penultimate ReLU features, for FD,
            KID, precision/recall, density/coverage) or `"logits"` (the 10
            class logits, for `InceptionScore` and class coverage).
        seed: the split's and the training's seed.

    Returns:
        A `keras.Model` from `(batch, 8, 8, 1)` digits in [-1, 1]; named
        `"digits"` (features) or `"digits_logits"`.
    """
    if output not in ("features", "logits"):
        raise ValueError(f"`output` must be 'features' or 'logits'. Received: output={output!r}")
    path = os.path.join(
        cache_dir(),
        f"digits_classifier-v{DIGITS_CLASSIFIER_VERSION}-keras{keras.__version__}-seed{seed}.keras",
    )
    model = None
    if os.path.exists(path):
        try:
            model = keras.saving.load_model(path)
        except Exception as err:  # a corrupt or foreign cache entry: rebuild it
            warnings.warn(
                f"Retraining the digits classifier: the cached {path!r} failed to load ({err})",
                stacklevel=2,
            )
    if model is None:
        model, _ = train_digits_classifier(seed=seed)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.partial.keras"
        model.save(partial)
        os.replace(partial, path)  # atomic: a crash never leaves half a file
    if output == "features":
        model = keras.Model(model.input, model.get_layer("features").output, name="digits")
    model.trainable = False
    return _tag(model, "digits_classifier", output=output, seed=seed)
