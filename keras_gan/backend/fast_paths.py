"""Speed-ups built on private Keras and TensorFlow APIs.

Everything else in keras_gan uses public APIs. Each speed-up here does what
a public path does, with less per-step overhead, and has its own switch; it
runs only when its switch is on (the default) and the internals it relies
on are where this module expects them. Otherwise the public path runs, and
`missing_internals()` names what moved (tests/fast_paths_test.py fails,
naming the Keras version, when anything did). What each is worth, measured
with `benchmarks/speed.py --switch NAME`, is in docs/performance.md.

Switches: `KERAS_GAN_FAST_PATHS=none` turns every speed-up off,
`KERAS_GAN_FAST_PATHS=-tf_bound_call` the ones named;
`fast_paths.set_enabled(name, on)` and `fast_paths.switched(name=on)` do it
in a program.

- `tf_train_function` (TensorFlow): `fit`'s train function for one step per
  call returns the step's logs as plain tensors; Keras' wraps them in a
  `tf.experimental.Optional` and rebuilds the structure in Python every
  step. Public path: Keras' own train function.
- `tf_bound_call` (TensorFlow, inside `tf_train_function`): the traced
  step is called through its concrete function with the iterator bound to
  its flat inputs once per iterator, skipping the per-call signature lookup
  and argument canonicalization. Public path: calling the `tf.function`.

- `batchless_callbacks` (every backend): `fit` skips Keras' per-batch
  callback dispatch (each step's logs converted to Python numbers, on a
  worker thread on JAX and TensorFlow) when no callback implements a batch
  hook. Public path: Keras' `CallbackList`.
- `jax_untracked_state` (JAX): the state Keras' JAX `fit` and `evaluate`
  store on the model after every step (`model._jax_state`, arrays only) is
  stored without Keras' attribute tracking, which walks every array of it.
  Public path: `Layer.__setattr__`.

The last two are kept as a pair: each alone measured under the 1.03 rule,
together they clear it on JAX's toy MLP (docs/performance.md). Measured
and deleted, the lower bound of their paired interval under 1.03 on the toy
MLP, where per-step overhead weighs most: PyTorch's noise drawn without
`keras.random`'s overhead, and the running means updated in place on
PyTorch.
"""

import contextlib
import importlib
import os
import sys
import warnings
import weakref

import keras

SPEED_UPS = ("tf_train_function", "tf_bound_call", "batchless_callbacks", "jax_untracked_state")

# The private names each speed-up reads: (module, attribute path). A module
# of another backend than the one running is not imported.
_INTERNALS = {
    "tf_train_function": (
        ("tensorflow.python.distribute.distribute_lib", "_get_default_strategy"),
        ("keras.src.backend.tensorflow.trainer", "reduce_per_replica"),
        ("keras.src.backend.tensorflow.trainer", "TensorFlowTrainer._autoconvert_optionals"),
    ),
    "tf_bound_call": (
        (
            "tensorflow.python.eager.polymorphic_function.function_type_utils",
            "canonicalize_function_inputs",
        ),
        (
            "tensorflow.python.eager.polymorphic_function.concrete_function",
            "ConcreteFunction._call_flat",
        ),
    ),
    "batchless_callbacks": (
        ("keras.callbacks", "Callback.on_train_batch_begin._is_default"),
        ("keras.callbacks", "Callback.on_test_batch_end._is_default"),
    ),
    "jax_untracked_state": (("keras.src.backend.jax.trainer", "JAXTrainer.jax_state_sync"),),
}
_BACKEND_OF = {
    "tf_train_function": "tensorflow",
    "tf_bound_call": "tensorflow",
    "jax_untracked_state": "jax",
}


def _from_environment():
    setting = os.environ.get("KERAS_GAN_FAST_PATHS", "").strip()
    switches = dict.fromkeys(SPEED_UPS, setting.lower() != "none")
    if setting.lower() in ("", "all", "none"):
        return switches
    for item in setting.split(","):
        name = item.strip().lstrip("+-")
        if name not in switches:
            raise ValueError(
                f"KERAS_GAN_FAST_PATHS names an unknown speed-up; known: {', '.join(SPEED_UPS)}, "
                f"'all' or 'none'. Received: KERAS_GAN_FAST_PATHS={setting!r}"
            )
        switches[name] = not item.strip().startswith("-")
    return switches


