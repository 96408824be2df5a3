"""Differentiable augmentation of the batches a discriminator sees.

With little data, a discriminator memorises the training images, its
feedback to the generator turns to noise, and training collapses.
Augmenting every batch the discriminator sees, real and generated alike,
with transformations that are differentiable (the generator learns through
them) keeps it from memorising without the augmentations leaking into the
generated samples:

- `DiffAugment(policy="color,translation,cutout")` (Zhao et al. 2020):
  every transformation of the policy applied to every sample.
- `AdaptiveAugment(target=0.6)` (Karras et al. 2020, ADA): each
  transformation applied to each sample with probability `p`, and `p`
  moved inside the train step from the discriminator's overfitting
  statistic `r = E[sign(D(real))]`: up while `r > target`, down while
  below. `p` is logged as `augment_p` and saved with the GAN.

`GAN.compile(augment=...)` applies the augmentation to every batch the
discriminator sees in training (the inputs of its penalties included) and
never to `generate`, evaluation, saving or export. Every sample draws its
own parameters from the GAN's seed generator, so a seeded GAN augments
reproducibly.

The transformations, on images `(batch, height, width, channels)` in
[-1, 1], as in DiffAugment's reference code:

- `color`: brightness (adds U(-0.5, 0.5)), saturation (scales the
  deviation from the channel mean by U(0, 2)), contrast (scales the
  deviation from the image mean by U(0.5, 1.5));
- `translation`: shifts by whole pixels, up to 1/8 of each side, filling
  with zeros;
- `cutout`: zeroes a square half the image's side at a random place.
"""

import keras
from keras import ops

from keras_gan import _checks, _names, backend
from keras_gan.distribute import per_replica_draw

POLICIES = ("color", "translation", "cutout")
# What `AdaptiveAugment`'s overfitting statistic is the sign over.
STATISTICS = ("augmented", "unaugmented")


def _uniform(shape, seed_generator):
    """U[0, 1) draws, this replica's part of the global batch's."""
    return per_replica_draw(lambda s: keras.random.uniform(s, seed=seed_generator), shape)


def _check_images(x):
    if len(x.shape) != 4:
        raise ValueError(
            "Augmentation works on batches of images (batch, height, width, channels). "
            f"Received: a batch of shape {tuple(x.shape)}"
        )


def _per_sample(values, x):
    """`(batch,)` values shaped to broadcast over images."""
    return ops.reshape(ops.cast(values, x.dtype), (-1, 1, 1, 1))


def _tensors(x, apply):
    """`x` and the mask `apply` (or None) as tensors of the backend."""
    return ops.convert_to_tensor(x), None if apply is None else ops.convert_to_tensor(apply)


def color(x, seed_generator, apply=None):
    """Random brightness, saturation and contrast, per sample."""
    x, apply = _tensors(x, apply)
    batch = ops.shape(x)[0]
    ones = (batch,)
    brightness = _uniform(ones, seed_generator) - 0.5
    saturation = _uniform(ones, seed_generator) * 2.0
    contrast = _uniform(ones, seed_generator) + 0.5
    if apply is not None:
        brightness = ops.where(apply, brightness, 0.0)
        saturation = ops.where(apply, saturation, 1.0)
        contrast = ops.where(apply, contrast, 1.0)
    x = x + _per_sample(brightness, x)
    channel_mean = ops.mean(x, axis=3, keepdims=True)
    x = (x - channel_mean) * _per_sample(saturation, x) + channel_mean
    image_mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - image_mean) * _per_sample(contrast, x) + image_mean


def _shift_matrices(shift, size, dtype):
    """`(batch, size, size)` matrices that move rows by `shift` (zero fill):
    `out[i] = in[i - shift]`."""
    positions = ops.arange(size, dtype="int32")
    source = positions[None, :] - ops.cast(shift, "int32")[:, None]
    return ops.cast(ops.equal(source[:, :, None], positions[None, None, :]), dtype)


def translation(x, seed_generator, apply=None, ratio=0.125):
    """Shifts each image by whole pixels, up to `ratio` of each side, with
    zeros filling in (a matrix product: differentiable, and jit-friendly)."""
    x, apply = _tensors(x, apply)
    batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
    shifts = []
    for size in (height, width):
        most = int(size * ratio + 0.5)
        shift = ops.floor(_uniform((batch,), seed_generator) * (2 * most + 1)) - most
        shifts.append(shift if apply is None else ops.where(apply, shift, 0.0))
    rows = _shift_matrices(shifts[0], height, x.dtype)
    columns = _shift_matrices(shifts[1], width, x.dtype)
    x = ops.einsum("bij,bjwc->biwc", rows, x)
    return ops.einsum("bkl,bilc->bikc", columns, x)


