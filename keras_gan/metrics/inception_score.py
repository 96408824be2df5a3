"""The Inception score of generated samples under a classifier."""

import numpy as np
from keras import ops

from keras_gan import _names
from keras_gan.metrics.base import FeatureMetric


@_names.register
class InceptionScore(FeatureMetric):
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
            return self._undefined()
        count, p_sum, p_log_p = self._sums
        n = ops.maximum(count, 1.0)
        marginal = p_sum / n
        tiny = float(np.finfo(self.dtype).tiny)
        entropy_of_marginal = -ops.sum(marginal * ops.log(ops.maximum(marginal, tiny)))
        return self._where_enough(count >= 1, ops.exp(p_log_p / n + entropy_of_marginal))

    def reset_state(self):
        for v in self._sums or ():
            v.assign(ops.zeros(v.shape, self.dtype))
