"""`make demo`: trains the demo GANs offline on the embedded data and writes
their pictures, scores and exported generators (`keras-gan demo`)."""

import os
import time

import keras

from keras_gan import _files, data, evaluation, recipes, serving, visualize


def _timed_fit(gan, dataset, epochs, callbacks=()):
    """Fits quietly, stopping on a non-finite loss; returns (history, seconds)."""
    start = time.time()
    history = gan.fit(
        dataset,
        epochs=epochs,
        verbose=0,
        shuffle=False,  # the dataset reshuffles itself every epoch
        callbacks=[keras.callbacks.TerminateOnNaN(), *callbacks],
    )
    return history, time.time() - start


def _per_call(steps_per_epoch):
    """The demo's `steps_per_execution`: an epoch's train steps per call of
    the compiled function, which trains the same networks about 15% faster
    on a 2-core CPU (less Python per step); 1 on PyTorch, whose Keras
    trainer runs one step per call."""
    return 1 if keras.backend.backend() == "torch" else steps_per_epoch


def _ring_run(out, epochs, seed):
    real = data.ring(20_000, seed=seed)
    batch_size = 256
    per_epoch = len(real) // batch_size
    # The mixture recipe: Adam (beta_1 = 0) with a cosine-decayed learning
    # rate and a small R1 penalty; the decay is what sharpens the modes.
    gan = recipes.mixture_gan(
        epochs * per_epoch, seed=seed, steps_per_execution=_per_call(per_epoch)
    )
    history, seconds = _timed_fit(
        gan, data.from_numpy(real, batch_size=batch_size, seed=seed), epochs
    )
    samples = gan.generate(2500, seed=seed)
    scores = evaluation.mixture_scores(samples, data.ring_modes(), std=0.01)
    picture = visualize.save_points(
        os.path.join(out, "ring_samples.png"),
        samples,
        real=real[:2500],
        title=f"ring of 8: {scores['modes']}/8 modes, "
        f"{100 * scores['high_quality']:.0f}% within 3 std",
        limits=(-1.5, 1.5),
    )
    return history.history, scores, seconds, picture


#: Batches of the unconditional digits run (797 digits: 24 steps an epoch),
#: which gives the lowest FD measured (docs/guide/small_data.md), and of the
#: conditional one (12 steps an epoch), whose labels need no more and which
#: keeps the demo inside its time.
_DIGITS_BATCH = 32
_CONDITIONAL_BATCH = 64


def _digits_gan(epochs, count, seed, batch_size, num_classes=None, num_clusters=None):
    """The image recipe for `epochs` over `count` 8x8 digits in batches of
    `batch_size`, at the demo's laptop budget: width 32 (a quarter of width
    64's convolution cost) and the learning rate's cosine over the whole run
    (docs/guide/small_data.md measures both)."""
    per_epoch = count // batch_size
    return recipes.image_gan(
        (8, 8, 1),
        num_classes=num_classes,
        num_clusters=num_clusters,
        seed=seed,
        total_steps=epochs * per_epoch,
        width=32,
        steps_per_execution=_per_call(per_epoch),
    )


def _digits_run(out, epochs, seed):
    """The image recipe, self-conditioned on clusters of the unlabeled
    digits, on the "gan" part of the digits split, scored against the
    held-out "reference" part (and beside the floor and ceiling rows) in the
    digits classifier's feature space."""
    split = data.digits_split(seed=0)
    images, _ = split["gan"]
    # Self-conditioned on one cluster per 10 digits (80): precision about
    # 0.94 against 0.85 without (docs/guide/small_data.md).
    clusters = recipes.num_clusters_for(len(images))
    gan = _digits_gan(epochs, len(images), seed, _DIGITS_BATCH, num_clusters=clusters)
    gan.adapt(images)
    history, seconds = _timed_fit(
        gan, data.from_numpy(images, batch_size=_DIGITS_BATCH, seed=seed), epochs
    )
    picture = visualize.save_image_grid(
        os.path.join(out, "digits_samples.png"), gan.generate(64, seed=seed), scale=6
    )
    scores = {"GAN": evaluation.digits_scores(gan.generate(400, seed=seed), split["reference"][0])}
    scores.update(evaluation.digits_baselines(400, seed))
    saved = os.path.join(out, "gan.keras")
    gan.save(saved)
    return history.history, seconds, scores, [picture, saved]


