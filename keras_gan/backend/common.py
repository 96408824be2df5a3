"""Backend-neutral pieces of the plumbing: a stateless scope that nests.

Keras' `StatelessScope` reads a variable from the innermost scope only, and
falls back to the variable's own value when that scope has no entry. On
TensorFlow and PyTorch, where variables hold their values, that is right. On
JAX the train step itself runs inside a scope that holds the jitted step's
state (the variables' own values are purged during `fit`), so a scope opened
inside it must start from its parent's values: `ChildScope` does, and records
which variables were assigned in it, so the caller can keep or discard each
update.
"""

import contextlib

import keras
from keras import ops
from keras.src.backend.common.stateless_scope import get_stateless_scope


class ChildScope(keras.StatelessScope):
    """A `keras.StatelessScope` that starts from the enclosing scope's values.

    Args:
        overrides: `(variable, value)` pairs read inside the scope instead of
            the enclosing values (JAX feeds traced values this way).
    """

    def __init__(self, overrides=()):
        super().__init__(state_mapping=list(overrides))
        parent = get_stateless_scope()
        if parent is not None:
            for key, value in parent.state_mapping.items():
                self.state_mapping.setdefault(key, value)
        self._assigned = {}

    def add_update(self, update):
        super().add_update(update)
        variable = update[0]
        self._assigned[id(variable)] = variable

    def assigned(self):
        """The variables assigned inside the scope, in first-assignment order."""
        return list(self._assigned.values())

    def value_of(self, variable):
        """The variable's value as seen at the end of the scope."""
        value = self.get_current_value(variable)
        return variable.value if value is None else value


# What `check_labels` calls the labels it checks, in its error.
LABELS = "A ConditionalGAN's labels"


# Defaults the backend modules share where they have nothing of their own.


def single_replica():
    """`(0, 1)`: the step sees its whole batch; nothing is sliced per replica."""
    return 0, 1


def local_sum(x):
    """`x`: no replicas to sum over (on JAX the step sees the global batch)."""
    return x


def keras_train_function(model):
    """None: Keras' own train function."""
    return None


def unguarded_step_function(model, function, training=True):
    """`function` as it is: this backend checks batches inside the step
    (`check_labels`), and its `fit` keeps the variables' values when a step
    raises."""
    return function


def unchanged_logs(logs):
    return logs


def static_batch_checked(samples, size, message):
    """`samples` as they are: on JAX and PyTorch the batch size is known when
    the step is traced or run, and `step.pack` checks it in Python."""
    return samples


def gradients_unrecorded():
    """Nothing to switch off: gradients are only taken inside `value_and_grad`."""
    return contextlib.nullcontext()


def single_process():
    """0: one process trains (multi-worker TensorFlow keeps its own rules)."""
    return 0


def state_in_place(model):
    """Nothing to localise: every variable's value is readable here."""
    return contextlib.nullcontext()


def no_global_rng_state():
    """None: every random draw of the networks comes from a Keras
    `SeedGenerator`, whose state the model saves."""
    return None


def set_no_global_rng_state(state):
    """Nothing to restore: a GAN saved on PyTorch with unseeded dropout loads
    here, where that dropout draws from the layers' own seed generators."""


def mean_float32(x):
    """The mean of all of `x`'s entries (scores, losses or booleans) in
    float32. (`ops.cast` returns a float32 tensor as it is on TensorFlow and
    JAX: no cast op.)"""
    return ops.mean(ops.cast(x, "float32"))
