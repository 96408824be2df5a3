import keras
import numpy as np
import pytest

from keras_gan import data, evaluation, metrics

# Statistics are float64 on TensorFlow, float32 on JAX and PyTorch: the
# tolerances against the float64 references say so.
FLOAT64 = metrics.stats_dtype() == "float64"
FRACTION_TOL = 1e-9 if FLOAT64 else 1e-6  # counts over n in float32: ~1 ulp


def test_mixture_scores_by_hand():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    samples = np.array(
        [
            [0.01, 0.0],
            [0.0, 0.02],
            [0.0, -0.01],
            [10.0, 0.01],  # 3 on mode 0, 1 on mode 1
            [5.0, 5.0],
            [10.5, 10.0],
        ]  # two misses (> 3 std = 0.03 away)
    )
    scores = evaluation.mixture_scores(samples, centers, std=0.01)
    assert scores["modes"] == 2 and scores["num_modes"] == 4
    assert scores["high_quality"] == pytest.approx(4 / 6)
    p = np.array([0.75, 0.25])
    assert scores["reverse_kl"] == pytest.approx(np.sum(p * np.log(p * 4)))


def test_mixture_scores_on_real_data_are_perfect():
    scores = evaluation.mixture_scores(data.ring(2500, seed=0), data.ring_modes(), std=0.01)
    assert scores["modes"] == 8
    assert scores["high_quality"] > 0.98  # 3 std in 2-D holds 98.9%
    assert scores["reverse_kl"] < 0.01


def test_mixture_scores_nothing_close():
    scores = evaluation.mixture_scores(np.full((5, 2), 3.0), data.ring_modes(), std=0.01)
    assert scores["modes"] == 0 and scores["reverse_kl"] == float("inf")
    with pytest.raises(ValueError, match="dimension"):
        evaluation.mixture_scores(np.zeros((5, 3)), data.ring_modes(), std=0.01)


# ------------------------------------------------------------ FrechetDistance


def scipy_fd(a, b):
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))


def gaussians(n=500, d=6, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
    b = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 0.5
    return a.astype("float32"), b.astype("float32")


def test_frechet_distance_matches_scipy_streaming():
    a, b = gaussians()
    fd = metrics.FrechetDistance()
    for i in range(0, 500, 128):  # uneven last batch
        fd.update_state(a[i : i + 128], b[i : i + 128])
    expected = scipy_fd(a.astype(np.float64), b.astype(np.float64))
    assert float(fd.result()) == pytest.approx(expected, rel=1e-4)
    fd.reset_state()
    fd.update_state(a, a)
    # float32: eigh's error on the square root is ~1e-4 of the trace.
    tolerance = 1e-6 if FLOAT64 else 1e-3 * float(np.trace(np.cov(a, rowvar=False)))
    assert abs(float(fd.result())) < tolerance


def test_frechet_distance_with_a_feature_model_and_config():
    import keras

    features = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]
    )
    fd = metrics.FrechetDistance(features=features, name="fd_dense")
    assert fd.feature_dim == 5
    x = data.digits(return_labels=False)
    fd.update_state(x[:300], x[300:600])
    f = lambda v: keras.ops.convert_to_numpy(features(v)).astype(np.float64)  # noqa: E731
    assert float(fd.result()) == pytest.approx(scipy_fd(f(x[:300]), f(x[300:600])), rel=1e-4)
    clone = metrics.FrechetDistance.from_config(fd.get_config())
    assert clone.name == "fd_dense" and clone.feature_dim == 5


def toy_gan(metric):
    """A small compiled GAN on 2-D points evaluating `metric`."""
    import keras_gan

    gan = keras_gan.GAN(
        keras_gan.models.mlp_generator(4, 2, hidden_units=(16,)),
        keras_gan.models.mlp_discriminator(2, hidden_units=(16,)),
        seed=0,
    )
    gan.compile("adam", "adam", metrics=[metric])
    return gan


def test_frechet_distance_in_fit_validation():
    gan = toy_gan(metrics.FrechetDistance())
    x = data.ring(512)
    history = gan.fit(x, batch_size=64, epochs=2, validation_data=(x,), verbose=0)
    assert "val_fd" in history.history and "fd" not in history.history
    assert all(v > 0 for v in history.history["val_fd"])
    assert set(gan.evaluate(x, batch_size=64, return_dict=True, verbose=0)) >= {"fd", "d_loss"}


