"""Sample quality of the default digits DCGAN, between a floor and a ceiling.

The 1,797 embedded digits are cut into three disjoint parts
(`keras_gan.data.digits_split`): the evaluator's CNN trains on 600, the GAN
and the floor on 797, and 400 held-out digits are the reference every row is
scored against, in the classifier's feature space
(`keras_gan.evaluation.digits_scores`):

- GAN: `keras_gan.recipes.digits_gan(...)` trained on the GAN part: by
  default the MLP recipe (2x512 MLPs, learning rate 4e-4 decayed to 0 along a
  cosine over 3,000 epochs, generator EMA with a half-life of 20,000 images);
  `--architecture dcgan --width 64 --lr 2e-4 --epochs 300 --constant-lr
  --ema 0` is the DCGAN of `make demo`;
- floor: a 40-component Gaussian mixture (scikit-learn, diagonal
  covariances) fitted on the same pixels, its samples clipped to [-1, 1];
- for reference, the same mixture with full covariances: 40 full 64x64
  covariances on 797 digits rest on ~20 digits each, so it samples within the
  span of a few training digits (close to memorizing them);
- ceiling: 400 real digits of the GAN part, scored as if generated.

    python benchmarks/quality_digits.py [--seeds 0 1 2] [--architecture mlp|dcgan]
        [--epochs 3000] [--width 512] [--lr 4e-4] [--ema 20000] [--constant-lr]

Target: the GAN beats the floor on both precision and recall, with 10/10
classes covered.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import data, evaluation, recipes  # noqa: E402

COLUMNS = ("precision", "recall", "density", "coverage", "fd", "classes_covered", "label_kl")


def gan_samples(split, n, seed, recipe):
    keras.utils.set_random_seed(seed)
    x, _ = split["gan"]
    batch_size = 64
    total_steps = recipe["epochs"] * (len(x) // batch_size)
    gan = recipes.digits_gan(
        seed=seed,
        architecture=recipe["architecture"],
        width=recipe["width"],
        learning_rate=recipe["lr"],
        total_steps=None if recipe["constant_lr"] else total_steps,
    )
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if recipe["ema"]:
        callbacks.append(keras_gan.callbacks.GeneratorEMA(half_life_images=recipe["ema"]))
    start = time.time()
    gan.fit(
        data.from_numpy(x, batch_size=batch_size, seed=seed),
        epochs=recipe["epochs"],
        verbose=0,
        shuffle=False,
        callbacks=callbacks,
    )
    return gan.generate(n, seed=seed), time.time() - start


DEFAULT_RECIPE = {
    "architecture": "mlp",
    "width": 512,
    "lr": 4e-4,
    "epochs": 3000,
    "ema": 20_000,
    "constant_lr": False,
}


def run(seeds=(0,), recipe=None, n=400, verbose=True):
    """Scores the rows for each seed; returns {row: [scores per seed]}."""
    recipe = {**DEFAULT_RECIPE, **(recipe or {})}
    split = data.digits_split(seed=0)
    reference, _ = split["reference"]
    rows = {
        "GAN (recipes.digits_gan)": [],
        "floor: GMM-40 diag": [],
        "GMM-40 full (memorizer)": [],
        "ceiling: real": [],
    }
    for seed in seeds:
        fake, seconds = gan_samples(split, n, seed, recipe)
        if verbose:
            print(
                f"seed {seed}: GAN trained {recipe['epochs']} epochs in {seconds:.0f} s",
                flush=True,
            )
        rows["GAN (recipes.digits_gan)"].append(evaluation.digits_scores(fake, reference))
        baselines = evaluation.digits_baselines(n, seed)
        rows["floor: GMM-40 diag"].append(baselines["floor"])
        rows["ceiling: real"].append(baselines["ceiling"])
        full = evaluation.digits_baselines(n, seed, covariance_type="full")
        rows["GMM-40 full (memorizer)"].append(full["floor"])
    return rows


def table(rows):
    lines = [f"{'':28s}" + "".join(f"{c:>16s}" for c in COLUMNS)]
    for name, runs in rows.items():
        cells = []
        for c in COLUMNS:
            values = [r[c] for r in runs]
            mean = statistics.mean(values)
            spread = f"±{statistics.stdev(values):.2f}" if len(values) > 1 else ""
            cells.append(f"{mean:.3f}{spread}" if c != "classes_covered" else f"{mean:.1f}")
        lines.append(f"{name:28s}" + "".join(f"{c:>16s}" for c in cells))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=400, help="samples per row")
    parser.add_argument("--architecture", choices=["mlp", "dcgan"], default="mlp")
    parser.add_argument("--epochs", type=int, default=DEFAULT_RECIPE["epochs"])
    parser.add_argument("--width", type=int, default=DEFAULT_RECIPE["width"])
    parser.add_argument("--lr", type=float, default=DEFAULT_RECIPE["lr"])
    parser.add_argument("--ema", type=float, default=DEFAULT_RECIPE["ema"], help="0: none")
    parser.add_argument("--constant-lr", action="store_true", help="no cosine decay")
    args = parser.parse_args(argv)
    recipe = {
        "architecture": args.architecture,
        "width": args.width,
        "lr": args.lr,
        "epochs": args.epochs,
        "ema": args.ema,
        "constant_lr": args.constant_lr,
    }
    print(f"recipe: {recipe}")
    rows = run(args.seeds, recipe, args.n)
    print(f"\n{args.n} samples per row vs 400 held-out digits; mean over seeds {args.seeds}")
    print(table(rows))
    gan, floor = rows["GAN (recipes.digits_gan)"], rows["floor: GMM-40 diag"]
    mean = lambda runs, c: statistics.mean(r[c] for r in runs)  # noqa: E731
    beats = all(mean(gan, c) > mean(floor, c) for c in ("precision", "recall"))
    print(
        f"\nGAN beats the floor on precision and recall: {'yes' if beats else 'NO'}; "
        f"classes covered {mean(gan, 'classes_covered'):.1f}/10 "
        f"(keras_gan {keras_gan.__version__})"
    )
    return rows


if __name__ == "__main__":
    main()