_switches = _from_environment()
_missing = {}  # speed-up -> the internals it lacks (checked once, when first used)


def _lookup(module, path):
    value = importlib.import_module(module)
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _lacks(name):
    """The internals of `name` that cannot be found, as `module:attribute`."""
    if name not in _missing:
        lacking = []
        for module, path in _INTERNALS[name]:
            try:
                _lookup(module, path)
            except (ImportError, AttributeError):
                lacking.append(f"{module}:{path}")
        _missing[name] = lacking
        if lacking and _switches[name]:
            warnings.warn(
                f"keras_gan runs without its {name!r} speed-up: Keras {keras.__version__} (or its "
                f"backend) no longer has {', '.join(lacking)}. Training is unchanged, a little "
                "slower.",
                stacklevel=3,
            )
    return _missing[name]


def missing_internals(backend=None):
    """`{speed-up: [missing "module:attribute", ...]}` for the speed-ups of
    `backend` (default: the running one) whose internals moved."""
    backend = backend or keras.backend.backend()
    names = [n for n in SPEED_UPS if _BACKEND_OF.get(n, backend) == backend]
    return {name: _lacks(name) for name in names if _lacks(name)}


def enabled(name):
    """Whether the speed-up `name` runs: its switch is on and its internals
    are in place."""
    return _switches[name] and not _lacks(name)


def set_enabled(name, on):
    """Turns the speed-up `name` on or off for this process (a train
    function already made keeps the setting it was made with)."""
    if name not in _switches:
        raise ValueError(f"Unknown speed-up; known: {', '.join(SPEED_UPS)}. Received: {name!r}")
    _switches[name] = bool(on)


@contextlib.contextmanager
def switched(**settings):
    """A context in which the speed-ups named are on (True) or off."""
    before = {name: _switches[name] for name in settings}
    for name, on in settings.items():
        set_enabled(name, on)
    try:
        yield
    finally:
        _switches.update(before)


# ----------------------------------------------------------------- TensorFlow


def tf_train_function(model):
    """A leaner `train_function` for one step per call, or None (Keras').

    It runs the same step as Keras' (`strategy.run(model.train_step)`, the
    same log reduction, the same `jit_compile`) and returns `(has_data,
    logs)` as plain tensors, the logs of an exhausted iterator being zeros
    that are never used. Keras' own function is kept for
    `steps_per_execution > 1` (its in-graph loop), `run_eagerly`, and under
    a `tf.distribute` strategy (whose `run` cannot sit inside a `tf.cond`).
    """
    if not enabled("tf_train_function"):
        return None
    if model.steps_per_execution != 1 or model.run_eagerly:
        return None
    import tensorflow as tf
    from keras.src.backend.tensorflow.trainer import reduce_per_replica
    from tensorflow.python.distribute import distribute_lib

    if model.distribute_strategy is not distribute_lib._get_default_strategy():
        return None
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
    call = _bound_caller(step_on_iterator) if enabled("tf_bound_call") else step_on_iterator

    def function(iterator):
        if isinstance(iterator, (tf.data.Iterator, tf.distribute.DistributedIterator)):
            has_data, outputs = call(iterator)
            if not has_data:
                raise StopIteration
            return outputs
        for data in iterator:  # a Python iterator of batches (no tf.data)
            return one_step_on_data(data)
        raise StopIteration

    return function


def _bound_caller(step_on_iterator):
    """`step_on_iterator(iterator)`, called through its concrete function
    with `iterator` bound to the flat inputs once per iterator.

    The iterator is held by a weak reference, and its binding (which holds
    the iterator's resource) is dropped with it: the function does not keep
    the input pipeline's buffers (a shuffle buffer can hold the whole
    dataset) alive after `fit` lets go of the iterator."""
    from tensorflow.python.eager.polymorphic_function import function_type_utils

    unbound = (lambda: None, None)  # (a dead weak reference, no call)
    current = list(unbound)

    def unbind(ref):
        if current[0] is ref:
            current[:] = unbound

    def bind(iterator):
        concrete = step_on_iterator.get_concrete_function(iterator)
        bound = function_type_utils.canonicalize_function_inputs(
            (iterator,), {}, concrete.function_type
        )
        flat = concrete.function_type.unpack_inputs(bound)
        return lambda _: concrete._call_flat(flat, concrete.captured_inputs)

    def call(iterator):
        if current[0]() is not iterator:
            current[:] = [weakref.ref(iterator, unbind), bind(iterator)]
        return current[1](iterator)

    return call


