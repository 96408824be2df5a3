import keras
import numpy as np
import pytest

from keras_gan import data


def test_ring_points_sit_on_their_modes():
    x = data.ring(4000, seed=1)
    assert x.shape == (4000, 2) and x.dtype == np.float32
    centers = data.ring_modes()
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=1e-6)
    d = np.linalg.norm(x[:, None] - centers[None], axis=-1)
    # std 0.01 per axis: 5 std covers essentially everything.
    assert d.min(axis=1).max() < 0.05
    counts = np.bincount(d.argmin(axis=1), minlength=8)
    assert counts.min() > 400  # roughly 500 each
    np.testing.assert_array_equal(x, data.ring(4000, seed=1))


def test_grid_modes_and_spread():
    centers = data.grid_modes()
    assert centers.shape == (25, 2)
    assert sorted(set(centers[:, 0])) == [-4, -2, 0, 2, 4]
    x = data.grid(5000, seed=0)
    d = np.linalg.norm(x[:, None] - centers[None], axis=-1).min(axis=1)
    np.testing.assert_allclose(np.sqrt(np.mean(d**2) / 2), 0.05, rtol=0.05)


def test_digits_range_shape_labels():
    x, y = data.digits()
    assert x.shape == (1797, 8, 8, 1) and y.shape == (1797,)
    assert x.min() == -1.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    big = data.digits(image_size=16, return_labels=False)
    assert big.shape == (1797, 16, 16, 1)
    np.testing.assert_array_equal(big[:, ::2, ::2], x)
    with pytest.raises(ValueError, match="image_size=12"):
        data.digits(image_size=12)


def test_from_numpy_batches():
    x = np.arange(100, dtype="float64").reshape(50, 2)
    y = np.arange(50)
    ds = data.from_numpy(x, y, batch_size=16, seed=0)
    batches = [(np.asarray(a), np.asarray(b)) for a, b in ds]
    assert len(batches) == 3  # the short last batch is dropped
    xb, yb = batches[0]
    assert xb.shape == (16, 2) and xb.dtype == np.float32
    np.testing.assert_array_equal(xb[:, 0] / 2, yb)  # pairs stay together
    assert [b.shape[0] for b in data.from_numpy(x, batch_size=16, drop_remainder=False)] == [
        16,
        16,
        16,
        2,
    ]


def test_from_numpy_is_a_pydataset_without_tensorflow_backend():
    """On JAX and PyTorch `from_numpy` needs no TensorFlow: a PyDataset."""
    ds = data.from_numpy(np.zeros((8, 2)), batch_size=4)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        assert isinstance(ds, tf.data.Dataset)
    else:
        assert isinstance(ds, data.ArrayDataset) and isinstance(ds, keras.utils.PyDataset)


def _epochs(ds, count):
    return [np.concatenate([np.asarray(b) for b in ds])[:, 0] for _ in range(count)]


def test_array_dataset_shuffles_each_epoch_from_its_seed():
    x = np.arange(40, dtype="float32").reshape(20, 2)
    make = lambda **kw: data.ArrayDataset(x, None, 6, True, True, **kw)  # noqa: E731
    first, second = _epochs(make(seed=3), 2)
    assert len(first) == 18 and len(set(first)) == 18  # 3 full batches, no repeats
    assert not np.array_equal(first, second)  # reshuffled for the next epoch
    again = _epochs(make(seed=3), 2)
    np.testing.assert_array_equal(again[0], first)  # the seed decides
    np.testing.assert_array_equal(again[1], second)
    assert not np.array_equal(_epochs(make(seed=4), 1)[0], first)
    ordered = data.ArrayDataset(x, None, 6, False, False, seed=None)
    np.testing.assert_array_equal(_epochs(ordered, 1)[0], x[:, 0])
    assert len(ordered) == 4 and ordered[3].shape == (2, 2)  # the short last batch
    with pytest.raises(IndexError, match="index=4"):
        ordered[4]


def test_array_dataset_repeat_is_the_same_epochs_without_end():
    x = np.arange(40, dtype="float32").reshape(20, 2)
    ds = data.ArrayDataset(x, None, 5, True, True, seed=1)
    epochs = _epochs(ds, 3)
    endless = ds.repeat()
    assert endless.num_batches is None
    with pytest.raises(TypeError, match="endless"):
        len(endless)
    stream = [np.asarray(endless[i])[:, 0] for i in range(12)]
    np.testing.assert_array_equal(np.concatenate(stream), np.concatenate(epochs))


