"""The alternating trainer against an independent numpy computation, plus the
freezing semantics, logs, sampling and errors of API.md."""

import keras
import numpy as np
import pytest
from keras import layers
from keras.ops import convert_to_numpy as to_numpy

import keras_gan
from tests import reference as ref

LATENT, BATCH, LR, SEED = 3, 8, 0.1, 42
ON_TORCH = keras.backend.backend() == "torch"


def tiny_models():
    generator = keras.Sequential(
        [keras.Input((LATENT,)), layers.Dense(4, activation="tanh"), layers.Dense(2)],
        name="generator",
    )
    discriminator = keras.Sequential(
        [keras.Input((2,)), layers.Dense(4, activation="tanh"), layers.Dense(1)],
        name="discriminator",
    )
    return generator, discriminator


def weights64(model):
    return [np.asarray(w.numpy(), dtype=np.float64) for w in model.weights]


def real_batch():
    return np.random.default_rng(0).normal(size=(BATCH, 2)).astype("float32")


def reference_step(
    gen_p, disc_p, real, loss, *, d_steps=1, clip=None, penalty=None, label_smoothing=0.0
):
    """One train step in numpy: `d_steps` D updates (fresh noise each), then one
    G update through the updated D. Noise is drawn in the trainer's order from
    a SeedGenerator seeded like the GAN's."""
    d_loss_fn, g_loss_fn = ref.LOSSES[loss]
    t = 1.0 - label_smoothing
    seeds = keras.random.SeedGenerator(SEED)
    real = real.astype(np.float64)
    d_losses = []
    for _ in range(d_steps):
        z = to_numpy(keras.random.normal((BATCH, LATENT), seed=seeds)).astype(np.float64)
        fake = ref.mlp(gen_p, z)
        eps = None
        if penalty and penalty[0] == "gp":
            eps = to_numpy(keras.random.uniform((BATCH, 1), seed=seeds)).astype(np.float64)

        def d_objective(p, fake=fake, eps=eps):
            value = d_loss_fn(ref.mlp(p, real)[:, 0], ref.mlp(p, fake)[:, 0], t)
            if penalty and penalty[0] == "r1":
                g = ref.mlp_input_grad(p, real)
                value += penalty[1] / 2 * np.mean(np.sum(g**2, axis=1))
            if penalty and penalty[0] == "gp":
                x_hat = eps * real + (1 - eps) * fake
                norm = np.sqrt(np.sum(ref.mlp_input_grad(p, x_hat) ** 2, axis=1) + 1e-12)
                value += penalty[1] * np.mean((norm - 1.0) ** 2)
            return value

        d_losses.append(d_objective(disc_p))
        disc_p = ref.sgd(disc_p, ref.numeric_grad(d_objective, disc_p), LR)
        if clip is not None:
            disc_p = [np.clip(p, -clip, clip) for p in disc_p]
    z = to_numpy(keras.random.normal((BATCH, LATENT), seed=seeds)).astype(np.float64)

    def g_objective(p):
        return g_loss_fn(ref.mlp(disc_p, ref.mlp(p, z))[:, 0], ref.mlp(disc_p, real)[:, 0])

    g_loss = g_objective(gen_p)
    gen_p = ref.sgd(gen_p, ref.numeric_grad(g_objective, gen_p), LR)
    return gen_p, disc_p, float(np.mean(d_losses)), g_loss


def run_one_fit_step(loss, **compile_kwargs):
    generator, discriminator = tiny_models()
    gen0, disc0 = weights64(generator), weights64(discriminator)
    gan = keras_gan.GAN(generator, discriminator, seed=SEED)
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR), loss=loss, **compile_kwargs)
    history = gan.fit(real_batch(), batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return gan, gen0, disc0, history.history


def assert_close(actual, expected, atol=1e-5):
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, atol=atol, rtol=0)


@pytest.mark.parametrize("loss", sorted(ref.LOSSES))
def test_one_fit_step_matches_numpy(loss):
    gan, gen0, disc0, logs = run_one_fit_step(loss)
    gen1, disc1, d_loss, g_loss = reference_step(gen0, disc0, real_batch(), loss)
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)
    np.testing.assert_allclose(logs["d_loss"][0], d_loss, atol=1e-5)
    np.testing.assert_allclose(logs["g_loss"][0], g_loss, atol=1e-5)


