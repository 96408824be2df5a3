"""Independent numpy reference for one GAN training step.

Forward passes, losses (written from API.md's table) and central finite
differences in float64: no TensorFlow autodiff is involved, so a bug in the
trainer's gradient plumbing cannot cancel out here.
"""

import numpy as np


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def minimax_d(r, f, t=1.0):
    return -np.mean(t * log_sigmoid(r) + (1 - t) * log_sigmoid(-r)) - np.mean(
        np.log(1.0 - sigmoid(f))
    )


LOSSES = {
    "minimax": (minimax_d, lambda f, r: np.mean(np.log(1.0 - sigmoid(f)))),
    "non_saturating": (minimax_d, lambda f, r: -np.mean(np.log(sigmoid(f)))),
    "wasserstein": (
        lambda r, f, t=1.0: np.mean(f) - np.mean(r),
        lambda f, r: -np.mean(f),
    ),
    "least_squares": (
        lambda r, f, t=1.0: 0.5 * np.mean((r - t) ** 2) + 0.5 * np.mean(f**2),
        lambda f, r: 0.5 * np.mean((f - 1.0) ** 2),
    ),
    "hinge": (
        lambda r, f, t=1.0: np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)),
        lambda f, r: -np.mean(f),
    ),
    "relativistic_average": (
        lambda r, f, t=1.0: (
            -np.mean(
                t * np.log(sigmoid(r - f.mean())) + (1 - t) * np.log(1 - sigmoid(r - f.mean()))
            )
            - np.mean(np.log(1 - sigmoid(f - r.mean())))
        ),
        lambda f, r: (
            -np.mean(np.log(sigmoid(f - r.mean()))) - np.mean(np.log(1 - sigmoid(r - f.mean())))
        ),
    ),
}


def mlp(params, x):
    """Dense(tanh) -> Dense(linear), as keras.layers.Dense computes it."""
    w1, b1, w2, b2 = params
    return np.tanh(x @ w1 + b1) @ w2 + b2


def mlp_input_grad(params, x):
    """d sum(mlp(x)) / dx for a one-output MLP, analytically."""
    w1, b1, w2, _ = params
    h = np.tanh(x @ w1 + b1)
    return ((1 - h**2) * w2[:, 0]) @ w1.T


def numeric_grad(fn, params, eps=1e-6):
    grads = []
    for i, p in enumerate(params):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            plus = [q.copy() for q in params]
            minus = [q.copy() for q in params]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (fn(plus) - fn(minus)) / (2 * eps)
        grads.append(g)
    return grads


def sgd(params, grads, lr):
    return [p - lr * g for p, g in zip(params, grads, strict=True)]
