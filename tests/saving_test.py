"""Whole-GAN persistence: `gan.save` / `keras.saving.load_model` and exact resume."""

import keras
import numpy as np
import pytest
from keras import layers

import keras_gan


def models():
    # Explicit names: TensorFlow's graph optimizer (Grappler) may order a sum
    # of three or more gradient terms by node name, so two models must carry
    # the same names to train to the same bits. A fresh process running the
    # same script, and load_model, give the same names by themselves.
    # (Unseeded dropout resumes exactly too: see the test of its own below.)
    generator = keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(8, name="g_dense_1"),
            layers.BatchNormalization(name="g_bn"),
            layers.ReLU(name="g_relu"),
            layers.Dropout(0.2, seed=1, name="g_dropout"),
            layers.Dense(2, name="g_dense_2"),
        ],
        name="generator",
    )
    discriminator = keras.Sequential(
        [
            keras.Input((2,)),
            layers.Dense(8, name="d_dense_1"),
            layers.LeakyReLU(0.2, name="d_lrelu"),
            layers.Dropout(0.2, seed=2, name="d_dropout"),
            layers.Dense(1, name="d_score"),
        ],
        name="discriminator",
    )
    return generator, discriminator


DATA = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")


@pytest.fixture(autouse=True)
def graphs_as_traced():
    """Bit-for-bit comparisons with penalties run the graphs as traced.

    TensorFlow's graph optimizer may order a sum of three or more gradient
    terms (penalties make them) by node name or build order, which can change
    the last bit between two traces (see README, Decisions).
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    yield
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})


def compiled_gan():
    gan = keras_gan.GAN(*models(), seed=3)
    gan.compile(
        keras.optimizers.Adam(1e-3, beta_1=0.5),
        keras.optimizers.RMSprop(2e-3),
        loss=keras_gan.losses.get("minimax", label_smoothing=0.1),
        d_steps=2,
        d_constraint=keras_gan.constraints.WeightClip(0.5),
        d_penalty=[
            keras_gan.penalties.R1(1.0, interval=2),
            keras_gan.penalties.GradientPenalty(2.0),
        ],
    )
    return gan


def fit(gan, epochs=1):
    gan.fit(DATA, batch_size=16, epochs=epochs, shuffle=False, verbose=0)


def state(gan):
    return [v.numpy().copy() for v in gan.variables] + [
        v.numpy().copy() for v in gan.d_optimizer.variables + gan.g_optimizer.variables
    ]


@pytest.mark.slow
def test_resume_from_a_saved_gan_is_bitwise_exact(tmp_path):
    gan = compiled_gan()
    fit(gan)
    gan.save(tmp_path / "run.keras")
    fit(gan)
    uninterrupted = state(gan)

    loaded = keras.saving.load_model(tmp_path / "run.keras")
    fit(loaded)
    resumed = state(loaded)
    assert len(resumed) == len(uninterrupted)
    for a, b in zip(uninterrupted, resumed, strict=True):
        np.testing.assert_array_equal(a, b)


def test_resume_is_exact_with_unseeded_dropout(tmp_path):
    """On PyTorch an unseeded Dropout draws from torch's global random state
    (Keras' fast path): the saved GAN carries it, so a load in a process
    whose global state differs still resumes bit for bit."""

    def build():
        generator = keras.Sequential(
            [keras.Input((3,)), layers.Dense(2, name="g_dense")], name="generator"
        )
        discriminator = keras.Sequential(
            [
                keras.Input((2,)),
                layers.Dense(8, activation="relu", name="d_dense_1"),
                layers.Dropout(0.3, name="d_dropout"),
                layers.Dense(1, name="d_dense_2"),
            ],
            name="discriminator",
        )
        gan = keras_gan.GAN(generator, discriminator, seed=3)
        gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
        return gan

    gan = build()
    fit(gan)
    gan.save(tmp_path / "run.keras")
    fit(gan)
    uninterrupted = state(gan)
    keras.utils.set_random_seed(999)  # as a fresh process would differ
    loaded = keras.saving.load_model(tmp_path / "run.keras")
    fit(loaded)
    for a, b in zip(uninterrupted, state(loaded), strict=True):
        np.testing.assert_array_equal(a, b)


def test_load_restores_compile_settings(tmp_path):
    gan = compiled_gan()
    fit(gan)
    gan.save(tmp_path / "run.keras")
    loaded = keras.saving.load_model(tmp_path / "run.keras")
    assert isinstance(loaded, keras_gan.GAN)
    assert isinstance(loaded.loss_fn, keras_gan.losses.Minimax)
    assert loaded.loss_fn.label_smoothing == pytest.approx(0.1)
    assert (loaded.d_steps, loaded.g_steps) == (2, 1)
    assert loaded.d_constraint.clip_value == 0.5
    assert [type(p).__name__ for p in loaded.d_penalties] == ["R1", "GradientPenalty"]
    assert loaded.d_penalties[0].interval == 2
    assert isinstance(loaded.d_optimizer, keras.optimizers.Adam)
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert float(loaded.d_optimizer.beta_1) == 0.5
    # Optimizer state came back too (built in compile, filled from the file).
    assert int(loaded.d_optimizer.iterations) == 8 and int(loaded.g_optimizer.iterations) == 4
    np.testing.assert_array_equal(
        loaded.seed_generator.state.numpy(), gan.seed_generator.state.numpy()
    )
    np.testing.assert_array_equal(loaded.generate(5, seed=1), gan.generate(5, seed=1))


def test_uncompiled_gan_round_trips(tmp_path):
    gan = keras_gan.GAN(*models(), latent_distribution="uniform", seed=1)
    gan.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert loaded.latent_distribution == "uniform"
    np.testing.assert_array_equal(loaded.generate(4, seed=0), gan.generate(4, seed=0))


# Every public class of these packages that Keras can serialize (it has a
# `get_config`) is registered under the package name keras_gan (API.md).
# Not serializable, so not listed: data.ArrayDataset (a PyDataset) and
# tuning.GANHyperModel (a KerasTuner HyperModel).
PACKAGES = (
    "keras_gan",
    "keras_gan.augment",
    "keras_gan.callbacks",
    "keras_gan.constraints",
    "keras_gan.data",
    "keras_gan.layers",
    "keras_gan.losses",
    "keras_gan.metrics",
    "keras_gan.models",
    "keras_gan.penalties",
)


def public_classes():
    import importlib
    import inspect

    found = {}
    for package in PACKAGES:
        for name, obj in vars(importlib.import_module(package)).items():
            if inspect.isclass(obj) and not name.startswith("_"):
                if obj.__module__.startswith("keras_gan") and hasattr(obj, "get_config"):
                    found[obj.__name__] = obj
    return found


def test_every_serializable_class_is_registered_under_keras_gan():
    classes = public_classes()
    assert {"GAN", "ConditionalGAN", "Augment", "FeatureMetric", "WeightClip"} <= set(classes)
    unregistered = {
        name: keras.saving.get_registered_name(cls)
        for name, cls in classes.items()
        if keras.saving.get_registered_name(cls) != f"keras_gan>{name}"
    }
    assert not unregistered


class CrashAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize(
    "callback", [keras.callbacks.BackupAndRestore, keras_gan.callbacks.BackupAndRestore]
)
def test_backup_and_restore_resumes_exactly(tmp_path, callback):
    keras.utils.set_random_seed(5)
    reference = compiled_gan()
    fit(reference, epochs=3)

    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    backup = callback(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        gan.fit(
            DATA, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[backup, CrashAt(2)]
        )
    # A new process would rebuild the GAN from code and call fit again.
    keras.utils.set_random_seed(99)  # global state is not what resumes
    again = compiled_gan()
    history = again.fit(
        DATA,
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[callback(str(tmp_path / "backup"))],
    )
    assert len(history.history["d_loss"]) == 1  # only the lost epoch ran again
    for a, b in zip(state(reference), state(again), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def saved(tmp_path):
    gan = compiled_gan()
    fit(gan)
    path = tmp_path / "run.keras"
    gan.save(path)
    return path


def test_checked_load_round_trips(saved):
    loaded = keras_gan.saving.load_model(saved)
    assert isinstance(loaded, keras_gan.GAN) and int(loaded.g_optimizer.iterations) == 4


def test_truncated_file_gets_a_clear_error(saved, tmp_path):
    data = saved.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or is not a zip file.*truncated.keras"):
        keras_gan.saving.load_model(truncated)


def test_corrupt_file_gets_a_clear_error(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Corrupt .keras archive.*corrupt.keras"):
        keras_gan.saving.load_model(corrupt)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.keras"):
        keras_gan.saving.load_model(tmp_path / "nothing.keras")


@pytest.mark.tensorflow_only(
    "in-process here; the TensorFlow subprocess of the other backends is "
    "serving_test's test_export_on_another_backend_runs_on_tensorflow"
)
def test_export_cli_from_a_saved_gan(saved, tmp_path):
    from keras_gan import cli

    assert cli.main(["export", str(saved), str(tmp_path / "gen")]) == 0
    assert (tmp_path / "gen" / "saved_model.pb").exists()
    # Several pairs in one command (the demo exports its two generators so,
    # in one TensorFlow subprocess on the other backends).
    pairs = [str(saved), str(tmp_path / "a"), str(saved), str(tmp_path / "b")]
    assert cli.main(["export", *pairs]) == 0
    assert (tmp_path / "a" / "saved_model.pb").exists()
    assert (tmp_path / "b" / "saved_model.pb").exists()


def test_export_cli_names_an_odd_number_of_paths(tmp_path, capsys):
    from keras_gan import cli

    with pytest.raises(SystemExit):
        cli.main(["export", "run.keras", "out", "other.keras"])
    err = capsys.readouterr().err
    assert "pairs of paths" in err and "Received 3 paths" in err and "other.keras" in err
