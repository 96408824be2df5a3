"""`GAN`: a `keras.Model` whose `train_step` alternates discriminator and
generator updates, so `compile` / `fit` / callbacks work as for any model.

The model, its `compile`, its noise and its sampling are here; each of its
other parts is a module of its own, mixed into `GAN` as Keras mixes its
trainer into `keras.Model`: the updates of the alternating step
(`step.py`), the generator's moving average (`ema.py`), what a saved GAN
holds beyond Keras' defaults and its atomic saves (`state.py`), and the
functions `fit` calls (`step_functions.py`); the running means of the logs
(`logs.py`) and the optimizer pair (`optimizers.py`) are helpers.
"""

import warnings

import keras
import numpy as np
from keras import ops

from keras_gan import _checks, _names, backend
from keras_gan import augment as augment_module
from keras_gan import constraints as constraints_module
from keras_gan import losses as losses_module
from keras_gan import metrics as metrics_module
from keras_gan import penalties as penalties_module
from keras_gan.distribute import per_replica_draw
from keras_gan.gan import optimizers, step
from keras_gan.gan.ema import GeneratorEMA
from keras_gan.gan.logs import RunningMeans
from keras_gan.gan.state import SavedState
from keras_gan.gan.step_functions import StepFunctions

_LATENT_DISTRIBUTIONS = ("normal", "uniform")


def _unbuilt(net):
    return net is not None and not net.built


def _metric_list(metrics):
    """`compile(metrics=...)` as a list: one metric (an instance or a name)
    is a list of one."""
    if metrics is None:
        return []
    if isinstance(metrics, (str, dict, keras.metrics.Metric)) or not hasattr(metrics, "__iter__"):
        return [metrics]
    return list(metrics)


# What `evaluate` logs besides the metrics (the training-only penalties and
# `augment_p` are left out of evaluation).
_EVALUATION_LOGS = ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy")


def _check_metric_logs(metrics):
    """Raises when two metrics, or a metric and the GAN's own logs, would
    write the same log name: `evaluate` would keep only one of the values."""
    owners = dict.fromkeys(_EVALUATION_LOGS, "the GAN's own log")
    for metric in metrics:
        written = metric.written_logs() if hasattr(metric, "written_logs") else (metric.name,)
        for log in written:
            if log in owners:
                raise ValueError(
                    f"Two evaluation values would be logged as {log!r} ({owners[log]} and "
                    f"{type(metric).__name__}), and one would be lost: give each metric its "
                    f"own `name=`. Received: metrics named {[m.name for m in metrics]}"
                )
            owners[log] = f"{type(metric).__name__} {metric.name!r}"


