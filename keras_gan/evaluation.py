"""The benchmark protocols: how this project scores generated samples.

- `digits_scores` / `digits_baselines`: 8x8 digit samples against held-out
  real digits, in the features of `digits_classifier` (a small CNN trained
  on a disjoint part of the embedded digits), beside a Gaussian-mixture
  floor and a real-data ceiling.
- `mixture_scores`: mode coverage on the 2-D Gaussian mixtures (the VEEGAN
  and PacGAN protocol).

They build on `keras_gan.metrics` and `keras_gan.data`; the metrics
themselves import neither.
"""

import os
import warnings

import keras
import numpy as np

from keras_gan import _files, data
from keras_gan.metrics import DensityCoverage, FrechetDistance, PrecisionRecall, features

#: Bumped whenever the digits classifier's recipe changes: new cache entries.
DIGITS_CLASSIFIER_VERSION = 1


def _digits_cnn(seed):
    init = lambda k: keras.initializers.GlorotUniform(seed=seed + k)  # noqa: E731
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init(0))(
        inputs
    )
    x = keras.layers.Conv2D(
        64, 3, strides=2, padding="same", activation="relu", kernel_initializer=init(1)
    )(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu", kernel_initializer=init(2), name="features")(x)
    logits = keras.layers.Dense(10, kernel_initializer=init(3), name="logits")(x)
    return keras.Model(inputs, logits, name="digits_logits")


def train_digits_classifier(seed=0, epochs=40):
    """Trains the digits classifier on the `"classifier"` part of
    `digits_split(seed)` (the same seed gives the same weights on a machine)
    and returns `(model, accuracy on the "reference" part)`."""
    split = data.digits_split(seed=seed)
    x, y = split["classifier"]
    model = _digits_cnn(seed)
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        data.from_numpy(x, y, batch_size=32, seed=seed, drop_remainder=False),
        epochs=epochs,
        verbose=0,
        shuffle=False,
    )
    x_ref, y_ref = split["reference"]
    predicted = np.argmax(model.predict(x_ref, verbose=0), axis=-1)
    return model, float(np.mean(predicted == y_ref))


@features.builder("digits_classifier", tag="digits")
def digits_classifier(output="features", seed=0):
    """A small CNN judge for 8x8 digit GANs, trained once and cached.

    The first call trains it on the 600-image `"classifier"` part of
    `keras_gan.data.digits_split(seed)`, which is disjoint from the parts a
    GAN should train on (`"gan"`) and be compared with (`"reference"`);
    `train_digits_classifier` returns its accuracy on the reference part.
    Later calls load it from `cache_dir()`, keyed by this module's recipe
    version, the Keras version and the seed; a cache entry that fails to
    load is retrained and replaced.

    Args:
        output: `"features"` (the 128 penultimate ReLU features, for FD,
            KID, precision/recall, density/coverage) or `"logits"` (the 10
            class logits, for `InceptionScore` and class coverage).
        seed: the split's and the training's seed.

    Returns:
        A `keras.Model` from `(batch, 8, 8, 1)` digits in [-1, 1]; named
        `"digits"` (features) or `"digits_logits"`.
    """
    if output not in ("features", "logits"):
        raise ValueError(f"`output` must be 'features' or 'logits'. Received: output={output!r}")
    path = os.path.join(
        features.cache_dir(),
        f"digits_classifier-v{DIGITS_CLASSIFIER_VERSION}-keras{keras.__version__}-seed{seed}.keras",
    )
    model = None
    if os.path.exists(path):
        try:
            model = keras.saving.load_model(path)
        except Exception as err:  # a corrupt or foreign cache entry: rebuild it
            warnings.warn(
                f"Retraining the digits classifier: the cached {path!r} failed to load ({err})",
                stacklevel=2,
            )
    if model is None:
        model, _ = train_digits_classifier(seed=seed)
        with _files.atomic_path(path) as temporary:  # never half a cache entry
            model.save(temporary)
    if output == "features":
        model = keras.Model(model.input, model.get_layer("features").output, name="digits")
    model.trainable = False
    return features.mark(model, "digits_classifier", output=output, seed=seed)


