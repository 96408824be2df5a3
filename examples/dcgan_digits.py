"""A convolutional GAN on scikit-learn's embedded 8x8 handwritten digits
(offline, no download).

python examples/dcgan_digits.py [--epochs 150] [--every 25] [--out runs/dcgan_digits]

The recipe is the demo's (`keras-gan demo`, `keras_gan.recipes.image_gan`),
written out: DCGAN-style networks (Radford et al. 2016) with upsampling and
3x3 convolutions (`models.image_generator` / `image_discriminator`), Adam
(1e-3, beta_1=0.5, beta_2=0.99) for both with the learning rate decayed to 0
along a cosine, the non-saturating loss, a lazy R1 penalty (Mescheder et al.
2018; weight 5, every 16th discriminator update), top-k training (Sinha et
al. 2020: the generator learns from the three quarters of each batch the
discriminator scores highest), adaptive discriminator augmentation (Karras
et al. 2020; `p`, at most 0.8, follows the sign of the discriminator's
scores on the real images as they are, toward ADA's target of 0.6) and a
moving average of the generator's weights (what `generate` uses), in
batches of 32; here it trains on all 1,797 digits.
`keras_gan.callbacks.SampleGrid` writes a grid of samples from the same fixed
noise every `every` epochs (`grids/samples_epoch_XXXX.png`), so the files
show the same 64 latent vectors turning into digits; `samples.png` is the
final grid.
"""

import argparse
import os
import time

import keras

import keras_gan


def main(epochs=150, out="runs/dcgan_digits", every=25, seed=0):
    keras.utils.set_random_seed(seed)
    images, _ = keras_gan.data.digits()  # (1797, 8, 8, 1) in [-1, 1]
    batch_size = 32
    per_epoch = len(images) // batch_size
    steps = epochs * per_epoch
    gan = keras_gan.GAN(
        keras_gan.models.image_generator((8, 8, 1), latent_dim=64, width=32),
        keras_gan.models.image_discriminator((8, 8, 1), width=32),
        seed=seed,
    )
    gan.enable_ema(half_life=10_000)  # in images

    def adam():
        rate = keras.optimizers.schedules.CosineDecay(1e-3, steps)
        return keras.optimizers.Adam(rate, beta_1=0.5, beta_2=0.99)

    gan.compile(
        d_optimizer=adam(),
        g_optimizer=adam(),
        loss="non_saturating",
        d_penalty=keras_gan.penalties.R1(5.0, interval=16),
        # The generator's kept fraction decays by 0.99 an epoch to 0.75.
        top_k=keras_gan.losses.TopK(0.75, decay=0.99, decay_steps=per_epoch),
        augment=keras_gan.augment.AdaptiveAugment(target=0.6, statistic="unaugmented", max_p=0.8),
    )
    grids = keras_gan.callbacks.SampleGrid(os.path.join(out, "grids"), every=every, seed=seed)
    start = time.time()
    history = gan.fit(
        keras_gan.data.from_numpy(images, batch_size=batch_size, seed=seed),
        epochs=epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
        callbacks=[grids, keras.callbacks.TerminateOnNaN()],
    )
    seconds = time.time() - start
    samples = gan.generate(64, seed=seed)
    picture = keras_gan.visualize.save_image_grid(
        os.path.join(out, "samples.png"), samples, scale=6
    )
    final_logs = {key: float(values[-1]) for key, values in history.history.items()}
    print(f"final logs: {final_logs} ({seconds:.0f} s)")
    print(f"wrote {picture} and {len(grids.paths)} progress grids under {out}/grids")
    return {
        "final_logs": final_logs,
        "picture": picture,
        "progress": list(grids.paths),
        "samples_shape": samples.shape,
        "seconds": seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--every", type=int, default=25, help="write a grid every N epochs")
    parser.add_argument("--out", default="runs/dcgan_digits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.out, args.every, args.seed)
