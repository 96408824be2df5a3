import atexit
import os
import shutil
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ["KERAS_BACKEND"] == "tensorflow":
    # One thread in each TensorFlow thread pool, in each worker and each
    # subprocess it starts: xdist already runs a worker per core; two workers
    # of two threads each oversubscribe the CPU (measured: 14% less time on the
    # GAN, saving and augmentation tests).
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ["KERAS_BACKEND"] == "jax":
    # One XLA compute thread per worker: xdist already runs a worker per core.
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
# Feature extractors built by the suite (the digits classifier) are cached in
# a directory of this run's own, never in the user's ~/.cache. The pytest-xdist
# workers inherit the one their controller made (it loads this file before
# starting them), so the classifier is trained once per run, not per worker;
# its cache writes are atomic. `make test` sets one for its three backend runs
# (a cached `.keras` classifier loads on every backend, as a user's does).
if not os.environ.get("KERAS_GAN_TEST_CACHE"):
    os.environ["KERAS_GAN_TEST_CACHE"] = tempfile.mkdtemp(prefix="keras_gan_cache_")
    # Removed when the process that made it (the controller) exits.
    atexit.register(shutil.rmtree, os.environ["KERAS_GAN_TEST_CACHE"], ignore_errors=True)
os.environ["KERAS_GAN_CACHE"] = os.environ["KERAS_GAN_TEST_CACHE"]
if os.environ["KERAS_BACKEND"] == "jax":
    # One persistent XLA compilation cache for the run's workers and the
    # processes its tests start, keeping every program however quick to
    # compile: many tests build and train the same small networks, and on
    # JAX each eager operation on a new shape is a program of its own. The
    # GAN, augmentation, recipe and saving tests took 189 s with it against
    # 266 s without (2 workers, 2026-12-07), and a small DCGAN's build in a
    # test's second fresh process 3.2 s against 8.6 s in its first (its
    # first `fit` 0.9 s against 5.7). A cache entry read while another
    # process writes it is a warning and a recompilation, never a wrong
    # program (JAX checks what it reads).
    os.environ.setdefault(
        "JAX_COMPILATION_CACHE_DIR",
        os.path.join(os.environ["KERAS_GAN_TEST_CACHE"], "jax_compilation"),
    )
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")

import keras  # noqa: E402
import pytest  # noqa: E402

BACKEND = keras.backend.backend()

if BACKEND == "torch" and os.environ.get("PYTEST_XDIST_WORKER"):
    # One intra-op thread per worker: xdist already runs a worker per core,
    # and two workers of two threads each oversubscribe the CPU.
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.tensorflow_only(reason)` tests are skipped on the other
    backends, with the reason printed in the summary (`-ra`).

    Tests marked `slow` run first (otherwise in collection order): pytest-xdist
    hands out tests in order and keeps two queued per worker, so a long test
    near the end leaves the other worker idle while it finishes."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if BACKEND == "tensorflow":
        return
    for item in items:
        marker = item.get_closest_marker("tensorflow_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"TensorFlow only: {reason}"))


def pytest_report_header(config):
    return f"Keras backend: {BACKEND}"


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from the same global seed and a clean Keras session."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
