"""Known-good recipes: compiled GANs for the embedded data sets.

They are what `make demo`, the examples and the quality benchmarks train, so
their numbers in the README are reproducible with one call:

```python
gan = keras_gan.recipes.digits_gan(seed=0)
gan.fit(keras_gan.data.from_numpy(images, batch_size=64), epochs=150)
```
"""

import keras

from keras_gan import _checks, augment, losses, models, penalties
from keras_gan.gan import GAN, ConditionalGAN, SelfConditionedGAN

# The image recipe's ADA (`augmentation="ada"`): ADA's target, 0.6, on the
# sign of the discriminator's scores on the real images as they are, `p`
# capped at 0.8 (below which ADA's paper finds no leaks). ADA's own
# statistic (over the augmented reals) held `p` at about 0.27 on every
# training-set size while the discriminator memorized 80 or 200 digits;
# this one sees it (docs/guide/small_data.md).
ADA_TARGET = 0.6
ADA_STATISTIC = "unaugmented"
ADA_MAX_P = 0.8
# Training samples per cluster of a self-conditioned recipe
# (`num_clusters_for`): 80 clusters on the 797 digits (docs/guide/small_data.md).
SAMPLES_PER_CLUSTER = 10


def num_clusters_for(count):
    """The number of clusters `make demo` and `benchmarks/quality_digits.py`
    self-condition the image recipe on for `count` training samples: one per
    `SAMPLES_PER_CLUSTER`, at least 2."""
    return max(2, round(count / SAMPLES_PER_CLUSTER))


def compile_digits(gan, total_steps=None, learning_rate=2e-4):
    """Compiles `gan` with the digits recipe: Adam(`learning_rate`,
    beta_1=0.5) for both networks, the non-saturating loss and an R1 penalty
    of weight 1 on the discriminator. With `total_steps`, the learning rate
    decays to 0 along a cosine over that many steps (what sharpens the
    samples late in training). On 1,797 small images a stronger (two-stage)
    DCGAN discriminator collapsed the generator to a few digits on 2 seeds of
    2; this one stays diverse."""

    def adam():
        rate = learning_rate
        if total_steps:
            rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(total_steps))
        return keras.optimizers.Adam(rate, beta_1=0.5)

    gan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(),
        loss="non_saturating",
        d_penalty=penalties.R1(1.0),
    )
    return gan


def digits_gan(
    conditional=False,
    seed=0,
    latent_dim=32,
    width=64,
    architecture="dcgan",
    total_steps=None,
    learning_rate=2e-4,
):
    """A compiled GAN (or `ConditionalGAN` on the 10 labels) for the 8x8
    digits of `keras_gan.data.digits`.

    Args:
        conditional: condition both networks on the digit labels.
        seed: the GAN's noise seed.
        latent_dim: the latent size.
        width: `"dcgan"`: filters of the one-stage `dcgan_*` networks;
            `"mlp"`: units of each of the two hidden layers of `mlp_*`
            networks on the 64 flattened pixels (tanh output).
        architecture: `"dcgan"` or `"mlp"`.
        total_steps: decay the learning rate to 0 over this many steps
            (cosine); constant when None.
        learning_rate: the starting learning rate of both optimizers.
    """
    num_classes = 10 if conditional else None
    if architecture == "dcgan":
        generator = models.dcgan_generator(
            latent_dim=latent_dim, image_size=8, width=width, num_classes=num_classes
        )
        discriminator = models.dcgan_discriminator(
            image_size=8, width=width, num_classes=num_classes
        )
    elif architecture == "mlp":
        if conditional:
            raise ValueError("The MLP digits recipe is unconditional. Received: conditional=True")
        generator = keras.Sequential(
            [
                models.mlp_generator(
                    latent_dim, 64, hidden_units=(width, width), output_activation="tanh"
                ),
                keras.layers.Reshape((8, 8, 1)),
            ],
            name="generator",
        )
        discriminator = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Flatten(),
                models.mlp_discriminator(64, hidden_units=(width, width)),
            ],
            name="discriminator",
        )
    else:
        raise ValueError(
            f"`architecture` must be 'dcgan' or 'mlp'. Received: architecture={architecture!r}"
        )
    if conditional:
        gan = ConditionalGAN(generator, discriminator, num_classes=10, seed=seed)
    else:
        gan = GAN(generator, discriminator, seed=seed)
    return compile_digits(gan, total_steps=total_steps, learning_rate=learning_rate)


