"""The `keras-gan` command line.

keras-gan demo [--out DIR] [--quick]      train the demo GANs offline
keras-gan export RUN.keras OUT [...]      export a saved GAN's generator (pairs)
keras-gan serve PATH [--host --port ...]  serve an exported generator over HTTP
"""

import argparse
import json
import os
import subprocess
import sys
import time


def export(run, out):
    """Exports the generator of the saved GAN `run` (a .keras file) as a
    SavedModel folder `out`, on TensorFlow whatever this process's Keras
    backend: the SavedModel is a TensorFlow artifact, the .keras file is
    backend-neutral, so a GAN trained on JAX or PyTorch exports through a
    TensorFlow subprocess.

    Returns:
        `out`.
    """
    return export_all([(run, out)])[0]


def export_all(pairs):
    """`export(run, out)` for each `(run, out)` pair, in one TensorFlow
    subprocess for all of them where this process runs another backend
    (each subprocess imports TensorFlow and Keras anew).

    Returns:
        The `out` folders, in order.
    """
    import keras

    pairs = [(os.fspath(run), os.fspath(out)) for run, out in pairs]
    if keras.backend.backend() == "tensorflow":
        from keras_gan import saving

        return [saving.load_model(run).export_generator(out) for run, out in pairs]
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    command = [sys.executable, "-m", "keras_gan.cli", "export"]
    done = subprocess.run(
        command + [path for pair in pairs for path in pair],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        runs = ", ".join(run for run, _ in pairs)
        raise RuntimeError(
            f"Exporting {runs} on the TensorFlow backend failed:\n{done.stderr[-3000:]}"
        )
    return [out for _, out in pairs]


def _timed_fit(gan, dataset, epochs, callbacks=()):
    """Fits quietly, stopping on a non-finite loss; returns (history, seconds)."""
    import keras

    start = time.time()
    history = gan.fit(
        dataset,
        epochs=epochs,
        verbose=0,
        shuffle=False,  # the dataset reshuffles itself every epoch
        callbacks=[keras.callbacks.TerminateOnNaN(), *callbacks],
    )
    return history, time.time() - start


def _ring_run(out, epochs, seed):
    from keras_gan import data, metrics, recipes, visualize

    real = data.ring(20_000, seed=seed)
    batch_size = 256
    # The mixture recipe: Adam (beta_1 = 0) with a cosine-decayed learning
    # rate and a small R1 penalty; the decay is what sharpens the modes.
    gan = recipes.mixture_gan(epochs * (len(real) // batch_size), seed=seed)
    history, seconds = _timed_fit(
        gan, data.from_numpy(real, batch_size=batch_size, seed=seed), epochs
    )
    samples = gan.generate(2500, seed=seed)
    scores = metrics.mixture_scores(samples, data.ring_modes(), std=0.01)
    picture = visualize.save_points(
        os.path.join(out, "ring_samples.png"),
        samples,
        real=real[:2500],
        title=f"ring of 8: {scores['modes']}/8 modes, "
        f"{100 * scores['high_quality']:.0f}% within 3 std",
        limits=(-1.5, 1.5),
    )
    return history.history, scores, seconds, picture


def _digits_run(out, epochs, seed):
    """The digits DCGAN, trained on the "gan" part of the digits split and
    scored against the held-out "reference" part (and beside the floor and
    ceiling rows) in the digits classifier's feature space."""
    from keras_gan import data, metrics, recipes, visualize

    split = data.digits_split(seed=0)
    images, _ = split["gan"]
    gan = recipes.digits_gan(seed=seed)
    history, seconds = _timed_fit(gan, data.from_numpy(images, batch_size=64, seed=seed), epochs)
    picture = visualize.save_image_grid(
        os.path.join(out, "digits_samples.png"), gan.generate(64, seed=seed), scale=6
    )
    scores = {"GAN": metrics.digits_scores(gan.generate(400, seed=seed), split["reference"][0])}
    scores.update(metrics.digits_baselines(400, seed))
    saved = os.path.join(out, "gan.keras")
    gan.save(saved)
    return history.history, seconds, scores, [picture, saved]


def _conditional_digits_run(out, epochs, seed):
    """The conditional DCGAN on the "gan" part; each label's samples are
    classified by the digits classifier (trained on the disjoint
    "classifier" part)."""
    from keras_gan import data, metrics, recipes, visualize

    split = data.digits_split(seed=0)
    images, labels = split["gan"]
    gan = recipes.digits_gan(conditional=True, seed=seed, total_steps=epochs * (len(images) // 64))
    history, seconds = _timed_fit(
        gan, data.from_numpy(images, labels, batch_size=64, seed=seed), epochs
    )
    # Row k of the grid is label k.
    grid = gan.generate(100, labels=sorted(list(range(10)) * 10), seed=seed)
    picture = visualize.save_image_grid(
        os.path.join(out, "conditional_digits_samples.png"), grid, columns=10, scale=6
    )
    wanted = [k % 10 for k in range(1000)]
    scores = metrics.digits_scores(
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


def _final(history):
    return {key: float(values[-1]) for key, values in history.items()}


def demo(out="runs/demo", quick=False, seed=0):
    """Trains the two demo GANs offline and writes their pictures and scores.

    Writes `ring_samples.png`, `digits_samples.png`, `loss_curves.png` and
    `metrics.json` under `out`, and returns the metrics dict.
    """
    import keras

    from keras_gan import visualize

    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(seed)
    ring_epochs, digits_epochs = (2, 2) if quick else (100, 300)
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
        f"[2/{steps}] DCGAN on 797 of the embedded 8x8 digits ({digits_epochs} epochs)...",
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
        f"[3/{steps}] Conditional DCGAN on the digits, one label per row "
        f"({digits_epochs} epochs)...",
        flush=True,
    )
    cond_history, cond_seconds, cond_png, cond_scores, cond_files = _conditional_digits_run(
        out, digits_epochs, seed
    )
    # Both generators exported together: one TensorFlow subprocess on JAX
    # and PyTorch.
    exported = export_all(
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
            "digits 8x8 (DCGAN)": digits_history,
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
            "scores_protocol": "metrics.digits_scores: 400 samples vs the 400-digit "
            "'reference' part of data.digits_split(0), in the features of "
            "metrics.features.digits_classifier(); floor and ceiling from "
            "metrics.digits_baselines",
            "final_logs": _final(digits_history),
        },
        "conditional_digits": {
            "epochs": digits_epochs,
            "seconds": round(cond_seconds, 1),
            "label_agreement": agreement,
            "label_agreement_protocol": "metrics.features.digits_classifier (trained on "
            "the 'classifier' part of data.digits_split(0), disjoint from the GAN's 'gan' "
            "part) labelling 1,000 generated digits (100 per label)",
            "scores": cond_scores,
            "final_logs": _final(cond_history),
        },
    }
    metrics_path = os.path.join(out, "metrics.json")
    with open(metrics_path, "w") as f:
        json.dump(metrics, f, indent=2)
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keras-gan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train the demo GANs offline and write pictures and metrics"
    )
    demo_parser.add_argument("--out", default="runs/demo", help="output folder")
    demo_parser.add_argument("--quick", action="store_true", help="a few epochs (smoke test)")
    demo_parser.add_argument("--seed", type=int, default=0)
    export_parser = commands.add_parser(
        "export", help="export saved GANs' generators: RUN.keras OUT [RUN.keras OUT ...]"
    )
    export_parser.add_argument(
        "paths",
        nargs="+",
        metavar="RUN.keras OUT",
        help="pairs: a .keras file saved with gan.save, then the SavedModel folder to write",
    )
    serve_parser = commands.add_parser("serve", help="serve an exported generator over HTTP")
    serve_parser.add_argument("path", help="a SavedModel folder from export_generator")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--model-name", default="generator")
    serve_parser.add_argument("--max-n", type=int, default=256, help="most samples a request")
    serve_parser.add_argument(
        "--max-concurrency", type=int, default=4, help="most model calls at once"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.out, quick=args.quick, seed=args.seed)
    elif args.command == "export":
        if len(args.paths) % 2:
            export_parser.error(
                "export takes pairs of paths, RUN.keras OUT [RUN.keras OUT ...]. "
                f"Received {len(args.paths)} paths: {args.paths}"
            )
        if "keras" not in sys.modules:  # the SavedModel is written by TensorFlow
            os.environ["KERAS_BACKEND"] = "tensorflow"
        for out in export_all(zip(args.paths[::2], args.paths[1::2], strict=True)):
            print(out)
    elif args.command == "serve":
        from keras_gan.server import serve

        serve(
            args.path,
            host=args.host,
            port=args.port,
            model_name=args.model_name,
            max_n=args.max_n,
            max_concurrency=args.max_concurrency,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