@pytest.mark.parametrize("loss", ["non_saturating", "hinge"])
def test_one_fit_step_with_top_k_matches_numpy(loss, tmp_path):
    # Top-k training: the generator's gradient is the mean loss of the half
    # of its batch the (updated) discriminator scores highest; its logged
    # g_loss is still the whole batch's.
    gan, gen0, disc0, logs = run_one_fit_step(loss, top_k=0.5)
    _, disc1, _, g_loss = reference_step(gen0, disc0, real_batch(), loss)
    seeds = keras.random.SeedGenerator(SEED)
    keras.random.normal((BATCH, LATENT), seed=seeds)  # the discriminator's draw
    z = to_numpy(keras.random.normal((BATCH, LATENT), seed=seeds)).astype(np.float64)
    _, g_loss_fn = ref.LOSSES[loss]
    best = np.argsort(ref.mlp(disc1, ref.mlp(gen0, z))[:, 0])[-BATCH // 2 :]

    def kept_objective(p):
        return g_loss_fn(ref.mlp(disc1, ref.mlp(p, z[best]))[:, 0], None)

    gen1 = ref.sgd(gen0, ref.numeric_grad(kept_objective, gen0), LR)
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)
    np.testing.assert_allclose(logs["g_loss"][0], g_loss, atol=1e-5)
    assert gan.get_compile_config()["top_k"]["config"]["min_fraction"] == 0.5
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert repr(loaded.top_k) == "TopK(min_fraction=0.5, decay=None, decay_steps=1.0)"


@pytest.mark.parametrize("loss", ["minimax", "least_squares", "relativistic_average"])
def test_one_fit_step_with_label_smoothing_matches_numpy(loss):
    gan, gen0, disc0, _ = run_one_fit_step(keras_gan.losses.get(loss, label_smoothing=0.2))
    gen1, disc1, _, _ = reference_step(gen0, disc0, real_batch(), loss, label_smoothing=0.2)
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)


def test_two_discriminator_steps_match_numpy():
    gan, gen0, disc0, logs = run_one_fit_step("non_saturating", d_steps=2)
    gen1, disc1, d_loss, _ = reference_step(gen0, disc0, real_batch(), "non_saturating", d_steps=2)
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)
    np.testing.assert_allclose(logs["d_loss"][0], d_loss, atol=1e-5)
    assert int(gan.d_optimizer.iterations) == 2
    assert int(gan.g_optimizer.iterations) == 1


def test_weight_clipping_matches_numpy():
    clip = 0.2
    gan, gen0, disc0, _ = run_one_fit_step(
        "wasserstein", d_steps=2, d_constraint=keras_gan.constraints.WeightClip(clip)
    )
    gen1, disc1, _, _ = reference_step(
        gen0, disc0, real_batch(), "wasserstein", d_steps=2, clip=clip
    )
    # The clip is active: unclipped, the critic's weights would leave the box.
    _, unclipped, _, _ = reference_step(gen0, disc0, real_batch(), "wasserstein", d_steps=2)
    assert max(np.abs(w).max() for w in unclipped) > clip + 0.1
    assert max(np.abs(w).max() for w in weights64(gan.discriminator)) <= clip + 1e-7
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)


@pytest.mark.parametrize(
    "penalty, spec",
    [
        (keras_gan.penalties.R1(2.0), ("r1", 2.0)),
        (keras_gan.penalties.GradientPenalty(10.0), ("gp", 10.0)),
    ],
)
def test_penalties_match_numpy(penalty, spec):
    gan, gen0, disc0, logs = run_one_fit_step("wasserstein", d_penalty=penalty)
    gen1, disc1, d_loss, _ = reference_step(gen0, disc0, real_batch(), "wasserstein", penalty=spec)
    assert_close(weights64(gan.discriminator), disc1)
    assert_close(weights64(gan.generator), gen1)
    np.testing.assert_allclose(logs["d_loss"][0], d_loss, atol=1e-5)
    assert logs[spec[0]][0] > 0


