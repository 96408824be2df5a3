"""The functions `fit` and `evaluate` call (a mixin of `GAN`): the
backend's train function, remade when a network's `trainable` flag changed,
with the host-side batch checks the backend needs; and `fit`'s callbacks."""

import inspect
import math

import keras
import numpy as np

from keras_gan import _checks, backend
from keras_gan.callbacks import SampleGrid, TerminateOnNaN
from keras_gan.data import ArrayDataset


class StepFunctions:
    """`make_train_function`, `make_test_function` and `fit` of `GAN`."""

    def make_train_function(self, force=False):
        """Keras' `make_train_function`, with the backend's leaner one-step
        function where it has one (see `keras_gan.backend`).

        `fit` and `train_on_batch` call this first. The function is made
        again when a network's `trainable` flags changed since it was made
        (a traced TensorFlow step keeps the variables it was traced with), so
        `gan.discriminator.trainable = False` between two `fit` calls freezes
        the discriminator without a new `compile`."""
        trainable = self._trainable_signature()
        if (
            self.train_function is not None
            and not force
            and trainable == self._train_function_trainable[0]
        ):
            return self.train_function
        self._train_function_trainable[0] = trainable
        function = backend.make_train_function(self)
        if function is None:
            super().make_train_function(force=True)
            function = self.train_function
        self.train_function = backend.guard_step_function(self, function)
        return self.train_function

    def make_test_function(self, force=False):
        """Keras' `make_test_function`, guarded by the backend as the train
        function is (see `keras_gan.backend.guard_step_function`)."""
        if self.test_function is not None and not force:
            return self.test_function
        super().make_test_function(force=True)
        self.test_function = backend.guard_step_function(self, self.test_function, training=False)
        return self.test_function

    def _checked_batch(self, data):
        """`data`, a batch before the step, after the checks that the backend
        cannot make inside its step: on the host on JAX (see
        `backend.guard_step_function`), in the graph around an XLA step on
        TensorFlow."""
        return data

    def _trainable_signature(self):
        """Which variables each network trains now; raises if its optimizer
        was built without some of them (`trainable` set to True after
        `compile`: Keras optimizers cannot take on new variables)."""
        signature = []
        for name, net, optimizer in (
            ("discriminator", self.discriminator, self.d_optimizer),
            ("generator", self.generator, self.g_optimizer),
        ):
            variables = net.trainable_variables
            known = {id(v) for v in getattr(optimizer, "_trainable_variables", variables)}
            unknown = [v.path for v in variables if id(v) not in known]
            if unknown:
                raise ValueError(
                    f"The {name} has trainable variables its optimizer was not built for "
                    f"({len(unknown)} of {len(variables)}, e.g. {unknown[0]!r}): its "
                    "`trainable` flag was set to True after `compile`, and a Keras "
                    "optimizer cannot take on new variables. Call `gan.compile(...)` again "
                    f"with a new {name} optimizer. Received: {name}.trainable="
                    f"{net.trainable}"
                )
            signature.append(tuple(id(v) for v in variables))
        return tuple(signature)

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`; a `keras.callbacks.TerminateOnNaN` among the
        callbacks is upgraded to `keras_gan.callbacks.TerminateOnNaN`, which
        watches the GAN's losses (there is no `loss` log) and names the one
        that went non-finite, and a `keras_gan.callbacks.SampleGrid` writes
        its pictures to a `keras.callbacks.TensorBoard` among them too. A
        `keras.callbacks.CallbackList` passed as `callbacks` is used as it
        is.

        Training data from `keras_gan.data.from_numpy` on JAX and PyTorch (an
        `ArrayDataset`) is told each epoch's number, so a run resumed at
        epoch k (`BackupAndRestore`, `initial_epoch=k`) draws epoch k's
        order, as the uninterrupted run did.

        With `verbose=0`, no callback implementing a batch hook, and
        `steps_per_epoch`, a `tf.data.Dataset` or a `keras.utils.PyDataset`
        (whose number of batches Keras' callbacks are told), Keras'
        per-step callback dispatch is skipped: it converts each step's logs
        to Python numbers for nobody.

        Samples given as a numpy array are checked for NaN and infinity
        first (one pass over them): a GAN trained on them need not show it
        before its weights are NaN. Other sources (`tf.data`, generators)
        are read as they come; `keras_gan.data.from_numpy` checks its
        arrays, and `TerminateOnNaN` stops a run whose losses go NaN."""
        if not isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = [TerminateOnNaN.upgrade(cb) for cb in (callbacks or [])]
            SampleGrid.link_tensorboard(callbacks)
            arguments = inspect.signature(keras.Model.fit).bind(self, *args, **kwargs)
            arguments.apply_defaults()
            arguments = arguments.arguments
            x = arguments["x"]
            if isinstance(x, np.ndarray):  # in memory: one pass, before any step
                _checks.finite_samples(x, "x")
                self._check_batch_sizes(len(x), kwargs)
            self._check_dataset_batches(x)
            if isinstance(x, ArrayDataset) and not x.repeats:
                callbacks.insert(0, _DataEpoch(x))  # before the callbacks that read it
            callbacks = backend.fit_callback_list(
                self,
                callbacks,
                x=x,
                epochs=arguments["epochs"],
                verbose=arguments["verbose"],
                steps_per_epoch=arguments["steps_per_epoch"],
            )
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def __setattr__(self, name, value):
        # Keras' tracking, except for what the backend stores untracked
        # (`backend.untracked`: JAX fit's per-step state, arrays only).
        if backend.untracked(name):
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def _replica_count(self):
        """How many replicas of a tf.distribute strategy split each batch (1
        without one, and on JAX and PyTorch)."""
        strategy = getattr(self, "distribute_strategy", None)
        return getattr(strategy, "num_replicas_in_sync", 1) or 1

    def _batch_rule(self):
        """`(multiple, why)`: what every batch size must be a multiple of, and
        the reason in words; `(1, None)` when any size will do."""
        pack, replicas = getattr(self, "pack", 1), self._replica_count()
        reasons = []
        if replicas > 1:
            reasons.append(f"split evenly over the strategy's {replicas} replicas")
        if pack > 1:
            each = " on each replica" if replicas > 1 else ""
            reasons.append(f"hold a whole number of packs of {pack}{each} (pack={pack})")
        return pack * replicas, " and ".join(reasons) or None

    def _check_batch_sizes(self, count, fit_kwargs):
        """Raises before training when `count` samples in memory, in `fit`'s
        batches, would give a batch that is not a multiple of `_batch_rule`'s
        (the last one, short), in training or in the validation that
        `validation_split` holds out."""
        multiple, why = self._batch_rule()
        if multiple == 1:
            return
        batch_size = fit_kwargs.get("batch_size") or 32  # Keras' default
        split = fit_kwargs.get("validation_split") or 0.0
        train = int(math.floor(count * (1.0 - split)))  # as Keras splits
        parts = [("training", train, batch_size)]
        if split:
            parts.append(
                ("validation", count - train, fit_kwargs.get("validation_batch_size") or batch_size)
            )
        for what, n, batch in parts:
            short = [b for b in (min(batch, n), n % batch) if b and b % multiple]
            if short:
                raise ValueError(
                    f"Every batch must {why}: a multiple of {multiple} samples. {n} {what} "
                    f"samples in batches of {batch} give a batch of {short[0]}. Pass a batch "
                    f"size that is a multiple of {multiple} and samples that fill it (or "
                    "`keras_gan.data.from_numpy(..., drop_remainder=True)`). Received: "
                    f"batch_size={batch_size}, len(x)={count}"
                    + (f", validation_split={split}" if split else "")
                )

    def _check_dataset_batches(self, dataset):
        """Raises before training when a `tf.data` dataset's static batch size
        is not a multiple of `_batch_rule`'s (a batch size known only as
        batches come is checked in the step)."""
        multiple, why = self._batch_rule()
        spec = getattr(dataset, "element_spec", None)
        if multiple == 1 or spec is None:
            return
        shape = getattr(keras.tree.flatten(spec)[0], "shape", None)
        batch = shape[0] if getattr(shape, "rank", None) else None  # None: unbatched, unknown
        if batch is not None and batch % multiple:
            raise ValueError(
                f"Every batch must {why}: a multiple of {multiple} samples. "
                f"Received: a dataset of batches of {batch}"
            )


class _DataEpoch(keras.callbacks.Callback):
    """Sets an `ArrayDataset`'s epoch to `fit`'s at the start of each one."""

    def __init__(self, dataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_begin(self, epoch, logs=None):
        self.dataset.epoch = epoch