def digits_scores(generated, reference, requested_labels=None, seed=0, k=3):
    """Scores 8x8 digit samples against held-out real digits.

    Everything is measured by `digits_classifier(seed=seed)`, a CNN
    trained on the `"classifier"` part of `keras_gan.data.digits_split(seed)`;
    `reference` should be its `"reference"` part (and the GAN trained on its
    `"gan"` part), so neither the judge nor the yardstick saw the GAN's data.

    Args:
        generated: `(n, 8, 8, 1)` samples in [-1, 1].
        reference: `(m, 8, 8, 1)` held-out real digits.
        requested_labels: for a conditional generator, the label each sample
            was asked for: adds `label_agreement`.
        seed: the classifier's seed.
        k: the neighbour of the precision/recall manifolds.

    Returns:
        A dict: `precision`, `recall` (k-NN manifolds, `PrecisionRecall`),
        `density`, `coverage` (`DensityCoverage`), `fd` (Fréchet distance of
        the classifier's 128 features, `FrechetDistance`), `classes_covered`
        (classes that receive at least a tenth of their uniform share of the
        samples, out of 10), `label_kl` (KL divergence of the predicted-label
        histogram from the reference's label histogram) and, with
        `requested_labels`, `label_agreement` (fraction classified as asked).
    """
    generated = np.asarray(generated, "float32")
    reference = np.asarray(reference, "float32")
    feats = digits_classifier("features", seed=seed)
    logits = digits_classifier("logits", seed=seed)
    size = max(len(generated), len(reference))
    scores = {}
    for metric in (
        PrecisionRecall(feats, k=k, max_samples=size),
        DensityCoverage(feats, max_samples=size),
        FrechetDistance(feats),
    ):
        metric.update_state(reference, generated)
        result = metric.result()
        if not isinstance(result, dict):
            result = {"fd": result}
        scores.update({key.removesuffix("_digits"): float(v) for key, v in result.items()})
    predicted = np.argmax(logits.predict(generated, verbose=0), axis=-1)
    reference_labels = np.argmax(logits.predict(reference, verbose=0), axis=-1)
    p_gen = np.bincount(predicted, minlength=10) / len(predicted)
    p_ref = np.bincount(reference_labels, minlength=10) / len(reference_labels)
    scores["classes_covered"] = int(np.sum(p_gen >= 0.1 / 10))
    nonzero = p_gen > 0
    scores["label_kl"] = float(
        np.sum(p_gen[nonzero] * np.log(p_gen[nonzero] / np.maximum(p_ref[nonzero], 1e-12)))
    )
    if requested_labels is not None:
        scores["label_agreement"] = float(np.mean(predicted == np.asarray(requested_labels)))
    return scores