# ------------------------------------------------------------------ freezing


def bn_models():
    # Seeded dropout: on PyTorch an unseeded Dropout draws from torch's global
    # RNG instead of its seed generator (Keras' fast path).
    generator = keras.Sequential(
        [
            keras.Input((LATENT,)),
            layers.Dense(8),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.3, seed=1),
            layers.Dense(2),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input((2,)),
            layers.Dense(8),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3, seed=2),
            layers.Dense(1),
        ]
    )
    return generator, discriminator


def snapshot(variables):
    return [np.array(v.numpy(), copy=True) for v in variables]


def changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True)]


@pytest.fixture
def bn_gan():
    generator, discriminator = bn_models()
    gan = keras_gan.GAN(generator, discriminator, seed=3)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2), loss="hinge")
    x = np.random.default_rng(1).normal(size=(64, 2)).astype("float32")
    gan.fit(x, batch_size=32, epochs=1, verbose=0)  # optimizer slots are non-zero now
    return gan, x[:32]


def bn_statistics(model):
    return [v for v in model.non_trainable_weights if "moving" in v.path]


def test_discriminator_phase_leaves_generator_bitwise_unchanged(bn_gan):
    gan, real = bn_gan
    frozen = gan.generator.weights + list(gan.g_optimizer.variables)
    before = snapshot(frozen)
    d_before = snapshot(gan.discriminator.weights)
    gan._discriminator_step(keras.ops.convert_to_tensor(real), None)
    assert not any(changed(before, frozen))
    assert len(bn_statistics(gan.generator)) == 2
    # ...while the discriminator's weights and BN statistics did move.
    d_moved = changed(d_before, gan.discriminator.weights)
    assert all(d_moved)


def test_generator_phase_leaves_discriminator_bitwise_unchanged(bn_gan):
    gan, real = bn_gan
    frozen = gan.discriminator.weights + list(gan.d_optimizer.variables)
    before = snapshot(frozen)
    g_before = snapshot(gan.generator.weights)
    weight_ids = {id(w) for w in gan.discriminator.weights}
    rng = [v for v in gan.discriminator.variables if id(v) not in weight_ids]
    rng_before = snapshot(rng)
    gan._generator_step(keras.ops.convert_to_tensor(real), None)
    assert not any(changed(before, frozen))
    assert all(changed(g_before, gan.generator.weights))
    # The frozen discriminator's dropout still draws fresh masks.
    assert rng and all(changed(rng_before, rng))


