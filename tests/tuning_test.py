"""KerasTuner end to end: a 2-trial RandomSearch on the ring, objective val_fd."""

import keras
import keras_tuner
import numpy as np
import pytest

import keras_gan
from keras_gan import data, tuning


def small_hypermodel():
    return tuning.GANHyperModel(
        generator=lambda: keras_gan.models.mlp_generator(4, 2, hidden_units=(32,)),
        discriminator=lambda: keras_gan.models.mlp_discriminator(2, hidden_units=(32,)),
        metrics=[keras_gan.metrics.FrechetDistance()],
        latent_dim=4,
        seed=0,
    )


def test_build_gan_reads_the_hyperparameters():
    hp = keras_tuner.HyperParameters()
    hp.Fixed("loss", "hinge")
    hp.Fixed("d_learning_rate", 1e-3)
    hp.Fixed("d_steps", 2)
    hp.Fixed("r1_weight", 0.5)
    gan = small_hypermodel().build(hp)
    assert isinstance(gan, keras_gan.GAN)
    assert gan.loss_fn.name == "hinge" and gan.d_steps == 2
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-3)
    (penalty,) = gan.d_penalties
    assert isinstance(penalty, keras_gan.penalties.R1) and penalty.weight == 0.5
    assert [m.name for m in gan.eval_metrics] == ["fd"]
    hp = keras_tuner.HyperParameters()
    hp.Fixed("loss", "wasserstein")
    gan = tuning.build_gan(
        hp,
        lambda: keras_gan.models.mlp_generator(4, 2, hidden_units=(8,)),
        lambda: keras_gan.models.mlp_discriminator(2, hidden_units=(8,)),
        losses=("wasserstein",),
        latent_dim=4,
    )
    assert isinstance(gan.d_penalties[0], keras_gan.penalties.GradientPenalty)


@pytest.mark.slow
def test_random_search_two_trials_and_reload_best(tmp_path):
    keras.utils.set_random_seed(0)
    train = data.from_numpy(data.ring(2048, seed=0), batch_size=256, seed=0)
    held_out = data.from_numpy(data.ring(512, seed=1), batch_size=256, shuffle=False)
    tuner = keras_tuner.RandomSearch(
        small_hypermodel(),
        objective=keras_tuner.Objective("val_fd", direction="min"),
        max_trials=2,
        seed=0,
        directory=str(tmp_path),
        project_name="ring",
    )
    tuner.search(train, validation_data=held_out, epochs=2, verbose=0)
    trials = tuner.oracle.get_best_trials(2)
    assert len(trials) == 2 and all(np.isfinite(t.score) for t in trials)
    assert trials[0].score <= trials[1].score
    assert trials[0].hyperparameters.values != trials[1].hyperparameters.values

    best = tuner.get_best_models(1)[0]
    assert isinstance(best, keras_gan.GAN)
    # The checkpoint's weights were loaded: not those of a freshly built model.
    fresh = tuner.hypermodel.build(trials[0].hyperparameters)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(best.generator.get_weights(), fresh.generator.get_weights(), strict=True)
    )
    scores = best.evaluate(held_out, verbose=0, return_dict=True)
    assert np.isfinite(scores["fd"])
    assert best.generate(8, seed=0).shape == (8, 2)


@pytest.mark.slow
@pytest.mark.tensorflow_only(
    "the example's script around the tuner; the tuner trains GANs on every backend in "
    "test_random_search_two_trials_and_reload_best"
)
def test_tune_ring_example(tmp_path):
    from tests.scripts import load_script

    tune_ring = load_script("examples", "tune_ring")
    result = tune_ring.main(trials=2, epochs=1, out=str(tmp_path), points=2048)
    assert result["trials"] == 2 and np.isfinite(result["best_score"])
    assert set(result["best_hyperparameters"]) >= {"loss", "d_learning_rate", "r1_weight"}
    assert (tmp_path / "best_samples.png").stat().st_size > 0
