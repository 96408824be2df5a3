"""The benchmark scripts run (tiny settings): their numbers are measured
side by side in one process, never asserted here (timings are noisy)."""

import pathlib

import keras
import numpy as np
import pytest

import keras_gan
from tests.scripts import load_script

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


# The quality benchmarks are backend-free keras_gan code, run on TensorFlow
# (the speed benchmark has a hand-written loop per backend and runs on each).
QUALITY_ON_TENSORFLOW = "a quality benchmark: backend-free keras_gan code"


def load(name):
    return load_script("benchmarks", name)


@pytest.mark.slow
@pytest.mark.tensorflow_only(
    "on JAX and PyTorch the GPU kit's dry run (without_tensorflow_test) runs speed.py's "
    "alternating measurement, in its own virtualenv"
)
def test_speed_alternates_and_measures_memory(capsys):
    speed = load("speed")
    tiny = ["--model", "mlp", "--steps", "3", "--repeats", "2", "--batch-size", "32"]
    ratio = speed.main(tiny)
    assert ratio > 0
    printed = capsys.readouterr().out
    assert "throughput ratio gan.fit / loop" in printed and "paired ratios" in printed
    assert "interval" in printed
    for side in ("fit", "loop"):
        assert speed.main([*tiny, "--only", side]) > 0  # MiB
    small_dcgan = ["--image-size", "28", "--width", "8", "--steps", "2", "--repeats", "1"]
    assert speed.main(small_dcgan) > 0  # 28x28: the digits resized


def test_speed_alternation_is_counterbalanced():
    """fit, loop, loop, fit, fit, loop, ...: each timed pair is adjacent, and
    each side runs first in half of the pairs."""
    speed = load("speed")
    order = []

    def loop(steps):
        order.append("loop")
        return 1.0

    timer = speed.Alternate(loop, steps=1)
    for epoch in range(5):  # what fit calls around each epoch's steps
        timer.on_epoch_begin(epoch)
        order.append("fit")
        timer.on_epoch_end(epoch)
    assert order == ["fit", "loop", "loop", "fit"] * 2 + ["fit", "loop"]
    assert len(timer.fit_times) == len(timer.loop_times) == 5


@pytest.mark.tensorflow_only("the loops' loss scaling is TensorFlow's")
@pytest.mark.slow
def test_speed_mixed_precision_scales_both_sides():
    speed = load("speed")
    args = speed.parse(["--mixed-precision", "--model", "mlp", "--batch-size", "32"])
    gan = speed.build_gan(args)
    assert keras.config.dtype_policy().name == "mixed_float16"
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    tiny = ["--mixed-precision", "--model", "mlp", "--steps", "3", "--repeats", "1"]
    assert speed.main([*tiny, "--batch-size", "32"]) > 0


def test_speed_median_interval_by_hand():
    speed = load("speed")
    # n = 21: P(B <= 5) = 27896 / 2**21 for B ~ Binomial(21, 1/2), so
    # x(6)..x(16) covers 1 - 2 * 27896 / 2**21 = 97.3%; one more on each
    # side inward (P(B <= 6) = 82160 / 2**21) would cover only 92.2%.
    low, high, coverage = speed.median_interval(list(range(21)))
    assert (low, high) == (5, 15) and coverage == pytest.approx(1 - 2 * 27896 / 2**21)
    # n = 9: x(2)..x(8), 1 - 2 * 10 / 512.
    assert speed.median_interval([9, 1, 8, 2, 7, 3, 6, 4, 5])[:2] == (2, 8)
    # Too few values for 95%: the whole range, with what it does cover.
    assert speed.median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 5.0, 1 - 2 / 32)


def test_speed_suite_rows_per_device():
    speed = load("speed")
    cpu = speed.suite_configs("tensorflow", on_gpu=False)
    assert len(cpu) == 6 and not any("mixed_float16" in c for c in cpu)
    assert [c[c.index("--steps") + 1] for c in cpu] == ["1000", "1000", "40", "40", "10", "10"]
    gpu = speed.suite_configs("tensorflow", on_gpu=True)
    assert sum("mixed_float16" in c for c in gpu) == 6 and len(gpu) == 12

    def value(config, flag, default=None):
        return config[config.index(flag) + 1] if flag in config else default

    steps = {value(c, "--image-size", "mlp"): value(c, "--steps") for c in gpu}
    assert steps == {"mlp": "1000", "28": "400", "64": "200"}
    # JAX always jits both sides; no mixed-precision rows off TensorFlow.
    assert all("--jit" in c for c in speed.suite_configs("jax", on_gpu=True))
    assert len(speed.suite_configs("torch", on_gpu=True)) == 3
    assert "CPU" in speed.device_name() or "GPU" in speed.device_name()


@pytest.mark.tensorflow_only(QUALITY_ON_TENSORFLOW)
@pytest.mark.slow
def test_quality_digits_rows(capsys):
    quality = load("quality_digits")
    results, ada_p = quality.run(
        seeds=(0,), rows=("image",), fractions=(1.0, 0.1), steps=2, n=100, draws=2, verbose=False
    )
    assert set(results) == {
        "image @ 797",
        "image @ 80",
        "floor: GMM-40 diag",
        "GMM-40 full (memorizer)",
        "ceiling: real",
        "copies of the 797 digits",
        "copies of the 80 digits",
    }
    assert set(ada_p) == {"image @ 797", "image @ 80"}
    table = quality.table(results)
    assert "precision" in table and "ceiling: real" in table
    assert results["ceiling: real"][0]["precision"] > results["image @ 80"][0]["precision"]
    # 80 digits cover less of the held-out ones than 100 of all 797 do.
    assert results["copies of the 80 digits"][0]["recall"] < results["ceiling: real"][0]["recall"]
    copied = quality.copies(np.arange(80)[:, None], 100, seed=1)
    assert copied.shape == (100, 1) and set(copied.ravel()) <= set(range(80))
    # Drawn independently, as a generator samples: some of 100 of 797 repeat.
    copied = quality.copies(np.arange(797)[:, None], 100, seed=1)
    assert len(set(copied.ravel())) < 100
    scores = [{"fd": 4.0, "precision": 0.5}, {"fd": 6.0, "precision": 0.7}]
    assert quality.mean_scores(scores) == pytest.approx({"fd": 5.0, "precision": 0.6})
    assert quality.draw_seed(3, 0) == 3 and len({quality.draw_seed(0, d) for d in range(5)}) == 5
    images, labels = quality.subset(*keras_gan.data.digits_split(0)["gan"], 0.25, seed=0)
    assert len(images) == 200 and np.bincount(labels).min() >= 19  # stratified


