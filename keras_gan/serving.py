"""Exporting a trained generator as a TensorFlow SavedModel.

The SavedModel holds the generator alone and two signatures:

- `serving_default(z[, labels]) -> {"samples"}`: the generator on given latent
  vectors (and labels for a conditional model), in inference mode.
- `sample(n, seed[, labels]) -> {"samples"}`: `n` samples from latent noise
  drawn deterministically from `seed`, the same noise `gan.generate(n, seed)`
  draws on TensorFlow, so both give the same samples there. (On JAX and
  PyTorch `generate` draws with that backend's random generator; the
  SavedModel, a TensorFlow artifact, always draws TensorFlow's.)

On JAX and PyTorch the export runs on TensorFlow in a subprocess, through a
`.keras` file of the GAN (backend-neutral): a network with custom layers
exports when their module registers them on import (as `load_model` needs).

It loads with `tf.saved_model.load(path)` in a process that never imports
keras_gan (TensorFlow itself may import Keras; nothing of the library is
needed), runs under `saved_model_cli run`, and is what
`keras-gan serve` and TensorFlow Serving read.
"""

import json
import os
import subprocess
import sys
import tempfile
import warnings

import keras

from keras_gan import _checks, _files, saving

tf = _checks.require("tensorflow")
from keras_gan.backend import tensorflow as tf_plumbing  # noqa: E402


def _seed_pair(seed):
    # The pair keras.random derives from an integer seed on TensorFlow:
    # [seed, 0] as int64, folded into int32 (keras' `_cast_seed`).
    pair = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.cast(tf.math.floormod(pair, tf.int32.max - 1), tf.int32)


def _latent(distribution, shape, seed):
    seed = _seed_pair(seed)
    if distribution == "normal":
        return tf.random.stateless_normal(shape, seed=seed, dtype=keras.config.floatx())
    if distribution == "uniform":
        return tf.random.stateless_uniform(
            shape, seed=seed, minval=-1.0, maxval=1.0, dtype=keras.config.floatx()
        )
    raise ValueError(f"Unknown latent distribution: {distribution!r}")


def _checked_labels(labels, count, what, num_classes):
    """`labels` after in-graph checks that there are `count` of them, one
    per sample, and that each is in `[0, num_classes)`: the error names the
    problem (the generator's embedding lookup would fail without a word on
    the CPU and clamp on other devices)."""
    one_per_sample = tf.debugging.assert_equal(
        tf.shape(labels, out_type=tf.int32)[0],
        tf.cast(count, tf.int32),
        message=f"`labels` must hold one label per sample, as many as {what}",
    )
    return tf_plumbing.labels_checked(labels, num_classes, "`labels`", checks=[one_per_sample])


# What a folder holds when it is a SavedModel, and so may be replaced by one.
_SAVED_MODEL = "saved_model.pb"


