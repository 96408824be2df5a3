"""Every loss against numbers computed by hand from API.md's formulas."""

import math

import keras
import numpy as np
import pytest

from keras_gan import backend, losses

REAL = np.array([2.0, -1.0, 0.5, 0.0], dtype="float32")
FAKE = np.array([-3.0, 1.0, 0.25], dtype="float32")


def sig(x):
    return 1 / (1 + math.exp(-x))


def mean(values):
    values = list(values)
    return sum(values) / len(values)


# Plain-Python transcriptions of the table in API.md.
HAND = {
    "minimax": (
        -mean(math.log(sig(r)) for r in REAL) - mean(math.log(1 - sig(f)) for f in FAKE),
        mean(math.log(1 - sig(f)) for f in FAKE),
    ),
    "non_saturating": (
        -mean(math.log(sig(r)) for r in REAL) - mean(math.log(1 - sig(f)) for f in FAKE),
        -mean(math.log(sig(f)) for f in FAKE),
    ),
    "wasserstein": (mean(FAKE) - mean(REAL), -mean(FAKE)),
    "least_squares": (
        0.5 * mean((r - 1) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE),
        0.5 * mean((f - 1) ** 2 for f in FAKE),
    ),
    "hinge": (
        mean(max(0, 1 - r) for r in REAL) + mean(max(0, 1 + f) for f in FAKE),
        -mean(FAKE),
    ),
    "relativistic_average": (
        -mean(math.log(sig(r - mean(FAKE))) for r in REAL)
        - mean(math.log(1 - sig(f - mean(REAL))) for f in FAKE),
        -mean(math.log(sig(f - mean(REAL))) for f in FAKE)
        - mean(math.log(1 - sig(r - mean(FAKE))) for r in REAL),
    ),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_loss_pairs_match_hand_computation(name):
    loss = losses.get(name)
    d_expected, g_expected = HAND[name]
    np.testing.assert_allclose(float(loss.discriminator_loss(REAL, FAKE)), d_expected, rtol=1e-6)
    np.testing.assert_allclose(
        float(loss.generator_loss(FAKE, real_scores=REAL)), g_expected, rtol=1e-6
    )


@pytest.mark.parametrize("name", sorted(HAND))
def test_losses_accept_column_scores(name):
    loss = losses.get(name)
    flat = float(loss.discriminator_loss(REAL, FAKE))
    column = float(loss.discriminator_loss(REAL[:, None], FAKE[:, None]))
    assert flat == pytest.approx(column, rel=1e-7)


def test_one_sided_label_smoothing_changes_only_the_real_target():
    t = 0.9
    loss = losses.get("minimax", label_smoothing=0.1)
    expected = -mean(t * math.log(sig(r)) + (1 - t) * math.log(1 - sig(r)) for r in REAL)
    expected -= mean(math.log(1 - sig(f)) for f in FAKE)
    np.testing.assert_allclose(float(loss.discriminator_loss(REAL, FAKE)), expected, rtol=1e-6)
    # The generator's loss is unaffected.
    assert float(loss.generator_loss(FAKE)) == pytest.approx(HAND["minimax"][1], rel=1e-6)
    ls = losses.get("least_squares", label_smoothing=0.1)
    expected = 0.5 * mean((r - t) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE)
    np.testing.assert_allclose(float(ls.discriminator_loss(REAL, FAKE)), expected, rtol=1e-6)


@pytest.mark.parametrize("value", [1.0, -0.1, "a", float("nan")])
def test_bad_label_smoothing_is_named(value):
    with pytest.raises(ValueError, match=f"label_smoothing={value!r}"):
        losses.get("minimax", label_smoothing=value)


def test_default_is_no_smoothing():
    assert losses.get("minimax").label_smoothing == 0.0


@pytest.mark.parametrize("name", ["wasserstein", "hinge"])
def test_smoothing_refused_where_there_is_no_target(name):
    with pytest.raises(ValueError, match="label_smoothing=0.1"):
        losses.get(name, label_smoothing=0.1)


def test_minimax_is_stable_for_large_logits():
    loss = losses.get("minimax")
    big = np.array([80.0, -80.0], dtype="float32")
    assert np.isfinite(float(loss.discriminator_loss(big, big)))
    np.testing.assert_allclose(
        float(losses.get("non_saturating").generator_loss(-big)), 40.0, rtol=1e-5
    )


def test_aliases():
    assert isinstance(losses.get("modified_minimax"), losses.NonSaturating)
    assert losses.get("modified_minimax").name == "non_saturating"
    assert isinstance(losses.get("ragan"), losses.RelativisticAverage)
    assert isinstance(losses.get("Least-Squares"), losses.LeastSquares)
    # Class names, as Keras' own `get`s take them.
    for cls in (losses.NonSaturating, losses.RelativisticAverage, losses.Wasserstein):
        assert type(losses.get(cls.__name__)) is cls


def test_unknown_name_lists_known_losses():
    with pytest.raises(ValueError) as err:
        losses.get("wgan-gp")
    message = str(err.value)
    for name in HAND:
        assert name in message
    assert "Received: loss='wgan-gp'" in message


def test_bad_identifier_type():
    with pytest.raises(ValueError, match="Received: loss=3"):
        losses.get(3)


@pytest.mark.parametrize("name", sorted(HAND))
def test_serialize_round_trip(name):
    loss = losses.get(
        name,
        **(
            {"label_smoothing": 0.2}
            if name in ("minimax", "non_saturating", "least_squares", "relativistic_average")
            else {}
        ),
    )
    config = losses.serialize(loss)
    restored = losses.deserialize(config)
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    assert losses.get(config).get_config() == loss.get_config()
    # Also through Keras' own generic deserializer.
    assert type(keras.saving.deserialize_keras_object(config)) is type(loss)


def test_accuracy():
    loss = losses.get("non_saturating")
    # real correct: 2.0, 0.5 (2 of 4, 0.0 is not > 0); fake correct: -3.0 (1 of 3)
    assert float(loss.discriminator_accuracy(REAL, FAKE)) == pytest.approx(0.5 * (0.5 + 1 / 3))
    assert losses.get("wasserstein").discriminator_accuracy(REAL, FAKE) is None
    # Least squares decides at 0.5: real > 0.5 -> 1 of 4; fake < 0.5 -> 2 of 3.
    assert float(losses.get("least_squares").discriminator_accuracy(REAL, FAKE)) == pytest.approx(
        0.5 * (0.25 + 2 / 3)
    )


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1.0, 2.0], [3.0, 6.0]], "float32"),  # a mean over every axis
        np.array([1.0, 2.0, 3.0, 6.0], "float16"),  # mixed precision's scores
        np.array([True, False, False, True]),  # the accuracy's decisions
        np.array([1, 2, 3, 6], "int32"),
    ],
    ids=["float32", "float16", "bool", "int32"],
)
def test_mean_float32_is_the_mean_in_float32(values):
    # The step's logs and losses take their means through the backend
    # (one torch.mean on PyTorch): the same value and dtype on every backend.
    result = losses.mean_float32(keras.ops.convert_to_tensor(values))
    assert keras.backend.standardize_dtype(result.dtype) == "float32"
    assert tuple(result.shape) == ()
    assert float(result) == pytest.approx(float(np.mean(values.astype("float64"))))