def test_fit_step_moves_each_network_only_through_its_own_optimizer(bn_gan):
    gan, real = bn_gan
    d_iters, g_iters = int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)
    gan.fit(real, batch_size=32, epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == d_iters + 1
    assert int(gan.g_optimizer.iterations) == g_iters + 1


@pytest.mark.parametrize("frozen_name", ["discriminator", "generator"])
def test_user_trainable_false_is_honoured(frozen_name):
    generator, discriminator = bn_models()
    frozen = {"generator": generator, "discriminator": discriminator}[frozen_name]
    training = discriminator if frozen is generator else generator
    frozen.trainable = False
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    frozen_before = snapshot(frozen.weights)
    training_before = snapshot(training.trainable_weights)
    x = np.random.default_rng(2).normal(size=(64, 2)).astype("float32")
    history = gan.fit(x, batch_size=32, epochs=2, verbose=0)
    assert not any(changed(frozen_before, frozen.weights))
    assert any(changed(training_before, training.trainable_weights))
    assert np.isfinite(history.history["d_loss"]).all()
    assert np.isfinite(history.history["g_loss"]).all()


def test_trainable_changed_between_fits_is_honoured():
    """Freezing after a `fit` needs no new `compile` (a traced step would keep
    training the old variables); unfreezing trains again; a network frozen
    at `compile` whose flag is set back gets an error naming the fix."""
    generator, discriminator = bn_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    x = np.random.default_rng(2).normal(size=(32, 2)).astype("float32")
    gan.fit(x, batch_size=32, epochs=1, verbose=0)
    discriminator.trainable = False
    before = snapshot(discriminator.weights + list(gan.d_optimizer.variables))
    g_before = snapshot(generator.trainable_weights)
    gan.fit(x, batch_size=32, epochs=1, verbose=0)
    assert not any(changed(before, discriminator.weights + list(gan.d_optimizer.variables)))
    assert all(changed(g_before, generator.trainable_weights))
    discriminator.trainable = True
    d_before = snapshot(discriminator.trainable_weights)
    gan.fit(x, batch_size=32, epochs=1, verbose=0)
    assert all(changed(d_before, discriminator.trainable_weights))

    generator, discriminator = bn_models()
    discriminator.trainable = False
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    gan.fit(x, batch_size=32, epochs=1, verbose=0)
    discriminator.trainable = True
    with pytest.raises(ValueError, match="discriminator has trainable variables its optimizer"):
        gan.fit(x, batch_size=32, epochs=1, verbose=0)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    d_before = snapshot(discriminator.trainable_weights)
    gan.fit(x, batch_size=32, epochs=1, verbose=0)
    assert all(changed(d_before, discriminator.trainable_weights))


# ---------------------------------------------------------------------- logs


@pytest.mark.parametrize(
    "loss, penalty, expected",
    [
        ("non_saturating", None, {"d_loss", "g_loss", "d_real", "d_fake", "d_accuracy"}),
        ("hinge", None, {"d_loss", "g_loss", "d_real", "d_fake", "d_accuracy"}),
        (
            "wasserstein",
            [keras_gan.penalties.GradientPenalty(), keras_gan.penalties.R1(1.0)],
            {"d_loss", "g_loss", "d_real", "d_fake", "gp", "r1"},
        ),
    ],
)
def test_history_keys(loss, penalty, expected):
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    gan.compile("adam", "adam", loss=loss, d_penalty=penalty)
    history = gan.fit(real_batch(), batch_size=4, epochs=1, verbose=0)
    assert set(history.history) == expected
    assert "loss" not in history.history


def test_d_real_and_d_fake_are_mean_scores():
    generator, discriminator = tiny_models()
    gen0, disc0 = weights64(generator), weights64(discriminator)
    gan = keras_gan.GAN(generator, discriminator, seed=SEED)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    logs = gan.fit(real_batch(), batch_size=BATCH, epochs=1, verbose=0).history
    z = keras.random.normal((BATCH, LATENT), seed=keras.random.SeedGenerator(SEED))
    fake = ref.mlp(gen0, to_numpy(z).astype(np.float64))
    np.testing.assert_allclose(logs["d_real"][0], ref.mlp(disc0, real_batch()).mean(), atol=1e-5)
    np.testing.assert_allclose(logs["d_fake"][0], ref.mlp(disc0, fake).mean(), atol=1e-5)
    r, f = ref.mlp(disc0, real_batch())[:, 0], ref.mlp(disc0, fake)[:, 0]
    np.testing.assert_allclose(
        logs["d_accuracy"][0], 0.5 * (np.mean(r > 0) + np.mean(f < 0)), atol=1e-6
    )


def test_same_seed_same_training():
    def train():
        keras.utils.set_random_seed(7)
        generator, discriminator = tiny_models()
        gan = keras_gan.GAN(generator, discriminator, seed=11)
        gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
        x = np.random.default_rng(3).normal(size=(64, 2)).astype("float32")
        gan.fit(x, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return weights64(gan.generator)

    for a, b in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_evaluate_reports_gan_logs():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=1)
    gan.compile("adam", "adam")
    x = real_batch()
    history = gan.fit(x, batch_size=4, epochs=1, validation_data=(x,), verbose=0)
    assert {"val_d_loss", "val_g_loss", "val_d_real", "val_d_fake"} <= set(history.history)
    results = gan.evaluate(x, batch_size=4, return_dict=True, verbose=0)
    assert set(results) >= {"d_loss", "g_loss"} and "loss" not in results


# ------------------------------------------------------------------ sampling


def test_generate_is_deterministic_for_a_seed():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    state = gan.seed_generator.state.numpy().copy()
    a, b = gan.generate(10, seed=5), gan.generate(10, seed=5)
    assert a.shape == (10, 2) and isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gan.generate(10, seed=6))
    assert not np.array_equal(gan.generate(10), gan.generate(10))
    # Sampling never consumes the training noise.
    np.testing.assert_array_equal(state, gan.seed_generator.state.numpy())
    # Chunking does not change the samples.
    np.testing.assert_allclose(a, gan.generate(10, seed=5, batch_size=3), atol=1e-6)


