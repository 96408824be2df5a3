"""ConditionalGAN: labels reach both networks, with the core's losses and penalties."""

import keras
import numpy as np
import pytest
from keras import layers

import keras_gan

CLASSES, LATENT = 3, 4


def conditional_models():
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    h = layers.Concatenate()([z, layers.Embedding(CLASSES, 4)(label)])
    h = layers.Dense(16, activation="relu")(h)
    generator = keras.Model([z, label], layers.Dense(2)(h))
    x = keras.Input((2,))
    d_label = keras.Input((), dtype="int32")
    h = layers.Concatenate()([x, layers.Embedding(CLASSES, 4)(d_label)])
    h = layers.Dense(16)(h)
    discriminator = keras.Model([x, d_label], layers.Dense(1)(layers.LeakyReLU(0.2)(h)))
    return generator, discriminator


def labelled_data(n=96):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, n)
    centers = np.array([[-2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    return (centers[labels] + 0.1 * rng.normal(size=(n, 2))).astype("float32"), labels


@pytest.mark.parametrize(
    "loss, penalty",
    [
        ("non_saturating", None),
        ("hinge", keras_gan.penalties.R1(1.0)),
        ("wasserstein", keras_gan.penalties.GradientPenalty(10.0)),
        ("relativistic_average", None),
    ],
)
def test_conditional_gan_trains_with_core_losses(loss, penalty):
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)
    assert gan.latent_dim == LATENT
    gan.compile("adam", "adam", loss=loss, d_penalty=penalty)
    d_before = [w.numpy().copy() for w in gan.discriminator.weights]
    x, y = labelled_data()
    history = gan.fit(keras_gan.data.from_numpy(x, y, batch_size=32), epochs=2, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    assert any(
        not np.array_equal(a, b.numpy())
        for a, b in zip(d_before, gan.discriminator.weights, strict=True)
    )
    if penalty is not None:
        assert history.history[penalty.name][-1] > 0


def test_labels_reach_the_generator():
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES)
    a = gan.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=1)
    b = gan.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=1)
    np.testing.assert_array_equal(a, b)
    same_z_other_labels = gan.generate(6, labels=[1, 2, 0, 1, 2, 0], seed=1)
    assert not np.allclose(a, same_z_other_labels)
    z = keras.ops.convert_to_numpy(gan.sample_latent(6, seed=1))
    expected = keras.ops.convert_to_numpy(gan.generator([z, np.array([2] * 6, "int32")]))
    np.testing.assert_allclose(gan.generate(6, labels=2, seed=1), expected, atol=1e-6)
    # Default labels cycle through the classes.
    np.testing.assert_array_equal(
        gan.generate(3, seed=4),
        gan.generate(3, labels=[0, 1, 2], seed=4),
    )


@pytest.mark.parametrize(
    "labels, match",
    [
        ([0, 3], r"in \[0, 3\).*\[3\]"),
        ([0, -1], r"\[-1\]"),
        ([0], "one label or 2 labels"),
        ([0.5, 1], "integer class indices"),
        ([True, False], "integer class indices.*bool"),
        (["a", "b"], "integer class indices"),
    ],
)
def test_bad_labels(labels, match):
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES)
    with pytest.raises(ValueError, match=match):
        gan.generate(2, labels=labels)


def test_batches_without_labels_are_refused():
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES)
    gan.compile("adam", "adam")
    x, _ = labelled_data()
    with pytest.raises(ValueError, match="without labels"):
        gan.fit(x, batch_size=32, epochs=1, verbose=0)


def test_num_classes_validated():
    for bad in (1, None, 2.5, "x"):
        with pytest.raises(ValueError, match=f"num_classes={bad!r}"):
            keras_gan.ConditionalGAN(*conditional_models(), num_classes=bad)


