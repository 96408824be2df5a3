"""Loads the repository's scripts (examples/, benchmarks/) as modules, and
runs Python code in fresh processes (other backends, devices, workers)."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_script(folder, name):
    """Imports `ROOT/folder/name.py` as a module (without running `__main__`)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_python(code, *args, env=None, timeout=600):
    """Runs `code` with `args` in a fresh Python process at the repository's
    root (importable as `tests`, `keras_gan`), with `env` added to this
    process's environment. Fails with the end of its stderr unless it exits
    0; returns the JSON object it printed on a line starting with `RESULT`."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def penalised_toy_gan():
    """The 2-D toy GAN of the data-parallel tests: tanh MLPs with named
    layers, SGD, 2 discriminator updates a step, R1 and WGAN-GP (whose
    interpolation coefficients are random per example)."""
    import keras

    import keras_gan

    keras.utils.set_random_seed(0)
    layers = keras.layers
    g = keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(8, activation="tanh", name="g1"),
            layers.Dense(2, name="g2"),
        ],
        name="generator",
    )
    d = keras.Sequential(
        [
            keras.Input((2,)),
            layers.Dense(8, activation="tanh", name="d1"),
            layers.Dense(1, name="d2"),
        ],
        name="discriminator",
    )
    gan = keras_gan.GAN(g, d, seed=3)
    gan.compile(
        keras.optimizers.SGD(0.1),
        keras.optimizers.SGD(0.1),
        d_steps=2,
        d_penalty=[keras_gan.penalties.R1(1.0), keras_gan.penalties.GradientPenalty(1.0)],
    )
    return gan
