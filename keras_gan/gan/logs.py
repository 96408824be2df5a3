"""The running means of a GAN's training logs."""

import keras
import numpy as np
from keras import ops


class RunningMeans(keras.metrics.Metric):
    """The running means of the training logs (`d_loss`, `g_loss`, ...) as
    two vectors, totals and counts: one update and one division per train
    step however many logs there are (a `keras.metrics.Mean` per log costs
    small operations per log and step). `result()` is a dict by name.

    Args:
        names: the names of the logs, in order.
        name: the metric's name.
    """

    def __init__(self, names, name="gan_logs", **kwargs):
        super().__init__(name=name, **kwargs)
        self.names = tuple(names)
        self.totals = self.add_variable((len(self.names),), "zeros", name="totals")
        self.counts = self.add_variable((len(self.names),), "zeros", name="counts")

    def update_state(self, values, counts=None):
        """Adds to each log named in `values` (a dict of scalars) its value,
        the sum of `counts[name]` values (1 when `counts` is None)."""
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise ValueError(f"Unknown logs {unknown}; the logs are {list(self.names)}.")
        # A numpy constant, never a cached tensor: one made while tracing a
        # step would be that trace's (and leak into the next one on JAX).
        counted = np.array(
            [(counts or {}).get(n, 1) if n in values else 0 for n in self.names], self.dtype
        )
        added = ops.stack([ops.cast(values.get(n, 0.0), self.dtype) for n in self.names])
        self.totals.assign(self.totals + added)
        self.counts.assign(self.counts + ops.convert_to_tensor(counted))

    def result(self):
        means = self.totals / ops.maximum(self.counts, 1.0)
        return dict(zip(self.names, ops.unstack(means), strict=True))

    def reset_state(self):
        for v in (self.totals, self.counts):
            v.assign(ops.zeros(v.shape, v.dtype))

    def get_config(self):
        return {"names": list(self.names), "name": self.name}