# ------------------------------------------------------------------- callbacks

# The per-batch hooks Keras' fit and evaluate loops call on their
# `CallbackList`; `on_batch_*` are what `Callback`'s default train-batch
# hooks call.
_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
}


def _implements(callback, hook):
    """Whether `callback` has its own `hook` (Keras marks `Callback`'s
    do-nothing hooks `_is_default`, as its `CallbackList` checks)."""
    return not getattr(getattr(callback, hook, None), "_is_default", False)


class BatchlessCallbackList(keras.callbacks.CallbackList):
    """`keras.callbacks.CallbackList` that skips the per-batch dispatch when
    no callback implements a batch hook.

    Keras' list, on every train and test batch, converts that batch's logs
    to Python numbers (on a worker thread where the backend allows) and
    calls each callback's batch hooks, even when every one is the
    do-nothing default. This list checks once, at construction, which kinds
    of batch hooks any callback has, and calls Keras' dispatch only for
    those.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._has_batch_hooks = {
            kind: any(_implements(cb, hook) for cb in self.callbacks for hook in hooks)
            for kind, hooks in _BATCH_HOOKS.items()
        }

    def _dispatch_if_hooked(kind, hook):  # builds the methods below
        def dispatch(self, batch, logs=None):
            if self._has_batch_hooks[kind]:
                getattr(keras.callbacks.CallbackList, hook)(self, batch, logs)

        dispatch.__name__ = hook
        return dispatch

    on_train_batch_begin = _dispatch_if_hooked("train", "on_train_batch_begin")
    on_train_batch_end = _dispatch_if_hooked("train", "on_train_batch_end")
    on_test_batch_begin = _dispatch_if_hooked("test", "on_test_batch_begin")
    on_test_batch_end = _dispatch_if_hooked("test", "on_test_batch_end")
    del _dispatch_if_hooked


def _batches_per_epoch(x, steps_per_epoch):
    """`(known, steps)`: the `steps` parameter Keras' fit gives its
    callbacks (its epoch iterator's `num_batches`), where it is known
    before Keras builds that iterator: `steps_per_epoch`, a `tf.data`
    dataset's cardinality (None where infinite or unknown), or a
    `keras.utils.PyDataset`'s `num_batches`."""
    if steps_per_epoch:
        return True, steps_per_epoch
    if isinstance(x, keras.utils.PyDataset):
        try:
            return True, x.num_batches
        except Exception:  # Keras' own fit reports it
            return False, None
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(x, tf.data.Dataset):
        cardinality = int(x.cardinality())  # Keras' TFDatasetAdapter.num_batches
        return True, cardinality if cardinality >= 0 else None
    return False, None


def fit_callback_list(model, callbacks, x, epochs, verbose, steps_per_epoch):
    """The callbacks `GAN.fit` passes Keras: a `BatchlessCallbackList` with
    the `params` Keras' fit would give (`verbose`, `epochs`, `steps`), or
    `callbacks` unchanged where the speed-up is off, where `steps` is not
    known before Keras builds its data iterator (arrays, generators), with a
    progress bar (which has batch hooks anyway), or under Keras' debugging
    caps on epochs and steps."""
    if not enabled("batchless_callbacks"):
        return callbacks
    if verbose != 0 or keras.config.max_epochs() or keras.config.max_steps_per_epoch():
        return callbacks
    known, steps = _batches_per_epoch(x, steps_per_epoch)
    if not known:
        return callbacks
    return BatchlessCallbackList(
        callbacks,
        add_history=True,
        add_progbar=False,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )


# ------------------------------------------------------------------------ JAX


def untracked(name):
    """Whether a GAN stores its attribute `name` without Keras' tracking:
    `_jax_state`, the arrays Keras' JAX `fit` and `evaluate` store after
    every step (tracking them walks every array and finds nothing to
    track). Not with Flax NNX, whose modules watch their attributes."""
    return (
        name == "_jax_state"
        and not keras.config.is_nnx_enabled()
        and enabled("jax_untracked_state")
    )