@_names.register
class GAN(step.AlternatingStep, GeneratorEMA, SavedState, StepFunctions, keras.Model):
    """A generative adversarial network trained with `compile` and `fit`.

    One `train_step` runs `d_steps` discriminator updates, then `g_steps`
    generator updates. While one network trains the other is frozen: none of
    its variables (weights, BatchNormalization statistics, optimizer slots)
    change. The generator update backpropagates through the discriminator as
    updated in the same step. A network whose `trainable` flag the user set to
    `False` is never updated, whether set before `compile` or between two
    `fit` calls. Setting it back to `True` trains the network again, unless it
    was frozen at `compile`: its optimizer then has no slots for it, and
    `fit` asks for a new `compile`.

    Every discriminator update uses the step's real batch with freshly drawn
    latent noise (as in Keras' WGAN-GP example), so `d_steps=5` sees one real
    batch five times per step.

    Args:
        generator: a `keras.Model` mapping `z` of shape `(batch, latent_dim)`
            to a sample shaped like the data.
        discriminator: a `keras.Model` mapping a sample to an unbounded score
            (a logit), shape `(batch,)` or `(batch, 1)`. Never a sigmoid.
        latent_dim: size of `z`; defaults to the generator's input size.
            Needed for a generator that does not know its input size (a
            subclassed model, a `Sequential` without `keras.Input`); such
            networks are built by `compile`, which calls the generator on
            `latent_dim`-sized vectors of zeros and the discriminator on its
            samples (both optimizers are built on their variables).
        latent_distribution: `"normal"` (standard normal), `"uniform"`
            (uniform in [-1, 1]) or a callable `(shape, seed) -> tensor`
            where `seed` is anything `keras.random` accepts.
        seed: integer seed (a Python or numpy integer) of the GAN's own
            `keras.random.SeedGenerator`, from which all training noise is
            drawn; its state is saved with the model.

    Example:

    ```python
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss="non_saturating",
    )
    history = gan.fit(dataset, epochs=10)
    samples = gan.generate(16, seed=1)
    ```
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        latent_distribution="normal",
        seed=None,
        ema_half_life=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, keras.layers.Layer):
                raise TypeError(
                    f"`{name}` must be a keras.Model. "
                    f"Received: {name}={net!r} of type {type(net).__name__}"
                )
        if generator is discriminator:
            raise ValueError("The generator and the discriminator must be two different models.")
        if not (callable(latent_distribution) or latent_distribution in _LATENT_DISTRIBUTIONS):
            raise ValueError(
                f"`latent_distribution` must be one of {_LATENT_DISTRIBUTIONS} or a "
                "callable `(shape, seed) -> tensor`. "
                f"Received: latent_distribution={latent_distribution!r}"
            )
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = self._resolve_latent_dim(generator, latent_dim)
        if callable(latent_distribution):
            self._check_latent_callable(latent_distribution, self.latent_dim)
        self.latent_distribution = latent_distribution
        self.seed = seed = _checks.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self._tracks_accuracy = True
        self.penalty_names = ()
        self.logs_tracker = RunningMeans(self._log_names())
        self.eval_metrics = []
        self.augment = None
        self.pack = 1
        self.top_k = None
        self.ema_generator = None
        self.ema_half_life = None
        # The trainable variables the current train function was made for.
        self._train_function_trainable = [None]
        if ema_half_life is not None:
            self.enable_ema(_checks.number(ema_half_life, "ema_half_life", inclusive=False))
        if generator.built and discriminator.built:
            self.built = True

    @staticmethod
    def _check_latent_callable(distribution, latent_dim):
        """Draws 2 vectors from a callable `latent_distribution` (with a fixed
        integer seed: the GAN's seed generator does not move), so a wrong
        signature, shape or dtype is named here rather than in the first step."""
        shape = (2, latent_dim)
        try:
            z = distribution(shape, 0)
            got = tuple(z.shape)
            dtype = keras.backend.standardize_dtype(z.dtype)
        except Exception as err:
            raise ValueError(
                "`latent_distribution` must be a callable `(shape, seed) -> tensor`: "
                f"calling it with shape={shape} and seed=0 raised {type(err).__name__}: "
                f"{err}. Received: latent_distribution={distribution!r}"
            ) from err
        if got != shape or not keras.backend.is_float_dtype(dtype):
            raise ValueError(
                "`latent_distribution` must return float latent vectors of the shape it is "
                f"given: called with shape={shape}, it returned shape {got} and dtype "
                f"{dtype}. Received: latent_distribution={distribution!r}"
            )

    @staticmethod
    def _resolve_latent_dim(generator, latent_dim):
        shape = _checks.model_shape(generator, "input")  # z's, of [z, labels]
        inferred = shape[-1] if shape and isinstance(shape[-1], int) else None
        if latent_dim is None:
            if inferred is None:
                raise ValueError(
                    "Cannot infer `latent_dim` from the generator (it has no known "
                    "input shape); pass `latent_dim=`. "
                    f"Received: latent_dim=None, generator={generator.name!r}"
                )
            return inferred
        latent_dim = _checks.integer(latent_dim, "latent_dim")
        if inferred is not None and inferred != latent_dim:
            raise ValueError(
                f"`latent_dim` does not match the generator's input size {inferred}. "
                f"Received: latent_dim={latent_dim}"
            )
        return latent_dim

    # ------------------------------------------------------------------ compile

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        loss="non_saturating",
        d_steps=1,
        g_steps=1,
        d_constraint=None,
        d_penalty=None,
        metrics=None,
        augment=None,
        pack=1,
        top_k=None,
        jit_compile="auto",
        steps_per_execution=1,
        run_eagerly=False,
    ):
        """Configures the GAN for training.

        Args:
            d_optimizer: the discriminator's optimizer (instance or name).
            g_optimizer: the generator's optimizer; a different object.
            loss: a loss name (`keras_gan.losses.ALL_LOSSES`) or a
                `keras_gan.losses.GANLoss`.
            d_steps: discriminator updates per train step, >= 1.
            g_steps: generator updates per train step, >= 1.
            d_constraint: applied to every trainable discriminator variable
                after every discriminator update, e.g.
                `keras_gan.constraints.WeightClip(0.01)`; any
                `keras.constraints.Constraint`.
            d_penalty: a `keras_gan.penalties.Penalty` or a list of them,
                added to the discriminator loss.
            metrics: evaluation metrics (`keras_gan.metrics` instances or
                names such as `"fd"`), updated with real and generated
                batches in `test_step` (`evaluate`, `validation_data`).
            augment: a `keras_gan.augment.DiffAugment` or `AdaptiveAugment`
                (or its name), applied to every batch the discriminator sees
                in training, the inputs of its penalties included; never to
                `generate`, evaluation or export.
            pack: PacGAN's packing (Lin et al. 2018): the discriminator
                judges packs of `pack` samples side by side along the last
                axis, so it must take `pack` times the channels (the model
                builders' `pack=`); the batch size must be a multiple of it.
            top_k: top-k training (Sinha et al. 2020): the generator learns
                only from the generated samples the discriminator scores
                highest; a `keras_gan.losses.TopK` (its kept fraction decays
                from the whole batch), or a fraction kept from the start.
            jit_compile: as `keras.Model.compile`.
            steps_per_execution: as `keras.Model.compile`.
            run_eagerly: as `keras.Model.compile`.
        """
        # Every argument is resolved and checked before any is set: a compile
        # that raises leaves the GAN as it was (and its train function with it).
        loss_fn = losses_module.get(loss)
        d_steps = _checks.integer(d_steps, "d_steps")
        g_steps = _checks.integer(g_steps, "g_steps")
        d_constraint = constraints_module.get(d_constraint)
        d_penalties = penalties_module.get_list(d_penalty)
        sigmoid = _checks.sigmoid_output(self.discriminator) if loss_fn.expects_logits else None
        if sigmoid is not None:
            raise ValueError(
                f"The discriminator ends in a sigmoid, but the {loss_fn.name!r} "
                "loss takes unbounded scores (logits) and applies any sigmoid "
                "itself. Remove the sigmoid from the discriminator's output layer. "
                f"Received: output layer={sigmoid.name!r}"
            )
        if jit_compile not in (True, False, "auto"):
            raise ValueError(
                "`jit_compile` must be True, False or 'auto'. "
                f"Received: jit_compile={jit_compile!r}"
            )
        if not isinstance(run_eagerly, (bool, np.bool_)):
            raise ValueError(
                f"`run_eagerly` must be True or False. Received: run_eagerly={run_eagerly!r}"
            )
        steps_per_execution = _checks.integer(steps_per_execution, "steps_per_execution")
        if jit_compile is True and d_penalties and not backend.JIT_DOUBLE_BACKWARD:
            raise ValueError(
                f"jit_compile=True cannot compile the penalties {d_penalties} on the "
                f"{backend.BACKEND} backend: its compiler does not support the double "
                "backward pass that input-gradient penalties need. Use "
                "jit_compile=False (or 'auto'). "
                f"Received: jit_compile={jit_compile!r}"
            )
        pack = self._checked_pack(pack)
        if self._build_networks(pack):
            self._checked_pack(pack)  # again, now that the shapes are known
        top_k = losses_module.TopK.get(top_k)
        augment = augment_module.get(augment)
        d_optimizer = optimizers.prepare(d_optimizer, "d_optimizer")
        g_optimizer = optimizers.prepare(g_optimizer, "g_optimizer")
        if d_optimizer is g_optimizer:
            raise ValueError(
                "The discriminator and the generator need two optimizer objects "
                "(each keeps its own slots). Received the same object twice: "
                f"{d_optimizer!r}"
            )
        eval_metrics = [metrics_module.get(m) for m in _metric_list(metrics)]
        _check_metric_logs(eval_metrics)
        sample_shape = _checks.model_shape(self.generator)
        if sample_shape is not None:
            for metric in eval_metrics:
                if hasattr(metric, "build_for_samples"):
                    metric.build_for_samples(sample_shape)
        unbounded = d_constraint is None and not d_penalties
        if isinstance(loss_fn, losses_module.Wasserstein) and unbounded:
            warnings.warn(
                "loss='wasserstein' with neither `d_constraint` nor `d_penalty`: the "
                "critic is not Lipschitz-controlled and its scores can grow without "
                "bound. Use keras_gan.constraints.WeightClip(0.01) or "
                "keras_gan.penalties.GradientPenalty(10.0).",
                stacklevel=2,
            )

        self.loss_fn, self.d_steps, self.g_steps = loss_fn, d_steps, g_steps
        self.d_constraint, self.d_penalties = d_constraint, d_penalties
        self.pack, self.top_k = pack, top_k
        if self.augment is not None and augment is not self.augment:
            # No longer tracked: its state leaves the model (deleting the
            # attribute alone leaves it among the model's layers).
            self._tracker.untrack(self.augment)
            del self.augment
        self.augment = augment
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        probe = ops.zeros((1,))
        self._tracks_accuracy = self.loss_fn.discriminator_accuracy(probe, probe) is not None
        self.penalty_names = tuple(p.name for p in self.d_penalties)
        self.logs_tracker = RunningMeans(self._log_names())
        self.eval_metrics = eval_metrics
        super().compile(
            optimizer=None,
            loss=None,
            metrics=None,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            run_eagerly=run_eagerly,
        )
        # What Keras' trainers read as `model.optimizer`: on JAX only these
        # variables travel through the jitted step, so both optimizers' do.
        self.optimizer = optimizers.OptimizerPair(self.d_optimizer, self.g_optimizer)
        # Build both optimizers now, so their slots exist before the first step
        # (and a loaded model resumes without one).
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self._gan_compile_config = {
            "d_optimizer": self.d_optimizer,
            "g_optimizer": self.g_optimizer,
            "loss": self.loss_fn,
            "d_steps": self.d_steps,
            "g_steps": self.g_steps,
            "d_constraint": self.d_constraint,
            "d_penalty": list(self.d_penalties),
            "metrics": list(self.eval_metrics),
            "augment": self.augment,
            "pack": self.pack,
            "top_k": self.top_k,
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
            "run_eagerly": run_eagerly,
        }

    def _checked_pack(self, pack):
        pack = _checks.integer(pack, "pack")
        if pack == 1:
            return pack
        if hasattr(self, "num_classes"):
            raise ValueError(f"A ConditionalGAN does not pack samples. Received: pack={pack}")
        sample = _checks.model_shape(self.generator)
        judged = _checks.model_shape(self.discriminator, "input")
        if sample and judged and None not in (sample[-1], judged[-1]):
            if judged[-1] != pack * sample[-1]:
                raise ValueError(
                    f"With pack={pack}, the discriminator must take packs of {pack} samples "
                    f"side by side: {pack} x {sample[-1]} = {pack * sample[-1]} values on "
                    f"the last axis (build it with the model builders' pack={pack}). "
                    f"Received: discriminator input shape={judged}"
                )
        return pack

    def _build_networks(self, pack):
        """Builds a network that is not built yet (a subclassed model, or a
        `Sequential` without an `Input`, given with `latent_dim=`): the
        generator on a few latent vectors of zeros, the discriminator on what
        the generator makes of them. `compile` builds both optimizers on the
        networks' variables, so these must exist by then (and the moving
        average's copy of the generator, which starts as the generator).
        Returns whether anything was built."""
        average = self.ema_generator
        if self.generator.built and self.discriminator.built and not _unbuilt(average):
            return False
        n = 4 * pack
        cond = self._build_condition(n)
        what = "generator"
        try:
            z = ops.zeros((n, self.latent_dim))
            fake = self._generate(z, cond, training=False)
            if _unbuilt(average):
                self._generate(z, cond, training=False, net=average)
                average.set_weights(self.generator.get_weights())
            if not self.discriminator.built:
                what = "discriminator"
                self._discriminate(step.pack(fake, pack), cond, training=False)
        except Exception as error:
            raise ValueError(
                f"The {what} is not built yet, and building it failed: `compile` calls the "
                f"generator on latent vectors of size latent_dim={self.latent_dim} and the "
                "discriminator on its samples. Build the networks yourself first (call each "
                "once, or start it with `keras.Input`) if they take other inputs. "
                f"Received: {type(error).__name__}: {error}"
            ) from error
        self.built = True
        return True

    def _build_condition(self, n):
        """The conditioning input for building the networks (none here)."""
        return None

    def _log_names(self):
        """What `fit` logs: the losses, the mean scores, the accuracy for
        classifying losses and one entry per penalty."""
        accuracy = ("d_accuracy",) if self._tracks_accuracy else ()
        return ("d_loss", "g_loss", "d_real", "d_fake", *accuracy, *self.penalty_names)

    @property
    def metrics(self):
        return [self.logs_tracker, *self.eval_metrics]

    # --------------------------------------------------------------------- noise

    def sample_latent(self, batch_size, seed=None):
        """Draws `(batch_size, latent_dim)` latent vectors.

        Args:
            batch_size: number of vectors.
            seed: `None` draws from the GAN's own seed generator (training
                noise); anything else `keras.random` accepts (an int gives the
                same vectors every time).

        Under data parallelism (tf.distribute) the training noise of the
        global batch is drawn on every replica and each takes its own slice:
        replicas get different noise, and the step equals the single-device
        step on the global batch.
        """
        shape = (batch_size, self.latent_dim)
        if seed is not None:
            return self._draw_latent(shape, _checks.seed(seed))
        return per_replica_draw(lambda s: self._draw_latent(s, self.seed_generator), shape)

    def _draw_latent(self, shape, seed):
        if self.latent_distribution == "normal":
            return keras.random.normal(shape, seed=seed)
        if self.latent_distribution == "uniform":
            return keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=seed)
        return self.latent_distribution(shape, seed)

    # ------------------------------------------------------------------ training

    def call(self, z, training=False):
        """Calling the GAN runs its generator on latent vectors `z`."""
        return self.generator(z, training=training)

    # The three hooks a conditional model overrides: what a batch holds, and
    # how each network is called with the conditioning input.

    def _unpack(self, data):
        """Returns `(real samples, conditioning input or None)`."""
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return ops.convert_to_tensor(real), None

    def _generate(self, z, cond, training, net=None):
        return (net or self.generator)(z, training=training)

    def _discriminate(self, x, cond, training):
        return self.discriminator(x, training=training)

    def _scores(self, samples, cond, what, training=True):
        scores = self._discriminate(samples, cond, training)
        _checks.scores_shape(scores, what)
        return step.flat_scores(scores)

    def train_step(self, *args):
        return backend.run_train_step(self, self._alternating_step, *args)

    def test_step(self, *args):
        """Scores a batch without updating anything; updates the evaluation
        metrics with the real batch and as many generated samples."""
        return backend.run_test_step(self, self._evaluation_step, *args)

    # ------------------------------------------------------------------ sampling

    def generate(self, n, seed=None, batch_size=256):
        """Generates `n` samples with the generator in inference mode.

        Args:
            n: number of samples.
            seed: integer seed; the same seed gives the same samples. `None`
                gives fresh samples (without touching the training noise).
            batch_size: samples per generator call.

        Returns:
            A numpy array of `n` samples.
        """
        return self._sample(self._check_count(n), None, seed, batch_size)

    def export_generator(self, path, format="tf_saved_model"):
        """Writes the generator alone as a TensorFlow SavedModel.

        Signatures: `serving_default` (latent `z`, plus `labels` when
        conditional) and a deterministic `sample` (`n`, `seed`, plus `labels`)
        whose samples equal `generate(n, seed=seed)`. It loads with
        `tf.saved_model.load(path)` in a process that never imports keras_gan.

        Args:
            path: the folder to write.
            format: `"tf_saved_model"`.

        Returns:
            `path`.
        """
        from keras_gan.serving import export_generator

        return export_generator(self, path, format=format)

    @staticmethod
    def _check_count(n):
        return _checks.integer(n, "n")

    def _sample(self, n, cond, seed, batch_size):
        """`n` samples in inference mode, `batch_size` per generator call."""
        batch_size = _checks.integer(batch_size, "batch_size")
        # seed=None: fresh samples, without consuming the training noise.
        draw_seed = seed if seed is not None else int(np.random.randint(0, 2**31 - 1))
        z = self.sample_latent(n, seed=draw_seed)
        chunks = []
        with backend.no_grad():
            for i in range(0, n, batch_size):
                chunk_cond = None if cond is None else cond[i : i + batch_size]
                samples = self._generate(
                    z[i : i + batch_size], chunk_cond, False, net=self.sampling_generator
                )
                chunks.append(ops.convert_to_numpy(samples))
        return np.concatenate(chunks, axis=0)

    # ------------------------------------------------------------- serialization

    def get_config(self):
        config = super().get_config()
        distribution = self.latent_distribution
        if callable(distribution):
            distribution = keras.saving.serialize_keras_object(distribution)
        config.update(
            generator=keras.saving.serialize_keras_object(self.generator),
            discriminator=keras.saving.serialize_keras_object(self.discriminator),
            latent_dim=self.latent_dim,
            latent_distribution=distribution,
            seed=self.seed,
            ema_half_life=self.ema_half_life,
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        if isinstance(config.get("latent_distribution"), dict):
            config["latent_distribution"] = keras.saving.deserialize_keras_object(
                config["latent_distribution"], custom_objects=custom_objects
            )
        return cls(**config)
