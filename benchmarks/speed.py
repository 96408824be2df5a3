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
    python benchmarks/speed.py --suite      # the table of docs/performance.md

`--suite` runs, each in a fresh process, the toy MLP (batch 256) and DCGANs
of 28x28 and 64x64 (batch 64), without and with XLA, medians of 3, and the
peak memory of each side measured alone in its own process (`--only fit` /
`--only loop`: peak resident memory on the CPU, TensorFlow's peak GPU
allocation on a GPU).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
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
    elif args.image_size % 8 == 0:
        images = data.digits(image_size=args.image_size, return_labels=False)
    else:  # e.g. 28x28: the digits resized
        images = tf.image.resize(data.digits(return_labels=False), [args.image_size] * 2).numpy()
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


def parse(argv=None):
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
    parser.add_argument(
        "--only", choices=["fit", "loop"], help="run one side alone and print its peak memory"
    )
    parser.add_argument("--suite", action="store_true", help="the whole table, fresh processes")
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    return parser.parse_args(argv)


def build_gan(args):
    gan = keras_gan.GAN(*build(args, 0), seed=0)
    gan.compile(
        adam(),
        adam(),
        loss="non_saturating",
        jit_compile=args.jit,
        steps_per_execution=args.steps_per_execution,
    )
    return gan


def peak_memory_mib():
    """TensorFlow's peak allocation on the GPU when there is one, else the
    process's peak resident memory (Linux reports KiB)."""
    if tf.config.list_physical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, "GPU peak"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak RSS"


def only(args):
    """Trains one side alone for (repeats + 1) x steps steps; returns MiB."""
    steps = (args.repeats + 1) * args.steps
    if args.only == "loop":
        make_loop(*build(args, 0), args)(steps)
    else:
        build_gan(args).fit(
            dataset(args), epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False
        )
    return peak_memory_mib()


def measure(args):
    """Alternating fit / loop timing in this process; returns a dict."""
    loop = make_loop(*build(args, 0), args)
    gan = build_gan(args)
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
    medians = {name: statistics.median(values) for name, values in times.items()}
    paired = sorted(
        lo / fi for fi, lo in zip(times["gan.fit"], times["tf.function loop"], strict=True)
    )
    return {
        "times": times,
        "steps_per_s": {name: args.steps / m for name, m in medians.items()},
        "ratio": medians["tf.function loop"] / medians["gan.fit"],
        "paired": paired,
    }


def describe(args):
    model = (
        "MLP 2x128 on the ring"
        if args.model == "mlp"
        else f"DCGAN {args.image_size}x{args.image_size}, width {args.width}"
    )
    return f"{model}, batch {args.batch_size}"


SUITE = [
    ["--model", "mlp", "--batch-size", "256", "--steps", "100"],
    ["--model", "dcgan", "--image-size", "28", "--batch-size", "64", "--steps", "40"],
    ["--model", "dcgan", "--image-size", "64", "--batch-size", "64", "--steps", "10"],
]


def suite():
    """Each configuration in fresh processes: timing, then each side alone."""

    def child(extra):
        command = [sys.executable, os.path.abspath(__file__), "--json", *extra]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    device = tf.config.list_physical_devices("GPU") or ["CPU"]
    print(f"device {device[0]}; medians of 3 alternating runs; ratio = fit / loop throughput")
    header = f"{'model':34s}{'XLA':>5s}{'fit steps/s':>13s}{'loop steps/s':>14s}"
    print(header + f"{'ratio':>8s}{'paired':>8s}{'fit MiB':>9s}{'loop MiB':>10s}")
    rows = []
    for config in SUITE:
        for jit in ([], ["--jit"]):
            extra = [*config, *jit, "--repeats", "3"]
            timing = child(extra)
            fit_mib = child([*extra, "--only", "fit"])["memory_mib"]
            loop_mib = child([*extra, "--only", "loop"])["memory_mib"]
            rate = timing["steps_per_s"]
            row = (
                f"{timing['describe']:34s}{'on' if jit else 'off':>5s}"
                f"{rate['gan.fit']:13.1f}{rate['tf.function loop']:14.1f}"
                f"{timing['ratio']:8.3f}{statistics.median(timing['paired']):8.3f}"
                f"{fit_mib:9.0f}{loop_mib:10.0f}"
            )
            print(row, flush=True)
            rows.append(timing | {"fit_mib": fit_mib, "loop_mib": loop_mib, "jit": bool(jit)})
    return rows


def main(argv=None):
    args = parse(argv)
    if args.suite:
        return suite()
    if args.only:
        mib, kind = only(args)
        print(json.dumps({"memory_mib": mib, "kind": kind}) if args.json else f"{kind} {mib} MiB")
        return mib
    result = measure(args)
    if args.json:
        print(json.dumps(result | {"describe": describe(args)}))
        return result
    device = tf.config.list_physical_devices("GPU") or ["CPU"]
    print(
        f"{describe(args)}, {args.steps} steps x {args.repeats} alternating runs, "
        f"XLA {'on' if args.jit else 'off'}, steps_per_execution "
        f"{args.steps_per_execution}, device {device[0]}"
    )
    for name, values in result["times"].items():
        per_step = ", ".join(f"{1000 * v / args.steps:.1f}" for v in values)
        print(f"  {name:18s} {result['steps_per_s'][name]:7.1f} steps/s  (ms/step: {per_step})")
    paired = result["paired"]
    print(f"  throughput ratio gan.fit / loop = {result['ratio']:.3f} (ratio of medians)")
    print(
        f"  paired ratios: median {statistics.median(paired):.3f}, "
        f"range {paired[0]:.3f}-{paired[-1]:.3f}"
    )
    return result["ratio"]


if __name__ == "__main__":
    main()
