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
    batches = list(ds.as_numpy_iterator())
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
