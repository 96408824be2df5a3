"""Data for GANs: embedded real data, 2-D toy mixtures, batched input for `fit`.

Everything here works offline: `digits()` is scikit-learn's embedded copy of
the UCI 8x8 handwritten digits, and the toy mixtures are procedural.
Images are scaled to [-1, 1], the range of a `tanh` generator output.
"""

import keras
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
    rng = np.random.default_rng(_checks.seed(seed))
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

    seed = _checks.seed(seed)
    if seed is None or seed >= 2**32:  # scikit-learn's random_state range
        raise ValueError(f"`seed` must be an integer in [0, 2**32). Received: seed={seed!r}")
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
    parts = digits_split(seed=0)
    if not isinstance(part, str) or part not in parts:
        raise ValueError(f"`part` must be one of {sorted(parts)}. Received: part={part!r}")
    images, labels = parts[part]
    n = _checks.integer(n, "n")
    picks = np.random.default_rng(_checks.seed(seed)).integers(0, len(images), size=(n, 3))
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
    shard=None,
):
    """Batches of arrays, ready for `GAN.fit`, on every backend.

    On the TensorFlow backend this is a `tf.data.Dataset`. On JAX and
    PyTorch it is an `ArrayDataset` (a `keras.utils.PyDataset`), so that
    training there needs no TensorFlow installed; it batches, shuffles and
    seeds as the `tf.data` pipeline does, and has `.repeat()` too.

    Args:
        x: samples, first axis the batch.
        y: optional labels (for `ConditionalGAN`); the dataset then yields
            `(x, y)`.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch. On TensorFlow the `tf.data` shuffle
            buffer holds at most 100,000 samples (a copy of each), so `x`
            beyond that is shuffled within a moving window of 100,000 rather
            than as a whole; an `ArrayDataset` shuffles all of `x`.
        drop_remainder: drop the last short batch, so every step sees a full
            batch (GAN losses are batch means: a tiny last batch is noisy).
        seed: shuffle seed, for reproducible runs.
        cache: cache the elements in memory after the first epoch
            (`tf.data` only: an `ArrayDataset` holds its arrays).
        prefetch: prefetch batches with `tf.data.AUTOTUNE` (`tf.data` only).
        shard: `(process_index, process_count)` for a multi-process JAX run
            (`keras.distribution.initialize`): `batch_size` is then the
            global batch, every process holds the same `x` and draws the
            same order from `seed`, and each yields its own contiguous part
            of every global batch (`batch_size // process_count` samples),
            so the processes together train on exactly the batches one
            process would. Set `auto_shard_dataset = False` on the
            distribution. Not on TensorFlow (`tf.distribute` shards a
            `tf.data` pipeline itself).
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"`x` must have a batch axis and a sample shape. Received: x.shape={x.shape}"
        )
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or np.iscomplexobj(x):
        raise ValueError(f"`x` must hold real numbers. Received: x.dtype={x.dtype}")
    if len(x) == 0:
        raise ValueError(f"`x` holds no samples. Received: x.shape={x.shape}")
    seed = _checks.seed(seed)
    for name, flag in (("shuffle", shuffle), ("drop_remainder", drop_remainder)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"`{name}` must be True or False. Received: {name}={flag!r}")
    if np.issubdtype(x.dtype, np.floating):
        x = _checks.finite_samples(x.astype("float32"))
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(
                "`y` must be one integer class label per sample (shape (n,)). "
                f"Received: y.shape={y.shape}"
            )
        if len(y) != len(x):
            raise ValueError(
                f"`x` and `y` must have the same length. Received: len(x)={len(x)}, len(y)={len(y)}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                "`y` must be one integer class label per sample (shape (n,)). Received: "
                f"y.shape={y.shape}, y.dtype={y.dtype}"
            )
        if len(y) and y.min() < 0:
            raise ValueError(
                "`y` must hold class labels >= 0 (class indices). "
                f"Received: y containing {sorted(set(y[y < 0].tolist()))[:10]}"
            )
    batch_size = _checks.integer(batch_size, "batch_size")
    if drop_remainder and len(x) < batch_size:
        raise ValueError(
            "With `drop_remainder=True` the data must hold at least one batch. "
            f"Received: len(x)={len(x)}, batch_size={batch_size}"
        )
    if keras.backend.backend() != "tensorflow":
        return ArrayDataset(x, y, batch_size, shuffle, drop_remainder, seed, shard=shard)
    if shard is not None:
        raise ValueError(
            "`shard` is for multi-process runs on JAX; under a tf.distribute strategy Keras "
            f"shards the tf.data pipeline itself. Received: shard={shard!r}"
        )
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    buffer = min(len(x), 100_000)
    return _batched(ds, batch_size, shuffle, buffer, drop_remainder, seed, cache, prefetch)


class ArrayDataset(keras.utils.PyDataset):
    """Batches of in-memory arrays for `fit` without TensorFlow: what
    `from_numpy` returns on the JAX and PyTorch backends.

    A `keras.utils.PyDataset`: batch `i` of an epoch holds the rows
    `order[i * batch_size:(i + 1) * batch_size]` of `x` (and of `y`), where
    `order` is a permutation drawn afresh each epoch from `seed` and the
    epoch's number (the identity with `shuffle=False`). `fit` calls
    `on_epoch_end`, which moves on to the next epoch's order, and a GAN's
    `fit` sets the epoch to its own at the start of each (so a resumed run
    draws the orders the uninterrupted one did). `repeat()` is
    the endless stream of the same epochs, for `fit(steps_per_epoch=...)`.

    Keras' `fit` also shuffles the order of a `PyDataset`'s batches within
    an epoch under `fit(shuffle=True)`, its default, with Python's `random`
    (which `keras.utils.set_random_seed` seeds); `fit(shuffle=False)` keeps
    the order that `seed` alone determines. The batches are made in the
    training thread (no workers): slicing arrays in memory is cheap.
    """

    def __init__(self, x, y, batch_size, shuffle, drop_remainder, seed, repeat=False, shard=None):
        super().__init__()
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shard = (0, 1) if shard is None else _shard(shard, batch_size, drop_remainder)
        self.shuffle, self.drop_remainder, self.repeats = shuffle, drop_remainder, repeat
        # An unseeded dataset still needs one seed for all its epochs.
        self.seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
        full, rest = divmod(len(x), batch_size)
        self.batches_per_epoch = full + (1 if rest and not drop_remainder else 0)
        self.epoch = 0
        self._orders = {}

    def order(self, epoch):
        """The rows of `x` in epoch `epoch`'s order."""
        if not self.shuffle:
            return None
        if epoch not in self._orders:
            rng = np.random.default_rng([self.seed, epoch])
            self._orders = {epoch: rng.permutation(len(self.x))}
        return self._orders[epoch]

    @property
    def num_batches(self):
        return None if self.repeats else self.batches_per_epoch

    def __len__(self):
        if self.repeats:
            raise TypeError("A repeated ArrayDataset is endless: it has no len()")
        return self.batches_per_epoch

    def __getitem__(self, index):
        epoch = self.epoch
        if self.repeats:
            epoch, index = divmod(index, self.batches_per_epoch)
        elif not 0 <= index < self.batches_per_epoch:
            raise IndexError(
                f"Batch index out of range: the dataset has {self.batches_per_epoch} "
                f"batches. Received: index={index}"
            )
        part, parts = self.shard
        local = self.batch_size // parts
        start = index * self.batch_size + part * local
        rows = slice(start, start + local)
        order = self.order(epoch)
        if order is not None:
            rows = order[rows]
        return self.x[rows] if self.y is None else (self.x[rows], self.y[rows])

    def on_epoch_end(self):
        if not self.repeats:
            self.epoch += 1

    def __iter__(self):
        """One epoch (the next one on the next pass, as `tf.data` reshuffles
        each iteration); endless after `repeat()`."""
        yield from super().__iter__()
        self.on_epoch_end()

    def repeat(self):
        """The same epochs without end (as `tf.data.Dataset.repeat()`)."""
        return ArrayDataset(
            self.x,
            self.y,
            self.batch_size,
            self.shuffle,
            self.drop_remainder,
            self.seed,
            repeat=True,
            shard=None if self.shard == (0, 1) else self.shard,
        )


