"""keras-gan without TensorFlow: the minimal install (benchmarks/gpu/
requirements.txt) trains on JAX in a virtualenv that has no TensorFlow, and
the offline GPU kit's dry run (benchmarks/gpu/) installs from its wheelhouse
with `pip --no-index` and runs on JAX and PyTorch on the CPU.

The virtualenv stands in for a JAX / PyTorch CUDA image: it sees, through a
`.pth` file, a folder of links to the distributions that JAX and PyTorch
need (and nothing else of this one), and installs the wheelhouse over them.
It is built once per `make test` (in the cache shared by the backends' runs)
and these tests run once, in the JAX pass.
"""

import fcntl
import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

from tests.scripts import ROOT, load_script

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        keras.backend.backend() != "jax",
        reason="runs once per make test, in the JAX pass (its own virtualenv, no "
        "TensorFlow; the kit's dry run covers JAX and PyTorch)",
    ),
]

# What a JAX / PyTorch CUDA image holds, by distribution (with everything
# they require): the kit adds the wheelhouse to this.
IMAGE = ("jax", "jaxlib", "torch", "numpy", "scipy")


def image_site(folder):
    """A folder of links to the files of IMAGE's distributions and of all
    they require (not TensorFlow, not Keras): a JAX / PyTorch image's
    site-packages."""
    for name in load_script("benchmarks/gpu", "build_wheelhouse").closure(IMAGE, missing_ok=True):
        dist = importlib.metadata.distribution(name)
        base = pathlib.Path(dist.locate_file(""))
        for top in {pathlib.PurePath(f).parts[0] for f in dist.files or ()}:
            source, link = base / top, folder / top
            if top.endswith(".pth") or top == ".." or not source.exists() or link.exists():
                continue
            link.symlink_to(source)
    assert not (folder / "tensorflow").exists() and not (folder / "keras").exists()
    return folder


@pytest.fixture(scope="module")
def kit():
    """(wheelhouse, image site folder, virtualenv's python): built once per
    `make test`, under a lock (pytest-xdist workers share the cache)."""
    cache = pathlib.Path(os.environ["KERAS_GAN_TEST_CACHE"]) / "gpu_kit"
    cache.mkdir(exist_ok=True)
    wheelhouse, site, venv = cache / "wheelhouse", cache / "image", cache / "venv"
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cache / "done").exists():
            load_script("benchmarks/gpu", "build_wheelhouse").build(str(wheelhouse))
            site.mkdir(exist_ok=True)
            image_site(site)
            load_script("benchmarks/gpu", "kit").make_venv(str(venv), str(wheelhouse), [str(site)])
            (cache / "done").touch()
    return wheelhouse, site, venv / "bin" / "python"


def test_wheelhouse_is_small_and_holds_the_minimal_install(kit):
    wheelhouse, _, _ = kit
    names = {w.name.split("-")[0].lower() for w in wheelhouse.iterdir()}
    assert {"keras", "keras_gan", "namex", "optree", "scikit_learn", "pillow"} <= names
    assert not any(n.startswith(("tensorflow", "jax", "torch", "numpy")) for n in names)
    assert sum(w.stat().st_size for w in wheelhouse.iterdir()) <= 32 * 2**20