def test_metrics_with_unknown_validation_batch_size():
    """Validation batches from `from_numpy(drop_remainder=False)` have an
    unknown static batch size: the feature size must stay known."""
    gan = toy_gan(metrics.FrechetDistance())
    gan.compile("adam", "adam", metrics=["fd", metrics.PrecisionRecall(max_samples=200)])
    x = data.ring(512)
    val = data.from_numpy(data.ring(150, seed=1), batch_size=64, drop_remainder=False)
    history = gan.fit(x, batch_size=64, epochs=1, validation_data=val, verbose=0)
    assert np.isfinite(history.history["val_fd"][0])
    assert 0.0 <= history.history["val_precision"][0] <= 1.0


def test_model_checkpoint_keeps_the_best_generator_by_val_fd(tmp_path):
    import keras

    gan = toy_gan(metrics.FrechetDistance())
    x = data.ring(256)
    path = str(tmp_path / "best.keras")
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="val_fd", mode="min", save_best_only=True
    )
    snapshots = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(gan.generator.get_weights())
    )
    history = gan.fit(
        x, batch_size=64, epochs=4, validation_data=(x,), verbose=0, callbacks=[checkpoint, keep]
    )
    best = keras.saving.load_model(path)
    assert isinstance(best.eval_metrics[0], metrics.FrechetDistance)
    best_epoch = int(np.argmin(history.history["val_fd"]))
    for a, b in zip(best.generator.get_weights(), snapshots[best_epoch], strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------ KID


def numpy_mmd(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    d = x.shape[1]

    def k(a, b):
        return (a @ b.T / d + 1.0) ** 3

    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * k(x, y).mean()
    )


def test_kid_matches_direct_numpy_mmd_streaming_and_bounded():
    a, b = gaussians(n=300, d=5)
    kid = metrics.KernelInceptionDistance(max_samples=250)
    for i in range(0, 300, 64):
        kid.update_state(a[i : i + 64], b[i : i + 64])
    # The buffers keep the first 250 of each side.
    assert float(kid.result()) == pytest.approx(numpy_mmd(a[:250], b[:250]), rel=1e-5)
    kid.reset_state()
    kid.update_state(a[:100], b[:120])
    assert float(kid.result()) == pytest.approx(numpy_mmd(a[:100], b[:120]), rel=1e-5)
    clone = metrics.KernelInceptionDistance.from_config(kid.get_config())
    assert clone.max_samples == 250 and clone.name == "kid"


def test_kid_separates_same_from_shifted_distributions():
    # Unbiased: about 0 for two samples of one distribution (either sign).
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 500, 4)).astype("float32")
    same = metrics.KernelInceptionDistance()
    same.update_state(a, b)
    shifted = metrics.KernelInceptionDistance()
    shifted.update_state(a, b + 1.0)
    assert abs(float(same.result())) < 0.05 * float(shifted.result())


def test_kid_logs_under_fit():
    gan = toy_gan(metrics.KernelInceptionDistance(max_samples=200))
    x = data.ring(256)
    history = gan.fit(x, batch_size=64, epochs=1, validation_data=(x,), verbose=0)
    assert history.history["val_kid"][0] > 0


# ------------------------------------------------- k-NN manifolds and IS


def brute_radii(x, k):
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    return np.sort(d, axis=1)[:, k]


def brute_precision_recall(real, fake, k=3):
    real, fake = real.astype(np.float64), fake.astype(np.float64)
    d = np.linalg.norm(fake[:, None] - real[None], axis=-1)  # (fake, real)
    precision = np.mean([(d[j] <= brute_radii(real, k)).any() for j in range(len(fake))])
    recall = np.mean([(d[:, i] <= brute_radii(fake, k)).any() for i in range(len(real))])
    return precision, recall


def brute_density_coverage(real, fake, k=5):
    real, fake = real.astype(np.float64), fake.astype(np.float64)
    radii = brute_radii(real, k)
    inside = np.linalg.norm(fake[:, None] - real[None], axis=-1) <= radii[None]
    return inside.sum() / (k * len(fake)), inside.any(axis=0).mean()