def test_training_labels_outside_the_classes_are_named_and_the_model_survives():
    """Out-of-range labels stop `fit` with an error naming them (on JAX a
    NaN without a word before, on TensorFlow a bare GatherV2 error, on
    PyTorch an IndexError), as do one-hot labels; the GAN trains on after
    the errors, and (batch,) labels after (batch, 1) ones retrace cleanly."""
    x, y = labelled_data()
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)
    gan.compile("adam", "adam")
    # A first fit that fails at its first batch: on JAX this left the
    # variables without values ("'NoneType' object is not callable" next).
    with pytest.raises(ValueError, match="without labels"):
        gan.fit(x, batch_size=32, epochs=1, verbose=0)
    bad = y.copy()
    bad[[5, 9]] = [CLASSES, -2]
    too_high = y.copy()  # (from_numpy itself refuses negative labels)
    too_high[[5, 9]] = [CLASSES, CLASSES + 4]
    with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)") as error:
        gan.fit(keras_gan.data.from_numpy(x, too_high, batch_size=96), epochs=1, verbose=0)
    if keras.backend.backend() != "tensorflow":  # TF's assertion prints the batch
        assert f"containing [{CLASSES}, {CLASSES + 4}]" in str(error.value)
    with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)") as error:
        gan.fit(x, bad, batch_size=96, epochs=1, verbose=0)
    if keras.backend.backend() != "tensorflow":
        assert f"containing [-2, {CLASSES}]" in str(error.value)
    with pytest.raises(ValueError, match=r"one-hot.*shape \(32, 3\)"):
        gan.fit(x, np.eye(CLASSES)[y], batch_size=32, epochs=1, verbose=0)
    before = [w.copy() for w in gan.get_weights()]
    for labels in (y, y[:, None], y):
        history = gan.fit(x, labels, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    assert not all(np.array_equal(a, b) for a, b in zip(before, gan.get_weights(), strict=True))
    with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)"):
        gan.evaluate(x, bad, batch_size=96, verbose=0)
    if keras.backend.backend() == "tensorflow":
        # XLA drops the step's assertions: the batch is checked before it.
        gan.compile("adam", "adam", jit_compile=True)
        with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)"):
            gan.fit(x, bad, batch_size=96, epochs=1, verbose=0)
        gan.fit(x, y, batch_size=32, epochs=1, verbose=0)


def test_float_training_labels_must_be_integer_valued():
    """Float labels holding whole numbers train like integers; a fractional
    (or NaN) one is named, not truncated to a class by the cast."""
    x, y = labelled_data()
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=0)
    gan.compile("adam", "adam")
    history = gan.fit(x, y.astype("float32"), batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    for value in (1.5, np.nan):
        bad = y.astype("float32")
        bad[7] = value
        with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)") as error:
            gan.fit(x, bad, batch_size=96, epochs=1, verbose=0)
        if keras.backend.backend() != "tensorflow":  # TF's assertion prints the batch
            assert f"containing [{value}]" in str(error.value)
    if keras.backend.backend() == "tensorflow":
        gan.compile("adam", "adam", jit_compile=True)
        with pytest.raises(Exception, match=rf"class indices in \[0, {CLASSES}\)"):
            gan.fit(x, bad, batch_size=96, epochs=1, verbose=0)
    gan.fit(x, y.astype("float32"), batch_size=32, epochs=1, verbose=0)


def test_conditional_gan_saves_and_resumes(tmp_path):
    gan = keras_gan.ConditionalGAN(*conditional_models(), num_classes=CLASSES, seed=2)
    gan.compile("adam", "adam", loss="hinge")
    x, y = labelled_data()
    gan.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    gan.save(tmp_path / "c.keras")
    loaded = keras.saving.load_model(tmp_path / "c.keras")
    assert isinstance(loaded, keras_gan.ConditionalGAN) and loaded.num_classes == CLASSES
    np.testing.assert_array_equal(
        loaded.generate(4, labels=1, seed=0), gan.generate(4, labels=1, seed=0)
    )
    gan.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(gan.generator.weights, loaded.generator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
