"""Sample-quality scores.

Each evaluation metric is a `keras.metrics.Metric` built as
`Metric(features=None, name=...)` and updated with batches of real and
generated samples; `GAN.compile(metrics=[...])` updates them in `test_step`,
so `evaluate` and `fit(validation_data=...)` log them (`fd`, `val_fd`, ...):
`FrechetDistance` (`fd`), `KernelInceptionDistance` (`kid`), `PrecisionRecall`
(`precision`, `recall`), `DensityCoverage` (`density`, `coverage`) and
`InceptionScore`. `features` is any `keras.Model` from samples to feature
vectors; `None` uses the samples themselves, flattened.

`mixture_scores` is the protocol of the 2-D mixture benchmarks (VEEGAN,
PacGAN): each generated point is assigned to its nearest mode; it is
*high-quality* within `threshold` standard deviations of it.
"""

import keras
import numpy as np
from keras import ops

from keras_gan import _names, backend
from keras_gan.metrics import features as _features


def stats_dtype():
    """The dtype metric statistics accumulate in: float64 on TensorFlow,
    float32 on JAX and PyTorch (where Keras computes 64-bit operands in 32
    bits, as JAX does by default)."""
    return "float64" if backend.FLOAT64 else "float32"


def _output_dim(features):
    if features is None:
        return None
    try:
        shape = features.output_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, tuple) and shape and all(isinstance(d, int) for d in shape[1:]):
        return int(np.prod(shape[1:]))
    return None


def _sqrt_psd(matrix):
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = ops.eigh(matrix)
    roots = ops.sqrt(ops.maximum(values, 0.0))
    return ops.matmul(vectors * roots[None, :], ops.transpose(vectors))


class _FeatureMetric(keras.metrics.Metric):
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
        self.feature_dim = feature_dim or _output_dim(features)
        self.state_built = False
        if self.feature_dim:
            self._build(self.feature_dim)

    def default_log_name(self):
        return self.base_name + (f"_{self.tag}" if self.tag else "")

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
        if all(isinstance(d, int) for d in shape[1:]):
            self._build(int(np.prod(shape[1:])))

    def _zero(self):
        return ops.convert_to_tensor(0.0, self.dtype)

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


@keras.saving.register_keras_serializable(package="keras_gan")
class FrechetDistance(_FeatureMetric):
    """Fréchet distance between Gaussians fitted to real and generated features.

    `FD = |mu_r - mu_g|^2 + Tr(C_r + C_g - 2 (C_r^1/2 C_g C_r^1/2)^1/2)`
    (Heusel et al. 2017), with sample covariances (`n - 1` denominator). The
    means and centred scatter matrices are merged batch by batch (Chan et
    al.'s pairwise update, stable in float32 too) in float64 where the
    backend has it (`stats_dtype()`), so memory does not grow with the number
    of samples.

    With `features=None` the samples themselves, flattened, are the
    features: this is *not* FID. With an Inception network it is FID-like, and
    should be named for the network that made the features.

    Args:
        features: a `keras.Model` from samples to feature vectors, or `None`.
        feature_dim: the feature size, when it cannot be read off `features`;
            otherwise inferred (from the first batch with `features=None`).
        name: the log name; by default `"fd"`, `"fd_digits"` on
            `features.digits_classifier()`, `"fid_keras_inception"` on
            `features.inception_v3()`.

    Example:

    ```python
    gan.compile(d_opt, g_opt, metrics=[keras_gan.metrics.FrechetDistance()])
    gan.fit(train, validation_data=val, epochs=10)  # logs val_fd
    ```
    """

    base_name = "fd"

    def default_log_name(self):
        return (
            "fid_keras_inception" if self.tag == "keras_inception" else super().default_log_name()
        )

    def __init__(self, features=None, feature_dim=None, name=None, **kwargs):
        self._stats = None
        super().__init__(features=features, feature_dim=feature_dim, name=name, **kwargs)

    def _build_state(self, dim):
        self._stats = {}
        for side in ("real", "fake"):
            self._stats[side] = (
                self.add_variable((), "zeros", dtype=self.dtype, name=f"{side}_count"),
                self.add_variable((dim,), "zeros", dtype=self.dtype, name=f"{side}_mean"),
                self.add_variable((dim, dim), "zeros", dtype=self.dtype, name=f"{side}_scatter"),
            )

    def update_state(self, real, generated, sample_weight=None):
        real, generated = self._embed_pair(real, generated)
        for side, f in (("real", real), ("fake", generated)):
            count, mean, scatter = self._stats[side]
            n_batch = ops.cast(ops.shape(f)[0], self.dtype)
            batch_mean = ops.mean(f, axis=0)
            centred = f - batch_mean[None, :]
            total = count + n_batch
            share = n_batch / ops.maximum(total, 1.0)
            delta = batch_mean - mean
            mean.assign(mean + delta * share)
            scatter.assign(
                scatter
                + ops.matmul(ops.transpose(centred), centred)
                + ops.outer(delta, delta) * (count * share)
            )
            count.assign(total)

    def _moments(self, side):
        count, mean, scatter = self._stats[side]
        return mean, scatter / (ops.maximum(count, 2.0) - 1.0)

    def result(self):
        if not self.state_built:
            return self._zero()
        mu_r, cov_r = self._moments("real")
        mu_g, cov_g = self._moments("fake")
        root_r = _sqrt_psd(cov_r)
        cross = _sqrt_psd(ops.matmul(ops.matmul(root_r, cov_g), root_r))
        diff = mu_r - mu_g
        return ops.sum(diff * diff) + ops.trace(cov_r) + ops.trace(cov_g) - 2.0 * ops.trace(cross)

    def reset_state(self):
        for variables in (self._stats or {}).values():
            for v in variables:
                v.assign(ops.zeros(v.shape, self.dtype))


