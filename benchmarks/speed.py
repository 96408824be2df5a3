"""Throughput of `gan.fit` against a hand-written GAN loop on the same backend.

Both train the same DCGAN-style models on the same data (the embedded digits
upsampled to 32x32, batch 64) with the same algorithm: one discriminator
update on fresh noise, then one generator update through the updated
discriminator, non-saturating loss, Adam. They alternate in one process (a
`fit` epoch of `--steps` steps, as many loop steps, in the order fit, loop,
loop, fit, fit, loop, ...) so that machine noise and its drift hit both
alike; each side reads one persistent iterator, and the first run of each
(tracing) is not counted. The ratio of median throughputs is printed:
>= 1.0 means `gan.fit` is at least as fast.

The loop is what a user of the backend writes by hand: on TensorFlow a
`tf.function` step with `GradientTape` (the TF DCGAN tutorial's); on JAX a
`jax.jit` step over the models' `stateless_call` and the Keras optimizers'
`stateless_apply` (Keras' "training loop from scratch in JAX" guide); on
PyTorch an eager step with `backward()` and `torch.optim.Adam` (the PyTorch
DCGAN tutorial's).

    python benchmarks/speed.py [--steps 60] [--repeats 21] [--jit] [--backend jax]
    python benchmarks/speed.py --mixed-precision   # mixed_float16 on both sides (TensorFlow)
    python benchmarks/speed.py --suite      # the table of docs/performance.md
    python benchmarks/speed.py --switch tf_train_function --model mlp --batch-size 256

`--switch NAME` measures one speed-up of `keras_gan.backend.fast_paths`
(`--switch A,B` several, switched together) instead: `gan.fit` with it on
against `gan.fit` with it off (two GANs of the
same models, each run a whole `fit` of `--steps` steps, alternating in the
order on, off, off, on, ...); the ratio is on / off throughput, and a
speed-up is kept where the lower bound of its paired interval is >= 1.03 on
some model.

`--suite` runs, each in a fresh process, the toy MLP (batch 256) and DCGANs
of 28x28 and 64x64 (batch 64), without and with XLA, medians of 3, and the
peak memory of each side measured alone in its own process (`--only fit` /
`--only loop`: peak resident memory on the CPU, TensorFlow's peak GPU
allocation on a GPU). On a GPU the suite adds mixed-precision rows and
times the DCGANs in longer runs (`GPU_SUITE_STEPS`), and every table names
the device it ran on (the card's name on a GPU).
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
if __name__ == "__main__" and "--backend" in sys.argv[:-1]:
    # The backend is chosen before Keras is imported.
    os.environ["KERAS_BACKEND"] = sys.argv[sys.argv.index("--backend") + 1]
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import data, models  # noqa: E402
from keras_gan.backend import fast_paths  # noqa: E402


def build(args, seed):
    keras.utils.set_random_seed(seed)
    # Models built under a mixed policy compute in float16 / bfloat16; the
    # reference discriminators keep their score layer in float32.
    keras.config.set_dtype_policy(args.precision)
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
        images = data.digits(return_labels=False)
        images = keras.ops.image.resize(images, [args.image_size] * 2, data_format="channels_last")
        images = keras.ops.convert_to_numpy(images)
    # A tf.data pipeline on TensorFlow, a PyDataset on JAX and PyTorch (no
    # TensorFlow needed there).
    return data.from_numpy(images, batch_size=args.batch_size, seed=0).repeat()


LOOP_NAMES = {"tensorflow": "tf.function loop", "jax": "jax.jit loop", "torch": "PyTorch loop"}


def make_loop(generator, discriminator, args):
    """The hand-written loop of the current backend. Returns `run(steps)`,
    which trains `steps` steps from one persistent iterator and returns the
    seconds they took."""
    makers = {"tensorflow": make_tf_loop, "jax": make_jax_loop, "torch": make_torch_loop}
    return makers[keras.backend.backend()](generator, discriminator, args)


def make_tf_loop(generator, discriminator, args):
    """The hand-written loop a user would write from the TF DCGAN tutorial,
    made alternating like the course (and keras_gan). Under mixed precision
    each optimizer is a `LossScaleOptimizer` (as `GAN.compile` makes them):
    `scale_loss` scales the loss before the gradients, which `apply`
    unscales (a plain Keras optimizer's `scale_loss` returns the loss)."""
    import tensorflow as tf

    d_opt, g_opt = adam(), adam()
    if args.precision == "mixed_float16":
        d_opt = keras.optimizers.LossScaleOptimizer(d_opt)
        g_opt = keras.optimizers.LossScaleOptimizer(g_opt)
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
            scaled = d_opt.scale_loss(d_loss)
        grads = tape.gradient(scaled, discriminator.trainable_variables)
        d_opt.apply(grads, discriminator.trainable_variables)
        z = keras.random.normal((batch, latent), seed=seeds)
        with tf.GradientTape() as tape:
            fake_scores = discriminator(generator(z, training=True), training=True)
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_scores))
            scaled = g_opt.scale_loss(g_loss)
        grads = tape.gradient(scaled, generator.trainable_variables)
        g_opt.apply(grads, generator.trainable_variables)
        return d_loss, g_loss

    iterator = iter(dataset(args))

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            d_loss, g_loss = train_step(next(iterator))
        float(g_loss)  # wait for the last step
        return time.perf_counter() - start

    run.count_flops = lambda: None  # counted on JAX and PyTorch (the GPU kit's backends)
    return run