def mixture_gan(
    total_steps,
    seed=None,
    loss="non_saturating",
    r1_weight=0.1,
    learning_rate=2e-3,
    data_scale=1.0,
    steps_per_execution=1,
):
    """A compiled GAN for the 2-D mixtures (`keras_gan.data.ring` / `grid`).

    3x256 ReLU MLPs, latent dimension 16; Adam with `beta_1=0`, `beta_2=0.99`
    whose learning rate decays to 0 along a cosine over `total_steps` steps
    (the decay is what sharpens the modes: at a constant rate the samples
    jitter around them; a high starting rate and a long schedule sharpen
    them further); an R1 penalty of `r1_weight` on the discriminator
    (0 for none), which keeps every mode on seeds where plain Adam collapses.

    Args:
        total_steps: the number of training steps the schedule spans (the
            steps `fit` will run: epochs x batches per epoch).
        seed: the GAN's noise seed (None: a random one).
        loss: a loss name or `keras_gan.losses.GANLoss`; a Wasserstein loss
            gets a `GradientPenalty` of weight 10 instead of R1.
        r1_weight: weight of the R1 penalty.
        learning_rate: the starting learning rate of both optimizers (its
            effect on the ring and the grid is measured in
            docs/evaluation.md).
        data_scale: the data's extent (about 1 for the ring, 4 for the
            grid): the networks work in units of it (the generator's output
            is multiplied by it, the discriminator's input divided by it),
            which the grid needs (docs/evaluation.md).
        steps_per_execution: as `keras.Model.compile` (`GAN.compile`):
            train steps per call of the compiled function, which saves the
            per-step Python overhead of small networks; it must be 1 on
            PyTorch, whose Keras trainer runs one step per call.
    """
    total_steps = _checks.integer(total_steps, "total_steps")
    data_scale = _checks.number(data_scale, "data_scale", inclusive=False)
    learning_rate = _checks.number(learning_rate, "learning_rate", inclusive=False)
    generator = models.mlp_generator(16, 2, hidden_units=(256, 256, 256))
    discriminator = models.mlp_discriminator(2, hidden_units=(256, 256, 256))
    if data_scale != 1.0:
        generator = keras.Sequential(
            [generator, keras.layers.Rescaling(float(data_scale))], name="generator"
        )
        discriminator = keras.Sequential(
            [keras.Input((2,)), keras.layers.Rescaling(1.0 / data_scale), discriminator],
            name="discriminator",
        )
    gan = GAN(generator, discriminator, seed=seed)

    def adam():
        schedule = keras.optimizers.schedules.CosineDecay(learning_rate, int(total_steps))
        return keras.optimizers.Adam(schedule, beta_1=0.0, beta_2=0.99)

    loss = losses.get(loss)
    if isinstance(loss, losses.Wasserstein):
        penalty = penalties.GradientPenalty(10.0)
    else:
        penalty = penalties.R1(r1_weight) if r1_weight else None
    gan.compile(
        adam(), adam(), loss=loss, d_penalty=penalty, steps_per_execution=steps_per_execution
    )
    return gan


