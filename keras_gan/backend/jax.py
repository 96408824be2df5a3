"""JAX plumbing for the shared training step.

Keras' JAX trainer jits `train_step(state, data) -> (logs, state)`, a pure
function of the model's state: its trainable, non-trainable, optimizer and
metric variables. The shared step is written statefully (it assigns
variables, calls `optimizer.apply`), so it runs here inside a
`keras.StatelessScope` that maps every variable to its value in `state`, and
the new state is read back from the scope. Both optimizers' variables travel
in `state` because `GAN.optimizer` exposes them as one list.

Inside the step, every JAX transformation (`value_and_grad`, `vjp`,
`lax.cond`) runs its function in a `ChildScope` and returns the values of the
variables it assigned as outputs, which are then assigned in the enclosing
scope: a traced value never escapes the transformation that made it.
"""

import contextlib

import jax
import keras
from keras import ops
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_gan import _checks
from keras_gan.backend import common
from keras_gan.backend.common import ChildScope

JIT_DOUBLE_BACKWARD = True
# Keras promotes the result of 64-bit operands to 32 bits on this backend
# (`BIT64_TO_BIT32_DTYPE`, as JAX does by default): keras.ops stay float32.
FLOAT64 = False


def _purely(fn, touched, overrides=()):
    """`fn` as a function that also returns the values of the variables it
    assigned; the variables themselves are listed in `touched`."""

    def wrapped(*args):
        with ChildScope(overrides(*args) if callable(overrides) else overrides) as scope:
            out = fn(*args)
        touched[:] = scope.assigned()
        return out, [scope.value_of(v) for v in touched]

    return wrapped