def test_numpy_integer_seeds_are_seeds():
    # An element of np.arange is a seed like any int (Keras' random
    # functions take Python ints only).
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=np.int64(7))
    assert gan.seed == 7 and type(gan.seed) is int
    expected = gan.generate(4, seed=3)
    for seed in (np.int64(3), np.int32(3), np.arange(5)[3]):
        np.testing.assert_array_equal(gan.generate(4, seed=seed), expected)
    twin = keras_gan.GAN(*tiny_models(), seed=7)
    np.testing.assert_array_equal(
        gan.seed_generator.state.numpy(), twin.seed_generator.state.numpy()
    )


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_latent_distributions(distribution):
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, latent_distribution=distribution)
    z = to_numpy(gan.sample_latent(20000, seed=1))
    assert z.shape == (20000, LATENT)
    if distribution == "uniform":
        assert z.min() >= -1 and z.max() <= 1
        np.testing.assert_allclose(z.var(), 1 / 3, atol=0.01)  # var of U[-1, 1]
    else:
        np.testing.assert_allclose(z.std(), 1.0, atol=0.02)


@pytest.mark.parametrize("seed", [0, 2**31 - 1])  # 2**31 - 1: the seed sum wraps
def test_training_noise_is_keras_random_normal_from_the_gans_seed_generator(seed):
    # The backends' own draw (faster on PyTorch) gives keras.random.normal's
    # numbers and advances the generator's state as it does.
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=seed)
    twin = keras.random.SeedGenerator(seed)
    for _ in range(3):
        expected = to_numpy(keras.random.normal((5, LATENT), seed=twin))
        np.testing.assert_array_equal(to_numpy(gan.sample_latent(5)), expected)
        np.testing.assert_array_equal(gan.seed_generator.state.numpy(), twin.state.numpy())


def test_callable_latent_distribution():
    def ones(shape, seed):
        return keras.ops.ones(shape)

    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, latent_distribution=ones)
    expected = to_numpy(generator(np.ones((2, LATENT), "float32")))
    np.testing.assert_allclose(gan.generate(2, seed=0), expected, atol=1e-6)


def test_latent_dim_defaults_to_generator_input():
    generator, discriminator = tiny_models()
    assert keras_gan.GAN(generator, discriminator).latent_dim == LATENT
    with pytest.raises(ValueError, match="latent_dim=5"):
        keras_gan.GAN(generator, discriminator, latent_dim=5)
    # The value received is reported as given, not after int().
    for bad in (2.5, "abc", 0, True):
        with pytest.raises(ValueError, match=f"latent_dim={bad!r}"):
            keras_gan.GAN(generator, discriminator, latent_dim=bad)


def test_generate_arguments_are_checked_by_name():
    gan = keras_gan.GAN(*tiny_models())
    for kwargs, match in (
        ({"n": 0}, "n=0"),
        ({"n": 2.5}, "n=2.5"),
        ({"n": "3"}, "n='3'"),
        ({"n": 2, "batch_size": 0}, "batch_size=0"),
    ):
        with pytest.raises(ValueError, match=match):
            gan.generate(**kwargs)


class Subclassed(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.out = layers.Dense(4, activation="tanh"), layers.Dense(units)

    def call(self, x):
        return self.out(self.hidden(x))


def unbuilt_networks(kind):
    """A generator and a discriminator that have no variables yet."""
    if kind == "subclassed":
        return Subclassed(2), Subclassed(1)
    return (
        keras.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(2)]),
        keras.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)]),
    )


