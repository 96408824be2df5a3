"""Adversarial losses as generator / discriminator pairs on logits.

Every loss here takes the discriminator's *unbounded scores* (logits) and
returns a scalar batch mean. A discriminator loss is the sum of its real term
and its fake term, each a mean over its half of the batch (TF-GAN's
convention). The sigmoid, where a loss needs one, is applied inside the loss
in a numerically stable form (`softplus`), so a discriminator must never end in
a sigmoid itself.

Names accepted by `get`:

| name                   | aliases            |
|------------------------|--------------------|
| `minimax`              |                    |
| `non_saturating`       | `modified_minimax` |
| `wasserstein`          |                    |
| `least_squares`        |                    |
| `hinge`                |                    |
| `relativistic_average` | `ragan`            |
"""

import keras
from keras import ops

from keras_gan import _checks, _names, backend


def _as_float32(x):
    # Skipping a cast that changes nothing saves an eager op per call on
    # PyTorch, where each eager keras.ops call has a Python cost.
    if keras.backend.standardize_dtype(x.dtype) == "float32":
        return x
    return ops.cast(x, "float32")


def mean_float32(x):
    """The mean of `x` computed in float32 (scores may be float16 under mixed
    precision), without a cast when `x` is already float32.

    Args:
        x: a tensor (of scores, losses or booleans).

    Returns:
        A float32 scalar.
    """
    return backend.mean_float32(x)


def _float32(x):
    # Scores may arrive in float16 under mixed precision; losses are computed
    # in float32 so that log-sigmoids and squares don't overflow.
    x = ops.convert_to_tensor(x)
    return _as_float32(x if len(x.shape) == 1 else ops.reshape(x, (-1,)))


def _sigmoid_cross_entropy(logits, target):
    """Elementwise binary cross-entropy of `sigmoid(logits)` against `target`.

    `-t log s(l) - (1 - t) log(1 - s(l)) = t softplus(-l) + (1 - t) softplus(l)`,
    which is exact and never takes the log of zero.
    """
    if target == 1.0:
        return ops.softplus(-logits)
    if target == 0.0:
        return ops.softplus(logits)
    return target * ops.softplus(-logits) + (1.0 - target) * ops.softplus(logits)


