"""Augmentation (`keras_gan.augment`), packing and the minibatch standard
deviation: each transformation against its definition, ADA's `p` by hand,
where they apply in the step, that augmentation does not leak into the
samples, and that packing and the minibatch standard deviation let a
discriminator see a collapse that a per-sample one cannot."""

import keras
import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

import keras_gan
from keras_gan import augment
from keras_gan.gan.step import pack

BACKEND = keras.backend.backend()


def images(n=16, size=8, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n, size, size, channels)).astype("float32")


def shifted(image, dy, dx):
    """`image` moved down `dy` and right `dx` pixels, zeros filling in."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def test_translation_shifts_each_image_by_whole_pixels_within_an_eighth():
    x = images(64)
    out = to_numpy(augment.translation(x, keras.random.SeedGenerator(1)))
    found = set()
    for image, result in zip(x, out, strict=True):
        matches = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.allclose(result, shifted(image, dy, dx), atol=1e-6)
        ]
        assert len(matches) == 1, "not a shift of at most 1 pixel (an eighth of 8)"
        found.add(matches[0])
    assert len(found) == 9  # each sample draws its own shift: all nine occur


def test_cutout_zeroes_one_square_of_half_the_side():
    x = images(64) + 2.0  # no zero in the data
    out = to_numpy(augment.cutout(x, keras.random.SeedGenerator(2)))
    sizes = set()
    for image, result in zip(x, out, strict=True):
        zero = result[..., 0] == 0
        rows, cols = np.flatnonzero(zero.any(1)), np.flatnonzero(zero.any(0))
        assert zero.sum() == len(rows) * len(cols)  # a rectangle...
        assert len(rows) <= 4 and len(cols) <= 4  # ...of at most 4x4, clipped at the border
        np.testing.assert_array_equal(result[~zero], image[~zero])
        sizes.add((len(rows), len(cols)))
    assert (4, 4) in sizes and len(sizes) > 1


def test_color_is_brightness_and_contrast_per_sample_in_their_ranges():
    # One channel: saturation leaves it unchanged, so each output image is
    # (x - mean) * contrast + mean + brightness.
    x = images(32)
    out = to_numpy(augment.color(x, keras.random.SeedGenerator(3)))
    for image, result in zip(x, out, strict=True):
        contrast = np.std(result) / np.std(image)
        brightness = np.mean(result) - np.mean(image)
        assert 0.5 <= contrast <= 1.5 and -0.5 <= brightness <= 0.5
        expected = (image - image.mean()) * contrast + image.mean() + brightness
        np.testing.assert_allclose(result, expected, atol=1e-5)


def test_saturation_moves_colour_channels_about_their_mean():
    x = images(8, channels=3)
    out = to_numpy(augment.color(x, keras.random.SeedGenerator(4)))
    grey_in = x.mean(-1, keepdims=True)
    grey_out = out.mean(-1, keepdims=True)
    for a, b, ga, gb in zip(x, out, grey_in, grey_out, strict=True):
        ratio = np.std(b - gb) / np.std(a - ga)  # saturation x contrast
        assert 0.0 <= ratio <= 3.0


@pytest.mark.parametrize("name", augment.POLICIES)
def test_probability_zero_is_the_identity_and_one_transforms_every_sample(name):
    x = images(16)
    seeds = keras.random.SeedGenerator(5)
    never = np.zeros(16, bool)
    np.testing.assert_allclose(
        to_numpy(augment._TRANSFORMS[name](x, seeds, apply=never)), x, atol=1e-6
    )
    out = to_numpy(augment._TRANSFORMS[name](x, seeds, apply=np.ones(16, bool)))
    assert np.mean([not np.allclose(a, b) for a, b in zip(out, x, strict=True)]) > 0.5


def test_diffaugment_is_reproducible_from_the_seed_and_differs_per_sample():
    x = np.repeat(images(1), 8, axis=0)
    first = to_numpy(augment.DiffAugment().augment(x, keras.random.SeedGenerator(7)))
    again = to_numpy(augment.DiffAugment().augment(x, keras.random.SeedGenerator(7)))
    np.testing.assert_array_equal(first, again)
    assert len({a.tobytes() for a in first}) == 8


def test_policies_and_errors():
    assert augment.DiffAugment("cutout, translation").policy == "cutout,translation"
    with pytest.raises(ValueError, match="policy='blur'"):
        augment.DiffAugment("blur")
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        augment.DiffAugment().augment(np.zeros((4, 2), "float32"), keras.random.SeedGenerator(0))
    with pytest.raises(ValueError, match="target=1.5"):
        augment.AdaptiveAugment(target=1.5)
    with pytest.raises(ValueError, match="augment='flip'"):
        augment.get("flip")
    assert isinstance(augment.get("ada"), augment.AdaptiveAugment)
    assert isinstance(augment.get("DiffAugment"), augment.DiffAugment)


@pytest.mark.parametrize(
    "instance",
    [
        augment.DiffAugment("translation"),
        augment.AdaptiveAugment(0.5, "cutout", 0.2, 1000, 2),
        augment.AdaptiveAugment(0.9, statistic="unaugmented", max_p=0.8),
    ],
    ids=lambda a: type(a).__name__,
)
def test_augmentations_are_registered_and_round_trip(instance):
    name = keras.saving.get_registered_name(type(instance))
    assert name == f"keras_gan>{type(instance).__name__}"
    restored = augment.deserialize(augment.serialize(instance))
    assert type(restored) is type(instance) and restored.get_config() == instance.get_config()


def test_ada_moves_p_by_hand():
    ada = augment.AdaptiveAugment(target=0.6, ramp_images=1000, interval=2)
    sure = np.ones(50, "float32")  # r = 1 > 0.6: overfitting, p rises
    ada.observe(sure)
    assert float(ada.p) == 0.0  # updated every 2 steps
    ada.observe(sure)
    assert float(ada.p) == pytest.approx(100 / 1000)  # 100 images over 2 steps
    for _ in range(2):
        ada.observe(-sure)  # r = -1 < 0.6: p falls, never below 0
    assert float(ada.p) == pytest.approx(0.0, abs=1e-7)
    for _ in range(50):
        ada.observe(sure)
    assert float(ada.p) == 1.0  # never above 1
    ada.observe(np.array([1, 1, 1, -1], "float32"))  # r = 0.5 < 0.6 once both steps are in
    ada.observe(np.array([1, 1, 1, -1], "float32"))
    assert float(ada.p) == pytest.approx(1 - 8 / 1000)
    capped = augment.AdaptiveAugment(ramp_images=100, interval=1, max_p=0.8)
    for _ in range(3):
        capped.observe(sure)
    assert float(capped.p) == pytest.approx(0.8)  # never above max_p
    with pytest.raises(ValueError, match=r"max_p=0.1 with initial_p=0.5"):
        augment.AdaptiveAugment(initial_p=0.5, max_p=0.1)


def digits_gan(aug=None, width=8, **compile_kwargs):
    """A small 8x8 DCGAN (latent size = width), Adam 2e-3, augmented by `aug`."""
    keras.utils.set_random_seed(0)
    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(width, 8, width=width),
        keras_gan.models.dcgan_discriminator(8, width=width),
        seed=0,
    )
    gan.compile(
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        augment=aug,
        **compile_kwargs,
    )
    return gan


DIGITS = keras_gan.data.digits(return_labels=False)[:128]


@pytest.mark.parametrize(
    "statistic, pack", [("augmented", 1), ("unaugmented", 1), ("unaugmented", 2)]
)
def test_ada_logs_p_and_the_gan_saves_and_restores_it(tmp_path, statistic, pack):
    ada = augment.AdaptiveAugment(ramp_images=300, interval=1, statistic=statistic)
    if pack == 1:
        gan = digits_gan(ada)
    else:
        keras.utils.set_random_seed(0)
        gan = keras_gan.GAN(
            keras_gan.models.dcgan_generator(8, 8, width=8),
            keras_gan.models.dcgan_discriminator(8, width=8, pack=pack),
            seed=0,
        )
        gan.compile("adam", "adam", augment=ada, pack=pack)
    history = gan.fit(DIGITS, batch_size=32, epochs=2, verbose=0, shuffle=False)
    assert "augment_p" in history.history
    p = float(gan.augment.p)
    assert p > 0 and history.history["augment_p"][-1] == pytest.approx(p)
    gan.save(tmp_path / "ada.keras")
    loaded = keras_gan.saving.load_model(tmp_path / "ada.keras")
    assert isinstance(loaded.augment, augment.AdaptiveAugment)
    assert float(loaded.augment.p) == p
    assert loaded.get_compile_config()["augment"] == gan.get_compile_config()["augment"]
    assert [float(v) for v in loaded.augment.weights] == [float(v) for v in gan.augment.weights]


def test_compile_again_leaves_only_the_new_augments_state_in_the_model(tmp_path):
    gan = digits_gan(augment.AdaptiveAugment())
    before = len(gan.variables)
    gan.compile("adam", "adam", augment=augment.AdaptiveAugment(initial_p=0.25))
    assert len(gan.variables) == before
    assert [v for v in gan.variables if "augment" in v.path] == gan.augment.variables
    gan.fit(DIGITS, batch_size=32, epochs=1, verbose=0)
    gan.save(tmp_path / "again.keras")
    loaded = keras_gan.saving.load_model(tmp_path / "again.keras")
    assert len(loaded.variables) == before and float(loaded.augment.p) == float(gan.augment.p)
    gan.compile("adam", "adam")  # no augmentation: none of its state is left
    assert not [v for v in gan.variables if "augment" in v.path]


class ObservedMean(augment.AdaptiveAugment):
    """ADA at p = 1 that keeps the mean of the scores it last observed."""

    def __init__(self, statistic):
        super().__init__(initial_p=1.0, ramp_images=1e9, statistic=statistic)
        self.observed = self.add_weight((), initializer="zeros", name="observed", trainable=False)

    def observe(self, real_scores):
        self.observed.assign(keras.ops.mean(keras.ops.cast(real_scores, "float32")))
        super().observe(real_scores)


@pytest.mark.parametrize("statistic", augment.STATISTICS)
def test_ada_observes_the_scores_of_its_statistic(statistic):
    """ADA's statistic hears the discriminator's scores on the augmented
    real batch it trains on; the unaugmented one, its scores on the real
    batch itself, taken before the update (one extra forward pass)."""
    gan = digits_gan(ObservedMean(statistic))
    real = DIGITS[:32]
    before = float(np.mean(to_numpy(gan.discriminator(real, training=True))))
    gan.fit(real, batch_size=32, epochs=1, verbose=0, shuffle=False)
    observed = float(gan.augment.observed)
    if statistic == "unaugmented":
        assert observed == pytest.approx(before, rel=1e-4, abs=1e-6)
    else:  # at p = 1 every real image is transformed: other scores
        assert abs(observed - before) > 1e-4
    plain = augment.AdaptiveAugment(statistic=statistic)
    assert plain.observes_unaugmented == (statistic == "unaugmented")
    assert not augment.DiffAugment().observes_unaugmented
    with pytest.raises(ValueError, match="statistic='typo'"):
        augment.AdaptiveAugment(statistic="typo")


class InputsSeen(keras_gan.penalties.Penalty):
    """A penalty of weight 0 that records the inputs it is given."""

    seen = []

    def __init__(self):
        super().__init__(0.0, name="spy")

    def compute(self, score_fn, real, fake, seed_generator):
        InputsSeen.seen.append(to_numpy(real))
        return keras.ops.convert_to_tensor(0.0)


def test_the_discriminator_and_its_penalties_see_augmented_batches_but_evaluation_does_not():
    gan = digits_gan(augment.DiffAugment("cutout"), d_penalty=InputsSeen(), run_eagerly=True)
    InputsSeen.seen.clear()
    gan.fit(DIGITS[:32], batch_size=32, epochs=1, verbose=0, shuffle=False)
    (seen,) = InputsSeen.seen
    cut = (seen == 0).all(axis=-1)
    assert (cut.reshape(32, -1).sum(1) >= 4).all()  # every real image has a hole
    assert not (DIGITS[:32] == 0).all(axis=-1).reshape(32, -1).sum(1).all()
    # Evaluation scores the data itself.
    logs = gan.evaluate(DIGITS[:32], batch_size=32, verbose=0, return_dict=True)
    expected = float(np.mean(to_numpy(gan.discriminator(DIGITS[:32], training=False))))
    assert logs["d_real"] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    # Sampling draws the generator alone.
    plain = digits_gan()
    np.testing.assert_array_equal(plain.generate(4, seed=3), digits_gan().generate(4, seed=3))


def centre_of_mass(batch):
    weight = np.clip((batch[..., 0] + 1) / 2, 0, None)
    rows, cols = np.mgrid[0 : batch.shape[1], 0 : batch.shape[2]]
    total = weight.sum(axis=(1, 2))
    return np.stack(
        [(weight * rows).sum(axis=(1, 2)) / total, (weight * cols).sum(axis=(1, 2)) / total], 1
    )


@pytest.mark.slow
def test_translation_does_not_leak_into_the_samples():
    """Trained with random translation of every batch the discriminator
    sees, a generator of centred blobs keeps them centred: the samples'
    centre of mass within half a pixel of the data's (3.5, 3.5), and as
    steady from sample to sample (a leak, shifts of up to a pixel in the
    samples, would spread it by ~0.8 px). Measured: (3.50, 3.53), spread
    0.07 px (TensorFlow, seed 0)."""
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:8, 0:8]
    width = rng.uniform(0.8, 1.6, size=(2048, 1, 1))
    height = rng.uniform(0.6, 1.0, size=(2048, 1, 1))
    blobs = height * np.exp(-((rows - 3.5) ** 2 + (cols - 3.5) ** 2) / (2 * width**2))
    data = (blobs * 2 - 1).astype("float32")[..., None]
    gan = digits_gan(augment.DiffAugment("translation"), width=16)
    gan.fit(
        keras_gan.data.from_numpy(data, batch_size=64, seed=0), epochs=10, verbose=0, shuffle=False
    )
    centres = centre_of_mass(gan.generate(1000, seed=1))
    np.testing.assert_allclose(centres.mean(0), [3.5, 3.5], atol=0.5)
    assert (centres.std(0) < 0.25).all(), centres.std(0)


def test_pack_puts_consecutive_samples_side_by_side():
    vectors = np.arange(8, dtype="float32").reshape(4, 2)
    np.testing.assert_array_equal(to_numpy(pack(vectors, 2)), [[0, 1, 2, 3], [4, 5, 6, 7]])
    x = images(6, size=2, channels=3)
    packed = to_numpy(pack(x, 3))
    assert packed.shape == (2, 2, 2, 9)
    np.testing.assert_array_equal(packed[1, ..., 3:6], x[4])
    with pytest.raises(ValueError, match="batch of 6"):
        pack(x, 4)


def test_pack_is_checked_at_compile():
    gan = keras_gan.GAN(
        keras_gan.models.mlp_generator(2, 2), keras_gan.models.mlp_discriminator(2), seed=0
    )
    with pytest.raises(ValueError, match=r"pack=2.*input shape=\(None, 2\)"):
        gan.compile("adam", "adam", pack=2)
    conditional = keras_gan.ConditionalGAN(
        keras_gan.models.mlp_generator(2, 2, num_classes=3),
        keras_gan.models.mlp_discriminator(2, num_classes=3),
        num_classes=3,
    )
    with pytest.raises(ValueError, match="pack=2"):
        conditional.compile("adam", "adam", pack=2)


def test_minibatch_stddev_by_hand():
    x = np.random.default_rng(0).normal(size=(8, 3, 3, 2)).astype("float32")
    out = to_numpy(keras_gan.layers.MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 3, 3, 3)
    np.testing.assert_array_equal(out[..., :2], x)
    for n in range(8):  # sample n is in group n % 2 with samples n % 2, n % 2 + 2, ...
        group = x[n % 2 :: 2]
        expected = np.sqrt(group.var(axis=0) + 1e-8).mean()
        np.testing.assert_allclose(out[n, ..., 2], expected, rtol=1e-5)
    vectors = to_numpy(keras_gan.layers.MinibatchStdDev(group_size=16)(x.reshape(8, -1)))
    assert vectors.shape == (8, 19)  # group size capped at the batch
    with pytest.raises(ValueError, match="batch of 6"):
        keras_gan.layers.MinibatchStdDev(group_size=4)(x[:6])
    layer = keras_gan.layers.MinibatchStdDev(group_size=2)
    assert keras.saving.get_registered_name(type(layer)) == "keras_gan>MinibatchStdDev"
    assert layer.compute_output_shape((None, 4, 4, 8)) == (None, 4, 4, 9)


def collapsed_gan(**discriminator_kwargs):
    """A frozen generator collapsed on one of the data's two modes (+1 of
    +-1): per sample, a generated point is a likely real one."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones"),
        ]
    )
    generator.trainable = False
    discriminator = keras_gan.models.mlp_discriminator(
        1, hidden_units=(32, 32), **discriminator_kwargs
    )
    return keras_gan.GAN(generator, discriminator, seed=0)


