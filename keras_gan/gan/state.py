"""What a saved GAN holds beyond Keras' defaults: the compile settings and
the random-number state (a mixin of `GAN`)."""

import os

import keras
import numpy as np

from keras_gan import _files, backend
from keras_gan.gan import optimizers

# The store key of PyTorch's global random-number state in a saved GAN.
GLOBAL_RNG_KEY = "torch_global_rng"


def backend_neutral(config):
    """A serialized object that every backend can deserialize.

    Keras' PyTorch optimizers are instances of backend subclasses
    (`keras.src.backend.torch.optimizers.torch_adam.Adam`) and serialize
    under that module, which TensorFlow or JAX cannot import: they are named
    by their public class in `keras.optimizers` instead.
    """
    if isinstance(config, list):
        return [backend_neutral(item) for item in config]
    if not isinstance(config, dict):
        return config
    config = {key: backend_neutral(value) for key, value in config.items()}
    module = config.get("module")
    if (
        isinstance(module, str)
        and module.startswith("keras.src.backend.")
        and hasattr(keras.optimizers, str(config.get("class_name")))
    ):
        config["module"] = "keras.optimizers"
    return config


def _atomically(filepath, overwrite):
    """Whether a save to `filepath` goes through `_files.atomic_path`: a
    local path, to be written (a file that exists and may not be
    overwritten is left to Keras, which asks)."""
    if not isinstance(filepath, (str, os.PathLike)) or "://" in os.fspath(filepath):
        return False
    return overwrite or not os.path.exists(filepath)


# The files `keras.Model.save` writes zipped (`.h5`: Keras' legacy format).
_MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")


class SavedState:
    """Saving and loading a GAN whole (a mixin of `GAN`): both optimizers
    and the settings of `compile` in the compile config, and the
    random-number state (the GAN's noise generator, the networks' dropout
    seeds, PyTorch's global state where a network draws from it) beside the
    weights, so a loaded GAN resumes exactly. `save` and `save_weights`
    (and so Keras' `ModelCheckpoint` and `BackupAndRestore`, which call
    them) write atomically: the file on disk is always the old complete one
    or the new complete one. In a multi-process JAX run either may be called
    by one process alone (process 0, say): it writes its own replica of the
    state (`backend.process_local_state`)."""

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """`keras.Model.save`, written to a temporary file (or, with
        `zipped=False`, folder) in the same folder, synced and moved over
        `filepath` (atomic on a local disk)."""
        with backend.process_local_state(self):
            if not _atomically(filepath, overwrite) or (
                zipped is not False and not os.fspath(filepath).endswith(_MODEL_EXTENSIONS)
            ):  # Keras' own errors name the path the user gave
                return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
            if zipped is False:  # a folder
                with _files.atomic_folder(filepath, holds="config.json") as temporary:
                    super().save(temporary, overwrite=True, zipped=False, **kwargs)
                return None
            with _files.atomic_path(filepath) as temporary:
                super().save(temporary, overwrite=True, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """`keras.Model.save_weights`, atomic as `save` is (sharded weights,
        several files, are written by Keras as they are)."""
        with backend.process_local_state(self):
            if (
                max_shard_size is not None
                or not _atomically(filepath, overwrite)
                or not os.fspath(filepath).endswith(".weights.h5")
            ):
                return super().save_weights(
                    filepath, overwrite=overwrite, max_shard_size=max_shard_size
                )
            with _files.atomic_path(filepath) as temporary:
                super().save_weights(temporary, overwrite=True)

    def get_compile_config(self):
        """Both optimizers (with their state saved beside the weights), the
        loss, step counts, constraint, penalties and metrics of `compile`."""
        if not getattr(self, "_gan_compile_config", None):
            return {}
        return {
            key: backend_neutral(keras.saving.serialize_keras_object(value))
            for key, value in self._gan_compile_config.items()
        }

    def compile_from_config(self, config):
        config = {
            key: keras.saving.deserialize_keras_object(value) for key, value in config.items()
        }
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = optimizers.unwrapped(config[key])
        self.compile(**config)

    def _rng_state_variables(self):
        """Random-number state (the GAN's noise generator first, then each
        network's dropout seeds), which Keras does not save by itself."""
        weight_ids = {id(w) for w in self.weights}
        return [v for v in self.variables if id(v) not in weight_ids]

    def _uses_global_rng(self):
        """Whether a layer of either network has a seed generator made
        without a seed: on PyTorch such a `Dropout` draws from torch's
        global random-number state (see `backend.global_rng_state`)."""
        return any(
            getattr(generator, "_initial_seed", 0) is None
            for net in (self.generator, self.discriminator)
            for layer in net._flatten_layers()
            for generator in getattr(layer, "_seed_generators", ())
        )

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for i, variable in enumerate(self._rng_state_variables()):
            store[f"rng_{i}"] = variable
        state = backend.global_rng_state() if self._uses_global_rng() else None
        if state is not None:
            store[GLOBAL_RNG_KEY] = state

    def load_own_variables(self, store):
        rng = self._rng_state_variables()
        keys = [f"rng_{i}" for i in range(len(rng))]
        if any(key not in store for key in keys):
            raise ValueError(
                "The saved GAN lacks the random-number state of its networks "
                f"(expected {len(rng)} entries: {keys}). "
                f"Received: keys={sorted(store.keys())}"
            )
        for key, variable in zip(keys, rng, strict=True):
            variable.assign(store[key])
        if GLOBAL_RNG_KEY in store:  # saved on PyTorch, for unseeded dropout
            backend.set_global_rng_state(np.asarray(store[GLOBAL_RNG_KEY]))
        own = {
            k: store[k] for k in store.keys() if not k.startswith("rng_") and k != GLOBAL_RNG_KEY
        }
        super().load_own_variables(own)