def _conditional_digits_run(out, epochs, seed):
    """The conditional image recipe on the "gan" part; each label's samples
    are classified by the digits classifier (trained on the disjoint
    "classifier" part)."""
    split = data.digits_split(seed=0)
    images, labels = split["gan"]
    gan = _digits_gan(epochs, len(images), seed, _CONDITIONAL_BATCH, num_classes=10)
    history, seconds = _timed_fit(
        gan, data.from_numpy(images, labels, batch_size=_CONDITIONAL_BATCH, seed=seed), epochs
    )
    # Row k of the grid is label k.
    grid = gan.generate(100, labels=sorted(list(range(10)) * 10), seed=seed)
    picture = visualize.save_image_grid(
        os.path.join(out, "conditional_digits_samples.png"), grid, columns=10, scale=6
    )
    wanted = [k % 10 for k in range(1000)]
    scores = evaluation.digits_scores(
        gan.generate(1000, labels=wanted, seed=seed + 1),
        split["reference"][0],
        requested_labels=wanted,
    )
    saved = os.path.join(out, "conditional_gan.keras")
    gan.save(saved)
    return history.history, seconds, picture, scores, [saved]


_SCORE_COLUMNS = ("precision", "recall", "coverage", "fd", "classes_covered", "label_kl")


def _score_table(rows):
    lines = [f"      {'':9s}" + "".join(f"{c:>16s}" for c in _SCORE_COLUMNS)]
    for name, scores in rows.items():
        cells = (
            f"{scores[c]:16d}" if c == "classes_covered" else f"{scores[c]:16.3f}"
            for c in _SCORE_COLUMNS
        )
        lines.append(f"      {name:9s}" + "".join(cells))
    return "\n".join(lines)


