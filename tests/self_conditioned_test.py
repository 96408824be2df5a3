"""SelfConditionedGAN: clusters found by `adapt`, labels found in the step,
samples drawn by the clusters' shares."""

import json

import keras
import numpy as np
import pytest

import keras_gan
from tests.conditional_test import conditional_models

CLUSTERS = 3
# Three well-separated blobs holding 60%, 30% and 10% of the samples.
CENTERS = np.array([[-2.0, 0.0], [0.0, 2.0], [2.0, 0.0]], "float32")
SHARES = np.array([0.6, 0.3, 0.1])


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    which = np.repeat(np.arange(CLUSTERS), (SHARES * n).astype(int))
    rng.shuffle(which)
    return (CENTERS[which] + 0.1 * rng.normal(size=(len(which), 2))).astype("float32"), which


def self_conditioned(seed=0):
    return keras_gan.SelfConditionedGAN(*conditional_models(), num_clusters=CLUSTERS, seed=seed)


def matched(gan):
    """For each blob, the cluster whose centre is nearest to it."""
    return np.asarray(keras.ops.convert_to_numpy(gan.clusters_of(CENTERS)))


def test_adapt_finds_the_clusters_and_their_shares():
    x, which = blobs()
    gan = self_conditioned().adapt(x)
    cluster = matched(gan)
    assert sorted(cluster.tolist()) == [0, 1, 2]
    labels = np.asarray(keras.ops.convert_to_numpy(gan.clusters_of(x)))
    np.testing.assert_array_equal(labels, cluster[which])
    shares = keras.ops.convert_to_numpy(gan.cluster_shares)
    np.testing.assert_allclose(shares[cluster], SHARES, atol=1e-6)


def test_adapt_reads_a_dataset_as_it_reads_the_array():
    x, _ = blobs()
    from_array = self_conditioned().adapt(x)
    batches = keras_gan.data.from_numpy(x, batch_size=64, shuffle=False, drop_remainder=False)
    from_batches = self_conditioned().adapt(batches)
    for name in ("centroids", "cluster_shares"):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(getattr(from_array, name)),
            keras.ops.convert_to_numpy(getattr(from_batches, name)),
        )
    # A repeating dataset is read for `steps` batches.
    repeating = keras_gan.data.from_numpy(x, batch_size=60, shuffle=False).repeat()
    assert self_conditioned().adapt(repeating, steps=5).adapted