def _shard(shard, batch_size, drop_remainder):
    """`(index, count)`, checked: every process gets an equal part of every
    global batch."""
    if not (isinstance(shard, (tuple, list)) and len(shard) == 2):
        raise ValueError(
            f"`shard` must be (process_index, process_count). Received: shard={shard!r}"
        )
    count = _checks.integer(shard[1], "process_count")
    index = _checks.integer(shard[0], "process_index", minimum=0)
    if index >= count or batch_size % count or not drop_remainder:
        raise ValueError(
            "`shard=(index, count)` needs 0 <= index < count, a global batch_size that "
            "count divides, and drop_remainder=True. Received: "
            f"shard={tuple(shard)!r}, batch_size={batch_size}, drop_remainder={drop_remainder}"
        )
    return index, count


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
        A `tf.data.Dataset` of float32 images in [-1, 1] (and int32 labels),
        on every backend: this loader needs TensorFlow and
        tensorflow-datasets installed.
    """
    tf = _checks.require("tensorflow", "`keras_gan.data.from_tfds`")
    tfds = _checks.require("tensorflow_datasets")

    batch_size = _checks.integer(batch_size, "batch_size")
    seed = _checks.seed(seed)
    if image_size is not None:
        image_size = _checks.integer(image_size, "image_size")
    ds, info = tfds.load(name, split=split, with_info=True, data_dir=data_dir)
    image_key, label_key = _feature_keys(info, image_key, label_key)
    if with_labels and label_key is None:
        raise ValueError(
            f"The dataset {name!r} has no class-label feature; pass `label_key=` or "
            "with_labels=False. Received: with_labels=True"
        )
    examples = int(ds.cardinality())  # negative when tfds does not know it
    if drop_remainder and 0 <= examples < batch_size:
        raise ValueError(
            "With `drop_remainder=True` the split must hold at least one batch. "
            f"Received: split={split!r} of {examples} examples, batch_size={batch_size}"
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