def digits_baselines(n=400, seed=0, components=40, covariance_type="diag"):
    """The floor and ceiling rows for `digits_scores`, on `digits_split(0)`.

    - floor: a `components`-component Gaussian mixture (scikit-learn) fitted
      on the pixels of the `"gan"` part, `n` samples clipped to [-1, 1];
    - ceiling: `n` real digits of the `"gan"` part, scored as if generated.

    Diagonal covariances by default: with 797 digits, 40 full 64x64
    covariances rest on ~20 digits each, so their samples stay within the
    span of a few training digits (a near-memorizer, reported separately by
    `benchmarks/quality_digits.py`), not a floor.

    Returns:
        `{"floor": scores, "ceiling": scores}`, each from `digits_scores`
        against the `"reference"` part.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    split = data.digits_split(seed=0)
    x, _ = split["gan"]
    reference, _ = split["reference"]
    mixture = GaussianMixture(
        components, covariance_type=covariance_type, max_iter=500, random_state=seed
    )
    with warnings.catch_warnings():
        # The likelihood keeps creeping up on the always-black border pixels
        # (their variances shrink towards `reg_covar`), so scikit-learn
        # warns that the fit did not converge in 500 iterations; the
        # mixture as fitted there is the floor the docs report.
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(x.reshape(len(x), -1))
    floor, _ = mixture.sample(n)
    floor = np.clip(floor, -1.0, 1.0).astype("float32")
    floor = floor[np.random.default_rng(seed).permutation(n)].reshape(n, 8, 8, 1)
    real = x[np.random.default_rng(seed).choice(len(x), n, replace=False)]
    return {
        "floor": digits_scores(floor, reference, seed=0),
        "ceiling": digits_scores(real, reference, seed=0),
    }


def mixture_scores(samples, centers, std, threshold=3.0):
    """Mode coverage of generated points on a Gaussian mixture.

    Args:
        samples: `(n, d)` generated points.
        centers: `(k, d)` mode centres.
        std: the modes' standard deviation.
        threshold: a point within `threshold * std` of its nearest mode is
            high-quality (3 in VEEGAN / PacGAN).

    Returns:
        A dict: `modes` (modes with at least one high-quality point),
        `num_modes` (k), `high_quality` (fraction of high-quality points) and
        `reverse_kl` (KL of the high-quality points' mode histogram to the
        uniform distribution over modes, in nats; `inf` when no point is
        high-quality).

    Example:

    >>> centers = keras_gan.data.ring_modes()
    >>> keras_gan.metrics.mixture_scores(centers.repeat(10, 0), centers, 0.01)
    {'modes': 8, 'num_modes': 8, 'high_quality': 1.0, 'reverse_kl': 0.0}
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            "Samples and mode centres must have the same dimension. "
            f"Received: samples.shape={samples.shape}, centers.shape={centers.shape}"
        )
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(centers)).astype(np.float64)
    k = len(centers)
    if counts.sum() == 0:
        reverse_kl = float("inf")
    else:
        p = counts / counts.sum()
        nz = p > 0
        reverse_kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    return {
        "modes": int(np.sum(counts > 0)),
        "num_modes": k,
        "high_quality": float(good.mean()) if len(samples) else 0.0,
        "reverse_kl": reverse_kl,
    }


def stacked_modes(generated, seed=0, batch_size=1024):
    """Mode coverage on Stacked Digits (`keras_gan.data.stacked_digits`):
    each of the three channels of each sample is classified by
    `digits_classifier(seed=seed)`; the triple of labels is its mode.

    Args:
        generated: `(n, 8, 8, 3)` samples in [-1, 1] (26,000 in the
            published protocol).
        seed: the classifier's seed.
        batch_size: samples per classifier call.

    Returns:
        A dict: `modes` (modes with at least one sample, of 1,000) and
        `reverse_kl` (KL divergence of the mode histogram from the uniform
        distribution over the 1,000 modes, in nats), as VEEGAN and PacGAN
        report them.
    """
    generated = np.asarray(generated, "float32")
    if generated.ndim != 4 or generated.shape[1:] != (8, 8, 3):
        raise ValueError(
            f"Stacked Digits samples are (n, 8, 8, 3). Received: shape={generated.shape}"
        )
    logits = digits_classifier("logits", seed=seed)
    channels = generated.transpose(3, 0, 1, 2)[..., None].reshape(-1, 8, 8, 1)
    labels = np.argmax(logits.predict(channels, batch_size=batch_size, verbose=0), axis=-1)
    modes = (labels.reshape(3, -1) * np.array([100, 10, 1])[:, None]).sum(axis=0)
    p = np.bincount(modes, minlength=1000) / len(modes)
    covered = p > 0
    return {
        "modes": int(covered.sum()),
        "reverse_kl": float(np.sum(p[covered] * np.log(p[covered] * 1000))),
    }