def test_fit_on_array_dataset_is_reproducible_and_sees_every_sample():
    """Two GANs trained from the same seed on `from_numpy(seed=...)` batches
    end with the same weights; `on_epoch_end` moves each epoch on."""
    from keras_gan import GAN, models

    if keras.backend.backend() == "tensorflow":
        pytest.skip("from_numpy is a tf.data pipeline on TensorFlow (tested above)")

    def train():
        keras.utils.set_random_seed(0)
        gan = GAN(models.mlp_generator(4, 2, (8,)), models.mlp_discriminator(2, (8,)), seed=0)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        ds = data.from_numpy(data.ring(64, seed=0), batch_size=16, seed=5)
        gan.fit(ds, epochs=3, verbose=0, shuffle=False)
        return ds, gan.get_weights()

    ds, first = train()
    assert ds.epoch == 3  # fit set epochs 0, 1, 2; the last one's end moved on
    _, second = train()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": np.zeros(5)}, r"x.shape=\(5,\)"),
        ({"x": np.zeros((5, 2)), "y": np.zeros(4)}, "len"),
        ({"x": np.zeros((5, 2)), "batch_size": 8}, "batch_size=8"),
    ],
)
def test_from_numpy_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.from_numpy(**kwargs)


def test_from_numpy_refuses_non_finite_samples():
    # A GAN trained on NaN need not show it in its losses (a ReLU maps NaN
    # to 0 on some backends): the loader names the first bad value.
    x = np.zeros((5, 2, 2), "float32")
    x[3, 1, 0], x[4, 0, 1] = np.nan, np.inf
    first = r"2 NaN or infinite values.*\(3, 1, 0\).*x\[3, 1, 0\]=.*nan"
    with pytest.raises(ValueError, match=first):
        data.from_numpy(x, batch_size=2)
    x[3, 1, 0] = 0.0
    with pytest.raises(ValueError, match=r"1 NaN or infinite values.*x\[4, 0, 1\]=.*inf"):
        data.from_numpy(x.astype("float64"), batch_size=2)
    data.from_numpy(np.arange(10).reshape(5, 2), batch_size=2)  # integers: nothing to check


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: data.ring(num_modes=0), "num_modes=0"),
        (lambda: data.ring_modes(0), "num_modes=0"),
        (lambda: data.ring(radius=0.0), "radius=0.0"),
        (lambda: data.ring(std=-0.1), "std=-0.1"),
        (lambda: data.grid(std=float("nan")), "std=nan"),
        (lambda: data.ring(n=2.5), "n=2.5"),
        (lambda: data.digits(image_size=0), "image_size=0"),
        (lambda: data.digits(image_size=-8), "image_size=-8"),
        (lambda: data.digits(image_size=12), "multiple of 8"),
        (lambda: data.from_numpy(np.zeros((5, 2)), batch_size="a"), "batch_size='a'"),
    ],
)
def test_data_arguments_are_checked_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_from_tfds_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40, policy=tfds.testing.MockPolicy.USE_CODE):
        images = next(iter(data.from_tfds("mnist", batch_size=8, seed=0)))
        pairs = next(iter(data.from_tfds("mnist", batch_size=8, with_labels=True, image_size=16)))
    assert images.shape == (8, 28, 28, 1) and images.dtype == "float32"
    assert float(images.numpy().min()) >= -1.0 and float(images.numpy().max()) <= 1.0
    x, y = pairs
    assert x.shape == (8, 16, 16, 1) and y.dtype == "int32"
    assert set(y.numpy().tolist()) <= set(range(10))


def test_tfds_can_prepare_its_own_datasets():
    # Preparing a built-in dataset (the first `from_tfds("mnist")`) resolves
    # its builder's code path, which needs `importlib_resources`: a package
    # tensorflow-datasets 4.9.10 imports without declaring it.
    import tensorflow_datasets as tfds

    assert tfds.builder_cls("mnist").code_path is not None


def test_from_tfds_split_smaller_than_a_batch():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=5, policy=tfds.testing.MockPolicy.USE_CODE):
        with pytest.raises(ValueError, match="split='train' of 5 examples, batch_size=8"):
            data.from_tfds("mnist", batch_size=8)
        # Without drop_remainder the one short batch is kept.
        (images,) = list(data.from_tfds("mnist", batch_size=8, drop_remainder=False))
    assert images.shape == (5, 28, 28, 1)


def test_from_tfds_bad_key():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=8, policy=tfds.testing.MockPolicy.USE_CODE):
        with pytest.raises(ValueError, match="no feature 'picture'"):
            data.from_tfds("mnist", image_key="picture")


def test_stacked_digits_stack_three_digits_of_one_part():
    images, modes = data.stacked_digits(500, part="reference", seed=3)
    assert images.shape == (500, 8, 8, 3) and images.dtype == "float32"
    assert modes.dtype == "int32" and modes.min() >= 0 and modes.max() < 1000
    reference, labels = data.digits_split(0)["reference"]
    index = {x.tobytes(): y for x, y in zip(reference[..., 0], labels, strict=True)}
    for image, mode in zip(images[:20], modes[:20], strict=True):
        digits = [index[image[..., k].tobytes()] for k in range(3)]  # each channel a digit
        assert mode == 100 * digits[0] + 10 * digits[1] + digits[2]
    again, _ = data.stacked_digits(500, part="reference", seed=3)
    np.testing.assert_array_equal(images, again)
    assert len(np.unique(modes)) > 350  # ~1 - (1 - 1/1000)^500 of the modes