@pytest.mark.parametrize("kind", ["subclassed", "sequential_without_input"])
@pytest.mark.parametrize("pack", [1, 2])
def test_networks_built_by_compile_train(kind, pack):
    # API.md takes any keras.Model; one without variables yet is built by
    # compile (given latent_dim=), before both optimizers are built on them.
    generator, discriminator = unbuilt_networks(kind)
    # The moving average's copy (clone_model) needs a Sequential's config.
    ema = 100 if kind == "sequential_without_input" else None
    gan = keras_gan.GAN(generator, discriminator, latent_dim=LATENT, seed=0, ema_half_life=ema)
    gan.compile("adam", "adam", pack=pack)
    assert gan.built and generator.built and discriminator.built
    assert ema is None or gan.ema_generator.built
    assert discriminator.layers[0].kernel.shape == (2 * pack, 4)
    before = weights64(discriminator), weights64(generator)
    history = gan.fit(np.tile(real_batch(), (4, 1)), batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and "loss" not in history.history
    for old, new in zip(before, (weights64(discriminator), weights64(generator)), strict=True):
        assert any(not np.array_equal(a, b) for a, b in zip(old, new, strict=True))
    assert gan.generate(3, seed=0).shape == (3, 2)


def test_conditional_networks_built_by_compile_train():
    class Conditioned(keras.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.embed, self.out = layers.Embedding(3, 2), layers.Dense(units)

        def call(self, inputs):
            x, labels = inputs
            embedded = keras.ops.reshape(self.embed(labels), (-1, 2))
            return self.out(keras.ops.concatenate([x, embedded], axis=-1))

    gan = keras_gan.ConditionalGAN(Conditioned(2), Conditioned(1), num_classes=3, latent_dim=4)
    gan.compile("adam", "adam")
    x, labels = np.tile(real_batch(), (2, 1)), np.arange(2 * BATCH) % 3
    history = gan.fit(x, labels, batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][0])
    assert gan.generate(3, labels=[0, 1, 2], seed=0).shape == (3, 2)


def test_a_network_that_cannot_be_built_on_latent_vectors_gets_a_clear_error():
    class Images(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.out = layers.Dense(2)

        def call(self, z):
            return self.out(keras.ops.reshape(z, (-1, 5, 5)))

    gan = keras_gan.GAN(Images(), unbuilt_networks("subclassed")[1], latent_dim=LATENT)
    with pytest.raises(ValueError, match="generator is not built yet.*latent_dim=3"):
        gan.compile("adam", "adam")
    # Nor can the moving average copy a subclassed generator without a config.
    with pytest.raises(ValueError, match="clone_model.*type Subclassed"):
        keras_gan.GAN(Subclassed(2), Subclassed(1), latent_dim=LATENT, ema_half_life=100)


# -------------------------------------------------------------------- errors


def fit_once(generator, discriminator, data, **compile_kwargs):
    gan = keras_gan.GAN(generator, discriminator)
    gan.compile("adam", "adam", **compile_kwargs)
    return gan.fit(data, batch_size=4, epochs=1, verbose=0)


def test_error_discriminator_output_shape():
    generator, _ = tiny_models()
    discriminator = keras.Sequential([keras.Input((2,)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"\(batch,\) or \(batch, 1\).*shape=\(4, 3\)"):
        fit_once(generator, discriminator, real_batch())


def test_error_generator_output_shape():
    generator = keras.Sequential([keras.Input((LATENT,)), layers.Dense(5)])
    _, discriminator = tiny_models()
    with pytest.raises(
        ValueError, match=r"generator output shape=\(None, 5\).*data shape=\(None, 2\)"
    ):
        fit_once(generator, discriminator, real_batch())


@pytest.mark.parametrize(
    "style", ["dense", "activation_layer", "functional", "then_flatten", "ops_sigmoid"]
)
def test_error_sigmoid_discriminator(style):
    generator, _ = tiny_models()
    inputs = keras.Input((2,))
    if style == "then_flatten":  # the classic DCGAN ending
        discriminator = keras.Sequential(
            [inputs, layers.Dense(1, activation="sigmoid", name="p"), layers.Flatten()]
        )
    elif style == "ops_sigmoid":
        discriminator = keras.Model(inputs, keras.ops.sigmoid(layers.Dense(1)(inputs)))
    elif style == "dense":
        discriminator = keras.Sequential(
            [keras.Input((2,)), layers.Dense(4), layers.Dense(1, activation="sigmoid")]
        )
    elif style == "activation_layer":
        discriminator = keras.Sequential(
            [keras.Input((2,)), layers.Dense(1), layers.Activation("sigmoid")]
        )
    else:
        discriminator = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(inputs))
    gan = keras_gan.GAN(generator, discriminator)
    with pytest.raises(ValueError, match="ends in a sigmoid.*'minimax'") as error:
        gan.compile("adam", "adam", loss="minimax")
    if style == "then_flatten":
        assert "Received: output layer='p'" in str(error.value)
    # Layers that only reshape the scores are no sigmoid.
    plain = keras.Sequential([keras.Input((2,)), layers.Dense(1), layers.Flatten()])
    keras_gan.GAN(generator, plain).compile("adam", "adam", loss="minimax")


def test_error_unknown_loss_lists_known_ones():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    with pytest.raises(ValueError, match="Unknown GAN loss 'wgan'.*minimax.*hinge.*ragan"):
        gan.compile("adam", "adam", loss="wgan")


@pytest.mark.parametrize(
    "kwargs", [{"d_steps": 0}, {"d_steps": -1}, {"g_steps": 0}, {"d_steps": 1.5}]
)
def test_error_bad_step_counts(kwargs):
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    name, value = next(iter(kwargs.items()))
    with pytest.raises(ValueError, match=f"{name}.*Received: {name}={value}"):
        gan.compile("adam", "adam", **kwargs)


def test_error_same_optimizer_twice():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer objects"):
        gan.compile(optimizer, optimizer)


def test_wasserstein_without_lipschitz_control_warns():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    with pytest.warns(UserWarning, match="not Lipschitz-controlled"):
        gan.compile("adam", "adam", loss="wasserstein")
    with warnings_as_errors():
        gan.compile(
            "adam", "adam", loss="wasserstein", d_constraint=keras_gan.constraints.WeightClip(0.01)
        )


def warnings_as_errors():
    import warnings

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", UserWarning)

    class _Exit:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            ctx.__exit__(*exc)

    return _Exit()


def nan_data():
    """Batches of 8 whose second is all NaN, from a generator (a numpy
    array holding NaN is refused before training)."""
    x = real_batch().repeat(4, axis=0)
    x[8:] = np.nan

    def batches():
        while True:
            for i in range(0, len(x), 8):
                yield (x[i : i + 8],)

    return batches()


def test_samples_holding_nan_are_refused_before_any_step():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile("adam", "adam")
    before = [np.array(w) for w in gan.weights]
    x = real_batch().repeat(4, axis=0)
    x[9, 1] = np.nan
    with pytest.raises(ValueError, match=r"first at index \(9, 1\). Received: x\[9, 1\]=nan"):
        gan.fit(x, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(before, gan.weights, strict=True):
        np.testing.assert_array_equal(a, np.array(b))


def test_keras_terminate_on_nan_stops_and_names_the_loss(capsys):
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile("adam", "adam")
    history = gan.fit(
        nan_data(),
        steps_per_epoch=4,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    out = capsys.readouterr().out
    assert "Batch 1: d_loss is not finite" in out
    assert len(history.history["d_loss"]) == 1  # stopped in the first epoch


def test_terminate_on_nan_can_raise():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile("adam", "adam")
    with pytest.raises(RuntimeError, match="d_loss is not finite.*d_loss=nan"):
        gan.fit(
            nan_data(),
            steps_per_epoch=4,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=[keras_gan.callbacks.TerminateOnNaN(raise_error=True)],
        )


# ------------------------------------------------------- execution modes


def fixed_latent(shape, seed):
    # Deterministic noise: XLA may compile TF's stateless RNG to another
    # algorithm, so random draws differ between jit and non-jit runs.
    n, d = shape
    return keras.ops.reshape(keras.ops.linspace(-1.0, 1.0, n * d), (n, d))


def one_step_weights(**compile_kwargs):
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, latent_distribution=fixed_latent, seed=0)
    gan.compile(
        keras.optimizers.SGD(LR),
        keras.optimizers.SGD(LR),
        d_penalty=keras_gan.penalties.R1(1.0, interval=2),
        d_steps=2,
        **compile_kwargs,
    )
    gan.fit(real_batch(), batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return weights64(generator) + weights64(discriminator)


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(
            {"jit_compile": True},
            marks=pytest.mark.skipif(
                ON_TORCH,
                reason="torch.compile of a whole step takes ~45 s on 2 cores (CI time); "
                "test_log_tracker_compiles_under_torch_compile compiles the part it could "
                "not trace",
            ),
        ),
        {"run_eagerly": True},
        pytest.param(
            {"steps_per_execution": 3},
            marks=pytest.mark.skipif(
                ON_TORCH, reason="Keras' PyTorch trainer runs one step per execution"
            ),
        ),
    ],
)
def test_execution_modes_give_the_same_step(mode):
    assert_close(one_step_weights(**mode), one_step_weights(jit_compile=False), atol=1e-5)


@pytest.mark.skipif(not ON_TORCH, reason="torch.compile: jit_compile=True on PyTorch")
def test_log_tracker_compiles_under_torch_compile():
    """`jit_compile=True` on PyTorch is torch.compile, which could not trace
    the running means' numpy counts ("'ndarray' object has no attribute
    'add'"). A whole fit step under torch.compile was checked by hand: it
    trains, and equals the eager step (compiling takes ~45 s)."""
    import torch

    from keras_gan.gan.logs import RunningMeans

    tracker = RunningMeans(["d_loss", "g_loss"])

    def step(x):
        tracker.update_state({"d_loss": x.mean(), "g_loss": x.sum()}, {"d_loss": 2, "g_loss": 1})
        return tracker.result()

    logs = torch.compile(step)(torch.ones(3))
    assert float(logs["d_loss"]) == pytest.approx(0.5) and float(logs["g_loss"]) == 3.0


@pytest.mark.skipif(not ON_TORCH, reason="the PyTorch backend's limit")
def test_torch_compile_refuses_penalties_with_a_clear_error():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    with pytest.raises(ValueError, match=r"double backward.*jit_compile=True"):
        gan.compile("adam", "adam", d_penalty="r1", jit_compile=True)


@pytest.mark.skipif(ON_TORCH, reason="torch.compile cannot run a double backward")
def test_gradient_penalty_under_xla():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(
        "adam",
        "adam",
        loss="wasserstein",
        jit_compile=True,
        d_penalty=keras_gan.penalties.GradientPenalty(10.0),
    )
    logs = gan.fit(real_batch(), batch_size=4, epochs=2, verbose=0).history
    assert gan.jit_compile is True
    assert np.isfinite(logs["gp"]).all() and min(logs["gp"]) > 0


def test_gan_config_round_trip():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(
        generator, discriminator, latent_dim=LATENT, latent_distribution="uniform", seed=9
    )
    clone = keras_gan.GAN.from_config(gan.get_config())
    assert clone.latent_dim == LATENT and clone.latent_distribution == "uniform"
    assert clone.seed == 9
    assert [layer.units for layer in clone.generator.layers] == [4, 2]


def test_calling_the_gan_runs_the_generator():
    generator, discriminator = tiny_models()
    gan = keras_gan.GAN(generator, discriminator)
    z = np.ones((2, LATENT), "float32")
    np.testing.assert_allclose(to_numpy(gan(z)), to_numpy(generator(z)), atol=1e-7)


def test_fit_lets_go_of_its_input_when_it_returns():
    """The input pipeline (here a Python generator, closed when the last
    iterator over it is deleted) is not kept alive by the GAN after `fit`,
    so its buffers are freed as with Keras' own train function."""
    import gc

    import tensorflow as tf

    closed = []

    def batches():
        try:
            while True:
                yield real_batch()
        finally:
            closed.append(True)

    data = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec((BATCH, 2), "float32")
    )
    gan = keras_gan.GAN(*tiny_models(), seed=0)
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
    gan.fit(data, epochs=2, steps_per_epoch=2, verbose=0, shuffle=False)
    gc.collect()
    assert closed