def test_mean_float32_passes_gradients():
    x = keras.Variable(np.array([1.0, 2.0, 4.0], "float32"))
    # d mean(x^2) / dx = 2x / n, through each backend's own gradient
    _, (grad,) = backend.value_and_grad(lambda: (losses.mean_float32(x * x), None), [x])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), [2 / 3, 4 / 3, 8 / 3], rtol=1e-6)


def test_custom_loss_subclass():
    class Scaled(losses.GANLoss):
        decision_threshold = None

        def discriminator_loss(self, real_scores, fake_scores):
            return keras.ops.mean(fake_scores) - keras.ops.mean(real_scores)

        def generator_loss(self, fake_scores, real_scores=None):
            return -keras.ops.mean(fake_scores)

    loss = Scaled()
    assert loss.name == "scaled"
    assert float(loss(REAL, FAKE)[0]) == pytest.approx(HAND["wasserstein"][0], rel=1e-6)


def test_top_k_fraction_decays_to_its_minimum():
    top_k = losses.TopK(0.75, decay=0.99, decay_steps=24)
    fraction = lambda step: float(top_k.fraction(step))  # noqa: E731
    assert fraction(0) == pytest.approx(1.0)
    assert fraction(24) == pytest.approx(0.99)
    assert fraction(240) == pytest.approx(0.99**10, rel=1e-5)
    assert fraction(10_000) == pytest.approx(0.75)
    assert float(losses.TopK.get(0.5).fraction(0)) == pytest.approx(0.5)  # from the start


@pytest.mark.parametrize("step, kept", [(0, 8), (10_000, 2)])
def test_top_k_passes_gradient_through_the_best_scored_only(step, kept):
    # The same loss value as the whole batch's; the gradient is the mean
    # over the `kept` highest scores' (2 of 8 once decayed to 0.25).
    scores = np.array([0.5, -2.0, 3.0, 1.0, -1.0, 2.0, 0.0, -3.0], "float32")
    x = keras.Variable(scores)
    top_k = losses.TopK(0.25, decay=0.5, decay_steps=10)
    loss = losses.get("non_saturating")

    def fn():
        value = loss.generator_loss(top_k.select(x, step))
        return value, value

    value, (grad,) = backend.value_and_grad(fn, [x])
    assert float(value) == pytest.approx(float(loss.generator_loss(scores)), rel=1e-6)
    best = np.argsort(scores)[::-1][:kept]
    expected = np.zeros(8)
    expected[best] = -(1 - 1 / (1 + np.exp(-scores[best]))) / kept  # d softplus(-s)/ds / k
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_fraction": 0.0}, "min_fraction"),
        ({"min_fraction": 1.5}, "min_fraction=1.5"),
        ({"decay": 1.0}, "decay=1.0"),
        ({"decay_steps": 0}, "decay_steps"),
    ],
)
def test_top_k_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        losses.TopK(**kwargs)
    with pytest.raises(ValueError, match="top_k='most'"):
        losses.TopK.get("most")


def test_top_k_round_trips_through_its_config():
    top_k = losses.TopK(0.6, decay=0.98, decay_steps=12.5)
    config = keras.saving.serialize_keras_object(top_k)
    again = losses.TopK.get(config)
    assert again.get_config() == top_k.get_config()
    assert repr(again) == "TopK(min_fraction=0.6, decay=0.98, decay_steps=12.5)"