def make_jax_loop(generator, discriminator, args):
    """A `jax.jit` step on the models' `stateless_call` and the Keras
    optimizers' `stateless_apply`, the state donated like Keras' own."""
    import jax

    d_opt, g_opt = adam(), adam()
    d_opt.build(discriminator.trainable_variables)
    g_opt.build(generator.trainable_variables)
    batch, latent = args.batch_size, args.latent_dim
    softplus = jax.nn.softplus

    def d_loss_fn(d_tv, d_ntv, fake, real):
        real_scores, d_ntv = discriminator.stateless_call(d_tv, d_ntv, real, training=True)
        fake_scores, d_ntv = discriminator.stateless_call(d_tv, d_ntv, fake, training=True)
        loss = softplus(-real_scores).mean() + softplus(fake_scores).mean()
        return loss, d_ntv

    def g_loss_fn(g_tv, g_ntv, d_tv, d_ntv, z):
        fake, g_ntv = generator.stateless_call(g_tv, g_ntv, z, training=True)
        fake_scores, _ = discriminator.stateless_call(d_tv, d_ntv, fake, training=True)
        return softplus(-fake_scores).mean(), g_ntv

    def train_step(state, real):
        d_tv, d_ntv, d_ov, g_tv, g_ntv, g_ov, key = state
        key, k_d, k_g = jax.random.split(key, 3)
        z = jax.random.normal(k_d, (batch, latent))
        fake, _ = generator.stateless_call(g_tv, g_ntv, z, training=True)
        (d_loss, d_ntv), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            d_tv, d_ntv, fake, real
        )
        d_tv, d_ov = d_opt.stateless_apply(d_ov, grads, d_tv)
        z = jax.random.normal(k_g, (batch, latent))
        (g_loss, g_ntv), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
            g_tv, g_ntv, d_tv, d_ntv, z
        )
        g_tv, g_ov = g_opt.stateless_apply(g_ov, grads, g_tv)
        return (d_tv, d_ntv, d_ov, g_tv, g_ntv, g_ov, key), (d_loss, g_loss)

    def values(variables):
        return [v.value for v in variables]

    state = [
        (
            values(discriminator.trainable_variables),
            values(discriminator.non_trainable_variables),
            values(d_opt.variables),
            values(generator.trainable_variables),
            values(generator.non_trainable_variables),
            values(g_opt.variables),
            jax.random.key(0),
        )
    ]
    iterator = iter(dataset(args))
    train_step = jax.jit(train_step, donate_argnums=0)

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            state[0], (d_loss, g_loss) = train_step(state[0], next(iterator))
        float(g_loss)  # wait for the last step (JAX dispatches asynchronously)
        return time.perf_counter() - start

    def count_flops():
        # XLA's cost analysis of the lowered step (no compilation; asked for
        # by --grid only, and the timed runs call the `jax.jit` function, as
        # a user's loop does).
        return xla_flops(train_step.lower(state[0], next(iterator)))

    run.count_flops = count_flops
    return run


