"""Each example runs, in a smoke mode, as a user would run it."""

import math
import pathlib

import keras
import numpy as np
import pytest

from tests.scripts import load_script

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load(name):
    return load_script("examples", name)


@pytest.mark.slow
def test_quickstart_ring(tmp_path):
    scores = load("quickstart_ring").main(epochs=1, out=str(tmp_path))
    assert scores["num_modes"] == 8
    assert (tmp_path / "samples.png").stat().st_size > 0


def _png(path):
    """Asserts `path` is a non-empty PNG file."""
    path = pathlib.Path(path)
    assert path.stat().st_size > 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_wgan_weight_clipping(tmp_path):
    result = load("wgan_weight_clipping").main(epochs=1, out=str(tmp_path))
    assert result["num_modes"] == 8
    assert 0 <= result["modes"] <= 8 and 0.0 <= result["high_quality"] <= 1.0
    assert pathlib.Path(result["picture"]) == tmp_path / "samples.png"
    _png(result["picture"])
    _png(result["critic_loss_picture"])
    logs = result["final_logs"]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs)
    assert "d_accuracy" not in logs  # a critic has no decision threshold
    assert abs(logs["d_loss"] - (logs["d_fake"] - logs["d_real"])) < 1e-4
    gan = result["gan"]
    assert gan.d_steps == 5 and gan.loss_fn.name == "wasserstein"
    for weight in gan.discriminator.trainable_weights:  # clipped after every update
        assert float(np.abs(weight.numpy()).max()) <= 0.01 + 1e-7


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="make test time: on JAX the image recipe trains in test_conditional_digits "
    "(the same recipe, conditioned), and SampleGrid's per-epoch grids on every backend in "
    "callbacks_test",
)
def test_dcgan_digits(tmp_path):
    result = load("dcgan_digits").main(epochs=2, out=str(tmp_path), every=1)
    assert set(result["final_logs"]) >= {"d_loss", "g_loss", "d_accuracy", "r1"}
    assert all(math.isfinite(v) for v in result["final_logs"].values())
    assert tuple(result["samples_shape"]) == (64, 8, 8, 1)
    assert pathlib.Path(result["picture"]) == tmp_path / "samples.png"
    _png(result["picture"])
    # SampleGrid wrote one grid per epoch.
    assert [pathlib.Path(p).name for p in result["progress"]] == [
        "samples_epoch_0001.png",
        "samples_epoch_0002.png",
    ]
    for path in result["progress"]:
        _png(path)


@pytest.mark.slow
def test_conditional_digits(tmp_path):
    result = load("conditional_digits").main(epochs=1, out=str(tmp_path))
    assert 0.0 <= result["label_agreement"] <= 1.0
    assert sorted(result["per_label_agreement"]) == list(range(10))
    # The GAN trains on the "gan" part of digits_split, the judge on the disjoint
    # "classifier" part, and is scored on the held-out "reference" part.
    assert (result["training_images"], result["classifier_images"]) == (797, 600)
    assert result["classifier_accuracy"] > 0.9
    assert tuple(result["grid_shape"]) == (100, 8, 8, 1)
    assert pathlib.Path(result["picture"]) == tmp_path / "samples.png"
    _png(result["picture"])
    # One row per label: 10 tiles of 8x8 (1-pixel padding) across and down, x6.
    from PIL import Image

    with Image.open(result["picture"]) as picture:
        assert picture.size == (6 * (10 * 9 + 1), 6 * (10 * 9 + 1))


@pytest.mark.slow
def test_tfds_mnist_on_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    # mock_data replaces tfds' download and reading: 96 random 28x28 images.
    with tfds.testing.mock_data(num_examples=96):
        result = load("tfds_mnist").main(
            epochs=1, steps_per_epoch=None, out=str(tmp_path), batch_size=32
        )
    # One epoch is one pass over the mock's 96 images: 3 batches of 32 (the
    # real MNIST would be 1,875).
    assert result["steps"] == 3
    assert tuple(result["real_batch_shape"]) == (32, 28, 28, 1)
    assert tuple(result["samples_shape"]) == (64, 28, 28, 1)
    assert {"d_loss", "g_loss", "d_accuracy"} <= set(result["final_logs"])
    _png(result["picture"])
    _png(result["real_picture"])


@pytest.mark.slow
def test_tfds_mnist_steps_per_epoch_repeats_the_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=64):
        result = load("tfds_mnist").main(
            epochs=2, steps_per_epoch=3, out=str(tmp_path), batch_size=32
        )
    # 2 batches of mock data, repeated: 2 epochs of 3 steps.
    assert result["steps"] == 6


@pytest.mark.slow
def test_custom_loss_round_trips(tmp_path):
    module = load("custom_loss")
    # Targets other than the defaults, so that the round trip must carry them.
    result = module.main(epochs=1, out=str(tmp_path), a=-0.5, b=1.0, c=0.5)
    assert result["num_modes"] == 8
    _png(result["picture"])
    assert pathlib.Path(result["saved"]).stat().st_size > 0
    assert type(result["reloaded_loss"]) is module.GeneralLeastSquares
    assert result["reloaded_loss_config"] == result["loss_config"]
    assert (result["loss_config"]["a"], result["loss_config"]["c"]) == (-0.5, 0.5)
    assert result["reloaded_same_samples"]
    assert {"d_loss", "g_loss", "d_accuracy", "r1"} <= set(result["final_logs"])


def test_custom_loss_values():
    module = load("custom_loss")
    loss = module.GeneralLeastSquares(a=-1.0, b=1.0, c=0.0)
    real, fake = np.array([1.0, 3.0]), np.array([-1.0, 1.0])
    # 1/2 mean((real - 1)^2) + 1/2 mean((fake + 1)^2) = 1/2 * 2 + 1/2 * 2
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(2.0)
    # 1/2 mean((fake - 0)^2) = 1/2 * 1
    assert float(loss.generator_loss(fake)) == pytest.approx(0.5)
    assert loss.decision_threshold == 0.0
    with pytest.raises(ValueError, match="must exceed"):
        module.GeneralLeastSquares(a=1.0, b=1.0)
    # a=0, b=1, c=1 is the library's own least-squares loss.
    import keras_gan

    builtin, custom = keras_gan.losses.get("least_squares"), module.GeneralLeastSquares(0, 1, 1)
    assert float(custom.discriminator_loss(real, fake)) == pytest.approx(
        float(builtin.discriminator_loss(real, fake))
    )
    assert float(custom.generator_loss(fake)) == pytest.approx(float(builtin.generator_loss(fake)))
