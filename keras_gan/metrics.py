"""Sample-quality scores.

`mixture_scores` is the protocol of the 2-D mixture benchmarks (VEEGAN,
PacGAN): each generated point is assigned to its nearest mode; it is
*high-quality* within `threshold` standard deviations of it.
"""

import numpy as np


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
