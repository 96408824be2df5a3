"""The base classes of the sample-quality metrics: a metric on real and
generated *features* (`FeatureMetric`), and one that keeps a fixed buffer of
them (`BufferedFeatureMetric`)."""

import keras
import numpy as np
from keras import ops

from keras_gan import _checks, _names, backend
from keras_gan.metrics import features as _features


def stats_dtype():
    """The dtype metric statistics accumulate in: float64 on TensorFlow,
    float32 on JAX and PyTorch (where Keras computes 64-bit operands in 32
    bits, as JAX does by default)."""
    return "float64" if backend.FLOAT64 else "float32"


@_names.register
class FeatureMetric(keras.metrics.Metric):
    """Base of the metrics that compare real and generated *features*.

    Holds the feature extractor (`None`: the samples, flattened) and the
    feature size, known up front or read off the first batch; subclasses
    create their state in `_build_state(dim)`.
    """

    #: The log name without a feature tag (subclasses set it).
    base_name = None

    def __init__(self, features=None, feature_dim=None, name=None, **kwargs):
        kwargs.pop("dtype", None)
        # Extractors from keras_gan.metrics.features carry a tag that goes into
        # the log names ("fd_digits", "fid_keras_inception"): a number computed
        # on Keras' InceptionV3 is never logged as if it were TF-Inception FID.
        self.tag = None if features is None else _features.tag_of(features)
        super().__init__(name=name or self.default_log_name(), dtype=stats_dtype(), **kwargs)
        self.features = features
        if feature_dim is not None:
            feature_dim = _checks.integer(feature_dim, "feature_dim")
        self.feature_dim = feature_dim or (
            None if features is None else _checks.static_size(_checks.model_shape(features))
        )
        self.state_built = False
        if self.feature_dim:
            self._build(self.feature_dim)

    def default_log_name(self):
        return self.base_name + (f"_{self.tag}" if self.tag else "")

    def written_logs(self):
        """The names `GAN.evaluate` logs this metric's result under: its name
        (two-valued metrics write two)."""
        return (self.name,)

    def _build(self, dim):
        self.feature_dim = int(dim)
        self._build_state(self.feature_dim)
        self.state_built = True

    def build_for_samples(self, sample_shape):
        """Creates the state for samples of `sample_shape` (batch axis
        included) when the feature size is not known yet. `GAN.compile` calls
        it, so that no variable is created inside a traced step (JAX cannot).
        Leaves the state unbuilt when the size cannot be inferred."""
        if self.state_built:
            return
        shape = tuple(sample_shape)
        if self.features is not None:
            try:
                shape = tuple(self.features.compute_output_shape(shape))
            except Exception:  # an extractor without shape inference: lazy
                return
        if _checks.static_size(shape):
            self._build(_checks.static_size(shape))

    def _undefined(self):
        """The result before any update: NaN, undefined (0 would read as a
        perfect distance)."""
        return ops.convert_to_tensor(float("nan"), self.dtype)

    def _where_enough(self, enough, value):
        """`value` where `enough` samples were seen to define it, else NaN
        (a score of one sample, or of no more samples than neighbours, is no
        score: a distance of 0 or a precision of 1 from it would mislead)."""
        return ops.where(enough, value, self._undefined())

    def _build_state(self, dim):
        raise NotImplementedError

    def _embed_pair(self, real, generated):
        """Both batches as `(batch, feature_dim)` features in the metric's dtype."""
        out = []
        for side, x in (("real", real), ("generated", generated)):
            if self.features is not None:
                x = self.features(x, training=False)
            x = ops.convert_to_tensor(x)
            # Flatten to (batch, features) with the feature size static, even
            # when the batch size is not (validation batches with a remainder).
            f = ops.cast(ops.reshape(x, (-1, int(np.prod(x.shape[1:])))), self.dtype)
            if not self.state_built:
                self._build(f.shape[-1])
            if f.shape[-1] != self.feature_dim:
                raise ValueError(
                    f"{type(self).__name__} was built for {self.feature_dim} features. "
                    f"Received: {side} features of size {f.shape[-1]}"
                )
            out.append(f)
        return out

    def get_config(self):
        # A keras_gan extractor is saved as the builder call that made it (its
        # weights are cached or downloaded, not in the config); a user's model
        # as its Keras config (architecture only).
        spec = None if self.features is None else _features.spec(self.features)
        return {
            "name": self.name,
            "feature_dim": self.feature_dim,
            "features": (
                {"keras_gan_features": spec}
                if spec is not None
                else keras.saving.serialize_keras_object(self.features)
            ),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        features = config.get("features")
        if isinstance(features, dict) and "keras_gan_features" in features:
            config["features"] = _features.rebuild(features["keras_gan_features"])
        else:
            config["features"] = keras.saving.deserialize_keras_object(features)
        return cls(**config)


@_names.register
class BufferedFeatureMetric(FeatureMetric):
    """A feature metric that keeps up to `max_samples` feature vectors per
    side in fixed buffers (the first ones seen after `reset_state`; batches
    from a shuffled dataset make them a random sample), so memory is fixed."""

    def __init__(self, features=None, feature_dim=None, max_samples=1000, name=None, **kwargs):
        self.max_samples = _checks.integer(max_samples, "max_samples", minimum=2)
        self._buffers = None
        super().__init__(features=features, feature_dim=feature_dim, name=name, **kwargs)

    def _build_state(self, dim):
        self._buffers = {
            side: (
                self.add_variable((), "zeros", dtype="int32", name=f"{side}_count"),
                self.add_variable(
                    (self.max_samples, dim), "zeros", dtype="float32", name=f"{side}_features"
                ),
            )
            for side in ("real", "fake")
        }

    def update_state(self, real, generated, sample_weight=None):
        real, generated = self._embed_pair(real, generated)
        for side, f in (("real", real), ("fake", generated)):
            count, buffer = self._buffers[side]
            batch = ops.shape(f)[0]
            # Slot s takes row s - count of the batch, while there is one: a
            # gather and a select rather than a slice of data-dependent size
            # (which a jitted step cannot have).
            source = ops.arange(self.max_samples, dtype="int32") - count
            taken = (source >= 0) & (source < batch)
            rows = ops.take(ops.cast(f, "float32"), ops.clip(source, 0, batch - 1), axis=0)
            buffer.assign(ops.where(taken[:, None], rows, buffer.value))
            count.assign(ops.minimum(count + batch, self.max_samples))

    def _filled(self, side):
        """One side's buffer in the metric's dtype and its mask (1 for the
        filled rows, 0 for the empty ones)."""
        count, buffer = self._buffers[side]
        mask = ops.cast(ops.arange(self.max_samples, dtype="int32") < count, self.dtype)
        return ops.cast(buffer, self.dtype), mask

    def reset_state(self):
        for count, buffer in (self._buffers or {}).values():
            count.assign(0)
            buffer.assign(ops.zeros(buffer.shape, "float32"))

    def get_config(self):
        config = super().get_config()
        config["max_samples"] = self.max_samples
        return config