@_names.register
class GANLoss:
    """Base class of a pair of GAN losses on discriminator scores.

    Subclass it and implement `discriminator_loss` and `generator_loss` to
    define a new adversarial loss; `keras_gan.GAN.compile(loss=MyLoss())`
    accepts the instance. Both methods receive the discriminator's raw scores
    (logits) of shape `(batch,)` and must return a scalar batch mean.

    Args:
        label_smoothing: one-sided label smoothing (Salimans et al. 2016): the
            discriminator's target for real data becomes `1 - label_smoothing`;
            targets for generated data stay 0. Only losses with a target (the
            cross-entropy and least-squares ones) accept a non-zero value.
        name: the loss' name, used by `serialize` and in messages.

    Attributes:
        decision_threshold: the score above which the discriminator calls a
            sample real, used for the `d_accuracy` log; `None` for critics
            (Wasserstein) whose scores have no such threshold.
        needs_real_scores_for_generator: whether `generator_loss` uses the
            scores of real data (relativistic losses); the trainer then
            scores the real batch during the generator update too.
        expects_logits: whether the loss applies its own squashing to the
            scores; the trainer then refuses a discriminator whose output
            layer is a sigmoid.

    Example:

    ```python
    class ScaledWasserstein(keras_gan.losses.GANLoss):
        decision_threshold = None

        def discriminator_loss(self, real_scores, fake_scores):
            return 0.5 * (ops.mean(fake_scores) - ops.mean(real_scores))

        def generator_loss(self, fake_scores, real_scores=None):
            return -0.5 * ops.mean(fake_scores)
    ```
    """

    decision_threshold = 0.0
    needs_real_scores_for_generator = False
    expects_logits = True
    supports_label_smoothing = False

    def __init__(self, label_smoothing=0.0, name=None):
        label_smoothing = _checks.fraction(label_smoothing, "label_smoothing")
        if label_smoothing and not self.supports_label_smoothing:
            raise ValueError(
                f"The {type(self).__name__} loss has no target to smooth; "
                "`label_smoothing` must be 0. "
                f"Received: label_smoothing={label_smoothing}"
            )
        self.label_smoothing = label_smoothing
        self.name = name or _names.key(type(self).__name__)

    @property
    def real_target(self):
        """The discriminator's target for real data, `1 - label_smoothing`."""
        return 1.0 - self.label_smoothing

    def discriminator_loss(self, real_scores, fake_scores):
        """Scalar loss the discriminator minimizes.

        Args:
            real_scores: discriminator logits on real data, `(batch,)`.
            fake_scores: discriminator logits on generated data, `(batch,)`.

        Returns:
            A scalar tensor: real term + fake term, each a batch mean.
        """
        raise NotImplementedError

    def generator_loss(self, fake_scores, real_scores=None):
        """Scalar loss the generator minimizes.

        Args:
            fake_scores: discriminator logits on generated data, `(batch,)`.
            real_scores: discriminator logits on real data; used only by
                losses with `needs_real_scores_for_generator`.

        Returns:
            A scalar tensor, a batch mean.
        """
        raise NotImplementedError

    def discriminator_accuracy(self, real_scores, fake_scores):
        """Fraction of real and fake samples the discriminator classifies
        correctly (each half weighted equally), or `None` for critics."""
        if self.decision_threshold is None:
            return None
        real_scores, fake_scores = _float32(real_scores), _float32(fake_scores)
        t = self.decision_threshold
        return 0.5 * (mean_float32(real_scores > t) + mean_float32(fake_scores < t))

    def __call__(self, real_scores, fake_scores):
        """Returns `(discriminator_loss, generator_loss)` for the same scores."""
        return (
            self.discriminator_loss(real_scores, fake_scores),
            self.generator_loss(fake_scores, real_scores),
        )

    def get_config(self):
        config = {"name": self.name}
        if self.supports_label_smoothing:
            config["label_smoothing"] = self.label_smoothing
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = f"label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return f"{type(self).__name__}({args})"


@_names.register
class Minimax(GANLoss):
    """The original minimax GAN loss (Goodfellow et al. 2014).

    With `s = sigmoid` and `t = 1 - label_smoothing`:

    `D loss = -t E[log s(D(x))] - (1 - t) E[log(1 - s(D(x)))]
              - E[log(1 - s(D(G(z))))]`

    `G loss = E[log(1 - s(D(G(z))))]`

    The generator's loss saturates when the discriminator rejects its samples
    confidently, which is why `NonSaturating` is the usual choice.

    Example:

    >>> loss = keras_gan.losses.Minimax()
    >>> float(loss.generator_loss(np.array([0.0])))  # log(1 - 0.5)
    -0.6931...
    """

    supports_label_smoothing = True

    def discriminator_loss(self, real_scores, fake_scores):
        real_scores, fake_scores = _float32(real_scores), _float32(fake_scores)
        real_term = mean_float32(_sigmoid_cross_entropy(real_scores, self.real_target))
        fake_term = mean_float32(_sigmoid_cross_entropy(fake_scores, 0.0))
        return real_term + fake_term

    def generator_loss(self, fake_scores, real_scores=None):
        # log(1 - sigmoid(l)) = -softplus(l)
        return -mean_float32(ops.softplus(_float32(fake_scores)))


@_names.register
class NonSaturating(Minimax):
    """The modified (non-saturating) minimax loss (Goodfellow et al. 2014).

    The discriminator loss is `Minimax`'s; the generator maximizes
    `log s(D(G(z)))` instead of minimizing `log(1 - s(D(G(z))))`:

    `G loss = -E[log s(D(G(z)))]`

    Example:

    >>> loss = keras_gan.losses.NonSaturating()
    >>> float(loss.generator_loss(np.array([0.0])))  # -log(0.5)
    0.6931...
    """

    def generator_loss(self, fake_scores, real_scores=None):
        return mean_float32(ops.softplus(-_float32(fake_scores)))