def test_shards_of_a_global_batch_together_are_that_batch():
    """`shard=(i, n)`: process i's part of every global batch; the parts,
    in process order, are the batches one process draws with the same seed."""
    x = np.arange(48, dtype="float32").reshape(24, 2)
    whole = data.ArrayDataset(x, None, 8, True, True, seed=7)
    parts = [data.ArrayDataset(x, None, 8, True, True, seed=7, shard=(i, 2)) for i in range(2)]
    for index in range(len(whole)):
        np.testing.assert_array_equal(
            np.concatenate([p[index] for p in parts]), np.asarray(whole[index])
        )
    assert parts[1][0].shape == (4, 2) and len(parts[1]) == len(whole) == 3
    endless = parts[1].repeat()
    np.testing.assert_array_equal(endless[3], parts[1].repeat()[3])
    for shard, match in [((2, 2), "index"), ((0, 3), "batch_size=8"), ("a", "shard='a'")]:
        with pytest.raises(ValueError, match=match):
            data.ArrayDataset(x, None, 8, True, True, seed=0, shard=shard)


def test_from_numpy_shard_is_for_jax_processes():
    if keras.backend.backend() == "tensorflow":
        with pytest.raises(ValueError, match="shard=\\(0, 2\\)"):
            data.from_numpy(np.zeros((8, 2)), batch_size=4, shard=(0, 2))
    else:
        assert data.from_numpy(np.zeros((8, 2)), batch_size=4, shard=(1, 2))[0].shape == (2, 2)


def test_a_resumed_fit_draws_the_orders_of_the_uninterrupted_one():
    """`GAN.fit` tells an ArrayDataset each epoch's number: epochs 2 and 3
    of a run started at `initial_epoch=2` see the batches that epochs 2 and 3
    of an uninterrupted run see."""
    from keras_gan import GAN, models

    if keras.backend.backend() == "tensorflow":
        pytest.skip("from_numpy is a tf.data pipeline on TensorFlow")

    class Batches(keras.callbacks.Callback):
        def __init__(self, ds):
            super().__init__()
            self.ds, self.seen = ds, {}

        def on_epoch_begin(self, epoch, logs=None):
            self.seen[epoch] = np.asarray(self.ds[0])

    def run(initial_epoch):
        gan = GAN(models.mlp_generator(4, 2, (8,)), models.mlp_discriminator(2, (8,)), seed=0)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        ds = data.from_numpy(data.ring(64, seed=0), batch_size=16, seed=5)
        batches = Batches(ds)
        gan.fit(ds, epochs=4, initial_epoch=initial_epoch, verbose=0, callbacks=[batches])
        return batches.seen

    whole, resumed = run(0), run(2)
    assert sorted(resumed) == [2, 3]
    for epoch in (2, 3):
        np.testing.assert_array_equal(resumed[epoch], whole[epoch])
    assert not np.array_equal(whole[0], whole[1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.from_numpy(np.zeros((0, 2), "float32"), drop_remainder=False), "no samples"),
        (lambda: data.from_numpy(np.array([["a", "b"]] * 8), batch_size=4), "real numbers"),
        (lambda: data.from_numpy(np.zeros((8, 2)), y=np.full(8, 0.5), batch_size=4), "y.dtype"),
        (lambda: data.from_numpy(np.zeros((8, 2)), y=np.eye(8), batch_size=4), "y.shape=.8, 8."),
        (lambda: data.from_numpy(np.zeros((8, 2)), batch_size=4, seed="a"), "seed='a'"),
        (lambda: data.ring(10, seed=-1), "seed=-1"),
        (lambda: data.stacked_digits(10, part="test"), "Received: part='test'"),
        (lambda: data.stacked_digits(10, part=["gan"]), r"part=\['gan'\]"),
        (lambda: data.from_numpy(np.zeros((8, 2)), shuffle="no"), "Received: shuffle='no'"),
        (lambda: data.from_numpy(np.zeros((8, 2)), drop_remainder="x"), "drop_remainder='x'"),
        (
            lambda: data.from_numpy(np.zeros((8, 2)), y=np.arange(8) - 1, batch_size=4),
            r"labels >= 0.*Received: y containing \[-1\]",
        ),
        (lambda: data.digits_split(seed=-1), "Received: seed=-1"),
        (lambda: data.digits_split(seed=2**40), "Received: seed=1099511627776"),
    ],
)
def test_data_functions_name_their_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