def test_quality_digits_small_data_checks():
    checks = load("quality_digits").small_data_checks
    fds = {"image @ 797": 5.0, "image @ 200": 8.0, "image @ 80": 10.0, "image_noaug @ 80": 14.0}
    assert checks(fds) == [
        "with augmentation, FD at 200 / FD at 797 digits: 1.60 (target <= 1.5: NO)",
        "at 80 digits, augmentation cuts the FD by 29% (target >= 33%: NO)",
    ]
    fds.update({"image @ 200": 7.0, "image_noaug @ 80": 16.0, "floor: GMM-40 diag": 8.1})
    assert [line.split(": ")[-1] for line in checks(fds)] == ["yes)", "yes)"]
    assert checks({"image @ 797": 5.0, "image_noaug @ 797": 6.0}) == []  # nothing to compare
    copies = {"copies of the 797 digits": 4.5, "copies of the 200 digits": 7.2}
    assert checks(copies) == [
        "copies of the training digits (a memorizer), FD at 200 / FD at 797 digits: 1.60"
    ]
    assert checks({"copies of the 797 digits": 4.5, "copies of the 80 digits": 10.0}) == []
    clusters = {"image_clusters @ 797": 4.0, "image_clusters @ 200": 6.4}
    clusters.update({"image_clusters @ 80": 9.0, "image_clusters_noaug @ 80": 12.0})
    assert checks(clusters) == [
        "image_clusters: with augmentation, FD at 200 / FD at 797 digits: 1.60 (target <= 1.5: NO)",
        "image_clusters: at 80 digits, augmentation cuts the FD by 25% (target >= 33%: NO)",
    ]
    assert [keras_gan.recipes.num_clusters_for(n) for n in (797, 200, 80, 5)] == [80, 20, 8, 2]


@pytest.mark.tensorflow_only("benchmarks tf.distribute.MirroredStrategy")
@pytest.mark.slow
def test_scaling_writes_its_plot(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "scaling.png"
    command = [sys.executable, str(BENCHMARKS / "scaling.py"), "--steps", "2", "--repeats", "1"]
    proc = subprocess.run(
        [*command, "--batches", "32", "64", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARKS.parent,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 devices (MirroredStrategy" in proc.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.tensorflow_only(QUALITY_ON_TENSORFLOW)
@pytest.mark.slow
def test_quality_toy_table_beside_pacgan():
    quality = load("quality_toy")
    results = quality.run(datasets=("ring", "grid"), losses=("hinge",), seeds=(0,), steps=50)
    for runs in results.values():
        assert set(runs[0]) >= {"modes", "high_quality", "reverse_kl"}
    table = quality.table(results)
    assert "PacGAN2" in table and "PacGAN4" in table and "keras_gan hinge (1 seeds)" in table
    assert "ring-8" in table and "grid-25" in table


@pytest.mark.tensorflow_only(QUALITY_ON_TENSORFLOW)
@pytest.mark.slow
def test_quality_stacked_rows(capsys):
    quality = load("quality_stacked")
    results = quality.main(
        ["--seeds", "0", "--steps", "2", "--train", "256", "--rows", "dcgan", "real"]
    )
    assert set(results) == {"dcgan", "real"}
    assert results["real"][0]["modes"] >= 990  # 26,000 stacked held-out digits
    printed = capsys.readouterr().out
    assert "published: PacDCGAN2" in printed and "reverse KL" in printed


@pytest.mark.tensorflow_only(QUALITY_ON_TENSORFLOW)
def test_quality_stacked_recipe_keeps_the_settings_it_was_measured_with():
    quality = load("quality_stacked")
    first, second = (quality.build("recipe", seed, steps=10) for seed in (0, 1))
    # ADA as the rows were measured: target 0.3 on ADA's own statistic,
    # a fresh `p` for each build.
    assert (first.augment.target, first.augment.statistic) == (0.3, "augmented")
    assert first.augment is not second.augment
    assert first.d_penalties[0].weight == 1.0 and first.top_k is None


@pytest.mark.slow
def test_speed_measures_speed_ups_with_and_without_them(capsys):
    speed = load("speed")
    switch = {
        "tensorflow": "tf_bound_call",
        "jax": "batchless_callbacks,jax_untracked_state",  # several, switched together
        "torch": "batchless_callbacks",
    }[keras.backend.backend()]
    tiny = ["--model", "mlp", "--steps", "3", "--repeats", "2", "--batch-size", "32"]
    result = speed.main([*tiny, "--switch", switch])
    assert result["switch"] == switch and len(result["paired"]) == 2
    assert f"speed-up {switch}: throughput on / off" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        speed.parse([*tiny, "--switch", "batchless_callbacks,nope"])
    assert "unknown speed-up 'nope'" in capsys.readouterr().err
