"""GANs saved by an earlier keras_gan still load and resume.

The fixtures (`tests/fixtures/*_a2ee045.keras`) were written on TensorFlow
by the code of commit a2ee045, before the package's modules moved
(`tests/fixtures/make_saved_gans.py`). Loading one must restore the
networks, both optimizers, the compile settings and the noise state, so that
training on the same batches reaches the weights of the uninterrupted run.
"""

import os

import keras
import numpy as np
import pytest

import keras_gan
from tests.fixtures import make_saved_gans
from tests.saving_test import graphs_as_traced  # noqa: F401  (autouse: as the fixtures were made)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@pytest.mark.parametrize("name,conditional", [("gan", False), ("conditional_gan", True)])
def test_a_gan_saved_before_the_move_loads_and_resumes(name, conditional):
    path = os.path.join(HERE, f"{name}_{make_saved_gans.TAG}.keras")
    gan = keras_gan.saving.load_model(path)
    assert type(gan) is (keras_gan.ConditionalGAN if conditional else keras_gan.GAN)
    assert gan.d_steps == 2 and isinstance(gan.d_penalties[0], keras_gan.penalties.R1)
    assert int(gan.d_optimizer.iterations) == 8 and int(gan.g_optimizer.iterations) == 4
    if not conditional:
        assert gan.ema_generator is not None and gan.ema_half_life == 64.0
        assert [m.name for m in gan.eval_metrics] == ["fd"]
    make_saved_gans.fit(gan, make_saved_gans.batches(conditional), 4, 7)
    weights = [np.asarray(w) for w in gan.generator.weights + gan.discriminator.weights]
    assert all(np.isfinite(w).all() for w in weights)
    if keras.backend.backend() != "tensorflow":
        return  # the fixture's continuation was computed on TensorFlow
    with np.load(os.path.join(HERE, f"{name}_{make_saved_gans.TAG}_resume.npz")) as expected:
        wanted = [expected[f"arr_{i}"] for i in range(len(expected.files))]
    assert len(wanted) == len(weights)
    for got, want in zip(weights, wanted, strict=True):
        # Written on another machine's CPU: equal up to its float rounding.
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_documented_import_paths_of_moved_code_keep_working():
    """The benchmark protocols moved to `keras_gan.evaluation` and the GAN
    into the `keras_gan.gan` package; the paths the docs name still work."""
    from keras_gan import evaluation, metrics
    from keras_gan.gan import GAN, ConditionalGAN
    from keras_gan.metrics import features

    assert metrics.digits_scores is evaluation.digits_scores
    assert metrics.digits_baselines is evaluation.digits_baselines
    assert metrics.mixture_scores is evaluation.mixture_scores
    assert features.digits_classifier is evaluation.digits_classifier
    assert GAN is keras_gan.GAN and ConditionalGAN is keras_gan.ConditionalGAN
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        metrics.nothing  # noqa: B018
