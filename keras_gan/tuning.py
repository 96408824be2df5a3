"""Hyperparameter search for GANs with KerasTuner.

A GAN's losses don't say how good it is, so the search objective is a
sample-quality metric on held-out data, with its direction declared:
`keras_tuner.Objective("val_fd", direction="min")`. The pattern:

```python
import keras_tuner
import keras_gan

hypermodel = keras_gan.tuning.GANHyperModel(
    generator=lambda: keras_gan.models.mlp_generator(16, 2),
    discriminator=lambda: keras_gan.models.mlp_discriminator(2),
    metrics=[keras_gan.metrics.FrechetDistance()],
)
tuner = keras_tuner.RandomSearch(
    hypermodel,
    objective=keras_tuner.Objective("val_fd", direction="min"),
    max_trials=10,
    directory="runs/tune",
)
tuner.search(train, validation_data=held_out, epochs=20)
best = tuner.get_best_models(1)[0]          # a compiled keras_gan.GAN
```

`GANHyperModel.build` calls `build_gan(hp, ...)`, which declares the search
space (loss, both learning rates, Adam's beta_1, `d_steps`, the R1 penalty's
weight) and returns a compiled GAN; subclass `GANHyperModel` or write your own
`keras_tuner.HyperModel` around `build_gan` to change it.
"""

import keras

from keras_gan import _checks, penalties
from keras_gan import metrics as metrics_lib
from keras_gan.gan import GAN, ConditionalGAN

keras_tuner = _checks.require("keras_tuner")

#: The losses searched by default: all need no Lipschitz constraint.
DEFAULT_LOSSES = ("non_saturating", "least_squares", "hinge")


def build_gan(
    hp,
    generator,
    discriminator,
    num_classes=None,
    metrics=None,
    losses=DEFAULT_LOSSES,
    seed=None,
    **gan_kwargs,
):
    """A compiled GAN whose training hyperparameters come from `hp`.

    Hyperparameters (KerasTuner names):
        `loss`: one of `losses`;
        `d_learning_rate`, `g_learning_rate`: Adam's learning rates, log-uniform
            in [1e-5, 1e-2];
        `beta_1`: Adam's first-moment decay, 0.0 or 0.5;
        `d_steps`: discriminator updates per step, 1 to 3;
        `r1_weight`: weight of an R1 penalty, log-uniform in [1e-3, 10]
            (a `wasserstein` loss in `losses` gets a `GradientPenalty` of that
            weight instead, so its critic stays Lipschitz-controlled).

    Args:
        hp: a `keras_tuner.HyperParameters`.
        generator, discriminator: functions returning fresh networks (each
            trial builds new ones).
        num_classes: builds a `ConditionalGAN` when given.
        metrics: GAN metrics for `compile` (what the objective reads), as
            instances, names or configs; fresh copies are made per trial.
        losses: the loss names to choose from.
        seed: the GAN's noise seed.
        **gan_kwargs: more `GAN(...)` arguments (`latent_dim`, ...).

    Returns:
        A compiled `keras_gan.GAN` (or `ConditionalGAN`).
    """
    metrics, losses = _checked(generator, discriminator, metrics, losses)
    loss = hp.Choice("loss", list(losses))
    d_lr = hp.Float("d_learning_rate", 1e-5, 1e-2, sampling="log", default=2e-4)
    g_lr = hp.Float("g_learning_rate", 1e-5, 1e-2, sampling="log", default=2e-4)
    beta_1 = hp.Choice("beta_1", [0.0, 0.5], default=0.5)
    d_steps = hp.Int("d_steps", 1, 3, default=1)
    weight = hp.Float("r1_weight", 1e-3, 10.0, sampling="log", default=0.1)
    if loss == "wasserstein":
        penalty = penalties.GradientPenalty(weight)
    else:
        penalty = penalties.R1(weight)
    if num_classes is None:
        gan = GAN(generator(), discriminator(), seed=seed, **gan_kwargs)
    else:
        gan = ConditionalGAN(
            generator(), discriminator(), num_classes=num_classes, seed=seed, **gan_kwargs
        )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(d_lr, beta_1=beta_1, beta_2=0.99),
        g_optimizer=keras.optimizers.Adam(g_lr, beta_1=beta_1, beta_2=0.99),
        loss=loss,
        d_steps=d_steps,
        d_penalty=penalty,
        metrics=[_fresh(m) for m in (metrics or ())],
    )
    return gan


def _checked(generator, discriminator, metrics, losses):
    """`(metrics, losses)` after checking `build_gan`'s arguments, a single
    loss or metric taken as a list of one."""
    for name, builder in (("generator", generator), ("discriminator", discriminator)):
        if isinstance(builder, keras.layers.Layer) or not callable(builder):
            raise TypeError(
                f"`{name}` must be a function that returns a fresh network (each trial "
                f"builds its own). Received: {name}={builder!r}"
            )
    if isinstance(losses, str):
        losses = (losses,)
    if not losses or not all(isinstance(loss, str) for loss in losses):
        raise ValueError(
            "`losses` must be one or more loss names, such as ('non_saturating', 'hinge'). "
            f"Received: losses={losses!r}"
        )
    if isinstance(metrics, (str, dict, keras.metrics.Metric)):
        metrics = (metrics,)
    return metrics, tuple(losses)


def _fresh(metric):
    """A new metric like `metric` (a trial must not share another's state)."""
    if isinstance(metric, keras.metrics.Metric):
        return type(metric).from_config(metric.get_config())
    return metrics_lib.get(metric)


class GANHyperModel(keras_tuner.HyperModel):
    """A `keras_tuner.HyperModel` that builds GANs with `build_gan`.

    Args:
        generator, discriminator: functions returning fresh networks.
        num_classes: for a `ConditionalGAN`.
        metrics: the GAN metrics the objective reads (e.g. `FrechetDistance()`
            for `Objective("val_fd", "min")`).
        losses: the loss names searched.
        seed: the GAN's noise seed.
        name, tunable: as for `keras_tuner.HyperModel`.
        **gan_kwargs: more `GAN(...)` arguments.
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes=None,
        metrics=None,
        losses=DEFAULT_LOSSES,
        seed=None,
        name=None,
        tunable=True,
        **gan_kwargs,
    ):
        super().__init__(name=name, tunable=tunable)
        self.generator, self.discriminator = generator, discriminator
        self.num_classes, self.metrics, self.losses = num_classes, metrics, losses
        self.seed, self.gan_kwargs = seed, gan_kwargs

    def build(self, hp):
        return build_gan(
            hp,
            self.generator,
            self.discriminator,
            num_classes=self.num_classes,
            metrics=self.metrics,
            losses=self.losses,
            seed=self.seed,
            **self.gan_kwargs,
        )

    def fit(self, hp, model, *args, **kwargs):
        # A tf.data pipeline reshuffles itself; Keras warns on shuffle=True.
        kwargs.setdefault("shuffle", False)
        return model.fit(*args, **kwargs)
