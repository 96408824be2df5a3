"""Sample quality of the digits recipes between a floor and a ceiling, on all
of the GAN's digits and on a quarter and a tenth of them.

The 1,797 embedded digits are cut into three disjoint parts
(`keras_gan.data.digits_split`): the evaluator's CNN trains on 600, the GANs
and the floor on 797 (or a stratified subset: `--fractions 1 0.25 0.1` gives
797, 200 and 80), and 400 held-out digits are the reference every row is
scored against, in the classifier's feature space
(`keras_gan.evaluation.digits_scores`).

GAN rows (`--rows`), each trained on each fraction for each seed:
- `image`: `keras_gan.recipes.image_gan((8, 8, 1), width=32)` in batches of
  32, the image recipe as `make demo` trains it, with its adaptive augmentation (ADA; its
  final `p` is printed per run);
- `image_noaug`: the same without augmentation;
- `image_diffaug`: the same with DiffAugment ("translation,cutout") instead
  of ADA;
- `image_clusters`: the image recipe self-conditioned
  (`recipes.image_gan(..., num_clusters=k)`, a `SelfConditionedGAN`): k-means
  on the training digits' pixels into one cluster per 10 digits
  (`recipes.num_clusters_for`: 80 on all 797, 20 on 200, 8 on 80), the
  networks conditional on the cluster, samples
  drawn by the clusters' shares; `image_clusters_noaug`: the same without
  augmentation;
- `mlp`: `recipes.digits_gan(architecture="mlp")`, 2x512 MLPs, learning rate
  4e-4 decayed over 3,000 epochs, generator EMA (the earlier best recipe);
- `dcgan`: `recipes.digits_gan()`, the earlier DCGAN of `make demo`.

Baseline rows (on all 797 digits): the floor, a 40-component Gaussian mixture
(scikit-learn, diagonal covariances) fitted on the pixels, its samples clipped
to [-1, 1]; for reference the same mixture with full covariances (40 full
64x64 covariances on 797 digits rest on ~20 digits each: close to memorizing
them); and the ceiling, 400 real digits of the GAN part scored as if
generated. For each fraction, `copies of the N digits` scores 400
independent draws (with replacement) from those N training digits
themselves: what a generator that memorized them would score (over seeds 0
to 5: FD 4.9 on all 797 digits, 7.5 on 200, against the ceiling's 3.3,
which draws without replacement). Its FD on a quarter of the digits over its
FD on all of them is a memorizer's ratio (printed beside the target's).

Every row is scored on `--draws` (5) independent draws of `--n` (400)
samples, and the scores averaged (for the ceiling, 5 draws of 400 of the
797 digits).

    python benchmarks/quality_digits.py [--seeds 0 1 2] [--rows image image_noaug]
        [--fractions 1 0.25 0.1] [--steps N] [--draws 5]

Targets: on all digits the image recipe beats the floor on precision and
recall with 10/10 classes and a mean FD <= 5.5; with augmentation the FD at
25% of the data is at most 1.5x the FD at 100%, and at 10% augmentation cuts
the FD of the recipe without it by at least a third.
"""

import argparse
import functools
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gan  # noqa: E402
from keras_gan import data, evaluation, recipes  # noqa: E402

COLUMNS = ("precision", "recall", "density", "coverage", "fd", "classes_covered", "label_kl")
ROWS = (
    "image",
    "image_noaug",
    "image_diffaug",
    "image_clusters",
    "image_clusters_noaug",
    "mlp",
    "dcgan",
)
# Each recipe with augmentation, and the same without (the small-data checks).
WITHOUT_AUGMENTATION = {"image": "image_noaug", "image_clusters": "image_clusters_noaug"}
# Each row's batch size: the image recipe's 32 (docs/guide/small_data.md),
# the earlier recipes' 64.
BATCH = {row: 32 for row in ROWS if row.startswith("image")} | {"mlp": 64, "dcgan": 64}
# Train steps per row by default: 300 epochs of the 797 digits (24 steps of
# 32 or 12 of 64 each) as in `make demo`, and the MLP recipe's 3,000.
STEPS = {row: 7200 for row in ROWS if row.startswith("image")} | {"mlp": 36_000, "dcgan": 3600}
# Independent draws of `n` samples each row is scored on, averaged: over six
# draws of 400, one trained image recipe's FD ranged from 3.6 to 7.6 (another
# seed's from 4.1 to 10.0), 400 real digits' from 3.1 to 4.5, so a single
# draw per seed measures the draw as much as the GAN.
DRAWS = 5
# The image recipe's width, as in `make demo` (a quarter of width 64's cost).
WIDTH = 32


def subset_size(total, fraction):
    """How many of `total` samples `subset` keeps for `fraction`."""
    return total if fraction >= 1 else int(np.ceil(fraction * total))