def xla_flops(lowered):
    """The floating-point operations of one call, from XLA's cost analysis
    of a lowered (or compiled) function (a dict, or a list of one dict per
    program in older JAX)."""
    costs = lowered.cost_analysis()
    if isinstance(costs, (list, tuple)):
        costs = costs[0] if costs else {}
    flops = (costs or {}).get("flops")
    return float(flops) if flops else None


def make_torch_loop(generator, discriminator, args):
    """The PyTorch DCGAN tutorial's eager step (`zero_grad`, `backward`,
    `torch.optim.Adam` with Keras' Adam settings), drawing fresh noise for
    the generator update as keras_gan does."""
    import torch
    import torch.nn.functional as F

    def torch_adam(model):
        parameters = [v.value for v in model.trainable_variables]
        return torch.optim.Adam(parameters, lr=2e-4, betas=(0.5, 0.999), eps=1e-7)

    d_opt, g_opt = torch_adam(discriminator), torch_adam(generator)
    device = discriminator.trainable_variables[0].value.device
    noise = torch.Generator(device=device).manual_seed(0)
    batch, latent = args.batch_size, args.latent_dim

    def train_step(real):
        z = torch.randn(batch, latent, generator=noise, device=device)
        d_opt.zero_grad()
        fake = generator(z, training=True).detach()
        d_loss = (
            F.softplus(-discriminator(real, training=True)).mean()
            + F.softplus(discriminator(fake, training=True)).mean()
        )
        d_loss.backward()
        d_opt.step()
        z = torch.randn(batch, latent, generator=noise, device=device)
        g_opt.zero_grad()
        g_loss = F.softplus(-discriminator(generator(z, training=True), training=True)).mean()
        g_loss.backward()
        g_opt.step()
        return d_loss, g_loss

    iterator = iter(dataset(args))

    def batch_on_device():
        return torch.from_numpy(next(iterator)).to(device, non_blocking=True)

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            d_loss, g_loss = train_step(batch_on_device())
        g_loss.item()
        return time.perf_counter() - start

    def count_flops():
        # One step counted by PyTorch's FLOP counter (matrix products and
        # convolutions, forward and backward), before the timed runs.
        from torch.utils.flop_counter import FlopCounterMode

        with FlopCounterMode(display=False) as counter:
            train_step(batch_on_device())
        return float(counter.get_total_flops()) or None

    run.count_flops = count_flops
    return run


class Alternate(keras.callbacks.Callback):
    """Times each `fit` epoch and as many steps of the hand-written loop:
    the two alternate inside one process, in the order fit, loop, loop,
    fit, fit, loop, ... (each pair counterbalanced: a drift of the machine's
    speed, or an effect of what ran just before, favours neither side).

    Epoch 0 (tracing, first calls: not counted) is followed by the loop's
    first run; from then on the loop runs after even epochs and before odd
    ones."""

    def __init__(self, loop, steps):
        super().__init__()
        self.loop, self.steps = loop, steps
        self.fit_times, self.loop_times = [], []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch % 2:
            self.loop_times.append(self.loop(self.steps))
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        # Keras has already fetched the epoch's logs: the steps are done.
        self.fit_times.append(time.perf_counter() - self.start)
        if not epoch % 2:
            self.loop_times.append(self.loop(self.steps))