@_names.register
class Wasserstein(GANLoss):
    """Wasserstein loss (Arjovsky et al. 2017); the discriminator is a critic.

    `D loss = E[D(G(z))] - E[D(x)]`

    `G loss = -E[D(G(z))]`

    The critic must be kept Lipschitz: clip its weights
    (`keras_gan.constraints.WeightClip`, the course's recipe) or add
    `keras_gan.penalties.GradientPenalty`.

    Example:

    >>> loss = keras_gan.losses.Wasserstein()
    >>> float(loss.discriminator_loss(np.array([2.0]), np.array([0.5])))
    -1.5
    """

    decision_threshold = None

    def discriminator_loss(self, real_scores, fake_scores):
        return mean_float32(_float32(fake_scores)) - mean_float32(_float32(real_scores))

    def generator_loss(self, fake_scores, real_scores=None):
        return -mean_float32(_float32(fake_scores))


@_names.register
class LeastSquares(GANLoss):
    """Least-squares loss (LSGAN, Mao et al. 2017) with targets 1 and 0.

    With `t = 1 - label_smoothing`:

    `D loss = 1/2 E[(D(x) - t)^2] + 1/2 E[D(G(z))^2]`

    `G loss = 1/2 E[(D(G(z)) - 1)^2]`

    Its decision threshold for `d_accuracy` is 0.5, halfway between targets.

    Example:

    >>> loss = keras_gan.losses.LeastSquares()
    >>> float(loss.generator_loss(np.array([0.0])))
    0.5
    """

    decision_threshold = 0.5
    supports_label_smoothing = True

    def discriminator_loss(self, real_scores, fake_scores):
        real_scores, fake_scores = _float32(real_scores), _float32(fake_scores)
        return 0.5 * mean_float32(ops.square(real_scores - self.real_target)) + 0.5 * mean_float32(
            ops.square(fake_scores)
        )

    def generator_loss(self, fake_scores, real_scores=None):
        return 0.5 * mean_float32(ops.square(_float32(fake_scores) - 1.0))


