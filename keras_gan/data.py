"""Data for GANs: embedded real data, 2-D toy mixtures, numpy -> `tf.data`.

Everything here works offline: `digits()` is scikit-learn's embedded copy of
the UCI 8x8 handwritten digits, and the toy mixtures are procedural.
Images are scaled to [-1, 1], the range of a `tanh` generator output.
"""

import numpy as np

from keras_gan import _checks


def ring_modes(num_modes=8, radius=1.0):
    """Centres of the ring mixture: `num_modes` points evenly on a circle."""
    num_modes = _checks.integer(num_modes, "num_modes")
    radius = _checks.number(radius, "radius", inclusive=False)
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")


def grid_modes(values=(-4.0, -2.0, 0.0, 2.0, 4.0)):
    """Centres of the grid mixture: the Cartesian product `values x values`."""
    xs, ys = np.meshgrid(values, values, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype("float32")


def _mixture(centers, n, std, seed):
    n = _checks.integer(n, "n")
    std = _checks.number(std, "std")
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(centers), size=n)
    points = centers[which] + std * rng.standard_normal((n, centers.shape[1]))
    return points.astype("float32")


def ring(n=10000, num_modes=8, radius=1.0, std=0.01, seed=0):
    """Samples of a ring of Gaussians (8 modes on the unit circle, std 0.01).

    This is the 2-D benchmark of Metz et al. 2017 and PacGAN (Lin et al. 2018).

    Args:
        n: number of points.
        num_modes: number of Gaussians on the circle.
        radius: circle radius.
        std: standard deviation of each Gaussian.
        seed: numpy seed; the same seed gives the same points.

    Returns:
        A float32 array of shape `(n, 2)`.
    """
    return _mixture(ring_modes(num_modes, radius), n, std, seed)


def grid(n=10000, std=0.05, seed=0):
    """Samples of a 5x5 grid of Gaussians at {-4,-2,0,2,4}^2 with std 0.05.

    Returns:
        A float32 array of shape `(n, 2)`.
    """
    return _mixture(grid_modes(), n, std, seed)


def digits(image_size=8, return_labels=True):
    """scikit-learn's embedded 8x8 handwritten digits, scaled to [-1, 1].

    1,797 real images of the digits 0-9 (UCI ML hand-written digits), bundled
    with scikit-learn, so no download is needed.

    Args:
        image_size: 8 for the original images; a multiple of 8 upsamples them
            by pixel repetition (e.g. 32 for a 32x32 DCGAN).
        return_labels: also return the digit labels.

    Returns:
        `(images, labels)`: float32 `(1797, size, size, 1)` in [-1, 1] and
        int32 `(1797,)`; or the images alone.
    """
    from sklearn.datasets import load_digits

    image_size = _checks.integer(image_size, "image_size", minimum=8)
    if image_size % 8:
        raise ValueError(f"`image_size` must be a multiple of 8. Received: image_size={image_size}")
    bunch = load_digits()
    images = bunch.images.astype("float32") / 8.0 - 1.0  # pixel values are 0..16
    factor = image_size // 8
    if factor > 1:
        images = images.repeat(factor, axis=1).repeat(factor, axis=2)
    images = images[..., None]
    labels = bunch.target.astype("int32")
    return (images, labels) if return_labels else images


DIGITS_SPLIT_SIZES = {"classifier": 600, "gan": 797, "reference": 400}


def digits_split(seed=0, image_size=8):
    """The embedded digits cut into three disjoint, label-stratified parts.

    Evaluating a digits GAN fairly needs data the GAN never saw for both the
    judge and the yardstick: `"classifier"` (600 images) trains the evaluator
    (`keras_gan.evaluation.digits_classifier`), `"gan"` (797) trains the
    GAN, and `"reference"` (400) is the held-out real data that generated
    samples are compared with (and the "real" ceiling of the benchmarks).

    Args:
        seed: the split's seed; the same seed gives the same split.
        image_size: as in `digits`.

    Returns:
        A dict from part name to `(images, labels)`.
    """
    from sklearn.model_selection import train_test_split

    images, labels = digits(image_size=image_size)
    sizes = DIGITS_SPLIT_SIZES
    index = np.arange(len(labels))
    rest, classifier = train_test_split(
        index, test_size=sizes["classifier"], stratify=labels, random_state=seed
    )
    gan, reference = train_test_split(
        rest, test_size=sizes["reference"], stratify=labels[rest], random_state=seed
    )
    return {
        name: (images[part], labels[part])
        for name, part in (("classifier", classifier), ("gan", gan), ("reference", reference))
    }


def stacked_digits(n, part="gan", seed=0):
    """Stacked Digits: the Stacked MNIST protocol (VEEGAN, PacGAN) on the
    embedded 8x8 digits. Each image stacks three independently drawn digits
    of one part of `digits_split(0)` as its three channels, so there are
    1,000 modes (one per triple of labels).

    Args:
        n: number of stacked images.
        part: the part of `digits_split(0)` the digits come from (`"gan"` to
            train on; `"reference"` for held-out images).
        seed: which digits are drawn.

    Returns:
        `(images, modes)`: float32 `(n, 8, 8, 3)` in [-1, 1] and int32
        `(n,)`, the mode `100 * label_0 + 10 * label_1 + label_2`.
    """
    images, labels = digits_split(seed=0)[part]
    picks = np.random.default_rng(seed).integers(0, len(images), size=(n, 3))
    stacked = np.concatenate([images[picks[:, k]] for k in range(3)], axis=-1)
    modes = (labels[picks] * np.array([100, 10, 1])).sum(axis=1).astype("int32")
    return stacked.astype("float32"), modes


