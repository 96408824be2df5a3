"""TensorFlow gradient plumbing for the shared training step."""

import weakref

import tensorflow as tf

from keras_gan import _checks
from keras_gan.backend import common

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


def cond(pred, true_fn, false_fn):
    """`tf.cond` keeps the variable updates of the branch taken."""
    return tf.cond(pred, true_fn, false_fn)


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)


def labels_checked(labels, num_classes, what=common.LABELS, checks=()):
    """`labels` after in-graph assertions (`checks`, then that each label is
    in `[0, num_classes)`); the error says `what` must be class indices.
    Used by the train step and by the exported conditional signatures."""
    message = _checks.labels_message(num_classes, what)
    if labels.dtype.is_floating:  # integer-valued (NaN fails too)
        checks = [*checks, tf.debugging.assert_equal(labels, tf.floor(labels), message=message)]
    checks = [
        *checks,
        tf.debugging.assert_non_negative(labels, message=message),
        tf.debugging.assert_less(labels, tf.constant(num_classes, labels.dtype), message=message),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(labels)


def check_labels(labels, num_classes):
    """`labels` after an in-graph check that each is in `[0, num_classes)`
    (the embedding lookup fails with a bare GatherV2 error otherwise). XLA
    drops assertions (an out-of-range label would be clamped by the lookup),
    so under `jit_compile=True` `make_train_function` runs this check on the
    batch outside the compiled step."""
    return labels_checked(labels, num_classes)


check_batch_labels = check_labels


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


def make_train_function(model):
    """A leaner `train_function` for one step per call, or None (Keras').

    Keras 3.15's TensorFlow trainer returns each step's logs wrapped in a
    `tf.experimental.Optional` and unwraps them in Python: rebuilding the
    structure costs ~0.5 ms per step, a sixth of a small model's step. This
    one runs the same step (`strategy.run(model.train_step)`, the same log
    reduction, the same `jit_compile`) and returns `(has_data, logs)` as
    plain tensors, the logs of an exhausted iterator being zeros that are
    never used. Keras' own function is kept for `steps_per_execution > 1`
    (its in-graph loop), `run_eagerly`, and under a `tf.distribute` strategy
    (whose `run` cannot sit inside a `tf.cond` branch).
    """
    if model.steps_per_execution != 1 or model.run_eagerly:
        return None
    from tensorflow.python.distribute import distribute_lib

    if model.distribute_strategy is not distribute_lib._get_default_strategy():
        return None
    from keras.src.backend.tensorflow.trainer import reduce_per_replica

    strategy = model.distribute_strategy

    def one_step_on_data(data):
        outputs = strategy.run(model.train_step, args=(data,))
        return reduce_per_replica(outputs, strategy, reduction="auto")

    one_step_on_data = tf.function(
        one_step_on_data, reduce_retracing=True, jit_compile=model.jit_compile
    )
    one_step_on_data = model._autoconvert_optionals(one_step_on_data)
    traced = {}

    def step_on_iterator(iterator):
        optional = iterator.get_next_as_optional()

        def has_data():
            data = optional.get_value()
            if model.jit_compile:  # XLA drops the step's own assertions
                data = model._checked_batch(data)
            traced["outputs"] = one_step_on_data(data)
            return tf.constant(True), traced["outputs"]

        def no_data():  # traced after has_data: the same structure, zeros
            zeros = tf.nest.map_structure(lambda t: tf.zeros(t.shape, t.dtype), traced["outputs"])
            return tf.constant(False), zeros

        return tf.cond(optional.has_value(), has_data, no_data)

    step_on_iterator = tf.function(step_on_iterator, reduce_retracing=True)
    # A call of the concrete function for the current iterator: it skips the
    # polymorphic function's per-call signature lookup, and binding the
    # iterator to the function's flat inputs (its resource handle) once per
    # iterator skips the per-call argument canonicalization (~0.1 ms a step).
    # The iterator is held by a weak reference, and its binding (which holds
    # the iterator's resource) is dropped with it: the function does not keep
    # the input pipeline's buffers (a shuffle buffer can hold the whole
    # dataset) alive after `fit` lets go of the iterator.
    unbound = (lambda: None, None)  # (a dead weak reference, no call)
    current = list(unbound)

    def unbind(ref):
        if current[0] is ref:
            current[:] = unbound

    def bind(iterator):
        concrete = step_on_iterator.get_concrete_function(iterator)
        try:
            from tensorflow.python.eager.polymorphic_function import function_type_utils

            bound = function_type_utils.canonicalize_function_inputs(
                (iterator,), {}, concrete.function_type
            )
            flat = concrete.function_type.unpack_inputs(bound)
            return lambda _: concrete._call_flat(flat, concrete.captured_inputs)
        except Exception:  # another TensorFlow's internals: the public call
            return concrete

    def function(iterator):
        if isinstance(iterator, (tf.data.Iterator, tf.distribute.DistributedIterator)):
            if current[0]() is not iterator:
                current[:] = [weakref.ref(iterator, unbind), bind(iterator)]
            has_data, outputs = current[1](iterator)
            if not has_data:
                raise StopIteration
            return outputs
        for data in iterator:  # a Python iterator of batches (no tf.data)
            return one_step_on_data(data)
        raise StopIteration

    return function


guard_step_function = common.unguarded_step_function
add_to = common.add_to
normal_draw = common.normal_draw
mean_float32 = common.mean_float32
no_grad = common.gradients_unrecorded
global_rng_state = common.no_global_rng_state
set_global_rng_state = common.set_no_global_rng_state
