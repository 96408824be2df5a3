"""A conditional GAN on the embedded 8x8 digits: ask for a digit, get that digit.

python examples/conditional_digits.py [--epochs 300] [--out runs/conditional_digits]

`keras_gan.ConditionalGAN` (Mirza & Osindero 2014): the generator sees a label
embedding next to `z` and the discriminator a projection of the label
(Miyato & Koyama 2018), so it scores "a real image *of this digit*". The
model is the demo's conditional one, `keras_gan.recipes.image_gan((8, 8, 1),
num_classes=10, width=32)` (its networks and training written out in
examples/dcgan_digits.py). `samples.png` has one row per label (row k is the
digit k, ten noise vectors per row).

The digits are cut by `keras_gan.data.digits_split` into disjoint parts: the
GAN trains on the "gan" part (797 images), and a logistic-regression
classifier fitted on the "classifier" part (600 images) judges it: it labels
1,000 generated digits (100 per label), and `label_agreement` is the fraction
it classifies as the label asked for. `classifier_accuracy` is the same
classifier on the held-out "reference" part, real digits neither model saw:
the ceiling for `label_agreement`.
"""

import argparse
import os
import time

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression

import keras_gan


def main(epochs=300, out="runs/conditional_digits", seed=0):
    keras.utils.set_random_seed(seed)
    split = keras_gan.data.digits_split(seed=0)  # disjoint, label-stratified parts
    images, labels = split["gan"]  # (797, 8, 8, 1) in [-1, 1], (797,)
    num_classes = 10
    batch_size = 64
    gan = keras_gan.recipes.image_gan(
        (8, 8, 1),
        num_classes=num_classes,  # a keras_gan.ConditionalGAN
        seed=seed,
        total_steps=epochs * (len(images) // batch_size),  # the learning rate's cosine
        width=32,
    )
    start = time.time()
    history = gan.fit(
        keras_gan.data.from_numpy(images, labels, batch_size=batch_size, seed=seed),
        epochs=epochs,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    seconds = time.time() - start

    # One row per label: row k holds ten samples of the digit k.
    grid_labels = np.repeat(np.arange(num_classes), 10)
    grid = gan.generate(len(grid_labels), labels=grid_labels, seed=seed)
    picture = keras_gan.visualize.save_image_grid(
        os.path.join(out, "samples.png"), grid, columns=10, scale=6
    )

    def flat(x):
        return x.reshape(len(x), -1)

    classifier_images, classifier_labels = split["classifier"]
    classifier = LogisticRegression(max_iter=2000).fit(flat(classifier_images), classifier_labels)
    wanted = np.arange(1000) % num_classes
    generated = gan.generate(len(wanted), labels=wanted, seed=seed + 1)
    predicted = classifier.predict(flat(generated))
    agreement = float(np.mean(predicted == wanted))
    per_label = {int(k): float(np.mean(predicted[wanted == k] == k)) for k in range(num_classes)}
    reference_images, reference_labels = split["reference"]
    classifier_accuracy = float(classifier.score(flat(reference_images), reference_labels))
    print(
        f"{100 * agreement:.1f}% of 1,000 generated digits are classified as the label asked "
        f"for (per label: {per_label}; the classifier scores {100 * classifier_accuracy:.1f}% "
        f"on held-out real digits) ({seconds:.0f} s)"
    )
    print(f"wrote {picture}")
    return {
        "label_agreement": agreement,
        "per_label_agreement": per_label,
        "classifier_accuracy": classifier_accuracy,
        "training_images": len(images),
        "classifier_images": len(classifier_images),
        "final_logs": {key: float(values[-1]) for key, values in history.history.items()},
        "picture": picture,
        "grid_shape": grid.shape,
        "seconds": seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", default="runs/conditional_digits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.out, args.seed)
