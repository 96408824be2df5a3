"""Throughput of `gan.fit` against a hand-written `tf.function` GAN loop.

Both train the same DCGAN-style models on the same data (the embedded digits
upsampled to 32x32, batch 64) with the same algorithm: one discriminator
update on fresh noise, then one generator update through the updated
discriminator, non-saturating loss, Adam. They alternate in one process (one
`fit` epoch of `--steps` steps, then as many loop steps, and so on) so that
machine noise hits both alike; each side reads one persistent iterator, and
the first epoch of each (tracing) is not counted. The ratio of median
throughputs is printed: >= 1.0 means `gan.fit` is at least as fast.

    python benchmarks/speed.py [--steps 60] [--repeats 7] [--jit]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import data, models  # noqa: E402


def build(args, seed):
    keras.utils.set_random_seed(seed)
    if args.model == "mlp":
        generator = models.mlp_generator(args.latent_dim, 2)
        discriminator = models.mlp_discriminator(2)
    else:
        generator = models.dcgan_generator(args.latent_dim, args.image_size, width=args.width)
        discriminator = models.dcgan_discriminator(args.image_size, width=args.width)
    return generator, discriminator


def adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def dataset(args):
    if args.model == "mlp":
        images = data.ring(20_000, seed=0)
    else:
        images = data.digits(image_size=args.image_size, return_labels=False)
    return data.from_numpy(images, batch_size=args.batch_size, seed=0).repeat()


def make_loop(generator, discriminator, args):
    """The hand-written loop a user would write from the TF DCGAN tutorial,
    made alternating like the course (and keras_gan). Returns `run(steps)`,
    which trains `steps` steps from one persistent iterator and returns the
    seconds they took."""
    d_opt, g_opt = adam(), adam()
    d_opt.build(discriminator.trainable_variables)
    g_opt.build(generator.trainable_variables)
    seeds = keras.random.SeedGenerator(0)
    batch, latent = args.batch_size, args.latent_dim

    @tf.function(jit_compile=args.jit)
    def train_step(real):
        z = keras.random.normal((batch, latent), seed=seeds)
        fake = generator(z, training=True)
        with tf.GradientTape() as tape:
            real_scores = discriminator(real, training=True)
            fake_scores = discriminator(fake, training=True)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_scores)) + tf.reduce_mean(
                tf.nn.softplus(fake_scores)
            )
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_opt.apply(grads, discriminator.trainable_variables)
        z = keras.random.normal((batch, latent), seed=seeds)
        with tf.GradientTape() as tape:
            fake_scores = discriminator(generator(z, training=True), training=True)
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_scores))
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply(grads, generator.trainable_variables)
        return d_loss, g_loss

    iterator = iter(dataset(args))

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            d_loss, g_loss = train_step(next(iterator))
        float(g_loss)  # wait for the last step
        return time.perf_counter() - start

    return run


class Alternate(keras.callbacks.Callback):
    """Times each `fit` epoch, and after each one runs (and times) as many
    steps of the hand-written loop: the two alternate inside one process."""

    def __init__(self, loop, steps):
        super().__init__()
        self.loop, self.steps = loop, steps
        self.fit_times, self.loop_times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        # Keras has already fetched the epoch's logs: the steps are done.
        self.fit_times.append(time.perf_counter() - self.start)
        self.loop_times.append(self.loop(self.steps))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="train steps per timed run")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each")
    parser.add_argument(
        "--model", choices=["dcgan", "mlp"], default="dcgan", help="mlp: the 2-D toy MLPs"
    )
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--jit", action="store_true", help="XLA for both")
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        help="gan.fit's steps_per_execution (Keras' knob for per-step overhead)",
    )
    args = parser.parse_args(argv)

    loop = make_loop(*build(args, 0), args)
    gan = keras_gan.GAN(*build(args, 0), seed=0)
    gan.compile(
        adam(),
        adam(),
        loss="non_saturating",
        jit_compile=args.jit,
        steps_per_execution=args.steps_per_execution,
    )
    timer = Alternate(loop, args.steps)
    # Epoch 1 of each (tracing, first calls) is not counted.
    gan.fit(
        dataset(args),
        epochs=args.repeats + 1,
        steps_per_epoch=args.steps,
        verbose=0,
        shuffle=False,
        callbacks=[timer],
    )
    times = {"gan.fit": timer.fit_times[1:], "tf.function loop": timer.loop_times[1:]}
    device = tf.config.list_physical_devices("GPU") or ["CPU"]
    print(
        (
            "MLP 128x128 on the ring"
            if args.model == "mlp"
            else f"DCGAN {args.image_size}x{args.image_size}, width {args.width}"
        )
        + f", batch "
        f"{args.batch_size}, {args.steps} steps x {args.repeats} alternating runs, "
        f"XLA {'on' if args.jit else 'off'}, steps_per_execution "
        f"{args.steps_per_execution}, device {device[0]}"
    )
    medians = {}
    for name, values in times.items():
        medians[name] = statistics.median(values)
        per_step = ", ".join(f"{1000 * v / args.steps:.1f}" for v in values)
        print(f"  {name:18s} {args.steps / medians[name]:7.1f} steps/s  (ms/step: {per_step})")
    ratio = medians["tf.function loop"] / medians["gan.fit"]
    # Each fit epoch and the loop run right after it share the machine's
    # state; their ratio cancels slow drifts that the medians alone keep.
    paired = sorted(
        lo / fi for fi, lo in zip(times["gan.fit"], times["tf.function loop"], strict=True)
    )
    print(f"  throughput ratio gan.fit / loop = {ratio:.3f} (ratio of medians)")
    print(
        f"  paired ratios: median {statistics.median(paired):.3f}, "
        f"range {paired[0]:.3f}-{paired[-1]:.3f}"
    )
    return ratio


if __name__ == "__main__":
    main()
