"""`GAN`: a `keras.Model` whose `train_step` alternates discriminator and
generator updates, so `compile` / `fit` / callbacks work as for any model."""

import inspect
import warnings

import keras
import numpy as np
from keras import ops

from keras_gan import _checks, backend
from keras_gan import constraints as constraints_module
from keras_gan import losses as losses_module
from keras_gan import metrics as metrics_module
from keras_gan import penalties as penalties_module
from keras_gan.callbacks import SampleGrid, TerminateOnNaN, _fit_callback_list
from keras_gan.distribute import per_replica_draw

_LATENT_DISTRIBUTIONS = ("normal", "uniform")


def _flat_scores(scores):
    return ops.reshape(scores, (-1,))


def _check_scores_shape(scores, what):
    shape = tuple(scores.shape)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return
    raise ValueError(
        "The discriminator must return one score (a logit) per sample, of shape "
        f"(batch,) or (batch, 1). Received: discriminator output shape={shape} "
        f"on {what} data"
    )


def _check_same_sample_shape(fake, real):
    fake_shape, real_shape = tuple(fake.shape[1:]), tuple(real.shape[1:])
    compatible = len(fake_shape) == len(real_shape) and all(
        f is None or r is None or f == r for f, r in zip(fake_shape, real_shape, strict=True)
    )
    if not compatible:
        raise ValueError(
            "The generator's samples must have the shape of the data's. "
            f"Received: generator output shape={(None,) + fake_shape}, "
            f"data shape={(None,) + real_shape}"
        )


def _with_regularization(loss, net):
    """`loss` plus `net`'s own losses (kernel regularizers and the like)."""
    extra = net.losses
    return loss + ops.cast(ops.sum(extra), loss.dtype) if extra else loss


def _output_layers(model):
    if isinstance(model, keras.Sequential):
        return model.layers[-1:]
    outputs = getattr(model, "outputs", None) or []
    layers = []
    for out in keras.tree.flatten(outputs):
        history = getattr(out, "_keras_history", None)
        if history is not None:
            layers.append(history[0])
    return layers


def _is_sigmoid(activation):
    return activation is keras.activations.sigmoid or (
        getattr(activation, "__name__", None) == "sigmoid"
    )


def _ends_in_sigmoid(model):
    """Whether a Sequential / Functional model's output layer is a sigmoid
    (a Dense or Conv with `activation="sigmoid"` or an `Activation` layer)."""
    for layer in _output_layers(model):
        if isinstance(layer, keras.Model) and _ends_in_sigmoid(layer):
            return True
        if _is_sigmoid(getattr(layer, "activation", None)):
            return True
    return False


def _backend_neutral(config):
    """A serialized object that every backend can deserialize.

    Keras' PyTorch optimizers are instances of backend subclasses
    (`keras.src.backend.torch.optimizers.torch_adam.Adam`) and serialize
    under that module, which TensorFlow or JAX cannot import: they are named
    by their public class in `keras.optimizers` instead.
    """
    if isinstance(config, list):
        return [_backend_neutral(item) for item in config]
    if not isinstance(config, dict):
        return config
    config = {key: _backend_neutral(value) for key, value in config.items()}
    module = config.get("module")
    if (
        isinstance(module, str)
        and module.startswith("keras.src.backend.")
        and hasattr(keras.optimizers, str(config.get("class_name")))
    ):
        config["module"] = "keras.optimizers"
    return config


# The store key of PyTorch's global random-number state in a saved GAN.
_GLOBAL_RNG_KEY = "torch_global_rng"


class _RunningMeans(keras.metrics.Metric):
    """The running means of the training logs (`d_loss`, `g_loss`, ...) as
    two vectors, totals and counts: one update and one division per train
    step, however many logs there are. (A `keras.metrics.Mean` per log cost
    ~0.3 ms of small operations each per step on eager PyTorch, and ~0.1 ms
    in all on XLA:CPU, for a toy model.) `result()` is a dict by name.
    """

    def __init__(self, names, name="gan_logs", **kwargs):
        super().__init__(name=name, **kwargs)
        self.names = tuple(names)
        self.totals = self.add_variable((len(self.names),), "zeros", name="totals")
        self.counts = self.add_variable((len(self.names),), "zeros", name="counts")

    def update_state(self, values, counts=None):
        """Adds to each log named in `values` (a dict of scalars) its value,
        the sum of `counts[name]` values (1 when `counts` is None)."""
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise ValueError(f"Unknown logs {unknown}; the logs are {list(self.names)}.")
        # A numpy constant, never a cached tensor: one made while tracing a
        # step would be that trace's (and leak into the next one on JAX).
        counted = np.array(
            [(counts or {}).get(n, 1) if n in values else 0 for n in self.names], self.dtype
        )
        backend.add_to(self.totals, [values.get(n, 0.0) for n in self.names])
        backend.add_to(self.counts, counted)

    def result(self):
        means = self.totals / ops.maximum(self.counts, 1.0)
        return dict(zip(self.names, ops.unstack(means), strict=True))

    def reset_state(self):
        for v in (self.totals, self.counts):
            v.assign(ops.zeros(v.shape, v.dtype))

    def get_config(self):
        return {"names": list(self.names), "name": self.name}


