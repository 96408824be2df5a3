"""Penalties against closed forms: a linear critic has the constant input
gradient w, so R1 = weight/2 * |w|^2 and WGAN-GP = weight * (|w| - 1)^2."""

import keras
import numpy as np
import pytest

from keras_gan import penalties


def linear_critic(w):
    critic = keras.Sequential([keras.Input((len(w),)), keras.layers.Dense(1)])
    critic.layers[0].set_weights([np.array(w, "float32")[:, None], np.zeros(1, "float32")])
    return lambda x: keras.ops.reshape(critic(x), (-1,))


REAL = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
FAKE = np.random.default_rng(1).normal(size=(6, 3)).astype("float32")
W = [0.5, -2.0, 1.0]
NORM = float(np.linalg.norm(W))


def test_r1_closed_form():
    value = penalties.R1(3.0)(linear_critic(W), REAL, FAKE, keras.random.SeedGenerator(0))
    assert float(value) == pytest.approx(3.0 / 2 * NORM**2, rel=1e-5)


def test_gradient_penalty_closed_form():
    gp = penalties.GradientPenalty(10.0)
    value = gp(linear_critic(W), REAL, FAKE, keras.random.SeedGenerator(0))
    assert float(value) == pytest.approx(10.0 * (NORM - 1) ** 2, rel=1e-5)


def test_one_sided_gradient_penalty_ignores_small_gradients():
    small = [0.1, 0.2, -0.1]
    two_sided = penalties.GradientPenalty(10.0)
    one_sided = penalties.GradientPenalty(10.0, one_sided=True)
    seed = keras.random.SeedGenerator(0)
    assert float(two_sided(linear_critic(small), REAL, FAKE, seed)) > 0
    assert float(one_sided(linear_critic(small), REAL, FAKE, seed)) == 0.0
    assert float(one_sided(linear_critic(W), REAL, FAKE, seed)) == pytest.approx(
        10.0 * (NORM - 1) ** 2, rel=1e-5
    )


def test_gradient_penalty_interpolates_per_example():
    # A quadratic critic's gradient depends on where x_hat lies, so the
    # penalty uses eps ~ U[0, 1] per example from the given seed generator.
    def critic(x):
        return keras.ops.sum(keras.ops.square(x), axis=1)

    gp = penalties.GradientPenalty(1.0)
    value = float(gp(critic, REAL, FAKE, keras.random.SeedGenerator(5)))
    eps = keras.ops.convert_to_numpy(
        keras.random.uniform((6, 1), seed=keras.random.SeedGenerator(5))
    )
    x_hat = eps * REAL + (1 - eps) * FAKE
    norms = np.linalg.norm(2 * x_hat, axis=1)
    assert value == pytest.approx(np.mean((norms - 1) ** 2), rel=1e-5)
    assert len(np.unique(eps)) == 6


def test_lazy_r1_applies_every_interval_scaled():
    r1 = penalties.R1(1.0, interval=4)
    seed = keras.random.SeedGenerator(0)
    values = [float(r1(linear_critic(W), REAL, FAKE, seed, step=s)) for s in range(8)]
    assert values[0] == pytest.approx(4 * 0.5 * NORM**2, rel=1e-5)
    assert values[4] == pytest.approx(values[0])
    assert values[1:4] == [0.0, 0.0, 0.0]


def test_lazy_r1_in_training_logs_only_on_its_steps():
    import keras_gan

    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile("sgd", "sgd", d_penalty=penalties.R1(1.0, interval=2), d_steps=2)
    w0 = discriminator.layers[0].get_weights()[0][:, 0]
    history = gan.fit(REAL, batch_size=6, epochs=1, verbose=0)
    # Two D updates: the first (step 0, weights w0) carries 2 * R1, the second
    # none; the log is their mean.
    assert history.history["r1"][0] == pytest.approx(0.5 * (2 * 0.5 * np.sum(w0**2)), rel=1e-5)


def test_get():
    assert penalties.get(None) is None
    gp = penalties.get("gp")
    assert isinstance(gp, penalties.GradientPenalty) and gp.weight == 10.0
    assert isinstance(penalties.get("GradientPenalty"), penalties.GradientPenalty)
    assert isinstance(penalties.get("R1"), penalties.R1)
    assert penalties.get(gp) is gp
    assert penalties.get(penalties.serialize(gp)).get_config() == gp.get_config()
    assert penalties.get_list(None) == [] and penalties.get_list(gp) == [gp]
    assert penalties.get_list([None, gp]) == [gp]
    with pytest.raises(ValueError, match="cannot hold a list"):
        penalties.get_list([gp, [penalties.R1(1.0)]])
    both = penalties.get([penalties.R1(1.0), "gp"])
    assert [p.name for p in both] == ["r1", "gp"]
    with pytest.raises(ValueError, match="own name"):
        penalties.get([penalties.R1(1.0), penalties.R1(2.0)])
    with pytest.raises(ValueError, match="Received: d_penalty='l2'"):
        penalties.get("l2")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weight": -1.0},
        {"weight": float("nan")},
        {"weight": "a"},
        {"weight": 1.0, "interval": 0},
        {"weight": 1.0, "interval": 1.5},
    ],
)
def test_bad_arguments(kwargs):
    """Each names the argument and the value as given (not a bare float()
    error, nor a NaN weight accepted)."""
    name, value = list(kwargs.items())[-1]
    for penalty in (penalties.R1, penalties.GradientPenalty):
        with pytest.raises(ValueError, match=f"Received: {name}={value!r}"):
            penalty(**kwargs)


@pytest.mark.parametrize(
    "penalty",
    [
        penalties.GradientPenalty(5.0, target=0.5, one_sided=True, interval=2, name="gp_x"),
        penalties.R1(0.1, interval=16),
    ],
)
def test_serialize_round_trip(penalty):
    restored = penalties.deserialize(penalties.serialize(penalty))
    assert type(restored) is type(penalty)
    assert restored.get_config() == penalty.get_config()
