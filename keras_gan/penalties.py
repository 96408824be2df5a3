"""Discriminator regularizers that need input gradients: WGAN-GP and R1.

A penalty is added to the discriminator loss at every discriminator update
(or every `interval`-th one, for lazy regularization) and logged under its
`name` (`gp`, `r1`) as the weighted term that was added, so
`d_loss - sum(penalties)` is the adversarial part of the loss.
"""

import keras
from keras import ops

from keras_gan import _checks, _names, backend
from keras_gan.distribute import per_replica_draw


def _per_example_squared_norm(g):
    g = ops.cast(g, "float32")
    return ops.sum(ops.reshape(ops.square(g), (ops.shape(g)[0], -1)), axis=1)


@_names.register
class Penalty:
    """Base class of a weighted regularizer on the discriminator.

    Subclasses implement `compute(score_fn, real, fake, seed_generator)`,
    returning the *unweighted* scalar penalty.

    Args:
        weight: non-negative multiplier of the penalty.
        interval: lazy regularization (Karras et al. 2020): apply the penalty
            only on every `interval`-th discriminator update, multiplied by
            `interval` so that its average strength is unchanged. 1 applies
            it on every update.
        name: the key under which `fit` logs the penalty.
    """

    default_name = "penalty"

    def __init__(self, weight, interval=1, name=None):
        self.weight = _checks.number(weight, "weight")
        self.interval = _checks.integer(interval, "interval")
        self.name = name or self.default_name

    def compute(self, score_fn, real, fake, seed_generator):
        """Returns the unweighted scalar penalty.

        Args:
            score_fn: `x -> discriminator scores`, the discriminator being
                trained (closed over any conditioning input).
            real: a batch of real samples.
            fake: a batch of generated samples, same shape.
            seed_generator: the GAN's `keras.random.SeedGenerator`, for any
                randomness the penalty needs.
        """
        raise NotImplementedError

    def __call__(self, score_fn, real, fake, seed_generator, step=None):
        """Returns the weighted penalty for the discriminator update `step`
        (0-based count of earlier discriminator updates)."""
        if self.interval == 1 or step is None:
            return self.weight * self.compute(score_fn, real, fake, seed_generator)
        scale = float(self.weight * self.interval)
        return backend.cond(
            ops.equal(ops.mod(step, self.interval), 0),
            lambda: scale * self.compute(score_fn, real, fake, seed_generator),
            lambda: ops.zeros((), "float32"),
        )

    def get_config(self):
        return {"weight": self.weight, "interval": self.interval, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(weight={self.weight}, interval={self.interval})"


@_names.register
class GradientPenalty(Penalty):
    """WGAN-GP gradient penalty (Gulrajani et al. 2017).

    `weight * E[(||grad D(x_hat)||_2 - target)^2]` with
    `x_hat = e x + (1 - e) G(z)` and `e ~ U[0, 1]` drawn per example. With
    `one_sided=True` only norms above the target are penalized:
    `E[max(0, ||grad D(x_hat)|| - target)^2]`.

    Args:
        weight: the penalty weight `lambda`; the paper uses 10.
        target: the target gradient norm, 1 for a 1-Lipschitz critic.
        one_sided: penalize only norms above `target`.
        interval: lazy regularization interval (see `Penalty`).
        name: log key, default `"gp"`.

    Example:

    ```python
    gan.compile(d_optimizer, g_optimizer, loss="wasserstein",
                d_penalty=keras_gan.penalties.GradientPenalty(10.0), d_steps=5)
    ```
    """

    default_name = "gp"

    def __init__(self, weight=10.0, target=1.0, one_sided=False, interval=1, name=None):
        super().__init__(weight, interval=interval, name=name)
        self.target = _checks.number(target, "target")
        self.one_sided = bool(one_sided)

    def compute(self, score_fn, real, fake, seed_generator):
        real = ops.convert_to_tensor(real)
        fake = ops.cast(fake, real.dtype)
        batch = ops.shape(real)[0]
        eps_shape = (batch,) + (1,) * (len(real.shape) - 1)
        eps = per_replica_draw(
            lambda shape: keras.random.uniform(shape, dtype=real.dtype, seed=seed_generator),
            eps_shape,
        )
        interpolated = eps * real + (1.0 - eps) * fake
        _, grads = backend.input_gradients(score_fn, interpolated)
        # The epsilon keeps sqrt differentiable at a zero gradient.
        norm = ops.sqrt(_per_example_squared_norm(grads) + 1e-12)
        gap = norm - self.target
        if self.one_sided:
            gap = ops.relu(gap)
        return ops.mean(ops.square(gap))

    def get_config(self):
        config = super().get_config()
        config.update(target=self.target, one_sided=self.one_sided)
        return config


@_names.register
class R1(Penalty):
    """R1 penalty on real data (Mescheder et al. 2018).

    `weight / 2 * E[||grad D(x)||_2^2]` over real samples `x`. StyleGAN2's lazy
    form applies it every `interval` updates, scaled by `interval`.

    Args:
        weight: the weight `gamma`.
        interval: lazy regularization interval (StyleGAN2 uses 16).
        name: log key, default `"r1"`.

    Example:

    ```python
    gan.compile(d_optimizer, g_optimizer, d_penalty=keras_gan.penalties.R1(0.1))
    ```
    """

    default_name = "r1"

    def compute(self, score_fn, real, fake, seed_generator):
        _, grads = backend.input_gradients(score_fn, real)
        return 0.5 * ops.mean(_per_example_squared_norm(grads))


_PENALTIES = {
    "gradient_penalty": GradientPenalty,
    "gp": GradientPenalty,
    "r1": R1,
}


def serialize(penalty):
    """Returns the Keras config dict of a penalty."""
    return keras.saving.serialize_keras_object(penalty)


def deserialize(config, custom_objects=None):
    """Rebuilds a penalty from `serialize`'s output."""
    return _names.deserialize(
        config, {"GradientPenalty": GradientPenalty, "R1": R1}, custom_objects, Penalty, "a penalty"
    )


def get(identifier):
    """Returns a penalty, as Keras' own `get` functions do.

    Args:
        identifier: `None` (returns `None`); a `Penalty` (returned as it
            is); a config dict from `serialize`; a name, `"gp"` /
            `"gradient_penalty"` / `"GradientPenalty"` or `"r1"` / `"R1"`
            (weight 10); or a list of these, which gives a list (what
            `GAN.compile(d_penalty=...)` accepts), each with its own name.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (list, tuple)):
        return get_list(identifier)
    if isinstance(identifier, Penalty):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and _names.key(identifier) in _PENALTIES:
        return _PENALTIES[_names.key(identifier)](10.0)
    raise ValueError(
        "A discriminator penalty must be a keras_gan.penalties.Penalty, a config "
        f"dict, a name ({', '.join(_PENALTIES)}) or a list of them. "
        f"Received: d_penalty={identifier!r}"
    )


def get_list(identifiers):
    """The penalties of `GAN.compile(d_penalty=...)` as a list: `[]` for
    `None`, one for a single identifier, each of a list's (see `get`; a
    `None` in the list is skipped, as before `get` returned one penalty).
    Raises if two share a name (each is logged under its own)."""
    if identifiers is None:
        return []
    items = identifiers if isinstance(identifiers, (list, tuple)) else [identifiers]
    if any(isinstance(item, (list, tuple)) for item in items):
        raise ValueError(
            f"A list of penalties cannot hold a list. Received: d_penalty={identifiers!r}"
        )
    penalties = [get(item) for item in items if item is not None]
    names = [p.name for p in penalties]
    if len(set(names)) != len(names):
        raise ValueError(
            f"Each penalty needs its own name to be logged under. Received: names={names}"
        )
    return penalties
