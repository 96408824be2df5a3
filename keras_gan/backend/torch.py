"""PyTorch plumbing for the shared training step.

Keras' PyTorch trainer is stateful like TensorFlow's: `train_step(data)` runs
eagerly and variables hold their values. Gradients are taken with
`torch.autograd.grad` with respect to the training network's parameters
only, so nothing accumulates in the frozen network's `.grad`.
"""

import numpy as np
import torch
from keras import ops
from keras.src.backend.common.stateless_scope import in_stateless_scope
from keras.src.backend.config import floatx
from keras.src.backend.torch.core import get_device, to_torch_dtype

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


def _eager_and_stateful():
    """Whether variables can be written in place here: not inside a Keras
    stateless scope (whose updates Keras collects) nor under `torch.compile`
    (whose tracing the fast paths below would bypass)."""
    return not (in_stateless_scope() or torch.compiler.is_compiling())


def add_to(variable, values):
    """`variable += stack(values)` in place: one stack and one in-place add
    (the running means' update), where `keras.ops` costs ~100 us of eager
    dispatch (`ops.stack` of five scalars alone ~50 us)."""
    if not _eager_and_stateful():
        return common.add_to(variable, values)
    target = variable.value
    with torch.no_grad():
        if isinstance(values, np.ndarray):
            delta = torch.from_numpy(values).to(device=target.device, dtype=target.dtype)
        else:
            delta = torch.stack(
                [
                    v.detach().to(target.dtype)
                    if isinstance(v, torch.Tensor)
                    else torch.tensor(v, dtype=target.dtype, device=target.device)
                    for v in values
                ]
            )
        target.add_(delta)


def mean_float32(x):
    """`common.mean_float32` in one `torch.mean` (it accumulates in float32
    and takes booleans): `keras.ops.mean` costs ~35 us of eager dispatch
    (dtype promotion) against ~7, and the step takes seven means."""
    return torch.mean(ops.convert_to_tensor(x), dtype=torch.float32)


def normal_draw(shape, seed_generator, dtype=None):
    """`keras.random.normal(shape, seed=seed_generator)`, bit for bit, and the
    generator's state advanced as it advances it, in ~50 us instead of ~150
    (Keras' draw goes through `torch._dynamo.disable` and four `keras.ops`
    on the seed state)."""
    if not _eager_and_stateful():
        return common.normal_draw(shape, seed_generator, dtype)
    state = seed_generator.state.value
    first, second = state.tolist()
    with torch.no_grad():
        state[1] += 1  # Keras' SeedGenerator.next: state + [0, 1], int32
    device = get_device()
    generator = torch.Generator(device=device)
    # Keras' torch_seed_generator: int(first + second) & 0xFFFFFFFF, the sum
    # taken in int32 (wrapping); the mask makes the Python sum equal to it.
    generator.manual_seed((first + second) & 0xFFFFFFFF)
    return torch.normal(
        0.0,
        1.0,
        size=tuple(shape),
        generator=generator,
        dtype=to_torch_dtype(dtype or floatx()),
        device=device,
    )


def check_labels(labels, num_classes):
    """`labels`, checked eagerly to be in `[0, num_classes)` (the embedding
    lookup raises a bare IndexError otherwise)."""
    bad = (labels < 0) | (labels >= num_classes)
    if labels.is_floating_point():
        bad |= labels != labels.floor()  # fractional, or NaN
    if bool(bad.any()):
        _checks.labels_in_range(labels.detach().cpu().numpy(), num_classes, common.LABELS)
    return labels


check_batch_labels = check_labels


def run_train_step(model, step_fn, data):
    """PyTorch's `Model.train_step(data)` is stateful: call through."""
    return step_fn(data)


run_test_step = run_train_step


# keras_gan does not distribute PyTorch training.
replicas = common.single_replica
make_train_function = common.keras_train_function
guard_step_function = common.unguarded_step_function
logs_for_reduction = common.unchanged_logs


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