def _device():
    """The accelerator the backend sees, "GPU" or "TPU", else "CPU"."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        kinds = {device.device_type for device in tf.config.list_physical_devices()}
    elif backend == "jax":
        import jax

        kinds = {jax.default_backend().upper()}
    else:
        import torch

        kinds = {"GPU"} if torch.cuda.is_available() else set()
    return next((kind for kind in ("GPU", "TPU") if kind in kinds), "CPU")


def _final(history):
    return {key: float(values[-1]) for key, values in history.items()}


def demo(out="runs/demo", quick=False, seed=0):
    """Trains the two demo GANs offline and writes their pictures and scores.

    Writes `ring_samples.png`, `digits_samples.png`, `loss_curves.png` and
    `metrics.json` under `out` (a folder, made if missing), and returns the
    metrics dict.
    """
    out = _files.folder(out, "out")
    os.makedirs(out, exist_ok=True)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # Grappler's remapper fails on the image recipe's step (it fuses a
        # convolution's bias into the convolution while the LeakyReLU's
        # gradient still reads the bias, inside a `cond` of the step) and
        # says so at error level; it then leaves that graph as it was.
        # Off from the start, it logs nothing and the step is the same.
        tf.config.optimizer.set_experimental_options({"remapping": False})
    print(f"Training on {_device()} with the {keras.backend.backend()} backend.", flush=True)
    keras.utils.set_random_seed(seed)
    # The conditional digits need fewer epochs for their labels (97% right
    # at 200, 98% at 300 on seed 0), which keeps the demo inside 8 minutes.
    ring_epochs, digits_epochs, cond_epochs = (2, 2, 2) if quick else (100, 300, 200)
    steps = 3

    print(f"[1/{steps}] GAN on the ring of 8 Gaussians ({ring_epochs} epochs)...", flush=True)
    ring_history, ring_scores, ring_seconds, ring_png = _ring_run(out, ring_epochs, seed)
    print(
        f"      {ring_scores['modes']}/8 modes covered, "
        f"{100 * ring_scores['high_quality']:.1f}% of samples within 3 std of a mode, "
        f"reverse KL {ring_scores['reverse_kl']:.3f} ({ring_seconds:.0f} s)",
        flush=True,
    )
    print(
        f"[2/{steps}] Convolutional GAN on 797 of the embedded 8x8 digits, without their "
        f"labels,\n      conditioned on {recipes.num_clusters_for(797)} clusters it finds "
        f"in them ({digits_epochs} epochs)...",
        flush=True,
    )
    digits_history, digits_seconds, digits_scores, digits_files = _digits_run(
        out, digits_epochs, seed
    )
    print(
        f"      final d_accuracy {digits_history['d_accuracy'][-1]:.2f} ({digits_seconds:.0f} s)."
        "\n      Against 400 held-out digits, in a digits classifier's features (floor: a "
        "40-component\n      Gaussian mixture on pixels; ceiling: real digits):\n"
        + _score_table(digits_scores),
        flush=True,
    )
    print(
        f"[3/{steps}] Conditional convolutional GAN on the digits, one label per row "
        f"({cond_epochs} epochs)...",
        flush=True,
    )
    cond_history, cond_seconds, cond_png, cond_scores, cond_files = _conditional_digits_run(
        out, cond_epochs, seed
    )
    # Both generators exported together: one TensorFlow subprocess on JAX
    # and PyTorch.
    exported = serving.export_saved(
        [
            (digits_files[1], os.path.join(out, "generator")),
            (cond_files[0], os.path.join(out, "conditional_generator")),
        ]
    )
    digits_files.append(exported[0])
    cond_files.append(exported[1])
    agreement = cond_scores["label_agreement"]
    print(
        f"      {100 * agreement:.0f}% of generated digits are classified as the label "
        f"asked for ({cond_seconds:.0f} s)",
        flush=True,
    )
    curves = visualize.save_history(
        os.path.join(out, "loss_curves.png"),
        {
            "ring of 8 (GAN)": ring_history,
            "digits 8x8": digits_history,
            "digits 8x8 (conditional)": cond_history,
        },
    )
    metrics = {
        "ring": {
            "epochs": ring_epochs,
            "seconds": round(ring_seconds, 1),
            "mode_scores": ring_scores,
            "final_logs": _final(ring_history),
        },
        "digits": {
            "epochs": digits_epochs,
            "seconds": round(digits_seconds, 1),
            "scores": digits_scores,
            "scores_protocol": "evaluation.digits_scores: 400 samples vs the 400-digit "
            "'reference' part of data.digits_split(0), in the features of "
            "evaluation.digits_classifier(); floor and ceiling from "
            "evaluation.digits_baselines",
            "final_logs": _final(digits_history),
        },
        "conditional_digits": {
            "epochs": cond_epochs,
            "seconds": round(cond_seconds, 1),
            "label_agreement": agreement,
            "label_agreement_protocol": "evaluation.digits_classifier (trained on "
            "the 'classifier' part of data.digits_split(0), disjoint from the GAN's 'gan' "
            "part) labelling 1,000 generated digits (100 per label)",
            "scores": cond_scores,
            "final_logs": _final(cond_history),
        },
    }
    metrics_path = os.path.join(out, "metrics.json")
    _files.write_json(metrics_path, metrics, indent=2)
    print("\nWrote:")
    for path in (ring_png, *digits_files, cond_png, *cond_files, curves, metrics_path):
        print(f"  {path}")
    print(
        "\nThe digits GAN is saved whole (keras.saving.load_model resumes it) and its "
        "generator exported as a SavedModel. Browse it (or the conditional one, with a "
        "label picker) with:\n"
        f"  .venv/bin/keras-gan serve {digits_files[2]} --port 8000   # then open "
        "http://127.0.0.1:8000/\n"
        f"  .venv/bin/keras-gan serve {cond_files[1]} --port 8001"
    )
    return metrics
