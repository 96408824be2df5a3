"""Callbacks for GAN training."""

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import warnings

import keras
import numpy as np

from keras_gan import _checks, _files, _names, backend

# Logs checked by `TerminateOnNaN`, most telling first; any other log whose
# name ends in "loss" or that a penalty adds is checked after these.
_LOSS_LOGS = ("d_loss", "g_loss")


def _non_finite(value):
    try:
        value = float(np.asarray(value))
    except (TypeError, ValueError):
        return False
    return not math.isfinite(value)


class _Configurable:
    """`from_config` for the callbacks below, whose `get_config` holds their
    constructor's arguments: each is registered as Keras-serializable under
    `keras_gan`, like every other object of the library."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@_names.register
class TerminateOnNaN(_Configurable, keras.callbacks.TerminateOnNaN):
    """Stops training when a GAN loss becomes NaN or infinite, and says which.

    Keras' own `TerminateOnNaN` watches the `loss` log, which a GAN does not
    have; this one watches `d_loss`, `g_loss` and every penalty log.
    `GAN.fit` swaps a plain `keras.callbacks.TerminateOnNaN` for this class.

    Args:
        raise_error: raise a `RuntimeError` instead of stopping gracefully.
        monitor: names of the logs to check; `None` checks `d_loss`, `g_loss`
            and every other log of the model's penalties.

    Example:

    ```python
    gan.fit(dataset, epochs=10, callbacks=[keras_gan.callbacks.TerminateOnNaN()])
    ```
    """

    def __init__(self, raise_error=False, monitor=None):
        super().__init__(raise_error=raise_error)
        if isinstance(monitor, str):
            monitor = [monitor]  # one log name
        if monitor is not None and not (
            hasattr(monitor, "__iter__") and all(isinstance(k, str) for k in monitor)
        ):
            raise ValueError(
                "`monitor` must be a log name or a list of them, such as ['d_loss']. "
                f"Received: monitor={monitor!r}"
            )
        if monitor is not None and not tuple(monitor):
            raise ValueError(
                "`monitor` must name at least one log (None: the GAN's losses and "
                f"penalties). Received: monitor={monitor!r}"
            )
        self.monitor = tuple(monitor) if monitor is not None else None
        self.bad_log = None

    def get_config(self):
        monitor = list(self.monitor) if self.monitor is not None else None
        return {"raise_error": self.raise_error, "monitor": monitor}

    @classmethod
    def upgrade(cls, callback):
        """Returns a GAN-aware copy of a plain `keras.callbacks.TerminateOnNaN`
        (anything else is returned unchanged)."""
        if type(callback) is keras.callbacks.TerminateOnNaN:
            return cls(raise_error=callback.raise_error)
        return callback

    def _watched(self, logs):
        if self.monitor is not None:
            unknown = [k for k in self.monitor if k not in logs]
            if unknown:
                raise ValueError(
                    f"TerminateOnNaN watches logs this training does not write: {unknown}. "
                    f"Its logs: {sorted(logs)}. Received: monitor={list(self.monitor)}"
                )
            return list(self.monitor)
        penalty_names = [p.name for p in getattr(self.model, "d_penalties", [])]
        keys = [k for k in _LOSS_LOGS + tuple(penalty_names) if k in logs]
        keys += [k for k in logs if k.endswith("loss") and k not in keys]
        return keys

    def on_batch_end(self, batch, logs=None):
        if not logs:
            return
        for key in self._watched(logs):
            if _non_finite(logs[key]):
                self.bad_log = key
                values = ", ".join(
                    f"{k}={float(np.asarray(logs[k])):.6g}" for k in self._watched(logs)
                )
                message = f"Batch {batch}: {key} is not finite ({values}); terminating training."
                if self.raise_error:
                    raise RuntimeError(message)
                print(message, flush=True)
                self.model.stop_training = True
                return


@_names.register
class GeneratorEMA(_Configurable, keras.callbacks.Callback):
    """Keeps an exponential moving average of the generator's weights.

    The average is set by its half-life in images (StyleGAN's
    parametrisation): after a step of `B` images, `beta = 0.5 ** (B /
    half_life_images)` and `ema = beta * ema + (1 - beta) * weight`. It lives
    in the GAN (`gan.ema_generator`), is updated inside the train step (so it
    is exact with any `steps_per_execution`), and is what `generate`, saving
    and `export_generator` use from then on.

    Args:
        half_life_images: the half-life in images (StyleGAN2 uses 10,000 for
            a batch of 32); about 10x the batch size for short runs.

    Example:

    ```python
    gan.fit(dataset, epochs=50, callbacks=[keras_gan.callbacks.GeneratorEMA(10_000)])
    ```
    """

    def __init__(self, half_life_images=10_000):
        super().__init__()
        self.half_life_images = _checks.number(
            half_life_images, "half_life_images", inclusive=False
        )

    def get_config(self):
        return {"half_life_images": self.half_life_images}

    def set_model(self, model):
        # Runs before fit builds its train function, so the update is traced in.
        super().set_model(model)
        if not hasattr(model, "enable_ema"):
            raise TypeError(
                "GeneratorEMA averages a keras_gan GAN's generator; this model has none. "
                f"Received: a {type(model).__name__} named {model.name!r}"
            )
        model.enable_ema(self.half_life_images)


@_names.register
class SampleGrid(_Configurable, keras.callbacks.Callback):
    """Writes a PNG of samples from fixed noise every `every` epochs.

    Image data (`(n, h, w[, c])`) becomes a tiled grid; 2-D points become a
    scatter plot. The same `seed` is used every time, so successive files show
    how the same latent vectors evolve. When a `keras.callbacks.TensorBoard`
    is among `fit`'s callbacks, the picture is also written to its training
    log as an image summary named `samples` (step: the epoch), so the
    IMAGES tab shows training progress beside the loss curves.

    Args:
        directory: folder for `samples_epoch_XXXX.png`.
        every: write after every `every`-th epoch.
        num_samples: samples per picture.
        seed: the fixed seed passed to `generate`.
        labels: for a `ConditionalGAN`, the labels to draw (default: the
            classes in turn).
        value_range: the data range of images, mapped to black..white.

    Example:

    ```python
    gan.fit(dataset, epochs=20, callbacks=[keras_gan.callbacks.SampleGrid("runs/grids")])
    ```
    """

    def __init__(
        self, directory, every=1, num_samples=64, seed=0, labels=None, value_range=(-1.0, 1.0)
    ):
        super().__init__()
        self.directory = _files.folder(directory, "directory")
        self.every = _checks.integer(every, "every")
        self.num_samples = _checks.integer(num_samples, "num_samples")
        self.seed = _checks.seed(seed)
        if labels is not None and (
            isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__")
        ):
            raise ValueError(
                "`labels` must be a sequence of class labels, one per sample (or None). "
                f"Received: labels={labels!r}"
            )
        self.labels = labels
        self.value_range = _checks.value_range(value_range)
        self.paths = []
        self.tensorboard = None  # set by GAN.fit when a TensorBoard callback is present

    def get_config(self):
        labels = self.labels
        return {
            "directory": self.directory,
            "every": self.every,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "labels": np.asarray(labels).tolist() if labels is not None else None,
            "value_range": list(self.value_range),
        }

    @staticmethod
    def link_tensorboard(callbacks):
        """Points every `SampleGrid` among `callbacks` at the first
        `keras.callbacks.TensorBoard` there (what `GAN.fit` calls)."""
        boards = [cb for cb in callbacks if isinstance(cb, keras.callbacks.TensorBoard)]
        for cb in callbacks:
            if isinstance(cb, SampleGrid) and boards:
                cb.tensorboard = boards[0]

    def _write_summary(self, path, step):
        Image = _checks.require("PIL.Image")

        board = self.tensorboard
        picture = np.asarray(Image.open(path).convert("RGB"))[None]
        with board._train_writer.as_default():
            board.summary.image("samples", picture, step=step)
        board._train_writer.flush()

    def _samples(self):
        kwargs = {"seed": self.seed}
        if hasattr(self.model, "num_classes"):
            kwargs["labels"] = self.labels
        return self.model.generate(self.num_samples, **kwargs)

    def on_train_begin(self, logs=None):
        # Before the first epoch, not after it: a generator whose samples
        # cannot be drawn would otherwise stop `fit` an epoch in.
        from keras_gan import visualize

        shape = np.shape(self._samples())
        if not visualize.drawable(shape):
            raise ValueError(
                "SampleGrid draws 2-D points (n, 2) or images (n, height, width[, 1 or 3]); "
                f"the generator's samples are neither. Received: samples of shape {shape}"
            )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from keras_gan import visualize

        samples = self._samples()
        path = f"{self.directory}/samples_epoch_{epoch + 1:04d}.png"
        visualize.save_samples(
            path, samples, title=f"epoch {epoch + 1}", value_range=self.value_range
        )
        self.paths.append(path)
        if self.tensorboard is not None:
            self._write_summary(path, epoch + 1)


@_names.register
class ConvergenceMonitor(_Configurable, keras.callbacks.Callback):
    """The course's warning: GAN convergence is fleeting.

    After each epoch it checks two signs that the generator is now learning
    from noise:

    - the discriminator's accuracy (`d_accuracy`) has sat within `tolerance`
      of 0.5 for `patience` epochs: it cannot tell real from generated data,
      so its feedback is a coin flip;
    - the discriminator's loss has collapsed below `collapse_below` for
      `patience` epochs: it wins outright and the generator gets no gradient.

    It reports each (once per episode), records it in `events`, and can stop
    training. With `best_monitor` it also keeps the generator weights of the
    best epoch by that log (e.g. `"val_fd"`, `mode="min"`) and restores them
    when training ends, so you keep the best generator, not the last. With
    a moving average of the generator (`GAN.enable_ema`), which is what
    `generate` and the validation metrics use, it keeps and restores the
    average's weights of that epoch as well.

    Args:
        patience: consecutive epochs a sign must persist.
        tolerance: half-width of the band around 0.5 for `d_accuracy`.
        collapse_below: `d_loss` under which the loss counts as collapsed.
        stop_training: stop when a sign is reported.
        best_monitor: log that ranks epochs for `restore_best`; `None` keeps
            no weights.
        mode: `"min"` or `"max"` for `best_monitor` (required with it: GAN
            logs have no conventional direction).
        verbose: print the reports.

    Example:

    ```python
    monitor = keras_gan.callbacks.ConvergenceMonitor(
        patience=3, best_monitor="val_fd", mode="min")
    gan.fit(train, validation_data=val, epochs=50, callbacks=[monitor])
    ```
    """

    def __init__(
        self,
        patience=3,
        tolerance=0.05,
        collapse_below=1e-3,
        stop_training=False,
        best_monitor=None,
        mode=None,
        verbose=True,
    ):
        super().__init__()
        if best_monitor is not None and not isinstance(best_monitor, str):
            raise ValueError(
                "`best_monitor` must be a log name, such as 'val_fd'. "
                f"Received: best_monitor={best_monitor!r}"
            )
        if best_monitor is not None and mode not in ("min", "max"):
            raise ValueError(
                "With `best_monitor`, say whether lower or higher is better: "
                f"mode='min' or mode='max'. Received: mode={mode!r}"
            )
        self.patience = _checks.integer(patience, "patience")
        self.tolerance = _checks.number(tolerance, "tolerance")
        # Any finite threshold: a Wasserstein critic's loss goes negative.
        self.collapse_below = _checks.number(collapse_below, "collapse_below", minimum=-math.inf)
        self.stop = bool(stop_training)
        self.best_monitor = best_monitor
        self.mode = mode
        self.verbose = verbose
        self.events = []

    def get_config(self):
        return {
            "patience": self.patience,
            "tolerance": self.tolerance,
            "collapse_below": self.collapse_below,
            "stop_training": self.stop,
            "best_monitor": self.best_monitor,
            "mode": self.mode,
            "verbose": self.verbose,
        }

    def on_train_begin(self, logs=None):
        self._streaks = {"coin_flip": 0, "collapse": 0}
        self.best_value = None
        self.best_epoch = None
        self._best_weights = None
        self._logs_seen = set()

    def _report(self, epoch, kind, message):
        self.events.append((epoch, kind, message))
        if self.verbose:
            print(f"Epoch {epoch + 1}: {message}", flush=True)
        if self.stop:
            self.model.stop_training = True

    def _check(self, epoch, kind, sign, message):
        self._streaks[kind] = self._streaks[kind] + 1 if sign else 0
        if self._streaks[kind] == self.patience:
            self._report(epoch, kind, message)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        accuracy = logs.get("d_accuracy")
        if accuracy is not None:
            self._check(
                epoch,
                "coin_flip",
                abs(float(accuracy) - 0.5) <= self.tolerance,
                f"d_accuracy has sat within {self.tolerance} of 0.5 for {self.patience} "
                f"epochs (now {float(accuracy):.3f}): the discriminator's feedback is "
                "noise, and further training may degrade the generator.",
            )
        d_loss = logs.get("d_loss")
        if d_loss is not None:
            self._check(
                epoch,
                "collapse",
                float(d_loss) < self.collapse_below,
                f"d_loss has stayed below {self.collapse_below} for {self.patience} epochs "
                f"(now {float(d_loss):.3g}): the discriminator wins outright and the "
                "generator gets no useful gradient.",
            )
        if self.best_monitor is not None:
            self._logs_seen.update(logs)
        if self.best_monitor is not None and self.best_monitor in logs:
            value = float(logs[self.best_monitor])
            better = self.best_value is None or (
                value < self.best_value if self.mode == "min" else value > self.best_value
            )
            if better:
                self.best_value, self.best_epoch = value, epoch
                self._best_weights = [(net, net.get_weights()) for net in self._generators()]

    def _generators(self):
        """The generator and, when enabled, its moving average: the one
        `generate` and the validation metrics use (so the weights kept are
        those the monitored value was measured on)."""
        ema = getattr(self.model, "ema_generator", None)
        return [self.model.generator] + ([ema] if ema is not None else [])

    def on_train_end(self, logs=None):
        if (
            self.best_monitor is not None
            and self._logs_seen
            and (self.best_monitor not in self._logs_seen)
        ):  # a misspelt name would otherwise keep nothing without a word
            warnings.warn(
                f"ConvergenceMonitor was to keep the best generator by "
                f"{self.best_monitor!r}, which this run never logged, so the last one is "
                f"kept. Logged: {sorted(self._logs_seen)}",
                stacklevel=2,
            )
        if self._best_weights is not None:
            for net, weights in self._best_weights:
                net.set_weights(weights)
            if self.verbose:
                print(
                    f"Restored the generator of epoch {self.best_epoch + 1} "
                    f"({self.best_monitor}={self.best_value:.6g}).",
                    flush=True,
                )


@_names.register
class BackupAndRestore(_Configurable, keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` that survives a crash during a write.

    The same arguments and the same behaviour as Keras' callback: the
    training state (all weights, both optimizers, the noise state, the
    epoch) is backed up every epoch or every `save_freq` batches, and a
    `fit` restarted with the same callback resumes from the last backup.
    Keras' own writes its weights and its metadata in place, so a process
    killed during a write can leave a backup that no longer loads and a
    restart that crashes. This one writes each backup whole into a
    temporary folder, syncs it and renames it to `backup-<n>` (atomic), and
    only then removes backups older than the previous one. On restart it
    resumes from the newest complete backup; if that cannot be read, or its
    weights no longer match the SHA-256 recorded when they were written (a
    damaged disk: HDF5 has no checksum of its own), it warns, naming the
    file, sets that backup aside as `backup-<n>.unreadable` and resumes from
    the previous one.

    With an integer `save_freq`, a backup made on an epoch's last batch
    resumes at the next epoch, exactly. One made mid-epoch records the
    batches done, but Keras cannot start an epoch midway: the restarted
    `fit` runs that epoch from its first batch on the backed-up weights (as
    Keras' own callback does) and warns that those batches are trained on
    twice. Back up every epoch, or every multiple of the epoch's steps,
    for a resume identical to an uninterrupted run. In a
    multi-process JAX run (`keras.distribution.initialize`) process 0
    alone writes and removes backups, and every process resumes from them:
    give all processes the same `backup_dir` on a shared file system.

    Args:
        backup_dir: the folder of the backups, used by nothing else.
        save_freq: `"epoch"`, or back up every `save_freq` batches.
        double_checkpoint: accepted for compatibility with Keras' callback;
            the previous backup is always kept (it is the fallback).
        delete_checkpoint: remove the backups when `fit` completes, and
            `backup_dir` itself if nothing else is in it.

    Example:

    ```python
    gan.fit(dataset, epochs=100,
            callbacks=[keras_gan.callbacks.BackupAndRestore("runs/backup")])
    ```
    """

    #: Complete backups kept: the newest and its fallback.
    keep = 2

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__(
            backup_dir,
            save_freq=save_freq,
            double_checkpoint=double_checkpoint,
            delete_checkpoint=delete_checkpoint,
        )
        if save_freq != "epoch":
            save_freq = _checks.integer(save_freq, "save_freq")
            self.save_freq = save_freq
        self.backup_dir = _files.folder(backup_dir, "backup_dir")
        self.restored_from = None

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "double_checkpoint": self.double_checkpoint,
            "delete_checkpoint": self.delete_checkpoint,
        }

    def backups(self):
        """The complete backups, newest first, as `(number, folder)`."""
        found = []
        for entry in os.listdir(self.backup_dir) if os.path.isdir(self.backup_dir) else ():
            match = _BACKUP.match(entry)
            if match:
                found.append((int(match[1]), os.path.join(self.backup_dir, entry)))
        return sorted(found, reverse=True)

    def on_train_begin(self, logs=None):
        if backend.process_index() == 0:
            for leftover in _files.partial_leftovers(self.backup_dir):
                shutil.rmtree(leftover, ignore_errors=True)
        failures, unreadable = [], []
        for _, folder in self.backups():
            try:
                self._load_backup(folder)
            except Exception as err:  # unreadable: fall back to the previous one
                failures.append(f"{folder} ({type(err).__name__}: {err})")
                unreadable.append(folder)
                warnings.warn(
                    f"BackupAndRestore could not read the backup {folder}: {err}. "
                    "Resuming from the previous backup.",
                    stacklevel=2,
                )
                continue
            self.restored_from = folder
            self._set_aside(unreadable)
            return
        if failures:
            raise ValueError(
                "BackupAndRestore found backups but could read none of them. Received: "
                + "; ".join(failures)
            )

    def _set_aside(self, folders):
        """Renames the unreadable backups newer than the one resumed from to
        `backup-<n>.unreadable`: kept for a look, no longer counted among
        the backups kept (which would otherwise remove the good one)."""
        if backend.process_index() != 0:
            return
        for folder in folders:
            with contextlib.suppress(OSError):
                os.replace(folder, f"{folder}.unreadable")

    def _load_backup(self, folder):
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before "
                f"`fit()`. Received: an unbuilt model {self.model.name!r}"
            )
        weights = os.path.join(folder, _WEIGHTS)
        with open(os.path.join(folder, _METADATA)) as f:
            metadata = json.load(f)
        recorded = metadata.get("weights_sha256")
        found = None if recorded is None else _sha256(weights)
        if found != recorded:
            raise ValueError(
                f"the weights file {weights} is not the one written: its SHA-256 differs "
                f"from the one recorded with it. Received: {found}, recorded {recorded}"
            )
        self.model.load_weights(weights)
        epoch, batch = int(metadata["epoch"]), int(metadata.get("batch", 0))
        self.model._initial_epoch = epoch
        if batch:
            warnings.warn(
                f"BackupAndRestore resumes from a backup made after batch {batch} of epoch "
                f"{epoch + 1} ({folder}): Keras starts an epoch at its first batch, so "
                f"those {batch} batches are trained on again. Back up every epoch "
                "(save_freq='epoch'), or every multiple of the epoch's steps, for a "
                f"resume identical to an uninterrupted run. Received: save_freq="
                f"{self.save_freq!r}",
                stacklevel=3,
            )

    def on_epoch_begin(self, epoch, logs=None):
        # Keras' callback counts epochs from its own epoch ends only, so the
        # mid-epoch backups of a resumed run would record epoch 0.
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not self._should_save_on_batch(batch):
            return
        steps = self.params.get("steps") if self.params else None
        if steps and batch + 1 >= steps:  # the epoch's last batch: a whole epoch
            self._save_model(epoch=self._current_epoch + 1, batch=0)
        else:
            self._save_model(batch=batch + 1)

    def _save_model(self, epoch=None, batch=0):
        """Writes a backup: the next `fit` starts at `epoch` (by default the
        one after the last that ended), `batch` batches of it already done."""
        if backend.process_index() != 0:
            return  # process 0 writes for all (the state is replicated)
        epoch = self._current_epoch if epoch is None else epoch
        numbers = [number for number, _ in self.backups()]
        number = (numbers[0] + 1) if numbers else 0
        final = os.path.join(self.backup_dir, f"backup-{number:09d}")
        with _files.atomic_folder(final) as folder, backend.process_local_state(self.model):
            # Straight into the temporary folder (the folder itself is the
            # unit made atomic): Keras' save, not the GAN's atomic one.
            weights = os.path.join(folder, _WEIGHTS)
            keras.Model.save_weights(self.model, weights)
            metadata = {"epoch": epoch, "batch": batch, "weights_sha256": _sha256(weights)}
            with open(os.path.join(folder, _METADATA), "w") as f:
                json.dump(metadata, f)
        for _, older in self.backups()[self.keep :]:
            shutil.rmtree(older, ignore_errors=True)

    def on_train_end(self, logs=None):
        if not (
            self.delete_checkpoint
            and backend.process_index() == 0
            and os.path.isdir(self.backup_dir)
        ):
            return
        # Its own backups only: anything else a user put in the folder stays
        # (Keras' callback removes the whole folder).
        for entry in os.listdir(self.backup_dir):
            if _BACKUP.match(entry) or _UNREADABLE.match(entry):
                shutil.rmtree(os.path.join(self.backup_dir, entry), ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if nothing else is left


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_BACKUP = re.compile(r"^backup-(\d+)$")
_UNREADABLE = re.compile(r"^backup-(\d+)\.unreadable$")
_WEIGHTS = "model.weights.h5"
_METADATA = "training_metadata.json"