def speed_ups(text):
    """`--switch`'s value: speed-ups of `fast_paths`, comma-separated."""
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in fast_paths.SPEED_UPS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown speed-up {unknown[0]!r}; known: {', '.join(fast_paths.SPEED_UPS)}"
        )
    return ",".join(names)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="train steps per timed run")
    parser.add_argument(
        "--repeats",
        type=int,
        default=21,
        help="timed runs of each (21: a 97%% interval for the median paired ratio; about "
        "4 min for the default DCGAN on a 2-core CPU with TensorFlow)",
    )
    parser.add_argument(
        "--model", choices=["dcgan", "mlp"], default="dcgan", help="mlp: the 2-D toy MLPs"
    )
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="the Keras backend (chosen before Keras is imported; default: KERAS_BACKEND)",
    )
    parser.add_argument(
        "--jit",
        action="store_true",
        help="XLA for both on TensorFlow (on JAX both sides are always jitted)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="both sides' Keras dtype policy: mixed_float16 (with loss scaling) on "
        "TensorFlow, mixed_bfloat16 on any backend",
    )
    parser.add_argument(
        "--mixed-precision",
        action="store_const",
        const="mixed_float16",
        dest="precision",
        help="the same as --precision mixed_float16 (TensorFlow)",
    )
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
    parser.add_argument(
        "--grid",
        action="store_true",
        help="the GPU kit's table in this process (benchmarks/gpu/kit.py): DCGANs of "
        "--grid-sizes at batches --grid-batches, float32 and mixed_bfloat16, with TFLOP/s",
    )
    parser.add_argument("--grid-sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--grid-batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument(
        "--peak-size", type=int, default=8192, help="the bf16 matrix product that gives the peak"
    )
    parser.add_argument("--out", help="--grid: also write the rows to this JSON file")
    parser.add_argument(
        "--switch",
        type=speed_ups,
        help="measure the named speed-up of keras_gan.backend.fast_paths (A,B: several, "
        "together): fit with it on / off",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    args = parser.parse_args(argv)
    if args.backend and args.backend != keras.backend.backend():
        parser.error(
            f"--backend {args.backend} must be chosen before Keras is imported; this "
            f"process runs Keras on {keras.backend.backend()!r} (run the script itself, or "
            "set KERAS_BACKEND)"
        )
    if args.precision == "mixed_float16" and keras.backend.backend() != "tensorflow":
        parser.error(
            "--precision mixed_float16 is measured on TensorFlow only (the JAX and PyTorch "
            "loops have no loss scaling; use mixed_bfloat16). Received: backend "
            f"{keras.backend.backend()!r}"
        )
    if args.jit and keras.backend.backend() == "torch":
        parser.error("--jit: torch.compile is not measured (the PyTorch loop runs eagerly)")
    return args


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")

# XLA settings the suite measures per backend: JAX always jits both sides.
SUITE_JIT = {"tensorflow": (False, True), "jax": (True,), "torch": (False,)}


def jit_compile(args):
    return True if keras.backend.backend() == "jax" else args.jit


def build_gan(args):
    gan = keras_gan.GAN(*build(args, 0), seed=0)
    gan.compile(
        adam(),
        adam(),
        loss="non_saturating",
        jit_compile=jit_compile(args),
        steps_per_execution=args.steps_per_execution,
    )
    return gan


def measure_switch(args):
    """`gan.fit` with the speed-up `args.switch` on against off, alternating
    in one process; returns a dict like `measure`'s, "loop" being "off"."""
    names = args.switch.split(",")
    sides = {}
    for on in (True, False):  # each GAN's train function is made under its setting
        with fast_paths.switched(**dict.fromkeys(names, on)):
            sides[on] = build_gan(args)
    data = dataset(args)
    times = {True: [], False: []}

    def run(on):
        with fast_paths.switched(**dict.fromkeys(names, on)):
            start = time.perf_counter()
            sides[on].fit(data, epochs=1, steps_per_epoch=args.steps, verbose=0, shuffle=False)
            times[on].append(time.perf_counter() - start)

    for i in range(args.repeats + 1):  # run 0 of each (tracing) is not counted
        for on in (True, False) if i % 2 == 0 else (False, True):
            run(on)
    on_times, off_times = times[True][1:], times[False][1:]
    paired = sorted(off / on for on, off in zip(on_times, off_times, strict=True))
    return {
        "backend": keras.backend.backend(),
        "switch": args.switch,
        "times": {"on": on_times, "off": off_times},
        "ratio": statistics.median(off_times) / statistics.median(on_times),
        "paired": paired,
        "paired_interval": median_interval(paired),
    }


def on_gpu():
    """Whether the current backend computes on a GPU."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return jax.devices()[0].platform == "gpu"
    import torch

    return torch.cuda.is_available()


def peak_memory_mib():
    """The backend's peak allocation on the GPU when there is one, else the
    process's peak resident memory (Linux reports KiB)."""
    if on_gpu():
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
        elif backend == "jax":
            import jax

            peak = jax.devices()[0].memory_stats()["peak_bytes_in_use"]
        else:
            import torch

            peak = torch.cuda.max_memory_allocated()
        return peak / 2**20, "GPU peak"
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
    """Alternating fit / loop timing in this process; returns a dict (with
    the step's FLOPs and each side's TFLOP/s under `--grid`)."""
    loop = make_loop(*build(args, 0), args)
    flops = loop.count_flops() if args.grid else None
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
    loop_name = LOOP_NAMES[keras.backend.backend()]
    times = {"gan.fit": timer.fit_times[1:], loop_name: timer.loop_times[1:]}
    medians = {name: statistics.median(values) for name, values in times.items()}
    paired = sorted(lo / fi for fi, lo in zip(times["gan.fit"], times[loop_name], strict=True))
    # The same algorithm on the same models: the loop's FLOPs are fit's too.
    return {
        "backend": keras.backend.backend(),
        "flops_per_step": flops,
        "fit_tflops": flops and flops * args.steps / medians["gan.fit"] / 1e12,
        "loop_tflops": flops and flops * args.steps / medians[loop_name] / 1e12,
        "times": times,
        "steps_per_s": {name: args.steps / m for name, m in medians.items()},
        "fit_steps_per_s": args.steps / medians["gan.fit"],
        "loop_steps_per_s": args.steps / medians[loop_name],
        "ratio": medians[loop_name] / medians["gan.fit"],
        "paired": paired,
        "paired_interval": median_interval(paired),
    }


def median_interval(values, coverage=0.95):
    """A distribution-free interval for the median of `values`: the order
    statistics `x(k) .. x(n+1-k)` with the largest `k` whose coverage,
    `1 - 2 P(B < k)` for `B ~ Binomial(n, 1/2)`, is at least `coverage`.
    Returns `(low, high, achieved coverage)`; with too few values for the
    coverage asked, the whole range and its own coverage."""
    x, n = sorted(values), len(values)
    k, below = 1, 1 / 2**n  # below = P(B < k)
    while k < (n + 1) // 2:
        below_next = below + math.comb(n, k) / 2**n  # P(B < k + 1)
        if 1 - 2 * below_next < coverage:
            break
        k, below = k + 1, below_next
    return x[k - 1], x[n - k], 1 - 2 * below


def describe(args):
    model = (
        "MLP 2x128 on the ring"
        if args.model == "mlp"
        else f"DCGAN {args.image_size}x{args.image_size}, width {args.width}"
    )
    precision = "" if args.precision == "float32" else f", {args.precision}"
    return f"{model}, batch {args.batch_size}{precision}"


def device_name():
    """The device the numbers come from: the card's name on a GPU (for
    docs/performance.md, which records it beside each number), else the CPU
    and its core count."""
    if not on_gpu():
        return f"CPU ({os.cpu_count()} cores)"
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    if backend == "jax":
        import jax

        return f"GPU {jax.devices()[0].device_kind} (x{jax.device_count()})"
    import torch

    return f"GPU {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})"


def matmul_peak_tflops(n, repeats=10):
    """The card's bf16 matrix peak as this backend reaches it in this run:
    an `n x n x n` bfloat16 product on random data, the mean of `repeats`
    timed products after 3 warm-ups, in TFLOP/s (2 n^3 operations each)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        key_a, key_b = jax.random.split(jax.random.key(0))
        a = jax.random.normal(key_a, (n, n), jnp.bfloat16)
        b = jax.random.normal(key_b, (n, n), jnp.bfloat16)
        product = jax.jit(jnp.matmul)

        def call():
            return product(a, b)

        def wait(out):
            out.block_until_ready()

    elif backend == "torch":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        a = torch.randn(n, n, dtype=torch.bfloat16, device=device)
        b = torch.randn(n, n, dtype=torch.bfloat16, device=device)

        def call():
            return a @ b

        def wait(out):
            if device == "cuda":
                torch.cuda.synchronize()

    else:
        import tensorflow as tf

        a = tf.random.normal((n, n), dtype=tf.bfloat16)
        b = tf.random.normal((n, n), dtype=tf.bfloat16)

        def call():
            return tf.matmul(a, b)

        def wait(out):
            out.numpy()

    for _ in range(3):
        wait(call())
    start = time.perf_counter()
    for _ in range(repeats):
        out = call()
    wait(out)
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e12


SUITE = [
    ["--model", "mlp", "--batch-size", "256"],
    ["--model", "dcgan", "--image-size", "28", "--batch-size", "64", "--steps", "40"],
    ["--model", "dcgan", "--image-size", "64", "--batch-size", "64", "--steps", "10"],
]
# The toy MLP's timed runs, per backend: about a second or two each (a
# 1.4-1.9 ms step on TensorFlow and JAX, 6-7 ms on PyTorch, on the 2-core CPU). Runs of
# 100 steps (0.15 s) scattered by +-5% from run to run on JAX.
SUITE_MLP_STEPS = {"tensorflow": 1000, "jax": 1000, "torch": 300}
# On a GPU the DCGAN steps take milliseconds, not the CPU's 40-400 ms: longer
# timed runs there (a guess made without a GPU: about a second a run).
GPU_SUITE_STEPS = {"28": "400", "64": "200"}


def suite_configs(backend, on_gpu):
    """The suite's argument lists: each model, with and without XLA where
    the backend has the choice, and under mixed precision on a GPU with
    TensorFlow (on a CPU float16 is emulated: not a speed worth measuring)."""
    precisions = (
        ([], ["--precision", "mixed_float16"]) if on_gpu and backend == "tensorflow" else ([],)
    )
    configs = []
    for config in SUITE:
        config = list(config)
        if "--steps" not in config:
            config += ["--steps", str(SUITE_MLP_STEPS[backend])]
        elif on_gpu:
            size = config[config.index("--image-size") + 1]
            config[config.index("--steps") + 1] = GPU_SUITE_STEPS[size]
        for precision in precisions:
            for on in SUITE_JIT[backend]:
                configs.append([*config, *precision, *(["--jit"] if on else []), "--repeats", "3"])
    return configs


def suite():
    """Each configuration in fresh processes: timing, then each side alone."""
    backend = keras.backend.backend()

    def child(extra):
        command = [sys.executable, os.path.abspath(__file__), "--json", "--backend", backend]
        out = subprocess.run(command + extra, capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    device = device_name()
    print(
        f"{backend} ({LOOP_NAMES[backend]}), device {device}; medians of 3 alternating "
        "runs; ratio = fit / loop throughput"
    )
    header = f"{'model':50s}{'XLA':>5s}{'fit steps/s':>13s}{'loop steps/s':>14s}"
    print(
        header + f"{'ratio':>8s}{'paired':>8s}{'fit MiB':>9s}{'loop MiB':>10s}{'paired range':>13s}"
    )
    rows = []
    for extra in suite_configs(backend, on_gpu()):
        jit = "--jit" in extra
        timing = child(extra)
        low, high, _ = timing["paired_interval"]
        fit_mib = child([*extra, "--only", "fit"])["memory_mib"]
        loop_mib = child([*extra, "--only", "loop"])["memory_mib"]
        row = (
            f"{timing['describe']:50s}{'on' if jit else 'off':>5s}"
            f"{timing['fit_steps_per_s']:13.1f}{timing['loop_steps_per_s']:14.1f}"
            f"{timing['ratio']:8.3f}{statistics.median(timing['paired']):8.3f}"
            f"{fit_mib:9.0f}{loop_mib:10.0f}"
            f"{low:7.3f}-{high:.3f}"
        )
        print(row, flush=True)
        rows.append(
            timing | {"fit_mib": fit_mib, "loop_mib": loop_mib, "jit": jit, "device": device}
        )
    return rows


GRID_PRECISIONS = ("float32", "mixed_bfloat16")


def grid(args):
    """The GPU kit's rows for this backend, in this process: DCGANs of each
    of `--grid-sizes` at each of `--grid-batches`, in float32 and under
    mixed_bfloat16, `gan.fit` against the hand-written loop (`measure`), each
    side's achieved TFLOP/s (the loop step's FLOPs: XLA's cost analysis on
    JAX, PyTorch's FLOP counter) and the bf16 matrix peak measured first.
    Prints one JSON line per row; `--out` writes the list."""
    device, peak = device_name(), matmul_peak_tflops(args.peak_size)
    rows = []
    for size in args.grid_sizes:
        for batch in args.grid_batches:
            for precision in GRID_PRECISIONS:
                config = argparse.Namespace(
                    **{
                        **vars(args),
                        "model": "dcgan",
                        "image_size": size,
                        "batch_size": batch,
                        "precision": precision,
                    }
                )
                result = measure(config)
                row = {
                    "describe": describe(config),
                    "image_size": size,
                    "batch_size": batch,
                    "precision": precision,
                    "steps": args.steps,
                    "repeats": args.repeats,
                    "device": device,
                    "peak_tflops": peak,
                    "paired_median": statistics.median(result["paired"]),
                    **result,
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    keras.config.set_dtype_policy("float32")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


def main(argv=None):
    args = parse(argv)
    if args.suite:
        return suite()
    if args.grid:
        return grid(args)
    if args.only:
        mib, kind = only(args)
        print(json.dumps({"memory_mib": mib, "kind": kind}) if args.json else f"{kind} {mib} MiB")
        return mib
    result = measure_switch(args) if args.switch else measure(args)
    if args.json:
        print(json.dumps(result | {"describe": describe(args)}))
        return result
    if args.switch:
        low, high, coverage = result["paired_interval"]
        print(
            f"{describe(args)}, {args.steps} steps x {args.repeats} alternating fits, backend "
            f"{keras.backend.backend()}, XLA {'on' if jit_compile(args) else 'off'}, device "
            f"{device_name()}\n  speed-up {args.switch}: throughput on / off = "
            f"{result['ratio']:.3f} (ratio of medians); paired median "
            f"{statistics.median(result['paired']):.3f}, {100 * coverage:.0f}% interval "
            f"{low:.3f}-{high:.3f}"
        )
        return result
    print(
        f"{describe(args)}, {args.steps} steps x {args.repeats} alternating runs, "
        f"backend {keras.backend.backend()}, XLA {'on' if jit_compile(args) else 'off'}, "
        f"steps_per_execution {args.steps_per_execution}, device {device_name()}"
    )
    for name, values in result["times"].items():
        per_step = ", ".join(f"{1000 * v / args.steps:.1f}" for v in values)
        print(f"  {name:18s} {result['steps_per_s'][name]:7.1f} steps/s  (ms/step: {per_step})")
    paired = result["paired"]
    print(f"  throughput ratio gan.fit / loop = {result['ratio']:.3f} (ratio of medians)")
    low, high, coverage = result["paired_interval"]
    print(
        f"  paired ratios: median {statistics.median(paired):.3f}, "
        f"{100 * coverage:.0f}% interval {low:.3f}-{high:.3f} (order statistics), "
        f"range {paired[0]:.3f}-{paired[-1]:.3f}"
    )
    return result["ratio"]


if __name__ == "__main__":
    main()