# The core of the library, on JAX, where TensorFlow is not installed.
CORE = r"""
import json, os, sys, tempfile
import numpy as np
try:
    import tensorflow
    sys.exit("tensorflow is importable")
except ModuleNotFoundError:
    pass
import keras
import keras_gan
from keras_gan import callbacks, data, metrics, models, visualize
assert keras.backend.backend() == "jax"
folder = tempfile.mkdtemp()

def build():
    gan = keras_gan.GAN(models.mlp_generator(8, 2), models.mlp_discriminator(2), seed=0)
    gan.compile(
        keras.optimizers.Adam(1e-3),
        keras.optimizers.Adam(1e-3),
        loss="non_saturating",
        metrics=[metrics.FrechetDistance(), metrics.PrecisionRecall()],
    )
    return gan

real = data.ring(1024, seed=0)
train = data.from_numpy(real, batch_size=128, seed=0)
assert isinstance(train, keras.utils.PyDataset), type(train)
gan = build()
history = gan.fit(
    train,
    epochs=2,
    validation_data=data.from_numpy(data.ring(256, seed=1), batch_size=128, shuffle=False),
    verbose=0,
    callbacks=[
        callbacks.BackupAndRestore(os.path.join(folder, "backup")),
        callbacks.GeneratorEMA(),
        callbacks.TerminateOnNaN(),
    ],
)
gan.fit(real, batch_size=128, epochs=1, verbose=0)  # plain numpy arrays
samples = gan.generate(8, seed=3)
path = os.path.join(folder, "gan.keras")
gan.save(path)
again = keras.saving.load_model(path)
np.testing.assert_array_equal(again.generate(8, seed=3), samples)
digits = data.digits(return_labels=False)[:16]
visualize.save_image_grid(os.path.join(folder, "digits.png"), digits)  # pillow
errors = {}
for name, call in {
    "points": lambda: visualize.save_samples(os.path.join(folder, "p.png"), samples),
    "export": lambda: gan.export_generator(os.path.join(folder, "export")),
    "tfds": lambda: data.from_tfds("mnist"),
    "tuning": lambda: keras_gan.tuning,
}.items():
    try:
        call()
    except ModuleNotFoundError as error:
        errors[name] = str(error)
print("RESULT" + json.dumps({
    "logs": sorted(history.history),
    "val_fd": history.history["val_fd"][-1],
    "grid_bytes": os.path.getsize(os.path.join(folder, "digits.png")),
    "errors": errors,
}))
"""


def test_training_on_jax_without_tensorflow(kit):
    _, _, python = kit
    proc = subprocess.run(
        [str(python), "-c", CORE],
        capture_output=True,
        text=True,
        cwd="/",  # not the checkout: keras_gan comes from the wheelhouse
        env=dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=""),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    result = json.loads(line[len("RESULT") :])
    assert {"d_loss", "g_loss", "val_fd", "val_precision", "val_recall"} <= set(result["logs"])
    assert 0 <= result["val_fd"] < 10
    assert result["grid_bytes"] > 100  # a PNG of digits, through pillow
    errors = result["errors"]
    assert set(errors) == {"points", "export", "tfds", "tuning"}, errors
    assert "'matplotlib'" in errors["points"]
    assert "'tensorflow'" in errors["export"] and "export_generator" in errors["export"]
    assert "'tensorflow'" in errors["tfds"] and "from_tfds" in errors["tfds"]
    assert "'keras-tuner'" in errors["tuning"]


def test_gpu_kit_dry_run_on_jax_and_pytorch(kit, tmp_path):
    """The kit's one command, on the CPU with small steps, in its own fresh
    virtualenv over the image's packages: a row per backend and precision,
    with throughputs, FLOPs and the measured bf16 peak."""
    wheelhouse, site, _ = kit
    out = tmp_path / "kit.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "gpu" / "kit.py")]
    command += ["--wheelhouse", str(wheelhouse), "--image-site", str(site), "--dry-run"]
    command += ["--venv", str(tmp_path / "venv"), "--out", str(out), "--width", "8"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert [(r["backend"], r["precision"]) for r in rows] == [
        (b, p) for b in ("jax", "torch") for p in ("float32", "mixed_bfloat16")
    ]
    for row in rows:
        assert row["fit_steps_per_s"] > 0 and row["loop_steps_per_s"] > 0
        assert row["flops_per_step"] > 1e6 and row["fit_tflops"] > 0
        assert row["peak_tflops"] > 0 and row["device"].startswith("CPU")
    assert "fit TF/s" in proc.stdout and "peak TF/s" in proc.stdout