class _BufferedFeatureMetric(_FeatureMetric):
    """A feature metric that keeps up to `max_samples` feature vectors per
    side in fixed buffers (the first ones seen after `reset_state`; batches
    from a shuffled dataset make them a random sample), so memory is fixed."""

    def __init__(self, features=None, feature_dim=None, max_samples=1000, name=None, **kwargs):
        if int(max_samples) < 2:
            raise ValueError(f"`max_samples` must be >= 2. Received: max_samples={max_samples}")
        self.max_samples = int(max_samples)
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


@keras.saving.register_keras_serializable(package="keras_gan")
class KernelInceptionDistance(_BufferedFeatureMetric):
    """Kernel distance (KID, Binkowski et al. 2018): the unbiased squared MMD
    between real and generated features under the cubic polynomial kernel
    `k(x, y) = (x . y / d + 1)^3`.

    `MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1))
             + sum_{i != j} k(y_i, y_j) / (n (n - 1)) - 2 mean_{i, j} k(x_i, y_j)`

    Args:
        features: a `keras.Model` from samples to feature vectors, or `None`
            (the samples themselves, flattened).
        feature_dim: the feature size when it cannot be read off `features`;
            otherwise inferred (from the first batch with `features=None`).
        max_samples: feature vectors kept per side (bounded memory).
        name: the log name; `"kid"` by default, `"kid_<tag>"` on a
            `keras_gan.metrics.features` extractor (`kid_keras_inception`).
    """

    base_name = "kid"

    def __init__(self, features=None, feature_dim=None, max_samples=1000, name=None, **kwargs):
        super().__init__(features, feature_dim, max_samples, name=name, **kwargs)

    def _kernel(self, a, b):
        return (ops.matmul(a, ops.transpose(b)) / self.feature_dim + 1.0) ** 3

    def result(self):
        if not self.state_built:
            return self._zero()
        (x, wx), (y, wy) = (self._filled(side) for side in ("real", "fake"))
        m, n = (ops.maximum(ops.sum(w), 2.0) for w in (wx, wy))

        def within(f, w, size):  # the mean of k over pairs i != j
            k = self._kernel(f, f) * w[:, None] * w[None, :]
            return (ops.sum(k) - ops.trace(k)) / (size * (size - 1.0))

        cross = ops.sum(self._kernel(x, y) * wx[:, None] * wy[None, :]) / (m * n)
        return within(x, wx, m) + within(y, wy, n) - 2.0 * cross


def _distances(a, b):
    """Pairwise Euclidean distances, `(len(a), len(b))`."""
    squared = (
        ops.sum(a * a, axis=1)[:, None]
        - 2.0 * ops.matmul(a, ops.transpose(b))
        + ops.sum(b * b, axis=1)[None, :]
    )
    return ops.sqrt(ops.maximum(squared, 0.0))


def _knn_radii(x, mask, k):
    """Distance from each row of `x` to its k-th nearest other filled row
    (empty rows, `mask == 0`, are infinitely far)."""
    far = ops.where(mask[None, :] > 0, _distances(x, x), np.inf)
    return ops.sort(far, axis=1)[:, k]  # column 0 is the row itself


def _masked_mean(flags, mask):
    """The fraction of the filled rows (`mask == 1`) whose flag is set."""
    flags = ops.cast(flags, mask.dtype)
    return ops.sum(flags * mask) / ops.maximum(ops.sum(mask), 1.0)


