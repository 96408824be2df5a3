"""The alternating train step and the evaluation step of `GAN` (a mixin).

`train_step` (in `core.py`) runs `_alternating_step`: `d_steps`
discriminator updates, then `g_steps` generator updates, each taking
gradients with respect to the training network's variables only while the
other network runs in `_frozen_call`, which keeps its weights and
BatchNormalization statistics exactly as they were.
"""

from keras import ops

from keras_gan import _checks, backend
from keras_gan import losses as losses_module


def flat_scores(scores):
    return ops.reshape(scores, (-1,))


def _with_regularization(loss, net):
    """`loss` plus `net`'s own losses (kernel regularizers and the like)."""
    extra = net.losses
    return loss + ops.cast(ops.sum(extra), loss.dtype) if extra else loss


def pack(samples, size):
    """PacGAN's packing (Lin et al. 2018): `(batch, ..., c)` samples as
    `(batch / size, ..., size * c)` packs, the `size` consecutive samples of
    a pack side by side along the last axis (images: channels)."""
    if size == 1:
        return samples
    batch, rest = ops.shape(samples)[0], tuple(samples.shape[1:])
    message = f"With pack={size}, the batch size must be a multiple of {size}. Received: a batch of"
    if isinstance(batch, int):
        if batch % size:
            raise ValueError(f"{message} {batch}")
    else:  # known only when the step runs (TensorFlow)
        samples = backend.batch_multiple_checked(samples, size, message)
    grouped = ops.reshape(samples, (-1, size) + rest)
    order = (0, *range(2, len(rest) + 1), 1, len(rest) + 1)  # the pack axis beside the last
    grouped = ops.transpose(grouped, order)
    return ops.reshape(grouped, (-1,) + rest[:-1] + (size * rest[-1],))


class AlternatingStep:
    """The updates of one train step, and the scoring of one test step."""

    def _discriminator_input(self, samples, training=True):
        """What the discriminator sees of a batch of samples: augmented in
        training (`compile(augment=...)`), then packed (`compile(pack=...)`)."""
        if training and self.augment is not None:
            samples = self.augment.augment(samples, self.seed_generator)
        return pack(samples, self.pack)

    def _unaugmented_real_scores(self, real, cond):
        """The discriminator's scores on a real batch as it is, not
        augmented (packed as the discriminator takes it): one more forward
        pass, without gradients, that moves none of the discriminator's
        state (what `AdaptiveAugment(statistic="unaugmented")` observes)."""
        with backend.no_grad():
            scores = self._penalty_score_fn(cond)(pack(real, self.pack))
        return ops.stop_gradient(scores)

    @staticmethod
    def _global_batch_loss(loss):
        """The per-replica share of a loss: gradients are summed over
        replicas, so each replica's batch mean is divided by their number."""
        _, count = backend.replicas()
        return loss if count == 1 else loss / count

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
                lambda: flat_scores(self._discriminate(x, cond, True)),
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
        _checks.same_sample_shape(fake, real)
        real = ops.cast(real, fake.dtype)
        unaugmented = None
        if self.augment is not None and self.augment.observes_unaugmented:
            unaugmented = self._unaugmented_real_scores(real, cond)  # before the update
        real = self._discriminator_input(real)
        fake = self._discriminator_input(fake)
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
        if self.augment is not None:
            self.augment.observe(real_scores if unaugmented is None else unaugmented)
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
        _checks.same_sample_shape(fake, real)
        # Augmented inside the differentiated function: the generator learns
        # through the augmentation.
        seen = self._discriminator_input(fake)
        if self.loss_fn.needs_real_scores_for_generator:
            real = self._discriminator_input(ops.cast(real, fake.dtype))

        def score():
            fake_scores = flat_scores(self._discriminate(seen, cond, True))
            real_scores = None
            if self.loss_fn.needs_real_scores_for_generator:
                real_scores = flat_scores(self._discriminate(real, cond, True))
            return fake_scores, real_scores

        fake_scores, real_scores = self._frozen_call(self.discriminator, score)
        if self.top_k is not None:
            fake_scores = self.top_k.select(fake_scores, self.g_optimizer.iterations)
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
        logs = self.logs_tracker.result()
        if self.augment is not None:
            logs.update(self.augment.logs())  # the current values, not means
        return backend.logs_for_reduction(logs)

    def _evaluation_step(self, data):
        real, cond = self._unpack(data)
        batch = ops.shape(real)[0]
        # The generator that generate() and export would ship: the EMA one
        # when enabled.
        fake = self._generate(self.sample_latent(batch), cond, False, net=self.sampling_generator)
        _checks.same_sample_shape(fake, real)
        real = ops.cast(real, fake.dtype)
        real_scores = self._scores(self._discriminator_input(real, False), cond, "real", False)
        fake_scores = self._scores(self._discriminator_input(fake, False), cond, "generated", False)
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
