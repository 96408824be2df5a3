"""Quick start: a GAN on the 2-D ring of 8 Gaussians (the README's example).

python examples/quickstart_ring.py [--epochs 20] [--out runs/quickstart]
"""

import argparse

import keras

import keras_gan


def main(epochs=20, out="runs/quickstart"):
    x = keras_gan.data.ring(20_000)  # 8 Gaussians on the unit circle, std 0.01
    gan = keras_gan.GAN(
        keras_gan.models.mlp_generator(latent_dim=16, output_dim=2),
        keras_gan.models.mlp_discriminator(input_dim=2),
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.0, beta_2=0.99),
        g_optimizer=keras.optimizers.Adam(5e-4, beta_1=0.0, beta_2=0.99),
        loss="non_saturating",
        d_penalty=keras_gan.penalties.R1(0.1),
    )
    gan.fit(keras_gan.data.from_numpy(x, batch_size=256), epochs=epochs, shuffle=False)
    samples = gan.generate(2500, seed=0)
    scores = keras_gan.evaluation.mixture_scores(samples, keras_gan.data.ring_modes(), std=0.01)
    print(scores)
    keras_gan.visualize.save_points(
        f"{out}/samples.png", samples, real=x[:2500], limits=(-1.5, 1.5)
    )
    return scores


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="runs/quickstart")
    args = parser.parse_args()
    main(args.epochs, args.out)