class _NeighbourMetric(_BufferedFeatureMetric):
    """Base of the k-nearest-neighbour manifold metrics; `result()` is a dict
    of two logs (`log_names`, tagged like the metric's name). Subclasses set
    `default_k`, `base_name` and `log_names`."""

    default_k = 3
    log_names = ()

    def __init__(
        self, features=None, feature_dim=None, max_samples=1000, k=None, name=None, **kwargs
    ):
        k = self.default_k if k is None else k
        if int(k) < 1:
            raise ValueError(f"`k` must be >= 1. Received: k={k}")
        self.k = int(k)
        super().__init__(features, feature_dim, max_samples, name=name, **kwargs)

    def _logs(self, *values):
        suffix = f"_{self.tag}" if self.tag else ""
        if not self.state_built:
            values = [self._zero()] * len(self.log_names)
        return {name + suffix: value for name, value in zip(self.log_names, values, strict=True)}

    def get_config(self):
        config = super().get_config()
        config["k"] = self.k
        return config


@keras.saving.register_keras_serializable(package="keras_gan")
class PrecisionRecall(_NeighbourMetric):
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points with radius
    the distance to the point's `k`-th nearest neighbour in the same set.
    `precision` is the fraction of generated points inside the real
    manifold; `recall` the fraction of real points inside the generated one.
    Logged as `precision` and `recall` (`precision_digits`, ... on a
    `keras_gan.metrics.features` extractor).

    Args:
        features: feature extractor (`None`: the samples, flattened).
        feature_dim: feature size when it cannot be inferred.
        max_samples: points kept per side.
        k: the neighbour that sets the radii (default 3, the paper's).
        name: metric name (the logs are `precision` and `recall`).
    """

    default_k = 3
    base_name = "precision_recall"
    log_names = ("precision", "recall")

    def result(self):
        if not self.state_built:
            return self._logs()
        (real, real_mask), (fake, fake_mask) = self._filled("real"), self._filled("fake")
        real_radii = _knn_radii(real, real_mask, self.k)
        fake_radii = _knn_radii(fake, fake_mask, self.k)
        fake_to_real = _distances(fake, real)  # (n_fake, n_real)
        in_real = (fake_to_real <= real_radii[None, :]) & (real_mask[None, :] > 0)
        in_fake = (ops.transpose(fake_to_real) <= fake_radii[None, :]) & (fake_mask[None, :] > 0)
        return self._logs(
            _masked_mean(ops.any(in_real, axis=1), fake_mask),
            _masked_mean(ops.any(in_fake, axis=1), real_mask),
        )


@keras.saving.register_keras_serializable(package="keras_gan")
class DensityCoverage(_NeighbourMetric):
    """Density and coverage (Naeem et al. 2020).

    With `B_i` the ball around real point `i` of radius its `k`-th nearest
    real neighbour distance:
    `density = 1 / (k M) sum_j sum_i 1[g_j in B_i]` (over M generated points)
    and `coverage = 1 / N sum_i 1[some g_j in B_i]` (over N real points).
    Logged as `density` and `coverage` (tagged like `PrecisionRecall`'s).

    Args:
        features: feature extractor (`None`: the samples, flattened).
        feature_dim: feature size when it cannot be inferred.
        max_samples: points kept per side.
        k: the neighbour that sets the radii (default 5, the paper's).
        name: metric name (the logs are `density` and `coverage`).
    """

    default_k = 5
    base_name = "density_coverage"
    log_names = ("density", "coverage")

    def result(self):
        if not self.state_built:
            return self._logs()
        (real, real_mask), (fake, fake_mask) = self._filled("real"), self._filled("fake")
        radii = _knn_radii(real, real_mask, self.k)
        inside = ops.cast(_distances(fake, real) <= radii[None, :], self.dtype)  # (M, N)
        inside = inside * fake_mask[:, None] * real_mask[None, :]
        m = ops.maximum(ops.sum(fake_mask), 1.0)
        return self._logs(
            ops.sum(inside) / (self.k * m),
            _masked_mean(ops.max(inside, axis=0) > 0, real_mask),
        )


@keras.saving.register_keras_serializable(package="keras_gan")
class InceptionScore(_FeatureMetric):
    """Inception score (Salimans et al. 2016) of generated samples under a
    classifier that returns logits.

    `IS = exp(E_x KL(p(y|x) || p(y)))`, with `p(y)` the mean of `p(y|x)` over
    all generated samples since `reset_state` (one split). Streaming: it keeps
    the sum of `p(y|x)` and of `sum_y p log p`. Real samples are ignored.

    Args:
        features: the classifier, samples -> class logits, e.g.
            `features.digits_classifier(output="logits")`. `None`, as for
            every metric here, takes the samples themselves, flattened: for
            a generator whose outputs are class logits already.
        feature_dim: number of classes when it cannot be read off.
        name: the log name; `"inception_score"` by default, `"is_digits"`
            on the digits classifier: the number depends on the classifier.
    """

    base_name = "inception_score"

    def default_log_name(self):
        return f"is_{self.tag}" if self.tag else self.base_name

    def __init__(self, features=None, feature_dim=None, name=None, **kwargs):
        self._sums = None
        super().__init__(features=features, feature_dim=feature_dim, name=name, **kwargs)

    def _build_state(self, dim):
        self._sums = (
            self.add_variable((), "zeros", dtype=self.dtype, name="count"),
            self.add_variable((dim,), "zeros", dtype=self.dtype, name="p_sum"),
            self.add_variable((), "zeros", dtype=self.dtype, name="p_log_p_sum"),
        )

    def update_state(self, real, generated, sample_weight=None):
        _, logits = self._embed_pair(generated, generated)
        log_p = logits - ops.logsumexp(logits, axis=1, keepdims=True)
        p = ops.exp(log_p)
        count, p_sum, p_log_p = self._sums
        count.assign_add(ops.cast(ops.shape(p)[0], self.dtype))
        p_sum.assign_add(ops.sum(p, axis=0))
        p_log_p.assign_add(ops.sum(p * log_p))

    def result(self):
        if not self.state_built:
            return self._zero()
        count, p_sum, p_log_p = self._sums
        n = ops.maximum(count, 1.0)
        marginal = p_sum / n
        tiny = float(np.finfo(self.dtype).tiny)
        entropy_of_marginal = -ops.sum(marginal * ops.log(ops.maximum(marginal, tiny)))
        return ops.exp(p_log_p / n + entropy_of_marginal)

    def reset_state(self):
        for v in self._sums or ():
            v.assign(ops.zeros(v.shape, self.dtype))


def digits_scores(generated, reference, requested_labels=None, seed=0, k=3):
    """Scores 8x8 digit samples against held-out real digits.

    Everything is measured by `features.digits_classifier(seed=seed)`, a CNN
    trained on the `"classifier"` part of `keras_gan.data.digits_split(seed)`;
    `reference` should be its `"reference"` part (and the GAN trained on its
    `"gan"` part), so neither the judge nor the yardstick saw the GAN's data.

    Args:
        generated: `(n, 8, 8, 1)` samples in [-1, 1].
        reference: `(m, 8, 8, 1)` held-out real digits.
        requested_labels: for a conditional generator, the label each sample
            was asked for: adds `label_agreement`.
        seed: the classifier's seed.
        k: the neighbour of the precision/recall manifolds.

    Returns:
        A dict: `precision`, `recall` (k-NN manifolds, `PrecisionRecall`),
        `density`, `coverage` (`DensityCoverage`), `fd` (Fréchet distance of
        the classifier's 128 features, `FrechetDistance`), `classes_covered`
        (classes that receive at least a tenth of their uniform share of the
        samples, out of 10), `label_kl` (KL divergence of the predicted-label
        histogram from the reference's label histogram) and, with
        `requested_labels`, `label_agreement` (fraction classified as asked).
    """
    generated = np.asarray(generated, "float32")
    reference = np.asarray(reference, "float32")
    feats = _features.digits_classifier("features", seed=seed)
    logits = _features.digits_classifier("logits", seed=seed)
    size = max(len(generated), len(reference))
    scores = {}
    for metric in (
        PrecisionRecall(feats, k=k, max_samples=size),
        DensityCoverage(feats, max_samples=size),
        FrechetDistance(feats),
    ):
        metric.update_state(reference, generated)
        result = metric.result()
        if not isinstance(result, dict):
            result = {"fd": result}
        scores.update({key.removesuffix("_digits"): float(v) for key, v in result.items()})
    predicted = np.argmax(logits.predict(generated, verbose=0), axis=-1)
    reference_labels = np.argmax(logits.predict(reference, verbose=0), axis=-1)
    p_gen = np.bincount(predicted, minlength=10) / len(predicted)
    p_ref = np.bincount(reference_labels, minlength=10) / len(reference_labels)
    scores["classes_covered"] = int(np.sum(p_gen >= 0.1 / 10))
    nonzero = p_gen > 0
    scores["label_kl"] = float(
        np.sum(p_gen[nonzero] * np.log(p_gen[nonzero] / np.maximum(p_ref[nonzero], 1e-12)))
    )
    if requested_labels is not None:
        scores["label_agreement"] = float(np.mean(predicted == np.asarray(requested_labels)))
    return scores


def digits_baselines(n=400, seed=0, components=40, covariance_type="diag"):
    """The floor and ceiling rows for `digits_scores`, on `digits_split(0)`.

    - floor: a `components`-component Gaussian mixture (scikit-learn) fitted
      on the pixels of the `"gan"` part, `n` samples clipped to [-1, 1];
    - ceiling: `n` real digits of the `"gan"` part, scored as if generated.

    Diagonal covariances by default: with 797 digits, 40 full 64x64
    covariances rest on ~20 digits each, so their samples stay within the
    span of a few training digits (a near-memorizer, reported separately by
    `benchmarks/quality_digits.py`), not a floor.

    Returns:
        `{"floor": scores, "ceiling": scores}`, each from `digits_scores`
        against the `"reference"` part.
    """
    from sklearn.mixture import GaussianMixture

    from keras_gan import data

    split = data.digits_split(seed=0)
    x, _ = split["gan"]
    reference, _ = split["reference"]
    mixture = GaussianMixture(
        components, covariance_type=covariance_type, max_iter=500, random_state=seed
    )
    mixture.fit(x.reshape(len(x), -1))
    floor, _ = mixture.sample(n)
    floor = np.clip(floor, -1.0, 1.0).astype("float32")
    floor = floor[np.random.default_rng(seed).permutation(n)].reshape(n, 8, 8, 1)
    real = x[np.random.default_rng(seed).choice(len(x), n, replace=False)]
    return {
        "floor": digits_scores(floor, reference, seed=0),
        "ceiling": digits_scores(real, reference, seed=0),
    }


def mixture_scores(samples, centers, std, threshold=3.0):
    """Mode coverage of generated points on a Gaussian mixture.

    Args:
        samples: `(n, d)` generated points.
        centers: `(k, d)` mode centres.
        std: the modes' standard deviation.
        threshold: a point within `threshold * std` of its nearest mode is
            high-quality (3 in VEEGAN / PacGAN).

    Returns:
        A dict: `modes` (modes with at least one high-quality point),
        `num_modes` (k), `high_quality` (fraction of high-quality points) and
        `reverse_kl` (KL of the high-quality points' mode histogram to the
        uniform distribution over modes, in nats; `inf` when no point is
        high-quality).

    Example:

    >>> centers = keras_gan.data.ring_modes()
    >>> keras_gan.metrics.mixture_scores(centers.repeat(10, 0), centers, 0.01)
    {'modes': 8, 'num_modes': 8, 'high_quality': 1.0, 'reverse_kl': 0.0}
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            "Samples and mode centres must have the same dimension. "
            f"Received: samples.shape={samples.shape}, centers.shape={centers.shape}"
        )
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(centers)).astype(np.float64)
    k = len(centers)
    if counts.sum() == 0:
        reverse_kl = float("inf")
    else:
        p = counts / counts.sum()
        nz = p > 0
        reverse_kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    return {
        "modes": int(np.sum(counts > 0)),
        "num_modes": k,
        "high_quality": float(good.mean()) if len(samples) else 0.0,
        "reverse_kl": reverse_kl,
    }


_METRICS = {
    "fd": FrechetDistance,
    "frechet_distance": FrechetDistance,
    "kid": KernelInceptionDistance,
    "kernel_inception_distance": KernelInceptionDistance,
    "precision_recall": PrecisionRecall,
    "density_coverage": DensityCoverage,
    "inception_score": InceptionScore,
}


def serialize(metric):
    """Returns the Keras config dict of a metric."""
    return keras.saving.serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output."""
    return keras.saving.deserialize_keras_object(
        config,
        module_objects={cls.__name__: cls for cls in (*_METRICS.values(), InceptionScore)},
        custom_objects=custom_objects,
    )


def get(identifier):
    """Returns a metric from a name (`"fd"`, `"kid"`, `"precision_recall"`,
    `"density_coverage"`, `"inception_score"`: on the samples themselves; or
    a class name, `"FrechetDistance"`), a config dict or an instance."""
    if isinstance(identifier, keras.metrics.Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and _names.key(identifier) in _METRICS:
        return _METRICS[_names.key(identifier)]()
    raise ValueError(
        f"Unknown GAN metric. Known names: {', '.join(_METRICS)}. Received: metric={identifier!r}"
    )