def cutout(x, seed_generator, apply=None, ratio=0.5):
    """Zeroes a square of `ratio` of each side at a random place per image
    (it may reach over the border)."""
    x, apply = _tensors(x, apply)
    batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
    inside = []
    for size in (height, width):
        cut = int(size * ratio + 0.5)
        centre = ops.floor(_uniform((batch,), seed_generator) * (size + 1 - cut % 2))
        start = centre - cut // 2
        positions = ops.cast(ops.arange(size), "float32")[None, :]
        inside.append(
            ops.logical_and(positions >= start[:, None], positions < start[:, None] + cut)
        )
    cut_out = ops.logical_and(inside[0][:, :, None], inside[1][:, None, :])
    if apply is not None:
        cut_out = ops.logical_and(cut_out, apply[:, None, None])
    return x * ops.cast(ops.logical_not(cut_out), x.dtype)[..., None]


_TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def _policy(policy):
    names = [name.strip() for name in policy.split(",")] if isinstance(policy, str) else []
    if not names or any(name not in _TRANSFORMS for name in names):
        raise ValueError(
            f"`policy` must name transformations among {', '.join(POLICIES)}, separated by "
            f"commas. Received: policy={policy!r}"
        )
    return tuple(names)


@_names.register
class Augment(keras.layers.Layer):
    """Base of the augmentations: `augment(x, seed_generator)` returns the
    augmented batch; `observe(real_scores)` hears the discriminator's scores
    on each discriminator update's real batch (as augmented, or as it is
    where `observes_unaugmented`); `logs()` are what the augmentation adds
    to the training logs."""

    #: Whether `observe` is given the discriminator's scores on the real
    #: batch as it is (one more forward pass a discriminator update) rather
    #: than on the augmented real batch it trained on.
    observes_unaugmented = False

    def __init__(self, policy="color,translation,cutout", **kwargs):
        super().__init__(**kwargs)
        self.policy = ",".join(_policy(policy))
        # No weights that depend on the input shape: built from the start
        # (Keras builds a model with an unbuilt layer by calling it on data).
        self.built = True

    def augment(self, x, seed_generator):
        raise NotImplementedError

    def observe(self, real_scores):
        """Nothing to learn from the scores (DiffAugment)."""
        return None

    def logs(self):
        return {}

    def call(self, x):  # for Keras' layer machinery; the GAN calls `augment`
        return x

    def get_config(self):
        return {**super().get_config(), "policy": self.policy}


@_names.register
class DiffAugment(Augment):
    """DiffAugment (Zhao et al. 2020): the policy's transformations applied,
    each with fresh parameters per sample, to every batch the discriminator
    sees.

    Args:
        policy: transformations separated by commas, among `"color"`,
            `"translation"` and `"cutout"` (see the module docstring).

    Example:

    ```python
    gan.compile(d_opt, g_opt, augment=keras_gan.augment.DiffAugment("translation,cutout"))
    ```
    """

    def augment(self, x, seed_generator):
        _check_images(x)
        for name in _policy(self.policy):
            x = _TRANSFORMS[name](x, seed_generator)
        return x


