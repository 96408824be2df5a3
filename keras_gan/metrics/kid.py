"""The kernel (Inception) distance: an unbiased squared MMD of features."""

from keras import ops

from keras_gan import _names
from keras_gan.metrics.base import BufferedFeatureMetric


@_names.register
class KernelInceptionDistance(BufferedFeatureMetric):
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
            return self._undefined()
        (x, wx), (y, wy) = (self._filled(side) for side in ("real", "fake"))
        m, n = (ops.maximum(ops.sum(w), 2.0) for w in (wx, wy))

        def within(f, w, size):  # the mean of k over pairs i != j
            k = self._kernel(f, f) * w[:, None] * w[None, :]
            return (ops.sum(k) - ops.trace(k)) / (size * (size - 1.0))

        cross = ops.sum(self._kernel(x, y) * wx[:, None] * wy[None, :]) / (m * n)
        value = within(x, wx, m) + within(y, wy, n) - 2.0 * cross
        return self._where_enough((ops.sum(wx) >= 2) & (ops.sum(wy) >= 2), value)
