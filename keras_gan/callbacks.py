"""Callbacks for GAN training."""

import math

import keras
import numpy as np
from keras.src.utils import io_utils

# Logs checked by `TerminateOnNaN`, most telling first; any other log whose
# name ends in "loss" or that a penalty adds is checked after these.
_LOSS_LOGS = ("d_loss", "g_loss")


def _non_finite(value):
    try:
        value = float(np.asarray(value))
    except (TypeError, ValueError):
        return False
    return not math.isfinite(value)


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Stops training when a GAN loss becomes NaN or infinite, and says which.

    Keras' own `TerminateOnNaN` watches the `loss` log, which a GAN does not
    have; this one watches `d_loss`, `g_loss` and every penalty log.
    `GAN.fit` swaps a plain `keras.callbacks.TerminateOnNaN` for this class.

    Args:
        raise_error: raise a `RuntimeError` instead of stopping gracefully.
        monitor: names of the logs to check; `None` checks `d_loss`, `g_loss`
            and every other log of the model's penalties.

    Example:

    ```python
    gan.fit(dataset, epochs=10, callbacks=[keras_gan.callbacks.TerminateOnNaN()])
    ```
    """

    def __init__(self, raise_error=False, monitor=None):
        super().__init__(raise_error=raise_error)
        self.monitor = tuple(monitor) if monitor is not None else None
        self.bad_log = None

    @classmethod
    def upgrade(cls, callback):
        """Returns a GAN-aware copy of a plain `keras.callbacks.TerminateOnNaN`
        (anything else is returned unchanged)."""
        if type(callback) is keras.callbacks.TerminateOnNaN:
            return cls(raise_error=callback.raise_error)
        return callback

    def _watched(self, logs):
        if self.monitor is not None:
            return [k for k in self.monitor if k in logs]
        penalty_names = [p.name for p in getattr(self.model, "d_penalties", [])]
        keys = [k for k in _LOSS_LOGS + tuple(penalty_names) if k in logs]
        keys += [k for k in logs if k.endswith("loss") and k not in keys]
        return keys

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        for key in self._watched(logs):
            if _non_finite(logs[key]):
                self.bad_log = key
                values = ", ".join(
                    f"{k}={float(np.asarray(logs[k])):.6g}" for k in self._watched(logs)
                )
                message = f"Batch {batch}: {key} is not finite ({values}); terminating training."
                if self.raise_error:
                    raise RuntimeError(message)
                io_utils.print_msg(message)
                self.model.stop_training = True
                return