@pytest.mark.parametrize(
    "remedy,discriminator_kwargs,compile_kwargs",
    [
        ("none", {}, {}),
        ("pack=4", {"pack": 4}, {"pack": 4}),
        ("minibatch_stddev=4", {"minibatch_stddev": 4}, {}),
    ],
)
def test_a_collapse_is_visible_to_a_packed_or_minibatch_discriminator_only(
    remedy, discriminator_kwargs, compile_kwargs
):
    """Per sample the best discriminator is right 75% of the time at most
    (a generated +1 is as likely a real +1); on packs or groups of 4, real
    data mixes both modes (15 times in 16) and the collapsed generator never
    does."""
    rng = np.random.default_rng(0)
    real = (rng.choice([-1.0, 1.0], size=(4096, 1)) + rng.normal(0, 0.05, (4096, 1))).astype(
        "float32"
    )
    gan = collapsed_gan(**discriminator_kwargs)
    gan.compile(keras.optimizers.Adam(3e-3), keras.optimizers.Adam(3e-3), **compile_kwargs)
    gan.fit(real, batch_size=64, epochs=3, verbose=0)
    accuracy = gan.evaluate(real[:1024], batch_size=64, verbose=0, return_dict=True)["d_accuracy"]
    print(remedy, accuracy)
    if remedy == "none":
        assert accuracy <= 0.8, accuracy
    else:
        assert accuracy >= 0.9, accuracy