def subset(x, y, fraction, seed):
    """A label-stratified `fraction` of `(x, y)`: `ceil(fraction * len(x))`
    samples (200 and 80 of 797 for a quarter and a tenth; all for 1)."""
    if fraction >= 1:
        return x, y
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(
        np.arange(len(x)), train_size=subset_size(len(x), fraction), stratify=y, random_state=seed
    )
    keep = np.sort(keep)
    return x[keep], y[keep]


def build(row, seed, steps, count):
    if row.startswith("image"):
        augmentation = {
            "image": "ada",
            "image_noaug": None,
            "image_diffaug": "translation,cutout",
            "image_clusters": "ada",
            "image_clusters_noaug": None,
        }[row]
        return recipes.image_gan(
            (8, 8, 1),
            seed=seed,
            total_steps=steps,
            width=WIDTH,
            augmentation=augmentation,
            num_clusters=recipes.num_clusters_for(count)
            if row.startswith("image_clusters")
            else None,
        )
    if row == "mlp":
        return recipes.digits_gan(
            seed=seed, architecture="mlp", width=512, learning_rate=4e-4, total_steps=steps
        )
    return recipes.digits_gan(seed=seed)


def train(row, images, seed, steps):
    """Trains a row's GAN for `steps` steps of `BATCH[row]`; returns
    `(gan, history, seconds)`."""
    keras.utils.set_random_seed(seed)
    gan = build(row, seed, steps, len(images))
    if isinstance(gan, keras_gan.SelfConditionedGAN):
        gan.adapt(images)
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if row == "mlp":
        callbacks.append(keras_gan.callbacks.GeneratorEMA(half_life_images=20_000))
    per_epoch = len(images) // BATCH[row]
    start = time.time()
    history = gan.fit(
        data.from_numpy(images, batch_size=BATCH[row], seed=seed).repeat(),
        epochs=max(steps // per_epoch, 1),
        steps_per_epoch=min(per_epoch, steps),
        verbose=0,
        shuffle=False,
        callbacks=callbacks,
    )
    return gan, history.history, time.time() - start


def mean_scores(runs):
    """The per-key mean of several `digits_scores` dicts."""
    return {key: statistics.mean(r[key] for r in runs) for key in runs[0]}


def draw_seed(seed, draw):
    """The seed of a row's `draw`-th draw of samples (draw 0: `seed` itself)."""
    return seed + 1000 * draw


def run(
    seeds=(0,), rows=("image",), fractions=(1.0,), steps=None, n=400, draws=DRAWS, verbose=True
):
    """Scores each row on each fraction for each seed (`steps` train steps,
    or the row's `STEPS`), and the baselines, each the mean over `draws`
    draws of `n` samples; returns `({row name: [scores per seed]}, {row name:
    [final augment_p]})`."""
    split = data.digits_split(seed=0)
    reference, _ = split["reference"]
    x, y = split["gan"]
    results, ada_p = {}, {}
    for row in rows:
        for fraction in fractions:
            images, _ = subset(x, y, fraction, seed=0)
            name = f"{row} @ {len(images)}"
            for seed in seeds:
                row_steps = steps or STEPS[row]
                gan, history, seconds = train(row, images, seed, row_steps)
                scores = scored(lambda s, gan=gan: gan.generate(n, seed=s), seed, draws, reference)
                results.setdefault(name, []).append(scores)
                if "augment_p" in history:
                    ada_p.setdefault(name, []).append(history["augment_p"][-1])
                if verbose:
                    extra = f", p {history['augment_p'][-1]:.3f}" if "augment_p" in history else ""
                    print(
                        f"{name} seed {seed}: FD {scores['fd']:.2f}, precision "
                        f"{scores['precision']:.3f}, recall {scores['recall']:.3f}{extra} "
                        f"({row_steps} steps of {BATCH[row]}, {seconds:.0f} s)",
                        flush=True,
                    )
    for seed in seeds:
        diag = [evaluation.digits_baselines(n, draw_seed(seed, d)) for d in range(draws)]
        full = [
            evaluation.digits_baselines(n, draw_seed(seed, d), covariance_type="full")
            for d in range(draws)
        ]
        results.setdefault("floor: GMM-40 diag", []).append(mean_scores([b["floor"] for b in diag]))
        results.setdefault("ceiling: real", []).append(mean_scores([b["ceiling"] for b in diag]))
        results.setdefault("GMM-40 full (memorizer)", []).append(
            mean_scores([b["floor"] for b in full])
        )
        for fraction in fractions:
            images, _ = subset(x, y, fraction, seed=0)
            results.setdefault(f"copies of the {len(images)} digits", []).append(
                scored(functools.partial(copies, images, n), seed, draws, reference)
            )
    return results, ada_p


def scored(sample, seed, draws, reference):
    """The mean `digits_scores` over `draws` draws, draw d being
    `sample(draw_seed(seed, d))`."""
    return mean_scores(
        [evaluation.digits_scores(sample(draw_seed(seed, d)), reference) for d in range(draws)]
    )


def copies(images, n, seed):
    """`n` of `images` drawn independently at random, with replacement: a
    generator that has memorized its training set, sampled as a generator
    is (each sample drawn on its own, so some repeat). Drawn without
    replacement, 400 of the 797 digits score an FD about 1.5 lower than
    this (the ceiling row): repeats count."""
    rng = np.random.default_rng(seed)
    return images[rng.choice(len(images), n, replace=True)]


def table(results):
    lines = [f"{'':28s}" + "".join(f"{c:>16s}" for c in COLUMNS)]
    for name, runs in results.items():
        cells = []
        for c in COLUMNS:
            values = [r[c] for r in runs]
            mean = statistics.mean(values)
            spread = f"±{statistics.stdev(values):.2f}" if len(values) > 1 else ""
            cells.append(f"{mean:.3f}{spread}" if c != "classes_covered" else f"{mean:.1f}")
        lines.append(f"{name:28s}" + "".join(f"{c:>16s}" for c in cells))
    return "\n".join(lines)


def small_data_checks(fds):
    """The small-data targets, from `{row name: mean FD}` (names as `run`
    gives them, e.g. "image @ 200"), each as a printable line, for each
    recipe with augmentation (`image`, `image_clusters`): its FD on a
    quarter of the digits against all of them (at most 1.5x), and on each
    smaller set that has the recipe's row without augmentation (the
    target's is a tenth), the recipe against that row (at least a third
    lower). A check whose rows were not run is left out. Where the
    `copies of the N digits` rows of all the digits and of a quarter were
    scored, the same ratio for them follows: a memorizer's."""
    lines = []
    for row, without in WITHOUT_AUGMENTATION.items():
        prefix = "" if row == "image" else f"{row}: "
        sizes = sorted(
            {int(name.split(" @ ")[1]) for name in fds if name.startswith(f"{row} @ ")},
            reverse=True,
        )
        if sizes:
            full, quarter = sizes[0], subset_size(sizes[0], 0.25)
            if quarter in sizes:
                ratio = fds[f"{row} @ {quarter}"] / fds[f"{row} @ {full}"]
                lines.append(
                    f"{prefix}with augmentation, FD at {quarter} / FD at {full} digits: "
                    f"{ratio:.2f} (target <= 1.5: {'yes' if ratio <= 1.5 else 'NO'})"
                )
        for size in sizes:
            if f"{without} @ {size}" in fds and size < sizes[0]:
                cut = 1 - fds[f"{row} @ {size}"] / fds[f"{without} @ {size}"]
                lines.append(
                    f"{prefix}at {size} digits, augmentation cuts the FD by {cut:.0%} "
                    f"(target >= 33%: {'yes' if cut >= 1 / 3 else 'NO'})"
                )
    copied = sorted(
        (int(name.split()[3]) for name in fds if name.startswith("copies of the ")), reverse=True
    )
    if copied and subset_size(copied[0], 0.25) in copied:
        full, quarter = copied[0], subset_size(copied[0], 0.25)
        ratio = fds[f"copies of the {quarter} digits"] / fds[f"copies of the {full} digits"]
        lines.append(
            f"copies of the training digits (a memorizer), FD at {quarter} / FD at {full} "
            f"digits: {ratio:.2f}"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=["image", "image_noaug"])
    parser.add_argument("--fractions", type=float, nargs="+", default=[1.0])
    parser.add_argument("--steps", type=int, help="train steps (default: each row's)")
    parser.add_argument("--n", type=int, default=400, help="samples per draw")
    parser.add_argument("--draws", type=int, default=DRAWS, help="draws of n samples per row")
    args = parser.parse_args(argv)
    results, ada_p = run(args.seeds, args.rows, args.fractions, args.steps, args.n, args.draws)
    print(
        f"\n{args.n} samples per row vs 400 held-out digits, mean of {args.draws} draws; "
        f"mean over seeds {args.seeds}"
    )
    print(table(results))
    for name, values in ada_p.items():
        print(f"ADA's final p, {name}: {', '.join(f'{p:.3f}' for p in values)}")
    mean = lambda runs, c: statistics.mean(r[c] for r in runs)  # noqa: E731
    floor = results["floor: GMM-40 diag"]
    for name, runs in results.items():
        if "@" not in name:
            continue
        beats = all(mean(runs, c) > mean(floor, c) for c in ("precision", "recall"))
        print(
            f"{name}: beats the floor on precision and recall: {'yes' if beats else 'NO'}; "
            f"classes covered {mean(runs, 'classes_covered'):.1f}/10, FD {mean(runs, 'fd'):.2f}"
        )
    for line in small_data_checks({name: mean(runs, "fd") for name, runs in results.items()}):
        print(line)
    print(f"(keras_gan {keras_gan.__version__})")
    return results, ada_p


if __name__ == "__main__":
    main()
