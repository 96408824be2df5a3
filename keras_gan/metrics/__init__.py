"""Sample-quality scores.

Each evaluation metric is a `keras.metrics.Metric` built as
`Metric(features=None, name=...)` and updated with batches of real and
generated samples; `GAN.compile(metrics=[...])` updates them in `test_step`,
so `evaluate` and `fit(validation_data=...)` log them (`fd`, `val_fd`, ...):
`FrechetDistance` (`fd`), `KernelInceptionDistance` (`kid`), `PrecisionRecall`
(`precision`, `recall`), `DensityCoverage` (`density`, `coverage`) and
`InceptionScore`. `features` is any `keras.Model` from samples to feature
vectors (`keras_gan.metrics.features`); `None` uses the samples themselves,
flattened. A score its samples cannot define is NaN: before any update,
from fewer than two samples a side (FD, KID), or from no more samples than
neighbours `k` (precision / recall, density / coverage), rather than a
distance of 0 or a precision of 1 that would read as perfect.

The benchmark protocols built on them (`digits_scores`, `digits_baselines`,
`mixture_scores`) are in `keras_gan.evaluation`.
"""

import keras

from keras_gan import _names
from keras_gan.metrics import features
from keras_gan.metrics.base import BufferedFeatureMetric, FeatureMetric, stats_dtype
from keras_gan.metrics.frechet import FrechetDistance
from keras_gan.metrics.inception_score import InceptionScore
from keras_gan.metrics.kid import KernelInceptionDistance
from keras_gan.metrics.neighbours import DensityCoverage, PrecisionRecall

# The names `get` knows, each for a metric on the samples themselves.
_METRICS = {
    "fd": FrechetDistance,
    "frechet_distance": FrechetDistance,
    "kid": KernelInceptionDistance,
    "kernel_inception_distance": KernelInceptionDistance,
    "precision_recall": PrecisionRecall,
    "density_coverage": DensityCoverage,
    "inception_score": InceptionScore,
}

# Where the benchmark protocols lived before `keras_gan.evaluation`: still
# importable from here (documented paths keep working).
_MOVED_TO_EVALUATION = ("digits_scores", "digits_baselines", "mixture_scores")


def __getattr__(name):
    if name in _MOVED_TO_EVALUATION:
        from keras_gan import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serialize(metric):
    """Returns the Keras config dict of a metric."""
    return keras.saving.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output."""
    return _names.deserialize(
        config,
        {cls.__name__: cls for cls in _METRICS.values()},
        custom_objects,
        keras.metrics.Metric,
        "a metric",
    )


def get(identifier):
    """Returns a metric from a name (`"fd"`, `"kid"`, `"precision_recall"`,
    `"density_coverage"`, `"inception_score"`: on the samples themselves; or
    a class name, `"FrechetDistance"`), a config dict or an instance."""
    if isinstance(identifier, keras.metrics.Metric):
        if type(identifier).__module__.startswith("keras."):
            raise ValueError(
                "A GAN's evaluation metric is updated with (real, generated) batches; "
                "Keras' own metrics take (y_true, y_pred) and would score nothing "
                "meaningful. Use keras_gan.metrics (or a Metric of your own whose "
                "update_state takes real and generated samples). "
                f"Received: metric={identifier.name!r} ({type(identifier).__name__})"
            )
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and _names.key(identifier) in _METRICS:
        return _METRICS[_names.key(identifier)]()
    raise ValueError(
        f"Unknown GAN metric. Known names: {', '.join(_METRICS)}. Received: metric={identifier!r}"
    )


__all__ = [
    "BufferedFeatureMetric",
    "DensityCoverage",
    "FeatureMetric",
    "FrechetDistance",
    "InceptionScore",
    "KernelInceptionDistance",
    "PrecisionRecall",
    "deserialize",
    "features",
    "get",
    "serialize",
    "stats_dtype",
]