def two_sets():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(60, 3)).astype("float32")
    fake = (rng.normal(size=(50, 3)) * 0.7 + 1.5).astype("float32")
    return real, fake


def test_precision_recall_matches_brute_force_knn():
    real, fake = two_sets()
    pr = metrics.PrecisionRecall(k=3)
    pr.update_state(real[:30], fake[:25])
    pr.update_state(real[30:], fake[25:])
    result = {k: float(v) for k, v in pr.result().items()}
    precision, recall = brute_precision_recall(real, fake)
    assert result == pytest.approx({"precision": precision, "recall": recall}, abs=FRACTION_TOL)
    assert 0 < precision < 1 and 0 < recall < 1
    assert metrics.PrecisionRecall.from_config(pr.get_config()).k == 3


def test_density_coverage_matches_brute_force():
    real, fake = two_sets()
    dc = metrics.DensityCoverage(k=5)
    dc.update_state(real, fake)
    density, coverage = brute_density_coverage(real, fake)
    result = {k: float(v) for k, v in dc.result().items()}
    assert result == pytest.approx({"density": density, "coverage": coverage}, abs=FRACTION_TOL)


def test_two_valued_metrics_log_each_value_under_fit():
    gan = toy_gan(metrics.PrecisionRecall(max_samples=128))
    x = data.ring(256)
    logs = gan.evaluate(x, batch_size=64, return_dict=True, verbose=0)
    assert {"precision", "recall"} <= set(logs)
    assert 0.0 <= logs["precision"] <= 1.0


def test_inception_score_by_hand():
    import keras

    classifier = keras.Sequential([keras.Input((3,)), keras.layers.Identity()])
    logits = np.array([[10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0], [10.0, 0, 0]], "float32")
    score = metrics.InceptionScore(classifier, name="is_identity")
    score.update_state(None, logits[:2])
    score.update_state(None, logits[2:])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    marginal = p.mean(0)
    expected = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1)))
    assert float(score.result()) == pytest.approx(expected, rel=1e-6)
    # features=None: the samples themselves are the logits.
    plain = metrics.get("inception_score")
    plain.update_state(None, logits)
    assert float(plain.result()) == pytest.approx(expected, rel=1e-6)


def test_get_serialize_deserialize():
    assert isinstance(metrics.get("fd"), metrics.FrechetDistance)
    assert isinstance(metrics.get("kid"), metrics.KernelInceptionDistance)
    for cls in (metrics.FrechetDistance, metrics.PrecisionRecall, metrics.DensityCoverage):
        assert type(metrics.get(cls.__name__)) is cls
    pr = metrics.PrecisionRecall(k=4, max_samples=50)
    restored = metrics.deserialize(metrics.serialize(pr))
    assert isinstance(restored, metrics.PrecisionRecall) and restored.k == 4
    assert restored.max_samples == 50
    with pytest.raises(ValueError, match="Received: metric='fid'"):
        metrics.get("fid")
    # A config with a functional model as `features` rebuilds twice (Keras
    # consumes such a config in place; deserialize works on a copy).
    inputs = keras.Input((2,))
    config = metrics.serialize(
        metrics.FrechetDistance(keras.Model(inputs, keras.layers.Dense(3)(inputs)), name="f")
    )
    for _ in range(2):
        assert metrics.deserialize(config).feature_dim == 3
    gan = toy_gan("fd")
    assert isinstance(gan.eval_metrics[0], metrics.FrechetDistance)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.FrechetDistance,
        metrics.KernelInceptionDistance,
        metrics.PrecisionRecall,
        metrics.DensityCoverage,
    ],
)
def test_a_score_of_too_few_samples_is_nan_not_a_perfect_score(metric):
    """Before any update, or from one sample (FD, KID), or from no more
    samples than neighbours (k = 5 by default), the score is undefined."""
    m = metric()
    values = lambda: [float(v) for v in keras.tree.flatten(m.result())]  # noqa: E731
    assert all(np.isnan(values()))
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    m.update_state(x[:1], x[1:2])
    assert all(np.isnan(values()))
    m.update_state(x[2:20], x[20:40])
    assert all(np.isfinite(values()))