class _OptimizerPair:
    """`model.optimizer` for Keras' trainers: the discriminator's and the
    generator's optimizers seen as one, whose `variables` are both lists.

    A plain object, not a Keras optimizer: saving skips it (each optimizer is
    saved under its own attribute) and nothing tracks its variables twice.
    """

    def __init__(self, d_optimizer, g_optimizer):
        self.optimizers = (d_optimizer, g_optimizer)

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]

    @property
    def built(self):
        return all(optimizer.built for optimizer in self.optimizers)

    def build(self, variables):  # compile built both on their own variables
        pass

    def __repr__(self):
        return "<_OptimizerPair d={!r} g={!r}>".format(*self.optimizers)


@keras.saving.register_keras_serializable(package="keras_gan")
class GAN(keras.Model):
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
        latent_distribution: `"normal"` (standard normal), `"uniform"`
            (uniform in [-1, 1]) or a callable `(shape, seed) -> tensor`
            where `seed` is anything `keras.random` accepts.
        seed: integer seed of the GAN's own `keras.random.SeedGenerator`, from
            which all training noise is drawn; its state is saved with the
            model.

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
        self.latent_distribution = latent_distribution
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self._tracks_accuracy = True
        self.penalty_names = ()
        self.logs_tracker = _RunningMeans(self._log_names())
        self.eval_metrics = []
        self.ema_generator = None
        self.ema_half_life = None
        # The trainable variables the current train function was made for.
        self._train_function_trainable = [None]
        if ema_half_life is not None:
            self.enable_ema(_checks.number(ema_half_life, "ema_half_life", inclusive=False))
        if generator.built and discriminator.built:
            self.built = True

    def enable_ema(self, half_life):
        """Keeps an exponential moving average of the generator's weights.

        After every train step each trainable weight of `ema_generator`
        becomes `beta * ema + (1 - beta) * weight` with
        `beta = 0.5 ** (batch_size / half_life)`: an image seen `half_life`
        images ago counts half as much (StyleGAN's parametrisation). Other
        weights (BatchNormalization statistics) are copied. `generate`,
        saving and `export_generator` then use the average. Usually enabled
        by the `keras_gan.callbacks.GeneratorEMA` callback.

        Args:
            half_life: the half-life in images, > 0.
        """
        half_life = _checks.number(half_life, "half_life", inclusive=False)
        self.ema_half_life = half_life
        if self.ema_generator is None:
            self.ema_generator = keras.models.clone_model(self.generator)
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_generator.trainable = False
            self.train_function = None  # the next fit traces the EMA update in

    def _update_ema(self, batch_size):
        beta = ops.power(0.5, ops.cast(batch_size, "float32") / self.ema_half_life)
        for average, weight in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            if weight.trainable:
                b = ops.cast(beta, average.dtype)
                average.assign(b * average + (1.0 - b) * ops.cast(weight, average.dtype))
            else:
                average.assign(weight)

    @property
    def sampling_generator(self):
        """The generator `generate` and `export_generator` use: the moving
        average when enabled, else the trained generator."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    @staticmethod
    def _resolve_latent_dim(generator, latent_dim):
        inferred = None
        try:
            input_shape = generator.input_shape
        except (AttributeError, ValueError):
            input_shape = None
        if isinstance(input_shape, list) and input_shape:  # [z, labels]
            input_shape = input_shape[0]
        if isinstance(input_shape, tuple) and input_shape and isinstance(input_shape[-1], int):
            inferred = input_shape[-1]
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
            jit_compile: as `keras.Model.compile`.
            steps_per_execution: as `keras.Model.compile`.
            run_eagerly: as `keras.Model.compile`.
        """
        self.loss_fn = losses_module.get(loss)
        self.d_steps = _checks.integer(d_steps, "d_steps")
        self.g_steps = _checks.integer(g_steps, "g_steps")
        self.d_constraint = constraints_module.get(d_constraint)
        self.d_penalties = penalties_module.get_list(d_penalty)
        if self.loss_fn.expects_logits and _ends_in_sigmoid(self.discriminator):
            raise ValueError(
                f"The discriminator ends in a sigmoid, but the {self.loss_fn.name!r} "
                "loss takes unbounded scores (logits) and applies any sigmoid "
                "itself. Remove the sigmoid from the discriminator's output layer. "
                f"Received: output layer={_output_layers(self.discriminator)[0].name!r}"
            )
        if (
            isinstance(self.loss_fn, losses_module.Wasserstein)
            and self.d_constraint is None
            and not self.d_penalties
        ):
            warnings.warn(
                "loss='wasserstein' with neither `d_constraint` nor `d_penalty`: the "
                "critic is not Lipschitz-controlled and its scores can grow without "
                "bound. Use keras_gan.constraints.WeightClip(0.01) or "
                "keras_gan.penalties.GradientPenalty(10.0).",
                stacklevel=2,
            )
        if jit_compile is True and self.d_penalties and not backend.JIT_DOUBLE_BACKWARD:
            raise ValueError(
                f"jit_compile=True cannot compile the penalties {self.d_penalties} on the "
                f"{backend.BACKEND} backend: its compiler does not support the double "
                "backward pass that input-gradient penalties need. Use "
                "jit_compile=False (or 'auto'). "
                f"Received: jit_compile={jit_compile!r}"
            )
        self.d_optimizer = self._prepare_optimizer(d_optimizer, "d_optimizer")
        self.g_optimizer = self._prepare_optimizer(g_optimizer, "g_optimizer")
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "The discriminator and the generator need two optimizer objects "
                "(each keeps its own slots). Received the same object twice: "
                f"{self.d_optimizer!r}"
            )
        probe = ops.zeros((1,))
        self._tracks_accuracy = self.loss_fn.discriminator_accuracy(probe, probe) is not None
        self.penalty_names = tuple(p.name for p in self.d_penalties)
        self.logs_tracker = _RunningMeans(self._log_names())
        self.eval_metrics = [metrics_module.get(m) for m in (metrics or [])]
        sample_shape = self._sample_shape()
        if sample_shape is not None:
            for metric in self.eval_metrics:
                if hasattr(metric, "build_for_samples"):
                    metric.build_for_samples(sample_shape)
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
        self.optimizer = _OptimizerPair(self.d_optimizer, self.g_optimizer)
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
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
            "run_eagerly": run_eagerly,
        }

    def _sample_shape(self):
        """The generator's output shape, batch axis included, or None."""
        try:
            shape = self.generator.output_shape
        except (AttributeError, ValueError):
            return None
        return tuple(shape) if isinstance(shape, tuple) else None

    def _prepare_optimizer(self, optimizer, name):
        optimizer = keras.optimizers.get(optimizer)
        if optimizer is None:
            raise ValueError(f"`{name}` is required. Received: {name}=None")
        if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=name)
        return optimizer

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
            return self._draw_latent(shape, seed)
        return per_replica_draw(lambda s: self._draw_latent(s, self.seed_generator), shape)

    def _draw_latent(self, shape, seed):
        if self.latent_distribution == "normal":
            if isinstance(seed, keras.random.SeedGenerator):
                return backend.normal_draw(shape, seed)
            return keras.random.normal(shape, seed=seed)
        if self.latent_distribution == "uniform":
            return keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=seed)
        return self.latent_distribution(shape, seed)

    @staticmethod
    def _global_batch_loss(loss):
        """The per-replica share of a loss: gradients are summed over
        replicas, so each replica's batch mean is divided by their number."""
        _, count = backend.replicas()
        return loss if count == 1 else loss / count

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
        _check_scores_shape(scores, what)
        return _flat_scores(scores)

    def _frozen_call(self, net, fn):
        """Runs `fn()`, which calls `net` in training mode, leaving `net`'s
        weights (BatchNormalization statistics included) exactly as they were.

        Gradients still flow through `net` to its inputs. Every other state
        update made inside `fn` is kept: the GAN's noise generator and the
        random-number state of both networks advance as usual, so a frozen
        network's dropout draws fresh masks.
        """
        with backend.ChildScope() as scope:
            out = fn()
        assigned = scope.assigned()
        if assigned:  # (`net.weights` walks every layer: only when needed)
            frozen = {id(w) for w in net.weights}
            for variable in assigned:
                if id(variable) not in frozen:
                    variable.assign(scope.value_of(variable))
        return out

    def _penalty_score_fn(self, cond):
        # The penalty's extra discriminator passes must not move BN statistics.
        def score_fn(x):
            return self._frozen_call(
                self.discriminator,
                lambda: _flat_scores(self._discriminate(x, cond, True)),
            )

        return score_fn

    def _discriminator_loss(self, real, fake, cond, step):
        real_scores = self._scores(real, cond, "real")
        fake_scores = self._scores(fake, cond, "generated")
        adversarial = self.loss_fn.discriminator_loss(real_scores, fake_scores)
        penalties = [
            p(self._penalty_score_fn(cond), real, fake, self.seed_generator, step)
            for p in self.d_penalties
        ]
        total = adversarial + sum(penalties) if penalties else adversarial
        return _with_regularization(total, self.discriminator), (
            real_scores,
            fake_scores,
            penalties,
        )

    def _discriminator_step(self, real, cond):
        """One discriminator update; returns its logs."""
        batch = ops.shape(real)[0]
        z = self.sample_latent(batch)
        with backend.no_grad():  # the samples are constants of this update
            fake = self._frozen_call(self.generator, lambda: self._generate(z, cond, True))
        fake = ops.stop_gradient(fake)
        _check_same_sample_shape(fake, real)
        real = ops.cast(real, fake.dtype)
        variables = self.discriminator.trainable_variables
        step = self.d_optimizer.iterations

        if variables:

            def loss_fn():
                total, aux = self._discriminator_loss(real, fake, cond, step)
                scaled = self.d_optimizer.scale_loss(self._global_batch_loss(total))
                return scaled, (total, aux)

            (total, aux), grads = backend.value_and_grad(loss_fn, variables)
            backend.apply_gradients(self.d_optimizer, grads, variables)
            if self.d_constraint is not None:
                for v in variables:
                    v.assign(self.d_constraint(v))
        else:  # frozen by the user: score only, for the logs
            total, aux = self._frozen_call(
                self.discriminator, lambda: self._discriminator_loss(real, fake, cond, None)
            )
        real_scores, fake_scores, penalties = aux
        return {
            "d_loss": total,
            **self._score_logs(real_scores, fake_scores),
            **dict(zip(self.penalty_names, penalties, strict=True)),
        }

    def _score_logs(self, real_scores, fake_scores):
        """The mean scores and, for classifying losses, the accuracy."""
        logs = {
            "d_real": losses_module.mean_float32(real_scores),
            "d_fake": losses_module.mean_float32(fake_scores),
        }
        if self._tracks_accuracy:
            logs["d_accuracy"] = self.loss_fn.discriminator_accuracy(real_scores, fake_scores)
        return logs

    def _generator_loss(self, real, cond, z):
        fake = self._generate(z, cond, True)
        _check_same_sample_shape(fake, real)

        def score():
            fake_scores = _flat_scores(self._discriminate(fake, cond, True))
            real_scores = None
            if self.loss_fn.needs_real_scores_for_generator:
                real_scores = _flat_scores(
                    self._discriminate(ops.cast(real, fake.dtype), cond, True)
                )
            return fake_scores, real_scores

        fake_scores, real_scores = self._frozen_call(self.discriminator, score)
        loss = self.loss_fn.generator_loss(fake_scores, real_scores)
        return _with_regularization(loss, self.generator)

    def _generator_step(self, real, cond):
        """One generator update; returns its logs."""
        z = self.sample_latent(ops.shape(real)[0])
        variables = self.generator.trainable_variables
        if variables:

            def loss_fn():
                loss = self._generator_loss(real, cond, z)
                return self.g_optimizer.scale_loss(self._global_batch_loss(loss)), loss

            loss, grads = backend.value_and_grad(loss_fn, variables)
            backend.apply_gradients(self.g_optimizer, grads, variables)
        else:  # frozen by the user
            loss = self._frozen_call(self.generator, lambda: self._generator_loss(real, cond, z))
        return {"g_loss": loss}

    def train_step(self, *args):
        return backend.run_train_step(self, self._alternating_step, *args)

    def make_train_function(self, force=False):
        """Keras' `make_train_function`, with the backend's leaner one-step
        function where it has one (see `keras_gan.backend`).

        `fit` and `train_on_batch` call this first. The function is made
        again when a network's `trainable` flags changed since it was made
        (a traced TensorFlow step keeps the variables it was traced with), so
        `gan.discriminator.trainable = False` between two `fit` calls freezes
        the discriminator without a new `compile`."""
        trainable = self._trainable_signature()
        if (
            self.train_function is not None
            and not force
            and trainable == self._train_function_trainable[0]
        ):
            return self.train_function
        self._train_function_trainable[0] = trainable
        function = backend.make_train_function(self)
        if function is None:
            super().make_train_function(force=True)
            function = self.train_function
        self.train_function = backend.guard_step_function(self, function)
        return self.train_function

    def make_test_function(self, force=False):
        """Keras' `make_test_function`, guarded by the backend as the train
        function is (see `keras_gan.backend.guard_step_function`)."""
        if self.test_function is not None and not force:
            return self.test_function
        super().make_test_function(force=True)
        self.test_function = backend.guard_step_function(self, self.test_function, training=False)
        return self.test_function

    def _checked_batch(self, data):
        """`data`, a batch before the step, after the checks that the backend
        cannot make inside its step: on the host on JAX (see
        `backend.guard_step_function`), in the graph around an XLA step on
        TensorFlow."""
        return data

    def _trainable_signature(self):
        """Which variables each network trains now; raises if its optimizer
        was built without some of them (`trainable` set to True after
        `compile`: Keras optimizers cannot take on new variables)."""
        signature = []
        for name, net, optimizer in (
            ("discriminator", self.discriminator, self.d_optimizer),
            ("generator", self.generator, self.g_optimizer),
        ):
            variables = net.trainable_variables
            known = {id(v) for v in getattr(optimizer, "_trainable_variables", variables)}
            unknown = [v.path for v in variables if id(v) not in known]
            if unknown:
                raise ValueError(
                    f"The {name} has trainable variables its optimizer was not built for "
                    f"({len(unknown)} of {len(variables)}, e.g. {unknown[0]!r}): its "
                    "`trainable` flag was set to True after `compile`, and a Keras "
                    "optimizer cannot take on new variables. Call `gan.compile(...)` again "
                    f"with a new {name} optimizer. Received: {name}.trainable="
                    f"{net.trainable}"
                )
            signature.append(tuple(id(v) for v in variables))
        return tuple(signature)

    def _alternating_step(self, data):
        real, cond = self._unpack(data)
        sums, counts = {}, {}
        for update, steps in (
            (self._discriminator_step, self.d_steps),
            (self._generator_step, self.g_steps),
        ):
            for _ in range(steps):
                for name, value in update(real, cond).items():
                    sums[name] = value if name not in sums else sums[name] + value
                    counts[name] = counts.get(name, 0) + 1
        # One update of the running means per step: each log gets the sum of
        # its values over the step's updates, counted as that many values.
        self.logs_tracker.update_state(sums, counts)
        if self.ema_generator is not None:
            self._update_ema(ops.shape(real)[0])
        return backend.logs_for_reduction(self.logs_tracker.result())

    def test_step(self, *args):
        """Scores a batch without updating anything; updates the evaluation
        metrics with the real batch and as many generated samples."""
        return backend.run_test_step(self, self._evaluation_step, *args)

    def _evaluation_step(self, data):
        real, cond = self._unpack(data)
        batch = ops.shape(real)[0]
        # The generator that generate() and export would ship: the EMA one
        # when enabled.
        fake = self._generate(self.sample_latent(batch), cond, False, net=self.sampling_generator)
        _check_same_sample_shape(fake, real)
        real = ops.cast(real, fake.dtype)
        real_scores = self._scores(real, cond, "real", training=False)
        fake_scores = self._scores(fake, cond, "generated", training=False)
        self.logs_tracker.update_state(
            {
                "d_loss": self.loss_fn.discriminator_loss(real_scores, fake_scores),
                "g_loss": self.loss_fn.generator_loss(fake_scores, real_scores),
                **self._score_logs(real_scores, fake_scores),
            }
        )
        for metric in self.eval_metrics:
            metric.update_state(real, fake)
        # No penalty is computed here: their logs are left out.
        logs = {
            name: value
            for name, value in self.logs_tracker.result().items()
            if name not in self.penalty_names
        }
        for metric in self.eval_metrics:
            result = metric.result()
            # Two-valued metrics (precision / recall, ...) log each value.
            logs.update(result if isinstance(result, dict) else {metric.name: result})
        return backend.logs_for_reduction(logs)

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`; a `keras.callbacks.TerminateOnNaN` among the
        callbacks is upgraded to `keras_gan.callbacks.TerminateOnNaN`, which
        watches the GAN's losses (there is no `loss` log) and names the one
        that went non-finite, and a `keras_gan.callbacks.SampleGrid` writes
        its pictures to a `keras.callbacks.TensorBoard` among them too.

        With `verbose=0`, no callback implementing a batch hook, and a
        `tf.data.Dataset` or `steps_per_epoch`, Keras' per-step callback
        dispatch is skipped (it converts each step's logs to Python numbers
        for nobody; ~0.1 ms a step). A `keras.callbacks.CallbackList` passed
        as `callbacks` is used as it is."""
        if not isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = [TerminateOnNaN.upgrade(cb) for cb in (callbacks or [])]
            SampleGrid.link_tensorboard(callbacks)
            # Without batch hooks in any callback, skip Keras' per-step
            # callback dispatch (see `callbacks._BatchlessCallbackList`).
            fit_args = inspect.signature(keras.Model.fit).bind(self, *args, **kwargs)
            fit_args.apply_defaults()
            given = fit_args.arguments
            callbacks = _fit_callback_list(
                self,
                callbacks,
                x=given["x"],
                epochs=given["epochs"],
                verbose=given["verbose"],
                steps_per_epoch=given["steps_per_epoch"],
            )
        return super().fit(*args, callbacks=callbacks, **kwargs)

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

    def get_compile_config(self):
        """Both optimizers (with their state saved beside the weights), the
        loss, step counts, constraint, penalties and metrics of `compile`."""
        if not getattr(self, "_gan_compile_config", None):
            return {}
        return {
            key: _backend_neutral(keras.saving.serialize_keras_object(value))
            for key, value in self._gan_compile_config.items()
        }

    def compile_from_config(self, config):
        config = {
            key: keras.saving.deserialize_keras_object(value) for key, value in config.items()
        }
        # A LossScaleOptimizer is re-wrapped by compile under mixed precision.
        for key in ("d_optimizer", "g_optimizer"):
            if isinstance(config[key], keras.optimizers.LossScaleOptimizer):
                config[key] = config[key].inner_optimizer
        self.compile(**config)

    def _rng_state_variables(self):
        """Random-number state (the GAN's noise generator first, then each
        network's dropout seeds), which Keras does not save by itself."""
        weight_ids = {id(w) for w in self.weights}
        return [v for v in self.variables if id(v) not in weight_ids]

    def _uses_global_rng(self):
        """Whether a layer of either network has a seed generator made
        without a seed: on PyTorch such a `Dropout` draws from torch's
        global random-number state (see `backend.global_rng_state`)."""
        return any(
            getattr(generator, "_initial_seed", 0) is None
            for net in (self.generator, self.discriminator)
            for layer in net._flatten_layers()
            for generator in getattr(layer, "_seed_generators", ())
        )

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for i, variable in enumerate(self._rng_state_variables()):
            store[f"rng_{i}"] = variable
        state = backend.global_rng_state() if self._uses_global_rng() else None
        if state is not None:
            store[_GLOBAL_RNG_KEY] = state

    def load_own_variables(self, store):
        rng = self._rng_state_variables()
        keys = [f"rng_{i}" for i in range(len(rng))]
        if any(key not in store for key in keys):
            raise ValueError(
                "The saved GAN lacks the random-number state of its networks "
                f"(expected {len(rng)} entries: {keys}). "
                f"Received: keys={sorted(store.keys())}"
            )
        for key, variable in zip(keys, rng, strict=True):
            variable.assign(store[key])
        if _GLOBAL_RNG_KEY in store:  # saved on PyTorch, for unseeded dropout
            backend.set_global_rng_state(np.asarray(store[_GLOBAL_RNG_KEY]))
        own = {
            k: store[k] for k in store.keys() if not k.startswith("rng_") and k != _GLOBAL_RNG_KEY
        }
        super().load_own_variables(own)

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


@keras.saving.register_keras_serializable(package="keras_gan")
class ConditionalGAN(GAN):
    """A GAN whose networks both see a class label (Mirza & Osindero 2014).

    `generator([z, labels])` makes a sample of the class `labels`;
    `discriminator([x, labels])` scores a sample as real *for that class*. The
    dataset yields `(x, labels)` with integer labels in `[0, num_classes)`.
    Generated samples of a step use the labels of the step's real batch, so
    the discriminator compares real and generated data of the same classes.
    Everything else (losses, constraints, penalties, freezing, logs) is
    `GAN`'s.

    Args:
        generator: a `keras.Model` on `[z, labels]`.
        discriminator: a `keras.Model` on `[x, labels]` returning a score.
        num_classes: number of classes, >= 2.
        latent_dim: size of `z`; defaults to the generator's first input size.
        latent_distribution: as `GAN`.
        seed: as `GAN`.

    Example:

    ```python
    gan = keras_gan.ConditionalGAN(generator, discriminator, num_classes=10)
    gan.compile("adam", "adam")
    gan.fit(keras_gan.data.from_numpy(images, labels), epochs=50)
    sevens = gan.generate(16, labels=7, seed=0)
    ```
    """

    def __init__(
        self,
        generator,
        discriminator,
        num_classes,
        latent_dim=None,
        latent_distribution="normal",
        seed=None,
        ema_half_life=None,
        **kwargs,
    ):
        self.num_classes = _checks.integer(num_classes, "num_classes", minimum=2)
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            seed=seed,
            ema_half_life=ema_half_life,
            **kwargs,
        )

    def _unpack(self, data):
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            raise ValueError(
                "A ConditionalGAN trains on (samples, labels) batches. Received a batch "
                f"without labels: data={data!r}"
            )
        labels = ops.convert_to_tensor(labels)
        try:
            shape = tuple(labels.shape)
        except ValueError:  # a TensorFlow shape of unknown rank
            shape = ()
        if len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None)):
            raise ValueError(
                "A ConditionalGAN's labels are integer class indices of shape (batch,) "
                "or (batch, 1); one-hot labels need an argmax first. "
                f"Received: labels of shape {shape}"
            )
        # (batch, 1) labels become (batch,): the networks take (batch,), and a
        # fit after one on the other shape retraces with a rank-free shape.
        # Checked before the cast, which would truncate a fractional label.
        labels = backend.check_labels(ops.reshape(labels, (-1,)), self.num_classes)
        return ops.convert_to_tensor(real), ops.cast(labels, "int32")

    def _checked_batch(self, data):
        x, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None:
            return data
        checked = backend.check_batch_labels(labels, self.num_classes)
        if checked is labels:
            return data
        return keras.utils.pack_x_y_sample_weight(x, checked, sample_weight)

    def _generate(self, z, labels, training, net=None):
        return (net or self.generator)([z, labels], training=training)

    def _discriminate(self, x, labels, training):
        return self.discriminator([x, labels], training=training)

    def call(self, inputs, training=False):
        """Calling the model runs its generator on `[z, labels]`."""
        return self.generator(inputs, training=training)

    def _labels_for(self, n, labels):
        if labels is None:
            return np.arange(n, dtype="int32") % self.num_classes
        array = np.asarray(labels)
        if array.ndim == 0:
            array = np.full((n,), array)
        array = array.reshape(-1)
        if len(array) != n:
            raise ValueError(
                f"`labels` must be one label or {n} labels, one per sample. "
                f"Received: {len(array)} labels"
            )
        integral = np.issubdtype(array.dtype, np.integer) or (
            np.issubdtype(array.dtype, np.floating)
            and bool(np.all(np.isfinite(array)))
            and bool(np.all(np.mod(array, 1) == 0))
        )
        if not integral:  # booleans, strings, fractions
            raise ValueError(
                f"`labels` must be integer class indices. Received: labels={labels!r} "
                f"(dtype {array.dtype})"
            )
        _checks.labels_in_range(array, self.num_classes)
        return array.astype("int32")

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Generates `n` samples of the given classes.

        Args:
            n: number of samples.
            labels: one label for all, `n` labels, or `None` for the classes
                in turn (0, 1, ..., num_classes - 1, 0, ...).
            seed: integer seed; the same seed and labels give the same samples.
            batch_size: samples per generator call.

        Returns:
            A numpy array of `n` samples.
        """
        n = self._check_count(n)
        labels = ops.convert_to_tensor(self._labels_for(n, labels))
        return self._sample(n, labels, seed, batch_size)

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
