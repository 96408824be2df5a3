"""TensorFlow gradient plumbing for the shared training step."""

import tensorflow as tf

from keras_gan import _checks
from keras_gan.backend import common, fast_paths

JIT_DOUBLE_BACKWARD = True
FLOAT64 = True


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


def replica_sum(x):
    """`x` summed over the replicas of the current tf.distribute context (an
    all-reduce); `x` itself outside a multi-replica strategy."""
    context = tf.distribute.get_replica_context()
    if tf.distribute.get_strategy().num_replicas_in_sync == 1 or context is None:
        return x
    return context.all_reduce("sum", x)


def cond(pred, true_fn, false_fn):
    """`tf.cond` keeps the variable updates of the branch taken."""
    return tf.cond(pred, true_fn, false_fn)


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)


def labels_checked(labels, num_classes, what=common.LABELS, checks=()):
    """`labels` after in-graph assertions (`checks`, then the label rule of
    `_checks.invalid_labels`); the error says `what` must be class indices.
    Used by the train step and by the exported conditional signatures."""
    valid = tf.logical_not(tf.reduce_any(_checks.invalid_labels(labels, num_classes)))
    message = _checks.labels_message(num_classes, what)
    checks = [*checks, tf.debugging.Assert(valid, [message, labels], summarize=10)]
    with tf.control_dependencies(checks):
        return tf.identity(labels)


def check_labels(labels, num_classes):
    """`labels` after an in-graph check of the label rule (the embedding
    lookup fails with a bare GatherV2 error otherwise). XLA drops
    assertions (an out-of-range label would be clamped by the lookup), so
    under `jit_compile=True` the train function runs this check on the batch
    outside the compiled step."""
    return labels_checked(labels, num_classes)


check_batch_labels = check_labels


def batch_multiple_checked(samples, size, message):
    """`samples` after an in-graph check that their batch size, unknown when
    the step is traced (a `tf.data` batch with a remainder), is a multiple
    of `size`: the packing's reshape fails with a bare error otherwise."""
    batch = tf.shape(samples)[0]
    check = tf.debugging.Assert(tf.equal(batch % size, 0), [message, batch])
    with tf.control_dependencies([check]):
        return tf.identity(samples)


def run_train_step(model, step_fn, data):
    """TensorFlow's `Model.train_step(data)` is stateful: call through."""
    return step_fn(data)


run_test_step = run_train_step


def multi_worker():
    """Whether training runs under a MultiWorkerMirroredStrategy spanning
    more than one worker."""
    strategy = tf.distribute.get_strategy()
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def logs_for_reduction(logs):
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


make_train_function = fast_paths.tf_train_function
guard_step_function = common.unguarded_step_function
mean_float32 = common.mean_float32
no_grad = common.gradients_unrecorded
process_index = common.single_process
process_local_state = common.state_in_place
global_rng_state = common.no_global_rng_state
set_global_rng_state = common.set_no_global_rng_state
