"""The k-nearest-neighbour manifold metrics: precision / recall (Kynkäänniemi
et al. 2019) and density / coverage (Naeem et al. 2020)."""

import numpy as np
from keras import ops

from keras_gan import _checks, _names
from keras_gan.metrics.base import BufferedFeatureMetric


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


class _NeighbourMetric(BufferedFeatureMetric):
    """Base of the k-nearest-neighbour manifold metrics; `result()` is a dict
    of two logs (`log_names`, tagged like the metric's name). Subclasses set
    `default_k`, `base_name` and `log_names`."""

    default_k = 3
    log_names = ()

    def __init__(
        self, features=None, feature_dim=None, max_samples=1000, k=None, name=None, **kwargs
    ):
        k = self.default_k if k is None else k
        self.k = _checks.integer(k, "k")
        super().__init__(features, feature_dim, max_samples, name=name, **kwargs)

    def written_logs(self):
        """The log names of `result()`: `log_names`, tagged like the metric's
        default name, or each after the metric's `name` when one was given
        (`PrecisionRecall(name="raw")`: `raw_precision`, `raw_recall`), so
        two such metrics in one `compile` log apart."""
        if self.name != self.default_log_name():
            return tuple(f"{self.name}_{name}" for name in self.log_names)
        suffix = f"_{self.tag}" if self.tag else ""
        return tuple(name + suffix for name in self.log_names)

    def _logs(self, *values):
        if not self.state_built:
            values = [self._undefined()] * len(self.log_names)
        return dict(zip(self.written_logs(), values, strict=True))

    def _enough(self, real_mask, fake_mask):
        """More samples on each side than neighbours: with k or fewer, every
        radius is infinite and every sample is inside."""
        return (ops.sum(real_mask) > self.k) & (ops.sum(fake_mask) > self.k)

    def get_config(self):
        config = super().get_config()
        config["k"] = self.k
        return config


@_names.register
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
        name: metric name. The logs are `precision` and `recall` (tagged as
            above), or `<name>_precision` and `<name>_recall` when a name
            is given.
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
        enough = self._enough(real_mask, fake_mask)
        return self._logs(
            self._where_enough(enough, _masked_mean(ops.any(in_real, axis=1), fake_mask)),
            self._where_enough(enough, _masked_mean(ops.any(in_fake, axis=1), real_mask)),
        )


@_names.register
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
        name: metric name. The logs are `density` and `coverage` (tagged as
            above), or `<name>_density` and `<name>_coverage` when a name is
            given.
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
        enough = self._enough(real_mask, fake_mask)
        return self._logs(
            self._where_enough(enough, ops.sum(inside) / (self.k * m)),
            self._where_enough(enough, _masked_mean(ops.max(inside, axis=0) > 0, real_mask)),
        )