ADA_RUN = r"""
import json, sys
import keras, numpy as np
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    # Bit-exact across processes: the graphs as traced (see saving_test).
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
import keras_gan
from tests.augment_test import DIGITS, digits_gan

path, jit, mode = sys.argv[1], sys.argv[2] == "1", sys.argv[3]

def fit(gan):
    gan.fit(DIGITS, batch_size=32, epochs=1, verbose=0, shuffle=False)

if mode == "save":
    gan = digits_gan(keras_gan.augment.AdaptiveAugment(ramp_images=500, interval=1),
                     jit_compile=jit)
    fit(gan)
    gan.save(path)
    fit(gan)  # the uninterrupted run goes on
else:
    gan = keras_gan.saving.load_model(path)
    fit(gan)
state = [np.asarray(v).tolist() for v in gan.variables]
print("RESULT" + json.dumps({"p": float(gan.augment.p), "state": state}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "jit",
    [
        False,
        pytest.param(
            True, marks=pytest.mark.tensorflow_only("jit_compile=True: XLA on TensorFlow")
        ),
    ],
)
def test_ada_resumes_p_and_the_weights_bitwise_in_a_fresh_process(tmp_path, jit):
    from tests.scripts import run_python

    path = tmp_path / "ada.keras"
    uninterrupted = run_python(ADA_RUN, path, int(jit), "save")
    resumed = run_python(ADA_RUN, path, int(jit), "load")
    assert 0 < uninterrupted["p"] < 1  # p moved, and kept moving after the save
    assert resumed["p"] == uninterrupted["p"]
    assert resumed["state"] == uninterrupted["state"]
