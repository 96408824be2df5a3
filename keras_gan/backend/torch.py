"""PyTorch plumbing for the shared training step.

Keras' PyTorch trainer is stateful like TensorFlow's: `train_step(data)` runs
eagerly and variables hold their values. Gradients are taken with
`torch.autograd.grad` with respect to the training network's parameters
only, so nothing accumulates in the frozen network's `.grad`.
"""

import numpy as np
import torch
from keras import ops

from keras_gan import _checks
from keras_gan.backend import common

# torch.compile (aot_autograd) does not support double backward.
JIT_DOUBLE_BACKWARD = False
# Keras promotes the result of 64-bit operands to 32 bits on this backend
# (`BIT64_TO_BIT32_DTYPE`, as JAX does by default): keras.ops stay float32.
FLOAT64 = False


def value_and_grad(fn, variables):
    """Runs `fn() -> (loss, aux)`; returns `(aux, grads)`, the gradients of
    `loss` with respect to `variables` only (`None` where unconnected)."""
    with torch.enable_grad():
        loss, aux = fn()
        grads = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
    return aux, list(grads)


def input_gradients(fn, x):
    """Returns `(y, dy/dx)` with `y = fn(x)`, the gradient of `sum(y)`; the
    graph of the gradient is kept, so a penalty on it backpropagates to the
    weights (double backward)."""
    x = ops.convert_to_tensor(x)
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x)
        (grads,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    return y, grads


def cond(pred, true_fn, false_fn):
    """Eager: the branch taken runs, with its variable updates."""
    return true_fn() if bool(pred) else false_fn()


def apply_gradients(optimizer, grads, variables):
    # Keras' torch optimizers update parameters in place: no graph there.
    with torch.no_grad():
        optimizer.apply(grads, variables)


def mean_float32(x):
    """`common.mean_float32` in one `torch.mean`, which accumulates in
    float32 and takes booleans: eager `keras.ops.mean` adds a dtype
    promotion that costs more than the mean itself (docs/performance.md)."""
    return torch.mean(ops.convert_to_tensor(x), dtype=torch.float32)


def check_labels(labels, num_classes):
    """`labels`, checked eagerly against the label rule (the embedding
    lookup raises a bare IndexError otherwise)."""
    if bool(ops.any(_checks.invalid_labels(labels, num_classes))):
        _checks.raise_invalid_labels(labels.detach().cpu().numpy(), num_classes, common.LABELS)
    return labels


check_batch_labels = check_labels


def run_train_step(model, step_fn, data):
    """PyTorch's `Model.train_step(data)` is stateful: call through."""
    return step_fn(data)


run_test_step = run_train_step


# keras_gan does not distribute PyTorch training.
replicas = common.single_replica
replica_sum = common.local_sum
process_index = common.single_process
process_local_state = common.state_in_place
make_train_function = common.keras_train_function
guard_step_function = common.unguarded_step_function
logs_for_reduction = common.unchanged_logs
batch_multiple_checked = common.static_batch_checked


def no_grad():
    """No autograd graph inside: for computations whose gradient is never
    taken (the frozen generator's samples in a discriminator update)."""
    return torch.no_grad()


def global_rng_state():
    """PyTorch's global CPU random-number state, as a uint8 numpy array.

    Keras' PyTorch `Dropout` without a seed takes its fast path,
    `torch.nn.functional.dropout`, which draws from this global state rather
    than from the layer's `SeedGenerator`; a resumed run needs it back."""
    return torch.get_rng_state().numpy()


def set_global_rng_state(state):
    torch.set_rng_state(torch.from_numpy(np.asarray(state, dtype="uint8")))
