import keras
import numpy as np
import pytest

from keras_gan import constraints


def test_weight_clip_values():
    clip = constraints.WeightClip(0.5)
    out = keras.ops.convert_to_numpy(clip(np.array([-2.0, -0.5, 0.1, 0.7], "float32")))
    np.testing.assert_array_equal(out, np.array([-0.5, -0.5, 0.1, 0.5], "float32"))


@pytest.mark.parametrize("value", [0, -0.1, "x", float("inf")])
def test_weight_clip_rejects_non_positive(value):
    with pytest.raises(ValueError, match=f"clip_value={value!r}"):
        constraints.WeightClip(value)


def test_get_and_round_trip():
    assert constraints.get(None) is None
    assert isinstance(constraints.get("weight_clip"), constraints.WeightClip)
    assert isinstance(constraints.get("WeightClip"), constraints.WeightClip)
    clip = constraints.WeightClip(0.03)
    restored = constraints.deserialize(constraints.serialize(clip))
    assert isinstance(restored, constraints.WeightClip) and restored.clip_value == 0.03
    assert isinstance(constraints.get("non_neg"), keras.constraints.NonNeg)
    with pytest.raises(ValueError, match="Received: d_constraint=5"):
        constraints.get(5)


def test_any_keras_constraint_is_applied_after_each_discriminator_update():
    import keras_gan

    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    discriminator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(8), keras.layers.Dense(1)]
    )
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(
        keras.optimizers.SGD(1.0),
        keras.optimizers.SGD(0.1),
        loss="hinge",
        d_constraint=keras.constraints.MaxNorm(0.5, axis=0),
    )
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32") * 5
    gan.fit(x, batch_size=8, epochs=1, verbose=0)
    for w in discriminator.trainable_weights:
        norms = np.sqrt(np.sum(np.square(w.numpy()), axis=0))
        assert norms.max() <= 0.5 + 1e-6
