"""TensorFlow gradient plumbing for the shared training step."""

import tensorflow as tf


def value_and_grad(fn, variables):
    """Runs `fn() -> (loss, aux)` under a tape; returns `(aux, grads)`.

    Only `variables` are differentiated: the tape records every trainable
    variable it touches, but gradients are asked for these alone, so the
    frozen network's variables never receive an update.
    """
    with tf.GradientTape() as tape:
        loss, aux = fn()
    return aux, tape.gradient(loss, variables)


def input_gradients(fn, x):
    """Returns `(y, dy/dx)` with `y = fn(x)`, the gradient of `sum(y)`.

    Called inside `value_and_grad`'s tape, the outer tape records this
    gradient computation, so a penalty on it backpropagates (double backward).
    """
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y, tape.gradient(y, x)


def replicas():
    """`(replica id, replicas in sync)` of the current tf.distribute context:
    `(0, 1)` outside a multi-replica strategy."""
    count = tf.distribute.get_strategy().num_replicas_in_sync
    context = tf.distribute.get_replica_context()
    if count == 1 or context is None:
        return 0, 1
    return context.replica_id_in_sync_group, count


def run_train_step(step_fn, data):
    """TensorFlow's `Model.train_step(data)` is stateful: call through."""
    return step_fn(data)


def multi_worker():
    """Whether training runs under a MultiWorkerMirroredStrategy spanning
    more than one worker."""
    strategy = tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def mean_across_replicas(logs):
    """Makes logs average correctly over the workers of a multi-worker run.

    Keras 3.15 combines logs across workers with `strategy.reduce("MEAN", v,
    axis=0)`, which fails on scalars ("Invalid reduction dimension 0 for
    input with 0 dimensions", tensorflow/tensorflow#72388). Under a
    multi-worker strategy each log is returned as a 1-element vector, whose
    mean along axis 0 over all replicas is the global mean, a scalar again.
    Unchanged otherwise.
    """
    if not multi_worker():
        return logs
    return {name: tf.reshape(value, (1,)) for name, value in logs.items()}
