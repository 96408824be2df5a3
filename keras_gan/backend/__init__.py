"""The only backend-specific code of keras_gan, chosen once at import.

Each backend module (`tensorflow.py`, `jax.py`, `torch.py`) provides the same
functions, and everything above this package is written in `keras.ops`:

- `value_and_grad(fn, variables)`: runs `fn() -> (loss, aux)` and returns
  `(aux, grads)`, the gradients of `loss` with respect to `variables` only.
- `input_gradients(fn, x)`: returns `(fn(x), d sum(fn(x)) / dx)`, differentiable
  again (penalties backpropagate through it).
- `cond(pred, true_fn, false_fn)`: `ops.cond` whose branches may assign
  variables.
- `apply_gradients(optimizer, grads, variables)`: `optimizer.apply` where the
  backend allows it.
- `no_grad()`: a context in which no gradient graph is recorded (PyTorch).
- `run_train_step(model, step_fn, *args)` / `run_test_step(...)`: adapt the
  backend's `train_step` / `test_step` signature (stateful on TensorFlow and
  PyTorch, `(state, data) -> (logs, state)` on JAX) to the stateful
  `step_fn(data) -> logs`.
- `check_labels(labels, num_classes)`: `labels`, with a check inside the
  step (in the graph, or eager) that each is in `[0, num_classes)` whose
  error names the labels outside it (JAX checks on the host instead).
- `check_batch_labels(labels, num_classes)`: the same check on a batch
  before the step (`GAN._checked_batch`): on the host on JAX, in the graph
  around an XLA-compiled step on TensorFlow.
- `batch_multiple_checked(samples, size, message)`: `samples`, checked in
  the graph on TensorFlow to come in a batch whose size, unknown when the
  step is traced, is a multiple of `size` (the other backends know it).
- `replicas()`: `(replica id, number of replicas)` under data parallelism,
  `(0, 1)` otherwise.
- `replica_sum(x)`: `x` summed over the replicas (an all-reduce under a
  tf.distribute strategy; `x` where the step sees the global batch).
- `process_index()`: this process's index in a multi-process JAX run, else 0.
- `process_local_state(model)`: a context in which this process alone can
  save `model` (multi-process JAX: each variable holds its local replica,
  no distribution is set); a no-op elsewhere.
- `make_train_function(model)`: the backend's train function for `fit`, or
  None for Keras' own.
- `guard_step_function(model, function, training)`: the train (or test)
  function that `fit` (`evaluate`) calls, with the host-side batch check
  `model._checked_batch` where the backend needs it and the variables'
  values kept when a step raises (JAX's `fit` detaches them meanwhile).
- `fit_callback_list(model, callbacks, x, epochs, verbose, steps_per_epoch)`:
  the callbacks `GAN.fit` hands Keras (a list that skips Keras' per-batch
  dispatch where no callback has a batch hook; every backend).
- `untracked(name)`: whether a GAN stores its attribute `name` without
  Keras' tracking (JAX `fit`'s per-step `_jax_state`).
- `mean_float32(x)`: the mean of all of `x` in float32.
- `logs_for_reduction(logs)`: logs shaped so that Keras averages them
  across workers (works around a Keras 3 multi-worker bug).
- `global_rng_state()` / `set_global_rng_state(state)`: the backend's global
  random-number state as a numpy array (None where the networks draw only
  from Keras seed generators), saved with a GAN whose networks use it.
- `FLOAT64`: whether keras.ops compute in float64 (on TensorFlow only:
  Keras promotes 64-bit operands to 32 bits on JAX and PyTorch).
- `JIT_DOUBLE_BACKWARD`: whether `jit_compile=True` can compile a double
  backward pass (input-gradient penalties).

`ChildScope` (backend-neutral, `common.py`) is the stateless scope that the
frozen network's calls run in. The speed-ups built on private APIs, each
behind its own switch, are in `fast_paths.py`.
"""

import importlib

import keras

from keras_gan.backend import fast_paths
from keras_gan.backend.common import ChildScope  # noqa: F401

BACKEND = keras.backend.backend()
SUPPORTED = ("tensorflow", "jax", "torch")

if BACKEND not in SUPPORTED:
    raise ImportError(
        f"keras_gan runs on the Keras backends {SUPPORTED}. Received: KERAS_BACKEND={BACKEND!r}"
    )

_impl = importlib.import_module(f"keras_gan.backend.{BACKEND}")
value_and_grad = _impl.value_and_grad
input_gradients = _impl.input_gradients
cond = _impl.cond
apply_gradients = _impl.apply_gradients
no_grad = _impl.no_grad
run_train_step = _impl.run_train_step
run_test_step = _impl.run_test_step
replicas = _impl.replicas
replica_sum = _impl.replica_sum
process_index = _impl.process_index
process_local_state = _impl.process_local_state
make_train_function = _impl.make_train_function
check_labels = _impl.check_labels
check_batch_labels = _impl.check_batch_labels
batch_multiple_checked = _impl.batch_multiple_checked
guard_step_function = _impl.guard_step_function
logs_for_reduction = _impl.logs_for_reduction
mean_float32 = _impl.mean_float32
JIT_DOUBLE_BACKWARD = _impl.JIT_DOUBLE_BACKWARD
FLOAT64 = _impl.FLOAT64
global_rng_state = _impl.global_rng_state
set_global_rng_state = _impl.set_global_rng_state
fit_callback_list = fast_paths.fit_callback_list
untracked = fast_paths.untracked