@_names.register
class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; used by SAGAN and BigGAN).

    `D loss = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`

    `G loss = -E[D(G(z))]`

    Example:

    >>> loss = keras_gan.losses.Hinge()
    >>> float(loss.discriminator_loss(np.array([0.5]), np.array([-2.0])))
    0.5
    """

    def discriminator_loss(self, real_scores, fake_scores):
        real_scores, fake_scores = _float32(real_scores), _float32(fake_scores)
        return mean_float32(ops.relu(1.0 - real_scores)) + mean_float32(ops.relu(1.0 + fake_scores))

    def generator_loss(self, fake_scores, real_scores=None):
        return -mean_float32(_float32(fake_scores))


@_names.register
class RelativisticAverage(GANLoss):
    """Relativistic average standard GAN loss (RaSGAN, Jolicoeur-Martineau 2018).

    Scores are compared with the mean score of the other half of the batch:
    `Dr = D(x) - E[D(G(z))]`, `Df = D(G(z)) - E[D(x)]`. With `s = sigmoid` and
    `t = 1 - label_smoothing`:

    `D loss = -t E[log s(Dr)] - (1 - t) E[log(1 - s(Dr))] - E[log(1 - s(Df))]`

    `G loss = -E[log s(Df)] - E[log(1 - s(Dr))]`

    These are the paper's sums (its reference code halves both). The
    discriminator is counted correct on a real sample when `Dr > 0` and on a
    generated one when `Df < 0`.

    Example:

    >>> loss = keras_gan.losses.RelativisticAverage()
    >>> float(loss.discriminator_loss(np.array([1.0]), np.array([1.0])))  # 2 log 2
    1.3862...
    """

    needs_real_scores_for_generator = True
    supports_label_smoothing = True

    @staticmethod
    def _relative(real_scores, fake_scores):
        real_scores, fake_scores = _float32(real_scores), _float32(fake_scores)
        return (
            real_scores - ops.mean(fake_scores),
            fake_scores - ops.mean(real_scores),
        )

    def discriminator_loss(self, real_scores, fake_scores):
        rel_real, rel_fake = self._relative(real_scores, fake_scores)
        return mean_float32(_sigmoid_cross_entropy(rel_real, self.real_target)) + mean_float32(
            _sigmoid_cross_entropy(rel_fake, 0.0)
        )

    def generator_loss(self, fake_scores, real_scores=None):
        if real_scores is None:
            raise ValueError(
                "The relativistic_average generator loss needs the scores of "
                "real data. Received: real_scores=None"
            )
        rel_real, rel_fake = self._relative(real_scores, fake_scores)
        return mean_float32(_sigmoid_cross_entropy(rel_fake, 1.0)) + mean_float32(
            _sigmoid_cross_entropy(rel_real, 0.0)
        )

    def discriminator_accuracy(self, real_scores, fake_scores):
        rel_real, rel_fake = self._relative(real_scores, fake_scores)
        return 0.5 * (mean_float32(rel_real > 0.0) + mean_float32(rel_fake < 0.0))


_LOSSES = {
    "minimax": Minimax,
    "non_saturating": NonSaturating,
    "modified_minimax": NonSaturating,
    "wasserstein": Wasserstein,
    "least_squares": LeastSquares,
    "hinge": Hinge,
    "relativistic_average": RelativisticAverage,
    "ragan": RelativisticAverage,
}

ALL_LOSSES = tuple(_LOSSES)


def serialize(loss):
    """Returns the Keras config dict of a `GANLoss`."""
    return keras.saving.serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """Rebuilds a `GANLoss` from `serialize`'s output."""
    return _names.deserialize(
        config,
        {cls.__name__: cls for cls in _LOSSES.values()},
        custom_objects,
        GANLoss,
        "a GAN loss",
    )


def get(identifier, **kwargs):
    """Returns a `GANLoss` from a name, a config dict or an instance.

    Args:
        identifier: a loss name or alias (see the module docstring), a dict
            from `serialize`, or a `GANLoss` instance (returned unchanged).
        **kwargs: options of the named loss, e.g. `label_smoothing=0.1`.

    Returns:
        A `GANLoss` instance.

    Example:

    >>> keras_gan.losses.get("minimax", label_smoothing=0.1)
    Minimax(label_smoothing=0.1)
    """
    if isinstance(identifier, GANLoss):
        if kwargs:
            raise ValueError(
                "Options can only be given with a loss name. "
                f"Received: identifier={identifier!r}, kwargs={kwargs}"
            )
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = _names.key(identifier)
        if key not in _LOSSES:
            raise ValueError(
                f"Unknown GAN loss {identifier!r}. Known losses: "
                f"{', '.join(ALL_LOSSES)}. Received: loss={identifier!r}"
            )
        name = "non_saturating" if key == "modified_minimax" else key
        name = "relativistic_average" if name == "ragan" else name
        return _LOSSES[key](name=name, **kwargs)
    raise ValueError(
        "A GAN loss must be a name, a config dict or a keras_gan.losses.GANLoss "
        f"instance. Received: loss={identifier!r} of type {type(identifier).__name__}"
    )


