"""How the cost of a GAN step grows with work: throughput (images/s) of
`gan.fit` on the DCGAN 32x32 at global batch 32/64/128/256, on one device and
under `tf.distribute.MirroredStrategy` over 2 logical CPU devices (on a GPU
machine, the GPUs). Writes a plot.

    python benchmarks/scaling.py [--steps 20] [--out docs/images/scaling.png]

The two logical CPU devices share the machine's cores, so on a CPU this shows
the strategy's overhead rather than a speed-up; on 2 GPUs it is the real
scaling curve.
"""

import argparse
import os
import statistics
import time

# A tf.distribute benchmark: TensorFlow whatever KERAS_BACKEND says.
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
if not tf.config.list_physical_devices("GPU"):
    tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import data, models, visualize  # noqa: E402

BATCHES = (32, 64, 128, 256)


def build(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        gan = keras_gan.GAN(
            models.dcgan_generator(64, 32, width=32),
            models.dcgan_discriminator(32, width=32),
            seed=0,
        )
        gan.compile(
            keras.optimizers.Adam(2e-4, beta_1=0.5),
            keras.optimizers.Adam(2e-4, beta_1=0.5),
            loss="non_saturating",
        )
    return gan


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def throughput(strategy, batch, steps, repeats):
    """Median images/s over `repeats` epochs of `steps` steps (after one
    untimed epoch)."""
    images = data.digits(image_size=32, return_labels=False)
    dataset = data.from_numpy(images, batch_size=batch, seed=0).repeat()
    gan = build(strategy)
    timer = EpochTimer()
    gan.fit(
        dataset,
        epochs=repeats + 1,
        steps_per_epoch=steps,
        verbose=0,
        shuffle=False,
        callbacks=[timer],
    )
    return batch * steps / statistics.median(timer.times[1:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=list(BATCHES))
    parser.add_argument("--out", default="docs/images/scaling.png")
    args = parser.parse_args(argv)
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))][:2]
    strategies = {
        "1 device": tf.distribute.OneDeviceStrategy(devices[0]),
        f"2 devices (MirroredStrategy, {'GPU' if gpus else 'logical CPU'})": (
            tf.distribute.MirroredStrategy(devices)
        ),
    }
    curves = {}
    print(f"DCGAN 32x32, images/s (median of {args.repeats} epochs of {args.steps} steps)")
    for name, strategy in strategies.items():
        curves[name] = [throughput(strategy, b, args.steps, args.repeats) for b in args.batches]
        cells = "  ".join(
            f"b{b}: {v:7.0f}" for b, v in zip(args.batches, curves[name], strict=True)
        )
        print(f"  {name:45s} {cells}", flush=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        ax.plot(args.batches, values, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(args.batches, [str(b) for b in args.batches])
    ax.set_xlabel("global batch size")
    ax.set_ylabel("images / s")
    ax.set_title(f"gan.fit throughput, DCGAN 32x32 ({'GPU' if gpus else 'CPU'})")
    ax.legend()
    ax.grid(alpha=0.3)
    visualize.save_figure(args.out, fig, bbox_inches="tight")
    print(f"wrote {args.out}")
    return curves


if __name__ == "__main__":
    main()