def export_generator(gan, path, format="tf_saved_model"):
    """Writes `gan`'s generator as a SavedModel (see the module docstring).

    Args:
        gan: a `keras_gan.GAN` or `keras_gan.ConditionalGAN`.
        path: the SavedModel folder to write.
        format: `"tf_saved_model"`, the only format so far.

    Returns:
        `path`.
    """
    if format != "tf_saved_model":
        raise ValueError(
            f"Unknown export format; the known one is 'tf_saved_model'. Received: format={format!r}"
        )
    _files.check_replaceable(os.path.abspath(os.fspath(path)), _SAVED_MODEL)
    if keras.backend.backend() != "tensorflow":
        with tempfile.TemporaryDirectory(prefix="keras_gan_export_") as folder:
            run = os.path.join(folder, "gan.keras")
            gan.save(run)
            return export_saved([(run, path)])[0]
    generator = gan.sampling_generator
    latent_dim = gan.latent_dim
    distribution = gan.latent_distribution
    conditional = hasattr(gan, "num_classes")
    z_spec = tf.TensorSpec([None, latent_dim], keras.config.floatx(), name="z")
    n_spec = tf.TensorSpec([], tf.int32, name="n")
    seed_spec = tf.TensorSpec([], tf.int64, name="seed")
    labels_spec = tf.TensorSpec([None], tf.int32, name="labels")

    with_sample = distribution in ("normal", "uniform")
    if not with_sample:
        warnings.warn(
            "The `sample` signature draws its noise inside the SavedModel, for "
            "latent_distribution='normal' or 'uniform'; a callable distribution is "
            "exported with `serving_default` only. "
            f"Received: latent_distribution={distribution!r}",
            stacklevel=2,
        )

    archive = keras.export.ExportArchive()
    archive.track(generator)
    if conditional:
        num_classes = int(gan.num_classes)

        def serve(z, labels):
            labels = _checked_labels(labels, tf.shape(z)[0], "the rows of `z`", num_classes)
            return {"samples": generator([z, labels], training=False)}

        def sample(n, seed, labels):
            labels = _checked_labels(labels, n, "`n`", num_classes)
            z = _latent(distribution, tf.stack([n, latent_dim]), seed)
            return {"samples": generator([z, labels], training=False)}

        archive.add_endpoint("serving_default", serve, input_signature=[z_spec, labels_spec])
        if with_sample:
            archive.add_endpoint("sample", sample, input_signature=[n_spec, seed_spec, labels_spec])
    else:

        def serve(z):
            return {"samples": generator(z, training=False)}

        def sample(n, seed):
            z = _latent(distribution, tf.stack([n, latent_dim]), seed)
            return {"samples": generator(z, training=False)}

        archive.add_endpoint("serving_default", serve, input_signature=[z_spec])
        if with_sample:
            archive.add_endpoint("sample", sample, input_signature=[n_spec, seed_spec])
    shape = _checks.model_shape(generator)
    metadata = {
        "latent_dim": int(latent_dim),
        "num_classes": int(gan.num_classes) if conditional else None,
        "latent_distribution": distribution if with_sample else "custom",
        "sample_shape": list(shape[1:]) if _checks.static_size(shape) else None,
    }
    shares = getattr(gan, "cluster_shares", None)
    if shares is not None:  # a SelfConditionedGAN: its labels are clusters
        metadata["cluster_shares"] = [float(v) for v in keras.ops.convert_to_numpy(shares)]
    # Built whole in a temporary folder, then moved into place.
    with _files.atomic_folder(path, holds=_SAVED_MODEL) as folder:
        archive.write_out(folder, verbose=False)
        # assets.extra is the SavedModel folder for files that serving
        # systems (TensorFlow Serving included) carry along but do not read.
        target = os.path.join(folder, METADATA_FILE)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            json.dump(metadata, f, indent=2)
    return path


METADATA_FILE = os.path.join("assets.extra", "keras_gan.json")


def export_saved(pairs):
    """Exports the generator of each saved GAN `run` (a .keras file) as the
    SavedModel folder `out`, for each `(run, out)` pair, on TensorFlow
    whatever this process's Keras backend: the SavedModel is a TensorFlow
    artifact and the .keras file is backend-neutral, so on JAX or PyTorch
    one TensorFlow subprocess (`python -m keras_gan.serving`) exports them
    all. A network with custom layers exports when their module registers
    them on import (as `load_model` needs).

    Returns:
        The `out` folders, in order.
    """
    pairs = [(os.fspath(run), os.fspath(out)) for run, out in pairs]
    for run, out in pairs:  # before any loading: nothing is replaced by mistake
        saving.check_archive(run)  # here, not only in the subprocess: its error names the file
        _files.check_replaceable(os.path.abspath(out), _SAVED_MODEL)
    if keras.backend.backend() == "tensorflow":
        exported = []
        for run, out in pairs:
            gan = keras.saving.load_model(run)  # its archive was checked above
            if not hasattr(gan, "export_generator"):
                raise ValueError(
                    "Only a saved keras_gan GAN exports its generator. Received: "
                    f"{run} holding a {type(gan).__name__} ({gan.name!r})"
                )
            exported.append(gan.export_generator(out))
        return exported
    command = [sys.executable, "-m", "keras_gan.serving"]
    done = subprocess.run(
        command + [path for pair in pairs for path in pair],
        env=dict(os.environ, KERAS_BACKEND="tensorflow"),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        runs = ", ".join(run for run, _ in pairs)
        raise RuntimeError(
            f"Exporting {runs} on the TensorFlow backend failed:\n{done.stderr[-3000:]}"
        )
    return [out for _, out in pairs]


if __name__ == "__main__":  # the subprocess of `export_saved`: RUN OUT [RUN OUT ...]
    # `python -m keras_gan.serving` imported the keras_gan package first,
    # which registers every class a saved GAN names.
    for exported in export_saved(zip(sys.argv[1::2], sys.argv[2::2], strict=True)):
        print(exported)