@_names.register
class AdaptiveAugment(Augment):
    """Adaptive discriminator augmentation (Karras et al. 2020, ADA).

    Each transformation of `policy` is applied to each sample with
    probability `p`. Every `interval` train steps, `p` moves by
    `sign(r - target) * images / ramp_images`, where `r` is the mean sign
    of the discriminator's scores on the augmented real images over those
    steps (`r` near 1: the discriminator is sure of every real image, it
    overfits) and `images` the number of real images they held; `p` stays
    in [0, 1]. It is updated inside the train step (on every backend, and
    under XLA), logged as `augment_p`, saved with the GAN and restored by
    `load_model` and `BackupAndRestore`. Under data parallelism the
    statistic is summed over the replicas, so `p` is the same on each.

    With `statistic="unaugmented"`, `r` is the mean sign of the
    discriminator's scores on the real batch as it is, not augmented: one
    more forward pass of the discriminator on each real batch (no gradient,
    no state moved). On small data the discriminator can memorize the
    training images themselves while scoring their augmented versions low
    enough to hold ADA's `r` at its target; their own sign shows the
    memorizing (docs/guide/small_data.md).

    Args:
        target: the value of `r` that `p` steers towards (0.6 in ADA).
        policy: as `DiffAugment`'s.
        initial_p: `p` at the start.
        ramp_images: images over which `p` can move from 0 to 1 (ADA's
            500k suits long runs; short runs on small data need less).
        interval: train steps between two updates of `p`.
        statistic: `"augmented"` (ADA's: the sign over the real batch as
            the discriminator trains on it) or `"unaugmented"` (over the
            real batch as it is).
        max_p: the most `p` can reach (ADA's paper finds its
            transformations do not leak into the samples below about 0.8).

    Example:

    ```python
    gan.compile(d_opt, g_opt, augment=keras_gan.augment.AdaptiveAugment(target=0.6))
    history = gan.fit(dataset, epochs=100)
    history.history["augment_p"]
    ```
    """

    def __init__(
        self,
        target=0.6,
        policy="color,translation,cutout",
        initial_p=0.0,
        ramp_images=100_000,
        interval=4,
        statistic="augmented",
        max_p=1.0,
        **kwargs,
    ):
        super().__init__(policy=policy, **kwargs)
        if statistic not in STATISTICS:
            raise ValueError(
                f"`statistic` must be one of {STATISTICS}. Received: statistic={statistic!r}"
            )
        self.statistic = statistic
        self.target = _checks.number(target, "target", minimum=-1.0)
        if self.target >= 1.0:
            raise ValueError(f"`target` must be in [-1, 1). Received: target={target!r}")
        self.initial_p = _checks.number(initial_p, "initial_p")
        if self.initial_p > 1.0:
            raise ValueError(f"`initial_p` must be in [0, 1]. Received: initial_p={initial_p!r}")
        self.max_p = _checks.number(max_p, "max_p", inclusive=False)
        if self.max_p > 1.0 or self.initial_p > self.max_p:
            raise ValueError(
                f"`max_p` must be in [initial_p, 1]. Received: max_p={max_p!r} with "
                f"initial_p={initial_p!r}"
            )
        self.ramp_images = _checks.number(ramp_images, "ramp_images", inclusive=False)
        self.interval = _checks.integer(interval, "interval")
        # Every replica computes the same values (the statistic is summed
        # over replicas first): one copy is kept.
        state = {"trainable": False, "aggregation": "only_first_replica"}
        initial = keras.initializers.Constant(self.initial_p)
        self.p = self.add_weight((), initializer=initial, name="p", **state)
        self.sign_sum = self.add_weight((), initializer="zeros", name="sign_sum", **state)
        self.count = self.add_weight((), initializer="zeros", name="count", **state)
        self.steps = self.add_weight((), initializer="zeros", name="steps", **state)

    @property
    def observes_unaugmented(self):
        return self.statistic == "unaugmented"

    def augment(self, x, seed_generator):
        _check_images(x)
        batch = ops.shape(x)[0]
        for name in _policy(self.policy):
            apply = _uniform((batch,), seed_generator) < ops.convert_to_tensor(self.p)
            x = _TRANSFORMS[name](x, seed_generator, apply=apply)
        return x

    def observe(self, real_scores):
        """Adds one discriminator update's real scores to the statistic, and
        moves `p` every `interval` updates."""
        signs = backend.replica_sum(ops.sum(ops.sign(ops.cast(real_scores, "float32"))))
        count = backend.replica_sum(ops.cast(ops.shape(real_scores)[0], "float32"))
        p = ops.convert_to_tensor(self.p)
        sign_sum = ops.convert_to_tensor(self.sign_sum) + signs
        total = ops.convert_to_tensor(self.count) + count
        steps = ops.convert_to_tensor(self.steps) + 1.0
        due = steps >= self.interval
        r = sign_sum / ops.maximum(total, 1.0)
        moved = p + ops.sign(r - self.target) * total / self.ramp_images
        moved = ops.clip(moved, 0.0, self.max_p)
        self.p.assign(ops.where(due, moved, p))
        self.sign_sum.assign(ops.where(due, 0.0, sign_sum))
        self.count.assign(ops.where(due, 0.0, total))
        self.steps.assign(ops.where(due, 0.0, steps))

    def logs(self):
        return {"augment_p": ops.convert_to_tensor(self.p)}

    def get_config(self):
        return {
            **super().get_config(),
            "target": self.target,
            "initial_p": self.initial_p,
            "ramp_images": self.ramp_images,
            "interval": self.interval,
            "statistic": self.statistic,
            "max_p": self.max_p,
        }


def serialize(augment):
    """Returns the Keras config dict of an augmentation."""
    return keras.saving.serialize_keras_object(augment)


def deserialize(config, custom_objects=None):
    """Rebuilds an augmentation from `serialize`'s output."""
    return _names.deserialize(
        config,
        {"DiffAugment": DiffAugment, "AdaptiveAugment": AdaptiveAugment},
        custom_objects,
        Augment,
        "an augmentation",
    )


def get(identifier):
    """Returns an augmentation from `None`, a name (`"diff_augment"`,
    `"adaptive_augment"` / `"ada"`, with their defaults), a config dict or an
    instance."""
    if identifier is None or isinstance(identifier, Augment):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    known = {
        "diff_augment": DiffAugment,
        "adaptive_augment": AdaptiveAugment,
        "ada": AdaptiveAugment,
    }
    if isinstance(identifier, str) and _names.key(identifier) in known:
        return known[_names.key(identifier)]()
    raise ValueError(
        "`augment` must be None, a keras_gan.augment.Augment, a config dict or one of "
        f"{', '.join(known)}. Received: augment={identifier!r}"
    )