def image_gan(
    image_shape,
    num_classes=None,
    seed=None,
    total_steps=None,
    latent_dim=64,
    width=64,
    learning_rate=1e-3,
    r1_weight=5.0,
    r1_interval=16,
    augmentation="ada",
    ema_half_life=10_000,
    spectral_norm=False,
    minibatch_stddev=None,
    pack=1,
    top_k=0.75,
    steps_per_execution=1,
    num_clusters=None,
):
    """A compiled convolutional GAN for images (a `ConditionalGAN` when
    `num_classes` is given, a `SelfConditionedGAN` when `num_clusters` is),
    trained with `gan.fit` on batches in [-1, 1].

    The networks are `models.image_generator` / `models.image_discriminator`;
    the loss is the non-saturating one with an R1 penalty on the
    discriminator, and the generator learns from the three quarters of each
    batch the discriminator scores highest (top-k training, `top_k`); both
    optimizers are Adam(`learning_rate`, beta_1=0.5, beta_2=0.99), decayed
    to 0 along a cosine over `total_steps` when given;
    the generator keeps a moving average (what `generate` and export use);
    and every batch the discriminator sees is augmented adaptively (ADA:
    `augment.AdaptiveAugment(target=0.6, statistic="unaugmented",
    max_p=0.8)`, whose `p` follows the discriminator's overfitting of the
    real images as they are: about 0.63 on all 797 digits, 0.8 on 80). The
    defaults are the best measured on the 8x8 digits in batches of 32
    (docs/guide/small_data.md).

    Args:
        image_shape: `(size, size, channels)`, e.g. `(8, 8, 1)`,
            `(28, 28, 1)`, `(32, 32, 3)`, `(64, 64, 3)`.
        num_classes: condition on integer labels in `[0, num_classes)`.
        seed: the GAN's noise seed.
        total_steps: the steps `fit` will run (epochs x batches per epoch):
            the learning rate's cosine decay spans them; constant when None.
        latent_dim: size of `z`.
        width: channels of both networks at the full resolution.
        learning_rate: the starting learning rate of both optimizers.
        r1_weight: weight of the R1 penalty (0: none).
        r1_interval: lazy R1 (`penalties.R1(interval=...)`): the penalty on
            every `r1_interval`-th discriminator update only, scaled up to
            the same average strength (StyleGAN2's 16).
        augmentation: what `GAN.compile(augment=...)` takes (None, an
            augmentation object, `"ada"` or `"adaptive_augment"` for
            `augment.AdaptiveAugment(target=0.6, statistic="unaugmented",
            max_p=0.8)`,
            `"diff_augment"`, ...) or a DiffAugment policy
            (`"translation,cutout"`).
        ema_half_life: the generator's moving average, half-life in images
            (None: no average).
        spectral_norm: spectral normalization in the discriminator.
        minibatch_stddev: a group size for the discriminator's minibatch
            standard deviation (None: none).
        pack: PacGAN's packing of the discriminator's inputs (1: none).
        top_k: top-k training's smallest kept fraction
            (`losses.TopK(top_k, decay=0.99)`, which decays from the whole
            batch by 0.99 every `total_steps / 300` generator updates, an
            epoch of a 300-epoch run, or every 24 without `total_steps`, so
            it reaches 0.75 after a tenth of the run; None: off).
        steps_per_execution: as `keras.Model.compile` (`GAN.compile`):
            train steps per call of the compiled function, which saves the
            per-step Python overhead of small networks; it must be 1 on
            PyTorch, whose Keras trainer runs one step per call.
        num_clusters: condition on `num_clusters` clusters of the unlabeled
            training images (`SelfConditionedGAN`: call `gan.adapt(images)`
            before `fit`). On the 797 digits, 80 clusters raise the
            precision from about 0.85 to 0.94 (docs/guide/small_data.md).

    Returns:
        A compiled `GAN`, `ConditionalGAN` or `SelfConditionedGAN`.

    Example:

    ```python
    # 797 digits in batches of 32: 24 steps an epoch.
    gan = keras_gan.recipes.image_gan((8, 8, 1), seed=0, total_steps=300 * 24)
    gan.fit(keras_gan.data.from_numpy(images, batch_size=32), epochs=300)
    ```
    """
    if num_classes is not None and num_clusters is not None:
        raise ValueError(
            "`num_classes` conditions on given labels, `num_clusters` on clusters the "
            "GAN finds itself: pass one of them. "
            f"Received: num_classes={num_classes!r}, num_clusters={num_clusters!r}"
        )
    if total_steps is not None:
        total_steps = _checks.integer(total_steps, "total_steps")
    if ema_half_life:
        ema_half_life = _checks.number(ema_half_life, "ema_half_life", inclusive=False)
    conditions = num_classes if num_clusters is None else num_clusters
    generator = models.image_generator(
        image_shape, latent_dim=latent_dim, width=width, num_classes=conditions
    )
    discriminator = models.image_discriminator(
        image_shape,
        width=width,
        spectral_norm=spectral_norm,
        minibatch_stddev=minibatch_stddev,
        pack=pack,
        num_classes=conditions,
    )
    if num_clusters is not None:
        gan = SelfConditionedGAN(generator, discriminator, num_clusters=num_clusters, seed=seed)
    elif num_classes is None:
        gan = GAN(generator, discriminator, seed=seed)
    else:
        gan = ConditionalGAN(generator, discriminator, num_classes=num_classes, seed=seed)
    if ema_half_life:
        gan.enable_ema(ema_half_life)

    def adam():
        rate = learning_rate
        if total_steps:
            rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(total_steps))
        return keras.optimizers.Adam(rate, beta_1=0.5, beta_2=0.99)

    try:
        resolved = augment.get(augmentation)
    except ValueError:
        if not isinstance(augmentation, str):
            raise
        resolved = augment.DiffAugment(augmentation)  # a policy
    if isinstance(augmentation, str) and isinstance(resolved, augment.AdaptiveAugment):
        # ADA by name ("ada", "adaptive_augment"), on the unaugmented reals:
        # with ADA's own statistic p sat at about 0.27 on 797, 200 and 80
        # digits alike while the discriminator memorized the small sets
        # (docs/guide/small_data.md).
        resolved = augment.AdaptiveAugment(
            target=ADA_TARGET, statistic=ADA_STATISTIC, max_p=ADA_MAX_P
        )
    gan.compile(
        adam(),
        adam(),
        loss="non_saturating",
        d_penalty=penalties.R1(r1_weight, interval=r1_interval) if r1_weight else None,
        augment=resolved,
        pack=pack,
        top_k=_recipe_top_k(top_k, total_steps),
        steps_per_execution=steps_per_execution,
    )
    return gan


def _recipe_top_k(fraction, total_steps):
    """The image recipe's `losses.TopK`: decaying by 0.99 an epoch of a
    300-epoch run (the paper's per-epoch rate) down to `fraction`."""
    if fraction is None:
        return None
    decay_steps = max(total_steps / 300, 1.0) if total_steps else 24.0
    return losses.TopK(fraction, decay=0.99, decay_steps=decay_steps)
