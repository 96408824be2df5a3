"""Hyperparameter search with KerasTuner: the ring GAN, objective val_fd.

Each trial trains a GAN with hyperparameters drawn by `keras_gan.tuning`
(loss, learning rates, beta_1, d_steps, R1 weight) and is judged by the
Fréchet distance of its samples to held-out ring points after each epoch
(`val_fd`, lower is better); the best epoch of the best trial is reloaded.

python examples/tune_ring.py [--trials 6] [--epochs 10] [--out runs/tune_ring]
"""

import argparse

import keras
import keras_tuner

import keras_gan


def main(trials=6, epochs=10, out="runs/tune_ring", points=20_000):
    keras.utils.set_random_seed(0)
    train = keras_gan.data.from_numpy(keras_gan.data.ring(points, seed=0), batch_size=256)
    held_out = keras_gan.data.from_numpy(
        keras_gan.data.ring(2048, seed=1), batch_size=512, shuffle=False
    )
    hypermodel = keras_gan.tuning.GANHyperModel(
        generator=lambda: keras_gan.models.mlp_generator(16, 2),
        discriminator=lambda: keras_gan.models.mlp_discriminator(2),
        metrics=[keras_gan.metrics.FrechetDistance()],
        seed=0,
    )
    tuner = keras_tuner.RandomSearch(
        hypermodel,
        objective=keras_tuner.Objective("val_fd", direction="min"),
        max_trials=trials,
        seed=0,
        directory=out,
        project_name="search",
        overwrite=True,
    )
    tuner.search(train, validation_data=held_out, epochs=epochs, verbose=0)
    tuner.results_summary(num_trials=3)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = tuner.get_best_models(1)[0]
    samples = best.generate(2500, seed=0)
    scores = keras_gan.evaluation.mixture_scores(samples, keras_gan.data.ring_modes(), std=0.01)
    picture = keras_gan.visualize.save_points(
        f"{out}/best_samples.png",
        samples,
        real=keras_gan.data.ring(2500, seed=2),
        title=f"best of {trials} trials: val_fd {best_trial.score:.4f}",
        limits=(-1.5, 1.5),
    )
    print(f"best hyperparameters: {best_trial.hyperparameters.values}")
    print(f"best val_fd {best_trial.score:.4f}; mixture scores {scores}; wrote {picture}")
    return {
        "best_score": best_trial.score,
        "best_hyperparameters": best_trial.hyperparameters.values,
        "scores": scores,
        "picture": picture,
        "trials": len(tuner.oracle.trials),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default="runs/tune_ring")
    args = parser.parse_args()
    main(args.trials, args.epochs, args.out)
