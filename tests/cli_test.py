import json
import os

import keras
import pytest

from keras_gan import cli


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="compiling the demo's three train steps takes JAX 90 s on 2 cores; its image "
    "recipes train on JAX in examples_test (dcgan_digits, conditional_digits) and the "
    "export from JAX is serving_test's",
)
def test_quick_demo_writes_every_file(tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--quick"]) == 0
    for name in (
        "ring_samples.png",
        "digits_samples.png",
        "conditional_digits_samples.png",
        "loss_curves.png",
        "metrics.json",
    ):
        assert os.path.getsize(out / name) > 0
    assert (out / "gan.keras").stat().st_size > 0
    assert (out / "conditional_gan.keras").stat().st_size > 0
    assert (out / "generator" / "saved_model.pb").exists()
    assert (out / "conditional_generator" / "saved_model.pb").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ring"]["mode_scores"]["num_modes"] == 8
    assert set(metrics["digits"]["final_logs"]) >= {"d_loss", "g_loss", "d_accuracy"}
    assert 0.0 <= metrics["conditional_digits"]["label_agreement"] <= 1.0
    scores = metrics["digits"]["scores"]
    assert set(scores) == {"GAN", "floor", "ceiling"}
    for row in scores.values():
        assert set(row) >= {"precision", "recall", "fd", "classes_covered", "label_kl"}
    assert scores["ceiling"]["precision"] > 0.8  # real digits against real digits
    printed = capsys.readouterr().out
    assert str(out / "metrics.json") in printed
    assert "floor" in printed and "ceiling" in printed and "keras-gan serve" in printed
