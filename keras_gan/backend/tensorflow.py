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
