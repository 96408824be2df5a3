"""The Fréchet distance between Gaussians fitted to real and generated
features (FID when the features are Inception's)."""

from keras import ops

from keras_gan import _names
from keras_gan.metrics.base import FeatureMetric


def _sqrt_psd(matrix):
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = ops.eigh(matrix)
    roots = ops.sqrt(ops.maximum(values, 0.0))
    return ops.matmul(vectors * roots[None, :], ops.transpose(vectors))


@_names.register
class FrechetDistance(FeatureMetric):
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
            return self._undefined()
        mu_r, cov_r = self._moments("real")
        mu_g, cov_g = self._moments("fake")
        root_r = _sqrt_psd(cov_r)
        cross = _sqrt_psd(ops.matmul(ops.matmul(root_r, cov_g), root_r))
        diff = mu_r - mu_g
        value = ops.sum(diff * diff) + ops.trace(cov_r) + ops.trace(cov_g) - 2.0 * ops.trace(cross)
        counts = [self._stats[side][0] for side in ("real", "fake")]
        return self._where_enough((counts[0] >= 2) & (counts[1] >= 2), value)

    def reset_state(self):
        for variables in (self._stats or {}).values():
            for v in variables:
                v.assign(ops.zeros(v.shape, self.dtype))
