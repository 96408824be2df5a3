"""The only backend-specific code of keras_gan, chosen once at import.

Each backend module provides the same three functions, and everything above
this package is written in `keras.ops`:

- `value_and_grad(fn, variables)`: runs `fn() -> (loss, aux)` and returns
  `(aux, grads)`, the gradients of `loss` with respect to `variables` only.
- `input_gradients(fn, x)`: returns `(fn(x), d sum(fn(x)) / dx)`, differentiable
  again (penalties backpropagate through it).
- `run_train_step(step_fn, *args)`: adapts the backend's `train_step`
  signature to `step_fn(data) -> logs`.
- `replicas()`: `(replica id, number of replicas)` under data parallelism,
  `(0, 1)` otherwise.
- `make_train_function(model)`: the backend's train function for `fit`, or
  None for Keras' own.
- `logs_for_reduction(logs)`: logs shaped so that Keras averages them
  across workers (works around a Keras 3 multi-worker bug).
"""

import keras

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    from keras_gan.backend.tensorflow import (  # noqa: F401
        input_gradients,
        logs_for_reduction,
        make_train_function,
        replicas,
        run_train_step,
        value_and_grad,
    )
else:
    raise ImportError(
        "keras_gan supports the TensorFlow backend so far (JAX and PyTorch are "
        "planned). Set KERAS_BACKEND=tensorflow. "
        f"Received: KERAS_BACKEND={BACKEND!r}"
    )