def from_numpy(
    x,
    y=None,
    batch_size=64,
    shuffle=True,
    drop_remainder=True,
    seed=None,
    cache=True,
    prefetch=True,
):
    """A batched `tf.data.Dataset` from arrays, ready for `GAN.fit`.

    Args:
        x: samples, first axis the batch.
        y: optional labels (for `ConditionalGAN`); the dataset then yields
            `(x, y)`.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch.
        drop_remainder: drop the last short batch, so every step sees a full
            batch (GAN losses are batch means: a tiny last batch is noisy).
        seed: shuffle seed, for reproducible runs.
        cache: cache the elements in memory after the first epoch.
        prefetch: prefetch batches with `tf.data.AUTOTUNE`.
    """
    import tensorflow as tf

    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"`x` must have a batch axis and a sample shape. Received: x.shape={x.shape}"
        )
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype("float32")
    elements = x if y is None else (x, np.asarray(y))
    if y is not None and len(elements[1]) != len(x):
        raise ValueError(
            "`x` and `y` must have the same length. "
            f"Received: len(x)={len(x)}, len(y)={len(elements[1])}"
        )
    batch_size = _checks.integer(batch_size, "batch_size")
    if drop_remainder and len(x) < batch_size:
        raise ValueError(
            "With `drop_remainder=True` the data must hold at least one batch. "
            f"Received: len(x)={len(x)}, batch_size={batch_size}"
        )
    ds = tf.data.Dataset.from_tensor_slices(elements)
    buffer = min(len(x), 100_000)
    return _batched(ds, batch_size, shuffle, buffer, drop_remainder, seed, cache, prefetch)


def _feature_keys(info, image_key, label_key):
    import tensorflow_datasets as tfds

    features = info.features
    if image_key is None:
        images = [k for k, f in features.items() if isinstance(f, tfds.features.Image)]
        if not images:
            raise ValueError(
                f"The dataset {info.name!r} has no image feature; pass `image_key=`. "
                f"Received: features={list(features.keys())}"
            )
        image_key = "image" if "image" in images else images[0]
    if label_key is None:
        labels = [k for k, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
        label_key = ("label" if "label" in labels else labels[0]) if labels else None
    for key in (image_key, label_key):
        if key is not None and key not in features:
            raise ValueError(
                f"The dataset {info.name!r} has no feature {key!r}. "
                f"Received: features={list(features.keys())}"
            )
    return image_key, label_key


def from_tfds(
    name,
    split="train",
    batch_size=64,
    with_labels=False,
    image_key=None,
    label_key=None,
    image_size=None,
    shuffle=True,
    drop_remainder=True,
    cache=True,
    prefetch=True,
    seed=None,
    data_dir=None,
):
    """A batched dataset of images from TensorFlow Datasets, scaled to [-1, 1].

    The image feature is found by type (the one named `image` first), and
    with `with_labels=True` the class-label feature too, so `from_tfds("mnist")`
    or `from_tfds("cifar10", with_labels=True)` just work. The first call
    downloads the dataset into `data_dir` (tfds' default cache).

    Args:
        name: a tfds dataset name, e.g. `"mnist"`.
        split: the split, e.g. `"train"` or `"train[:10%]"`.
        batch_size: images per batch.
        with_labels: yield `(images, labels)` for a `ConditionalGAN`.
        image_key: the image feature's name when detection is not wanted.
        label_key: the label feature's name.
        image_size: resize to `image_size x image_size` (bilinear).
        shuffle, drop_remainder, cache, prefetch, seed: as `from_numpy`.
        data_dir: tfds data folder.

    Returns:
        A `tf.data.Dataset` of float32 images in [-1, 1] (and int32 labels).
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    batch_size = _checks.integer(batch_size, "batch_size")
    if image_size is not None:
        image_size = _checks.integer(image_size, "image_size")
    ds, info = tfds.load(name, split=split, with_info=True, data_dir=data_dir)
    image_key, label_key = _feature_keys(info, image_key, label_key)
    if with_labels and label_key is None:
        raise ValueError(
            f"The dataset {name!r} has no class-label feature; pass `label_key=` or "
            "with_labels=False. Received: with_labels=True"
        )

    def convert(example):
        image = tf.cast(example[image_key], tf.float32) / 127.5 - 1.0
        if image_size is not None:
            image = tf.image.resize(image, (image_size, image_size))
        if with_labels:
            return image, tf.cast(example[label_key], tf.int32)
        return image

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return _batched(ds, batch_size, shuffle, 10_000, drop_remainder, seed, cache, prefetch)


def _batched(ds, batch_size, shuffle, buffer, drop_remainder, seed, cache, prefetch):
    """The input pipeline both loaders end with: cache, shuffle every epoch,
    batch, prefetch."""
    import tensorflow as tf

    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(batch_size), drop_remainder=drop_remainder)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds
