"""DCGAN on MNIST from TensorFlow Datasets (needs the internet once, to download MNIST).

python examples/tfds_mnist.py [--epochs 5] [--steps-per-epoch 300] [--out runs/tfds_mnist]

`keras_gan.data.from_tfds("mnist")` finds the image feature, scales it to
[-1, 1] and batches it; the first call downloads MNIST (about 11 MB) into
tfds' cache (`--data-dir` to choose it). The networks are DCGAN's (Radford et
al. 2016) for 28x28 images, at half DCGAN's width (32 filters) so that a
2-core CPU trains one step in about 0.1 s, with its recipe: Adam(2e-4,
beta_1=0.5) for both networks and the non-saturating loss. Writes `real.png`
(a batch of the data as loaded) and `samples.png` (64 generated digits).

An epoch here is `--steps-per-epoch` batches (default 300, so the default run
is 1,500 steps, about 1.6 passes over MNIST's 60,000 images, in about 3
minutes on 2 CPU cores); the dataset repeats, so epochs of any length work.
`--steps-per-epoch 0` makes an epoch one full pass (937 steps of 64). The
test suite runs this file offline on `tfds.testing.mock_data`, which stands
in for the download.
"""

import argparse
import os
import time

import keras

import keras_gan


def main(
    epochs=5,
    out="runs/tfds_mnist",
    steps_per_epoch=300,
    batch_size=64,
    width=32,
    split="train",
    data_dir=None,
    seed=0,
):
    keras.utils.set_random_seed(seed)
    dataset = keras_gan.data.from_tfds(
        "mnist", split=split, batch_size=batch_size, seed=seed, data_dir=data_dir
    )
    if steps_per_epoch:
        dataset = dataset.repeat()
    real = next(iter(dataset)).numpy()  # (batch, 28, 28, 1) in [-1, 1]
    real_picture = keras_gan.visualize.save_image_grid(
        os.path.join(out, "real.png"), real[:64], scale=2
    )

    gan = keras_gan.GAN(
        keras_gan.models.dcgan_generator(latent_dim=64, image_size=28, width=width),
        keras_gan.models.dcgan_discriminator(image_size=28, width=width),
        seed=seed,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss="non_saturating",
    )
    start = time.time()
    history = gan.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch or None,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    seconds = time.time() - start
    samples = gan.generate(64, seed=seed)
    picture = keras_gan.visualize.save_image_grid(
        os.path.join(out, "samples.png"), samples, scale=2
    )
    steps = int(gan.g_optimizer.iterations)  # one generator update per train step
    final_logs = {key: float(values[-1]) for key, values in history.history.items()}
    print(f"{steps} steps in {seconds:.0f} s; final logs: {final_logs}")
    print(f"wrote {real_picture} and {picture}")
    return {
        "final_logs": final_logs,
        "picture": picture,
        "real_picture": real_picture,
        "real_batch_shape": real.shape,
        "samples_shape": samples.shape,
        "steps": steps,
        "seconds": seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--steps-per-epoch", type=int, default=300, help="0: one full pass over the data"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32, help="DCGAN filters (64: DCGAN's)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--data-dir", default=None, help="tfds data folder")
    parser.add_argument("--out", default="runs/tfds_mnist")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(
        args.epochs,
        args.out,
        args.steps_per_epoch,
        args.batch_size,
        args.width,
        args.split,
        args.data_dir,
        args.seed,
    )