def _assign_all(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def value_and_grad(fn, variables):
    """Runs `fn() -> (loss, aux)`; returns `(aux, grads)`, the gradients of
    `loss` with respect to `variables` only (the frozen network's variables
    are constants of the differentiated function)."""
    variables = list(variables)
    touched = []

    def loss_of(values):
        (loss, aux), updates = _purely(
            fn, touched, overrides=list(zip(variables, values, strict=True))
        )()
        return loss, (aux, updates)

    (_, (aux, updates)), grads = jax.value_and_grad(loss_of, has_aux=True)(
        [v.value for v in variables]
    )
    _assign_all(touched, updates)
    return aux, grads


def input_gradients(fn, x):
    """Returns `(y, dy/dx)` with `y = fn(x)`, the gradient of `sum(y)`,
    differentiable again (a penalty on it backpropagates to the weights)."""
    touched = []
    y, vjp, updates = jax.vjp(_purely(fn, touched), ops.convert_to_tensor(x), has_aux=True)
    (grads,) = vjp(jax.numpy.ones_like(y))
    _assign_all(touched, updates)
    return y, grads


def cond(pred, true_fn, false_fn):
    """`ops.cond` whose branches may assign variables (a lazy penalty draws
    noise from the GAN's seed generator in one branch only).

    The branches are traced once to learn which variables either assigns;
    then `lax.cond` returns those variables' values from the branch taken.
    """
    if get_stateless_scope() is None:
        return ops.cond(pred, true_fn, false_fn)
    found = {}
    for branch in (true_fn, false_fn):
        touched = []
        jax.eval_shape(_purely(branch, touched))
        found.update((id(v), v) for v in touched)
    variables = list(found.values())

    def returning_all(branch):
        def run():
            with ChildScope() as scope:
                out = branch()
            return out, [scope.value_of(v) for v in variables]

        return run

    out, values = jax.lax.cond(pred, returning_all(true_fn), returning_all(false_fn))
    _assign_all(variables, values)
    return out


def apply_gradients(optimizer, grads, variables):
    """`optimizer.stateless_apply` on the current values, then assigned:
    the stateful `apply` of a `LossScaleOptimizer` assigns variables inside
    `lax.cond` branches, which JAX cannot trace."""
    built_for = [id(v) for v in optimizer._trainable_variables]
    if built_for != [id(v) for v in variables]:
        raise ValueError(
            "The optimizer was built for other variables than the network's trainable "
            "variables now: recompile after changing `trainable`. "
            f"Received: {len(variables)} variables for an optimizer built on {len(built_for)}"
        )
    slots = optimizer.variables
    new_variables, new_slots = optimizer.stateless_apply(
        [v.value for v in slots], grads, [v.value for v in variables]
    )
    _assign_all(variables, new_variables)
    _assign_all(slots, new_slots)


def check_labels(labels, num_classes):
    """`labels` as they are: on JAX they are checked on the host, before the
    jitted step (`guard_step_function`), since an error raised inside a step
    that ran would leave the model without its state (the step's input
    buffers are donated)."""
    return labels


def check_batch_labels(labels, num_classes):
    """The host-side check of a batch's labels (see `guard_step_function`)."""
    _checks.raise_invalid_labels(labels, num_classes, common.LABELS)
    return labels


def guard_step_function(model, function, training=True):
    """Keras' JAX train (or test) function with two guards around it.

    - Each batch passes `model._checked_batch` on the host before the jitted
      step sees it: a `ConditionalGAN` rejects labels outside
      `[0, num_classes)` there (inside the step, an out-of-range embedding
      lookup returns NaN without a word).
    - When a step raises before it ran (an error while tracing, such as a
      shape error of the first batch), the variables' values are put back.
      Keras' JAX `fit` detaches every variable's value before the first step
      (`_purge_model_variables`: the step's state holds them) and reattaches
      the state of the last step that finished, so a first step that raises
      would leave the variables without values, and the next `fit` or
      `generate` would fail with "'NoneType' object is not callable". The
      step's input state still holds the values (donated buffers are only
      consumed by a step that ran).
    """

    def step_function(state, iterator):
        try:
            return function(state, map(model._checked_batch, iterator))
        except BaseException:
            _restore_detached(_state_variables(model, training), state)
            raise

    return step_function


def _restore_detached(groups, state):
    if len(groups) != len(state):
        return
    for variables, values in zip(groups, state, strict=True):
        if len(variables) != len(values):
            continue
        for variable, value in zip(variables, values, strict=True):
            deleted = getattr(value, "is_deleted", lambda: False)()
            if variable._value is None and not deleted:
                variable._value = value


def _state_variables(model, training):
    groups = [model.trainable_variables, model.non_trainable_variables]
    if training:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    return groups


def _run_in_state(model, step_fn, state, data, training):
    groups = _state_variables(model, training)
    if len(groups) != len(state):
        raise ValueError(
            f"Expected a JAX training state of {len(groups)} variable lists. "
            f"Received: {len(state)} lists"
        )
    mapping = [
        pair
        for variables, values in zip(groups, state, strict=True)
        for pair in zip(variables, values, strict=True)
    ]
    with ChildScope(mapping) as scope:
        logs = step_fn(data)
    return logs, tuple([scope.value_of(v) for v in variables] for variables in groups)


def run_train_step(model, step_fn, state, data):
    """Keras' JAX `train_step(state, data) -> (logs, state)` around the
    stateful `step_fn(data) -> logs`."""
    return _run_in_state(model, step_fn, state, data, training=True)


def run_test_step(model, step_fn, state, data):
    """Keras' JAX `test_step(state, data) -> (logs, state)`."""
    return _run_in_state(model, step_fn, state, data, training=False)


# Under keras.distribution the jitted step sees the global batch (SPMD), so
# noise drawn for it already differs per device: no replica slicing.
replicas = common.single_replica
replica_sum = common.local_sum


def process_index():
    """This process's index in a multi-process run (`keras.distribution.initialize`)."""
    return jax.process_index()


@contextlib.contextmanager
def process_local_state(model):
    """The model as one process alone can save it in a multi-process run:
    each variable whose array spans other processes' devices holds this
    process's replica of it (weights and optimizer state are replicated
    under `DataParallel`), and no distribution is set, so that what saving
    reads and creates stays on this process. Either would otherwise wait
    for the other processes, which are not saving. Restored on exit."""
    swapped = []
    for variable in model.variables:
        value = variable.value
        if not getattr(value, "is_fully_addressable", True):
            if not value.is_fully_replicated:
                raise ValueError(
                    "Only process 0 writes, so every variable must be replicated on "
                    "it (keras.distribution.DataParallel); this one is sharded. "
                    f"Received: {variable.path} with sharding {value.sharding}"
                )
            swapped.append((variable, value))
            variable._value = value.addressable_data(0)
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield model
    finally:
        keras.distribution.set_distribution(distribution)
        for variable, value in swapped:
            variable._value = value


make_train_function = common.keras_train_function
logs_for_reduction = common.unchanged_logs
batch_multiple_checked = common.static_batch_checked
mean_float32 = common.mean_float32
no_grad = common.gradients_unrecorded
global_rng_state = common.no_global_rng_state
set_global_rng_state = common.set_no_global_rng_state
