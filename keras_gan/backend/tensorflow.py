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


def run_train_step(step_fn, data):
    """TensorFlow's `Model.train_step(data)` is stateful: call through."""
    return step_fn(data)