def test_trains_on_unlabelled_samples_and_draws_clusters_by_their_share():
    x, _ = blobs()
    gan = self_conditioned().adapt(x)
    gan.compile(keras.optimizers.Adam(5e-3, beta_1=0.5), keras.optimizers.Adam(5e-3, beta_1=0.5))
    data = keras_gan.data.from_numpy(x, batch_size=50, seed=0).repeat()
    history = gan.fit(data, epochs=2, steps_per_epoch=200, shuffle=False, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    cluster = matched(gan)
    # Each cluster's samples land in its own blob: the step labelled the real
    # samples by their nearest centre.
    for blob in range(CLUSTERS):
        samples = gan.generate(200, labels=int(cluster[blob]), seed=1)
        found = np.asarray(keras.ops.convert_to_numpy(gan.clusters_of(samples)))
        assert np.mean(found == cluster[blob]) >= 0.9, (blob, np.bincount(found))
    # Unlabelled, the clusters come in proportion to their shares (n = 3000:
    # a share's standard error is below 0.01; tolerance 0.05 for the
    # generator's strays as well).
    samples = gan.generate(3000, seed=2)
    found = np.asarray(keras.ops.convert_to_numpy(gan.clusters_of(samples)))
    counts = np.bincount(found, minlength=CLUSTERS)[cluster] / len(found)
    np.testing.assert_allclose(counts, SHARES, atol=0.05)
    np.testing.assert_array_equal(gan.generate(8, seed=5), gan.generate(8, seed=5))


def test_saves_and_resumes_with_its_clusters(tmp_path):
    x, _ = blobs()
    gan = self_conditioned().adapt(x)
    gan.compile("adam", "adam")
    gan.fit(keras_gan.data.from_numpy(x, batch_size=50, seed=0), epochs=1, verbose=0)
    path = str(tmp_path / "sc.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is keras_gan.SelfConditionedGAN
    assert loaded.num_clusters == CLUSTERS and loaded.get_config()["num_clusters"] == CLUSTERS
    for name in ("centroids", "cluster_shares"):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(getattr(gan, name)),
            keras.ops.convert_to_numpy(getattr(loaded, name)),
        )
    np.testing.assert_array_equal(loaded.generate(16, seed=3), gan.generate(16, seed=3))
    # Training resumes exactly as it would have gone on.
    gan.fit(x, batch_size=50, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, batch_size=50, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(gan.generator.weights, loaded.generator.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_bad_use_is_named():
    x, which = blobs()
    gan = self_conditioned()
    gan.compile("adam", "adam")
    with pytest.raises(ValueError, match="adapt"):
        gan.fit(keras_gan.data.from_numpy(x, batch_size=50), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="adapt"):
        gan.generate(4)
    with pytest.raises(ValueError, match=r"shaped like the generator's, \(2,\).*\(3,\)"):
        gan.adapt(np.zeros((10, 3), "float32"))
    with pytest.raises(ValueError, match="at least num_clusters=3 samples. Received: 2"):
        gan.adapt(x[:2])
    with pytest.raises(ValueError, match="NaN"):
        gan.adapt(np.full((10, 2), np.nan, "float32"))
    with pytest.raises(ValueError, match="num_clusters"):
        keras_gan.SelfConditionedGAN(*conditional_models(), num_clusters=1)
    gan.adapt(x)
    with pytest.raises(Exception, match="labels its samples itself"):
        gan.fit(keras_gan.data.from_numpy(x, which, batch_size=50), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="pass one of them"):
        keras_gan.recipes.image_gan((8, 8, 1), num_classes=10, num_clusters=10)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the recipe's choice of model is backend-neutral (run once); conditional image "
    "recipes train on every backend in examples_test and the quick demo (whose digits "
    "GAN is self-conditioned)",
)
def test_the_image_recipe_builds_one():
    gan = keras_gan.recipes.image_gan((8, 8, 1), num_clusters=4, seed=0, width=8)
    assert isinstance(gan, keras_gan.SelfConditionedGAN) and gan.num_clusters == 4
    images = keras_gan.data.digits(return_labels=False)[:128]
    gan.adapt(images)
    history = gan.fit(keras_gan.data.from_numpy(images, batch_size=32), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    assert gan.generate(5, seed=0).shape == (5, 8, 8, 1)


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
def test_exports_the_generator_conditional_on_the_cluster(tmp_path):
    import tensorflow as tf

    x, _ = blobs()
    gan = self_conditioned().adapt(x)
    path = gan.export_generator(tmp_path / "sc_generator")
    sample = tf.saved_model.load(str(path)).signatures["sample"]
    labels = [2, 0, 1, 1]
    out = sample(n=tf.constant(4), seed=tf.constant(7, tf.int64), labels=tf.constant(labels))
    np.testing.assert_allclose(
        out["samples"].numpy(), gan.generate(4, labels=labels, seed=7), atol=1e-5
    )
    # The server, asked for samples without labels, draws the clusters by
    # their shares as `generate` does.
    from keras_gan.server.service import GeneratorService

    service = GeneratorService(path)
    np.testing.assert_allclose(service.generate(50, 3, None), gan.generate(50, seed=3), atol=1e-5)
    from tests.server_test import Server

    server = Server(path)
    try:
        for body, expected in (
            ({"n": 50, "seed": 3}, gan.generate(50, seed=3)),
            ({"n": 4, "seed": 7, "labels": labels}, gan.generate(4, labels=labels, seed=7)),
        ):
            status, _, answer = server.request("POST", "/v1/generate", body)
            assert status == 200, answer
            np.testing.assert_allclose(json.loads(answer)["samples"], expected, atol=1e-5)
    finally:
        server.close()