@_names.register
class TopK:
    """Top-k training of the generator (Sinha et al. 2020, "Top-k Training
    of GANs: Improving GAN Performance by Throwing Away Bad Samples").

    The generator learns only from the generated samples of each batch that
    the discriminator scores highest, its near-misses; the worst-scored ones,
    which pull the generator towards wherever the discriminator happens to
    be most wrong, give no gradient. The kept fraction starts at the whole
    batch, while the discriminator's judgement is still poor, and decays to
    `min_fraction`: at generator update `step` it is
    `max(min_fraction, decay ** (step / decay_steps))` (the paper decays by
    0.99 an epoch).

    It changes only the generator's gradient: the loss it logs (`g_loss`) is
    still the whole batch's, and the gradient is the kept samples' mean. It
    works with every loss, on every backend (the batch keeps its static
    shape: the others are masked, not dropped), and under a distribution
    strategy on each replica's part of the batch. Give it to
    `GAN.compile(top_k=...)`.

    Args:
        min_fraction: the smallest fraction of each batch kept, in (0, 1].
        decay: the kept fraction's decay per `decay_steps`, in (0, 1)
            (None: `min_fraction` from the first update).
        decay_steps: generator updates per decay (an epoch's batches for
            the paper's schedule).

    Example:

    ```python
    # 797 digits in batches of 32: 24 updates an epoch.
    gan.compile(d_optimizer, g_optimizer,
                top_k=keras_gan.losses.TopK(0.75, decay=0.99, decay_steps=24))
    ```
    """

    def __init__(self, min_fraction=0.75, decay=0.99, decay_steps=1):
        self.min_fraction = _checks.number(
            min_fraction, "min_fraction", minimum=0.0, inclusive=False
        )
        if self.min_fraction > 1.0:
            raise ValueError(
                f"`min_fraction` must be in (0, 1]. Received: min_fraction={min_fraction!r}"
            )
        self.decay = None
        if decay is not None:
            self.decay = _checks.number(decay, "decay", minimum=0.0, inclusive=False)
            if self.decay >= 1.0:
                raise ValueError(f"`decay` must be in (0, 1) or None. Received: decay={decay!r}")
        self.decay_steps = _checks.number(decay_steps, "decay_steps", minimum=0.0, inclusive=False)

    def fraction(self, step):
        """The fraction of the batch kept at generator update `step`."""
        if self.decay is None:
            return ops.convert_to_tensor(self.min_fraction, "float32")
        step = ops.cast(step, "float32")
        decayed = ops.power(ops.cast(self.decay, "float32"), step / self.decay_steps)
        return ops.maximum(decayed, self.min_fraction)

    def select(self, fake_scores, step):
        """`fake_scores` (flattened, float32) with the same values, whose
        gradient flows only through the highest-scored `fraction(step)` of
        them (at least one), scaled so it is their mean's gradient."""
        scores = _float32(fake_scores)
        size = ops.shape(scores)[0]
        count = ops.cast(size, "float32")
        kept = ops.minimum(ops.maximum(ops.round(self.fraction(step) * count), 1.0), count)
        # The kept-th highest score; ties with it are kept too.
        threshold = ops.take(ops.sort(scores), ops.cast(count - kept, "int32"))
        mask = ops.cast(scores >= ops.stop_gradient(threshold), "float32")
        weight = mask * (count / ops.sum(mask))
        constant = ops.stop_gradient(scores)
        return constant + (scores - constant) * ops.stop_gradient(weight)

    def get_config(self):
        return {
            "min_fraction": self.min_fraction,
            "decay": self.decay,
            "decay_steps": self.decay_steps,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (
            f"TopK(min_fraction={self.min_fraction}, decay={self.decay}, "
            f"decay_steps={self.decay_steps})"
        )

    @classmethod
    def get(cls, identifier):
        """A `TopK` from `None` (none), a fraction (kept from the first
        update: `TopK(fraction, decay=None)`), a config dict or an instance."""
        if identifier is None or isinstance(identifier, TopK):
            return identifier
        if isinstance(identifier, dict):
            return keras.saving.deserialize_keras_object(identifier, module_objects={"TopK": cls})
        if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
            return cls(identifier, decay=None)
        raise ValueError(
            "`top_k` must be None, a fraction in (0, 1] or a keras_gan.losses.TopK. "
            f"Received: top_k={identifier!r}"
        )
