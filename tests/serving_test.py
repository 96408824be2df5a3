"""Generator export: a SavedModel that a fresh process loads without keras_gan."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gan
from tests.conditional_test import CLASSES, conditional_models

FRESH_PROCESS = r"""
import json, sys
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
args = json.loads(sys.argv[2])
out = {"signatures": sorted(loaded.signatures.keys())}
serve = loaded.signatures["serving_default"]
inputs = {"z": tf.constant(np.array(args["z"], dtype="float32"))}
if "labels" in args:
    inputs["labels"] = tf.constant(np.array(args["labels"], dtype="int32"))
out["serve"] = serve(**inputs)["samples"].numpy().tolist()
sample_inputs = {"n": tf.constant(args["n"], tf.int32), "seed": tf.constant(args["seed"], tf.int64)}
if "labels" in args:
    sample_inputs["labels"] = tf.constant(np.array(args["sample_labels"], dtype="int32"))
out["sample"] = loaded.signatures["sample"](**sample_inputs)["samples"].numpy().tolist()
out["sample_again"] = loaded.signatures["sample"](**sample_inputs)["samples"].numpy().tolist()
out["imported"] = sorted(m for m in sys.modules if m.split(".")[0] in ("keras_gan", "keras"))
print("RESULT" + json.dumps(out))
"""


def run_fresh(path, args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(path), json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def trained_gan():
    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(latent_dim=8, image_size=8, width=8),
        keras_gan.models.dcgan_discriminator(image_size=8, width=8),
        seed=0,
    )
    gan.compile("adam", "adam")
    gan.fit(keras_gan.data.digits(return_labels=False)[:64], batch_size=32, epochs=1, verbose=0)
    return gan


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
@pytest.mark.slow
def test_exported_generator_loads_in_a_fresh_process_without_keras_gan(tmp_path):
    gan = trained_gan()
    path = gan.export_generator(tmp_path / "generator")
    z = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    out = run_fresh(path, {"z": z.tolist(), "n": 5, "seed": 7})
    assert out["signatures"] == ["sample", "serving_default"]
    assert not [m for m in out["imported"] if m.startswith("keras_gan")]
    np.testing.assert_allclose(out["serve"], gan.generator(z, training=False), atol=1e-5)
    np.testing.assert_allclose(out["sample"], gan.generate(5, seed=7), atol=1e-5)
    assert out["sample"] == out["sample_again"]  # deterministic
    assert np.asarray(out["sample"]).shape == (5, 8, 8, 1)


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
@pytest.mark.slow
def test_conditional_export(tmp_path):
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)
    path = gan.export_generator(tmp_path / "cgen")
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    out = run_fresh(
        path, {"z": z.tolist(), "labels": [0, 1, 2], "n": 3, "seed": 2, "sample_labels": [2, 2, 1]}
    )
    expected = gan.generator([z, np.array([0, 1, 2], "int32")], training=False)
    np.testing.assert_allclose(out["serve"], expected, atol=1e-5)
    np.testing.assert_allclose(out["sample"], gan.generate(3, labels=[2, 2, 1], seed=2), atol=1e-5)

    # Labels that do not fit get an error naming the problem, not the
    # generator's ConcatOp / GatherV2 error.
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    sample, serve = loaded.signatures["sample"], loaded.signatures["serving_default"]
    n, seed = tf.constant(3), tf.constant(0, tf.int64)
    invalid = tf.errors.InvalidArgumentError
    with pytest.raises(invalid, match="one label per sample, as many as `n`"):
        sample(n=n, seed=seed, labels=tf.constant([1, 2]))
    with pytest.raises(invalid, match="as many as the rows of `z`"):
        serve(z=tf.constant(z), labels=tf.constant([0, 1]))
    for bad in ([0, 1, CLASSES], [0, -1, 1]):
        with pytest.raises(invalid, match=rf"class indices in \[0, {CLASSES}\)"):
            sample(n=n, seed=seed, labels=tf.constant(bad))


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
def test_uniform_latent_sample_matches_generate(tmp_path):
    import tensorflow as tf

    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = keras_gan.GAN(generator, discriminator, latent_distribution="uniform")
    loaded = tf.saved_model.load(str(gan.export_generator(tmp_path / "u")))
    samples = loaded.signatures["sample"](n=tf.constant(4), seed=tf.constant(3, tf.int64))
    np.testing.assert_allclose(samples["samples"].numpy(), gan.generate(4, seed=3), atol=1e-6)


def test_unknown_format():
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = keras_gan.GAN(generator, discriminator)
    with pytest.raises(ValueError, match="format='onnx'"):
        gan.export_generator("/tmp/never", format="onnx")


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
@pytest.mark.slow
def test_saved_model_cli_runs_the_sample_signature(tmp_path):
    import shutil

    gan = trained_gan()
    path = gan.export_generator(tmp_path / "generator")
    cli = shutil.which("saved_model_cli") or os.path.join(
        os.path.dirname(sys.executable), "saved_model_cli"
    )
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [
            cli,
            "run",
            "--dir",
            str(path),
            "--tag_set",
            "serve",
            "--signature_def",
            "sample",
            "--input_exprs",
            "n=3;seed=7",
            "--outdir",
            str(out_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    samples = np.load(out_dir / "samples.npy")
    np.testing.assert_allclose(samples, gan.generate(3, seed=7), atol=1e-5)


def test_generator_saves_alone_for_keras_users(tmp_path):
    gan = trained_gan()
    gan.generator.save(tmp_path / "generator.keras")
    generator = keras.saving.load_model(tmp_path / "generator.keras")
    z = keras.ops.convert_to_numpy(gan.sample_latent(2, seed=0))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(z)),
        keras.ops.convert_to_numpy(gan.generator(z)),
        atol=1e-6,
    )


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow", reason="the export of the other backends"
)
def test_export_on_another_backend_runs_on_tensorflow(tmp_path):
    """Through a .keras file and a TensorFlow subprocess (`keras-gan export`)."""
    import tensorflow as tf

    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    gan = keras_gan.GAN(generator, discriminator, latent_distribution="uniform", seed=0)
    path = gan.export_generator(tmp_path / "generator")
    assert path == str(tmp_path / "generator")
    loaded = tf.saved_model.load(path)
    z = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(
        loaded.signatures["serving_default"](z=tf.constant(z))["samples"].numpy(),
        keras.ops.convert_to_numpy(gan.generator(z)),
        atol=1e-6,
    )
    sample = loaded.signatures["sample"]
    first = sample(n=tf.constant(4), seed=tf.constant(3, tf.int64))["samples"].numpy()
    again = sample(n=tf.constant(4), seed=tf.constant(3, tf.int64))["samples"].numpy()
    assert first.shape == (4, 2) and np.array_equal(first, again)
