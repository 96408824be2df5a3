"""Feature extractors (keras_gan.metrics.features), the digits split, digits_scores."""

import os

import keras
import numpy as np
import pytest

from keras_gan import data, evaluation, metrics
from keras_gan.metrics import features


def test_digits_split_is_disjoint_stratified_and_deterministic():
    split = data.digits_split(seed=0)
    assert {k: len(v[0]) for k, v in split.items()} == data.DIGITS_SPLIT_SIZES
    images, _ = data.digits()
    flat = images.reshape(len(images), -1)
    index = {row.tobytes(): i for i, row in enumerate(flat)}
    parts = {k: {index[x.reshape(-1).tobytes()] for x in v[0]} for k, v in split.items()}
    assert sum(len(p) for p in parts.values()) == len(images)  # disjoint, covering
    for _, y in split.values():
        counts = np.bincount(y, minlength=10) / len(y)
        assert np.all(np.abs(counts - 0.1) < 0.02)  # every part holds ~10% of each digit
    again = data.digits_split(seed=0)
    assert all(np.array_equal(split[k][0], again[k][0]) for k in split)
    other = data.digits_split(seed=1)
    assert not np.array_equal(split["gan"][0], other["gan"][0])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.slow
@pytest.mark.tensorflow_only(
    "the cache is a backend-neutral .keras file; training on every backend is "
    "test_digits_classifier_training_is_deterministic"
)
def test_digits_classifier_trains_once_caches_and_classifies(cache):
    model = evaluation.digits_classifier()
    (entry,) = os.listdir(cache)
    assert entry.startswith(f"digits_classifier-v{evaluation.DIGITS_CLASSIFIER_VERSION}-keras")
    assert model.name == "digits" and model.output_shape == (None, 128)
    again = evaluation.digits_classifier()  # loaded from the cache
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    logits = evaluation.digits_classifier("logits")
    x, y = data.digits_split()["reference"]  # never seen by the classifier
    accuracy = np.mean(np.argmax(logits.predict(x, verbose=0), -1) == y)
    assert accuracy >= 0.95, accuracy
    # A corrupt cache entry is retrained and replaced, with a warning.
    (cache / entry).write_bytes(b"not a keras file")
    with pytest.warns(UserWarning, match="Retraining the digits classifier"):
        rebuilt = evaluation.digits_classifier()
    assert rebuilt.output_shape == (None, 128)
    keras.saving.load_model(cache / entry)  # a valid archive again


@pytest.mark.slow
def test_digits_classifier_training_is_deterministic():
    first, acc1 = evaluation.train_digits_classifier(seed=0, epochs=3)
    second, acc2 = evaluation.train_digits_classifier(seed=0, epochs=3)
    assert acc1 == acc2
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.slow
@pytest.mark.tensorflow_only(
    "names and configs: backend-neutral code, and building InceptionV3 twice takes 30 s "
    "on JAX (the identity extractor's tags are tested on every backend below)"
)
def test_inception_feature_tags_name_the_logs_and_survive_config():
    inception = features.inception_v3(weights=None, input_shape=(8, 8, 1), resize_to=75)
    assert inception.name == "keras_inception" and inception.output_shape == (None, 2048)
    fid = metrics.FrechetDistance(inception)
    assert fid.name == "fid_keras_inception"
    assert metrics.KernelInceptionDistance(inception).name == "kid_keras_inception"
    clone = metrics.FrechetDistance.from_config(fid.get_config())
    assert clone.name == "fid_keras_inception" and clone.features.name == "keras_inception"


def test_feature_tags_name_the_logs_and_survive_config():
    identity = features.identity((2,))
    fd = metrics.FrechetDistance(identity)
    assert fd.name == "fd" and fd.feature_dim == 2
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    fd.update_state(x, x + 1.0)
    np.testing.assert_allclose(float(fd.result()), 2.0, atol=1e-6)  # |mu shift|^2


@pytest.mark.slow
@pytest.mark.tensorflow_only(
    "loading Keras' InceptionV3 weights is backend-neutral Keras code, and building "
    "InceptionV3 twice takes 17 s on JAX"
)
def test_inception_v3_weights_from_a_file(tmp_path):
    backbone = keras.applications.InceptionV3(
        include_top=False, weights=None, input_shape=(75, 75, 3), pooling="avg"
    )
    path = str(tmp_path / "inception.weights.h5")
    backbone.save_weights(path)
    model = features.inception_v3(weights=path, input_shape=(75, 75, 3), resize_to=75)
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 75, 75, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(backbone(x)), atol=1e-5
    )
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        features.inception_v3(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="resize_to=32"):
        features.inception_v3(weights=None, resize_to=32)
    with pytest.raises(ValueError, match="input_shape"):
        features.inception_v3(weights=None, input_shape=(8, 8, 2))


@pytest.mark.slow
def test_digits_metrics_tag_their_logs():
    digits = evaluation.digits_classifier()
    pr = metrics.PrecisionRecall(digits)
    split = data.digits_split()
    pr.update_state(split["reference"][0][:100], split["gan"][0][:100])
    assert set(pr.result()) == {"precision_digits", "recall_digits"}
    assert metrics.FrechetDistance(digits).name == "fd_digits"
    assert metrics.InceptionScore(evaluation.digits_classifier("logits")).name == "is_digits"
    clone = metrics.PrecisionRecall.from_config(pr.get_config())
    for a, b in zip(clone.features.get_weights(), digits.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # rebuilt from the cache, not random


@pytest.mark.slow
def test_digits_scores_real_against_real_and_noise():
    split = data.digits_split()
    reference, _ = split["reference"]
    real, labels = split["gan"]
    good = evaluation.digits_scores(real[:400], reference, requested_labels=labels[:400])
    assert good["precision"] > 0.85 and good["recall"] > 0.85, good
    assert good["classes_covered"] == 10 and good["label_kl"] < 0.05
    assert good["label_agreement"] > 0.95
    noise = np.random.default_rng(0).uniform(-1, 1, size=(400, 8, 8, 1)).astype("float32")
    bad = evaluation.digits_scores(noise, reference)
    assert bad["precision"] < 0.2 and bad["fd"] > 10 * good["fd"], bad


@pytest.mark.slow
def test_stacked_modes_of_real_and_collapsed_stacks():
    real, _ = data.stacked_digits(26_000, part="reference", seed=0)
    scores = evaluation.stacked_modes(real)
    assert scores["modes"] >= 995 and scores["reverse_kl"] < 0.1, scores
    collapsed = np.repeat(real[:1], 100, axis=0)
    assert evaluation.stacked_modes(collapsed) == {
        "modes": 1,
        "reverse_kl": pytest.approx(np.log(1000)),
    }
    with pytest.raises(ValueError, match=r"shape=\(4, 8, 8, 1\)"):
        evaluation.stacked_modes(np.zeros((4, 8, 8, 1)))
