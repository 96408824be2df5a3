"""Sample-quality scores.

`FrechetDistance` is a `keras.metrics.Metric` updated with batches of real and
generated samples (`GAN.compile(metrics=[...])` updates it in `test_step`, so
`evaluate` and `fit(validation_data=...)` log it as `fd` / `val_fd`).

`mixture_scores` is the protocol of the 2-D mixture benchmarks (VEEGAN,
PacGAN): each generated point is assigned to its nearest mode; it is
*high-quality* within `threshold` standard deviations of it.
"""

import keras
import numpy as np
from keras import ops


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


@keras.saving.register_keras_serializable(package="keras_gan")
class FrechetDistance(keras.metrics.Metric):
    """Fréchet distance between Gaussians fitted to real and generated features.

    `FD = |mu_r - mu_g|^2 + Tr(C_r + C_g - 2 (C_r^1/2 C_g C_r^1/2)^1/2)`
    (Heusel et al. 2017), with sample covariances (`n - 1` denominator). The
    sums behind the means and covariances accumulate in float64 across
    batches, so memory does not grow with the number of samples.

    With `features=None` the samples themselves, flattened, are the
    features: this is *not* FID. With an Inception network it is FID-like, and
    should be named for the network that made the features.

    Args:
        features: a `keras.Model` from samples to feature vectors, or `None`.
        feature_dim: the feature size, when it cannot be read off `features`;
            otherwise inferred (from the first batch with `features=None`).
        name: the log name, `"fd"` by default.

    Example:

    ```python
    gan.compile(d_opt, g_opt, metrics=[keras_gan.metrics.FrechetDistance()])
    gan.fit(train, validation_data=val, epochs=10)  # logs val_fd
    ```
    """

    def __init__(self, features=None, feature_dim=None, name="fd", **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(name=name, dtype="float64", **kwargs)
        self.features = features
        self.feature_dim = feature_dim or _output_dim(features)
        self._stats = None
        if self.feature_dim:
            self._build_stats(self.feature_dim)

    def _build_stats(self, dim):
        self.feature_dim = int(dim)
        self._stats = {}
        for side in ("real", "fake"):
            self._stats[side] = (
                self.add_variable((), "zeros", dtype="float64", name=f"{side}_count"),
                self.add_variable((dim,), "zeros", dtype="float64", name=f"{side}_sum"),
                self.add_variable((dim, dim), "zeros", dtype="float64", name=f"{side}_outer"),
            )

    def _embed(self, x):
        if self.features is not None:
            x = self.features(x, training=False)
        x = ops.convert_to_tensor(x)
        return ops.cast(ops.reshape(x, (ops.shape(x)[0], -1)), "float64")

    def update_state(self, real, generated, sample_weight=None):
        real, generated = self._embed(real), self._embed(generated)
        if self._stats is None:
            self._build_stats(real.shape[-1])
        for side, f in (("real", real), ("fake", generated)):
            if f.shape[-1] != self.feature_dim:
                raise ValueError(
                    f"FrechetDistance was built for {self.feature_dim} features. "
                    f"Received: {side} features of size {f.shape[-1]}"
                )
            count, total, outer = self._stats[side]
            count.assign_add(ops.cast(ops.shape(f)[0], "float64"))
            total.assign_add(ops.sum(f, axis=0))
            outer.assign_add(ops.matmul(ops.transpose(f), f))

    def _moments(self, side):
        count, total, outer = self._stats[side]
        n = ops.maximum(count, 2.0)
        mean = total / n
        cov = (outer - n * ops.outer(mean, mean)) / (n - 1.0)
        return mean, cov

    def result(self):
        if self._stats is None:
            return ops.convert_to_tensor(0.0, "float64")
        mu_r, cov_r = self._moments("real")
        mu_g, cov_g = self._moments("fake")
        root_r = _sqrt_psd(cov_r)
        cross = _sqrt_psd(ops.matmul(ops.matmul(root_r, cov_g), root_r))
        diff = mu_r - mu_g
        return ops.sum(diff * diff) + ops.trace(cov_r) + ops.trace(cov_g) - 2.0 * ops.trace(cross)

    def reset_state(self):
        for variables in (self._stats or {}).values():
            for v in variables:
                v.assign(ops.zeros(v.shape, "float64"))

    def get_config(self):
        return {
            "name": self.name,
            "feature_dim": self.feature_dim,
            "features": keras.saving.serialize_keras_object(self.features),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["features"] = keras.saving.deserialize_keras_object(config.get("features"))
        return cls(**config)


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
