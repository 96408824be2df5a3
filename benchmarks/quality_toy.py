"""Mode coverage and sharpness on the 2-D mixtures, beside PacGAN's table.

For ring-8 (std 0.01 on the unit circle) and grid-25 (std 0.05 at
{-4,-2,0,2,4}^2), for each loss and seed, trains `keras_gan.recipes.
mixture_gan` on 50,000 points for `--steps` steps (batch 256) and scores
2,500 generated points with `keras_gan.evaluation.mixture_scores`: modes
covered (at least one sample within 3 std), high-quality fraction (within
3 std of a mode) and reverse KL of the mode histogram to uniform. Prints the
means over seeds beside the published rows of PacGAN (Lin et al. 2018,
Table 1).

    python benchmarks/quality_toy.py [--seeds 0 1 2 3 4] [--losses non_saturating hinge]
        [--steps 16000] [--datasets ring grid]

Target for the default recipe (non-saturating loss), mean over 5 seeds:
ring-8 8/8 modes, HQ >= 96%, KL <= 0.05; grid-25 25/25, HQ >= 94%, KL <= 0.03.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from keras_gan import data, evaluation, recipes  # noqa: E402

PUBLISHED = {
    "ring": [("GAN (PacGAN Table 1)", 6.3, 0.982, 0.45), ("PacGAN2", 7.9, 0.956, 0.07)],
    "grid": [("GAN (PacGAN Table 1)", 17.3, 0.948, 0.70), ("PacGAN4", 24.8, 0.936, 0.04)],
}
TARGETS = {"ring": (8, 0.96, 0.05), "grid": (25, 0.94, 0.03)}
MIXTURES = {  # sampler, modes, std, data scale
    "ring": (lambda n, seed: data.ring(n, seed=seed), data.ring_modes, 0.01, 1.0),
    "grid": (lambda n, seed: data.grid(n, seed=seed), data.grid_modes, 0.05, 4.0),
}


def run_one(dataset, loss, seed, steps, batch_size=256, points=50_000):
    sample, modes, std, scale = MIXTURES[dataset]
    keras.utils.set_random_seed(seed)
    real = sample(points, seed)
    per_epoch = points // batch_size
    epochs = max(1, round(steps / per_epoch))
    gan = recipes.mixture_gan(epochs * per_epoch, seed=seed, loss=loss, data_scale=scale)
    start = time.time()
    gan.fit(
        data.from_numpy(real, batch_size=batch_size, seed=seed),
        epochs=epochs,
        verbose=0,
        shuffle=False,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    scores = evaluation.mixture_scores(gan.generate(2500, seed=seed), modes(), std=std)
    scores["seconds"] = time.time() - start
    return scores


def run(datasets=("ring", "grid"), losses=("non_saturating",), seeds=(0,), steps=16000):
    results = {}
    for dataset in datasets:
        for loss in losses:
            runs = []
            for seed in seeds:
                scores = run_one(dataset, loss, seed, steps)
                print(
                    f"  {dataset} {loss} seed {seed}: {scores['modes']} modes, "
                    f"HQ {100 * scores['high_quality']:.1f}%, KL {scores['reverse_kl']:.3f} "
                    f"({scores['seconds']:.0f} s)",
                    flush=True,
                )
                runs.append(scores)
            results[(dataset, loss)] = runs
    return results


def table(results):
    lines = [f"{'':36s}{'modes':>8s}{'HQ %':>8s}{'rev. KL':>9s}"]
    for dataset in dict.fromkeys(d for d, _ in results):
        lines.append(f"{dataset}-{len(MIXTURES[dataset][1]())}")
        for name, modes, hq, kl in PUBLISHED[dataset]:
            lines.append(f"  {name:34s}{modes:8.1f}{100 * hq:8.1f}{kl:9.2f}")
        for (d, loss), runs in results.items():
            if d != dataset:
                continue
            mean = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
            label = f"keras_gan {loss} ({len(runs)} seeds)"
            lines.append(
                f"  {label:34s}{mean['modes']:8.1f}{100 * mean['high_quality']:8.1f}"
                f"{mean['reverse_kl']:9.3f}"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"])
    parser.add_argument("--losses", nargs="+", default=["non_saturating"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=16000)
    args = parser.parse_args(argv)
    results = run(args.datasets, args.losses, args.seeds, args.steps)
    print()
    print(table(results))
    for (dataset, loss), runs in results.items():
        modes, hq, kl = TARGETS[dataset]
        mean = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
        met = mean["modes"] >= modes and mean["high_quality"] >= hq and mean["reverse_kl"] <= kl
        print(
            f"{dataset} {loss}: target {modes} modes, HQ >= {100 * hq:.0f}%, KL <= {kl}: "
            f"{'met' if met else 'NOT met'}"
        )
    return results


if __name__ == "__main__":
    main()
