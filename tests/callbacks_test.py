import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan
from keras_gan.backend import fast_paths
from keras_gan.callbacks import ConvergenceMonitor, SampleGrid


def small_gan(image=True):
    if image:
        generator = keras_gan.models.dcgan_generator(latent_dim=4, image_size=8, width=4)
        discriminator = keras_gan.models.dcgan_discriminator(image_size=8, width=4)
    else:
        generator = keras_gan.models.mlp_generator(4, 2, hidden_units=(8,))
        discriminator = keras_gan.models.mlp_discriminator(2, hidden_units=(8,))
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile("adam", "adam")
    return gan


def test_sample_grid_writes_images_every_n_epochs(tmp_path):
    gan = small_gan()
    grid = SampleGrid(tmp_path, every=2, num_samples=9, seed=1)
    images = keras_gan.data.digits(return_labels=False)[:32]
    gan.fit(images, batch_size=16, epochs=4, verbose=0, callbacks=[grid])
    assert [p.rsplit("/", 1)[1] for p in grid.paths] == [
        "samples_epoch_0002.png",
        "samples_epoch_0004.png",
    ]
    # 3x3 tiles of 8x8 with 1-pixel padding, enlarged 4x.
    assert Image.open(grid.paths[0]).size == ((3 * 9 + 1) * 4,) * 2
    first = np.asarray(Image.open(grid.paths[0]))
    second = np.asarray(Image.open(grid.paths[1]))
    assert not np.array_equal(first, second)  # the generator moved


def test_sample_grid_writes_tensorboard_image_summaries(tmp_path):
    import io

    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import (
        TENSORS,
        EventAccumulator,
    )

    gan = small_gan()
    grid = SampleGrid(tmp_path / "png", every=2, num_samples=9, seed=1)
    board = keras.callbacks.TensorBoard(str(tmp_path / "logs"))
    images = keras_gan.data.digits(return_labels=False)[:32]
    gan.fit(images, batch_size=16, epochs=4, verbose=0, callbacks=[board, grid])
    assert grid.tensorboard is board
    events = EventAccumulator(str(tmp_path / "logs" / "train"), size_guidance={TENSORS: 0})
    events.Reload()
    # tf.summary.image (v2) stores [width, height, PNG] as a string tensor.
    pictures = events.Tensors("samples")
    assert [p.step for p in pictures] == [2, 4]
    width, height, png = tf.make_ndarray(pictures[0].tensor_proto)
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    expected = np.asarray(Image.open(grid.paths[0]).convert("RGB"))
    assert (int(width), int(height)) == Image.open(grid.paths[0]).size
    np.testing.assert_array_equal(picture, expected)  # the PNG file of that epoch
    # Without a TensorBoard callback nothing is linked.
    other = SampleGrid(tmp_path / "png2")
    gan.fit(images, batch_size=16, epochs=1, verbose=0, callbacks=[other])
    assert other.tensorboard is None


def test_sample_grid_scatters_points(tmp_path):
    gan = small_gan(image=False)
    grid = SampleGrid(tmp_path, num_samples=50)
    gan.fit(keras_gan.data.ring(64), batch_size=32, epochs=1, verbose=0, callbacks=[grid])
    assert Image.open(grid.paths[0]).size[0] > 100


@pytest.mark.parametrize("dim", [3, 16])
def test_sample_grid_refuses_samples_it_cannot_draw_before_training(tmp_path, dim):
    generator = keras_gan.models.mlp_generator(4, dim, hidden_units=(8,))
    gan = keras_gan.GAN(generator, keras_gan.models.mlp_discriminator(dim, hidden_units=(8,)))
    gan.compile("adam", "adam")
    before = [w.copy() for w in gan.get_weights()]
    with pytest.raises(ValueError, match=rf"Received: samples of shape \(64, {dim}\)"):
        data = np.zeros((32, dim), "float32")
        gan.fit(data, batch_size=16, verbose=0, callbacks=[SampleGrid(tmp_path)])
    # Refused before the first step: nothing trained, nothing written.
    for old, new in zip(before, gan.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not list(tmp_path.iterdir())


def test_sample_grid_bad_every():
    with pytest.raises(ValueError, match="every=0"):
        SampleGrid("x", every=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        SampleGrid("x", num_samples=0)


class Dummy:
    stop_training = False


def scripted(monitor, history):
    monitor.set_model(Dummy())
    monitor.on_train_begin()
    for epoch, logs in enumerate(history):
        monitor.on_epoch_end(epoch, logs)
    return monitor


def test_monitor_reports_a_coin_flip_discriminator_after_patience():
    accuracies = [0.9, 0.8, 0.52, 0.49, 0.51, 0.5, 0.7, 0.5, 0.5, 0.5]
    monitor = scripted(
        ConvergenceMonitor(patience=3, tolerance=0.05, verbose=False),
        [{"d_accuracy": a, "d_loss": 1.0} for a in accuracies],
    )
    # Streaks: epochs 2-5 (reported at the 3rd, epoch 4), then 7-9 (at epoch 9).
    assert [(e, k) for e, k, _ in monitor.events] == [(4, "coin_flip"), (9, "coin_flip")]
    assert "0.5" in monitor.events[0][2] and not monitor.model.stop_training


def test_monitor_reports_collapse_and_can_stop():
    monitor = scripted(
        ConvergenceMonitor(patience=2, stop_training=True, verbose=False),
        [{"d_loss": v} for v in (0.5, 1e-4, 1e-5)],
    )
    assert [(e, k) for e, k, _ in monitor.events] == [(2, "collapse")]
    assert monitor.model.stop_training


def test_monitor_prints(capsys):
    scripted(ConvergenceMonitor(patience=1), [{"d_accuracy": 0.5}])
    assert "Epoch 1: d_accuracy has sat within 0.05 of 0.5" in capsys.readouterr().out


def test_monitor_restores_the_best_generator():
    gan = small_gan(image=False)
    monitor = ConvergenceMonitor(best_monitor="val_fd", mode="min", verbose=False)
    monitor.set_model(gan)
    monitor.on_train_begin()
    snapshots = []
    for epoch, fd in enumerate([3.0, 1.0, 2.0]):
        for w in gan.generator.weights:
            w.assign(w.numpy() + 1.0)
        snapshots.append(gan.generator.get_weights())
        monitor.on_epoch_end(epoch, {"val_fd": fd})
    monitor.on_train_end()
    assert monitor.best_epoch == 1
    for a, b in zip(gan.generator.get_weights(), snapshots[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_monitor_restores_the_moving_average_it_measured():
    # With EMA, validation metrics and `generate` use the average: the best
    # epoch's average must come back with the best epoch's generator.
    gan = small_gan(image=False)
    gan.enable_ema(1000)
    monitor = ConvergenceMonitor(best_monitor="val_fd", mode="min", verbose=False)
    monitor.set_model(gan)
    monitor.on_train_begin()
    snapshots, samples = [], []
    for epoch, fd in enumerate([3.0, 1.0, 2.0]):
        for net, step in ((gan.generator, 0.1), (gan.ema_generator, 0.05)):
            for w in net.weights:  # the average is not trainable
                if "kernel" in w.path:
                    w.assign(w.numpy() + step)
        snapshots.append((gan.generator.get_weights(), gan.ema_generator.get_weights()))
        samples.append(gan.generate(8, seed=0))
        monitor.on_epoch_end(epoch, {"val_fd": fd})
    monitor.on_train_end()
    assert not np.allclose(samples[1], samples[2])
    np.testing.assert_array_equal(gan.generate(8, seed=0), samples[1])
    for net, kept in zip((gan.generator, gan.ema_generator), snapshots[1], strict=True):
        for a, b in zip(net.get_weights(), kept, strict=True):
            np.testing.assert_array_equal(a, b)


def test_monitor_needs_a_mode_for_best():
    with pytest.raises(ValueError, match="mode=None"):
        ConvergenceMonitor(best_monitor="val_fd")


def test_terminate_on_nan_upgrade_keeps_other_callbacks():
    plain = keras.callbacks.TerminateOnNaN(raise_error=True)
    upgraded = keras_gan.callbacks.TerminateOnNaN.upgrade(plain)
    assert isinstance(upgraded, keras_gan.callbacks.TerminateOnNaN) and upgraded.raise_error
    other = keras.callbacks.History()
    assert keras_gan.callbacks.TerminateOnNaN.upgrade(other) is other


# --------------------------------------------------------------- GeneratorEMA


def test_generator_ema_arithmetic_by_hand():
    gan = small_gan(image=False)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    start = [w.copy() for w in gan.generator.get_weights()]
    after_each_step = []

    class Record(keras.callbacks.Callback):
        # Through `self.model`: on JAX that syncs the jitted step's state
        # back into the variables.
        def on_train_batch_end(self, batch, logs=None):
            after_each_step.append(self.model.generator.get_weights())

    record = Record()
    half_life = 64.0
    x = keras_gan.data.ring(48)
    gan.fit(
        x,
        batch_size=16,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[keras_gan.callbacks.GeneratorEMA(half_life), record],
    )
    beta = 0.5 ** (16 / half_life)
    expected = start
    for weights in after_each_step:  # 3 steps
        expected = [beta * e + (1 - beta) * w for e, w in zip(expected, weights, strict=True)]
    assert len(after_each_step) == 3
    for a, e in zip(gan.ema_generator.get_weights(), expected, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-6)
    # The average is what generate() uses...
    z = keras.ops.convert_to_numpy(gan.sample_latent(5, seed=3))
    ema_samples, samples = (
        keras.ops.convert_to_numpy(g(z)) for g in (gan.ema_generator, gan.generator)
    )
    np.testing.assert_allclose(gan.generate(5, seed=3), ema_samples, atol=1e-6)
    assert not np.allclose(gan.generate(5, seed=3), samples, atol=1e-4)


def trained_with_ema():
    gan = small_gan(image=False)
    gan.fit(
        keras_gan.data.ring(64),
        batch_size=16,
        epochs=1,
        verbose=0,
        callbacks=[keras_gan.callbacks.GeneratorEMA(100)],
    )
    return gan


def test_generator_ema_is_saved(tmp_path):
    gan = trained_with_ema()
    gan.save(tmp_path / "ema.keras")
    loaded = keras.saving.load_model(tmp_path / "ema.keras")
    assert loaded.ema_half_life == 100.0
    for a, b in zip(
        loaded.ema_generator.get_weights(), gan.ema_generator.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.tensorflow_only("exports a TensorFlow SavedModel")
def test_generator_ema_is_exported(tmp_path):
    import tensorflow as tf

    gan = trained_with_ema()
    exported = tf.saved_model.load(str(gan.export_generator(tmp_path / "gen")))
    samples = exported.signatures["sample"](n=tf.constant(4), seed=tf.constant(1, tf.int64))
    np.testing.assert_allclose(samples["samples"].numpy(), gan.generate(4, seed=1), atol=1e-6)


def test_generator_ema_bad_half_life():
    with pytest.raises(ValueError, match="half_life_images=0"):
        keras_gan.callbacks.GeneratorEMA(0)
    with pytest.raises(ValueError, match="half_life_images='x'"):
        keras_gan.callbacks.GeneratorEMA("x")
    with pytest.raises(ValueError, match="ema_half_life=-1"):
        keras_gan.GAN(
            keras_gan.models.mlp_generator(4, 2, hidden_units=(8,)),
            keras_gan.models.mlp_discriminator(2, hidden_units=(8,)),
            ema_half_life=-1,
        )


@pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="Keras' PyTorch trainer runs one step per execution"
)
def test_ema_and_sample_grid_are_unchanged_by_steps_per_execution(tmp_path):
    """With steps_per_execution > 1 Keras runs several train steps per call:
    the EMA (updated inside the step) and the epoch-level grids must match."""
    images = keras_gan.data.digits(return_labels=False)[:48]
    results = []
    for steps in (1, 3):
        keras.utils.set_random_seed(0)
        generator = keras_gan.models.dcgan_generator(latent_dim=4, image_size=8, width=4)
        discriminator = keras_gan.models.dcgan_discriminator(image_size=8, width=4)
        gan = keras_gan.GAN(generator, discriminator, seed=0)
        gan.compile(
            keras.optimizers.SGD(0.01), keras.optimizers.SGD(0.01), steps_per_execution=steps
        )
        grid = SampleGrid(tmp_path / f"spe{steps}", num_samples=4)
        ema = keras_gan.callbacks.GeneratorEMA(half_life_images=32)
        gan.fit(images, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[ema, grid])
        results.append(([np.array(w) for w in gan.ema_generator.weights], grid.paths))
    (ema1, paths1), (ema3, paths3) = results
    for a, b in zip(ema1, ema3, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert [p.rsplit("/", 1)[1] for p in paths1] == [p.rsplit("/", 1)[1] for p in paths3]
    assert len(paths3) == 2


class Recorder(keras.callbacks.Callback):
    """Records the params Keras gave it and, optionally, every batch."""

    def __init__(self, batches=False):
        super().__init__()
        self.batches = [] if batches else None
        if batches:
            self.on_train_batch_end = lambda batch, logs=None: self.batches.append(logs)

    def on_train_begin(self, logs=None):
        self.seen_params = dict(self.params)


@pytest.fixture
def dispatches(monkeypatch):
    """Counts Keras' per-batch dispatches (logs made Python numbers, each
    callback's train-batch hook called)."""
    count = []
    original = keras.callbacks.CallbackList._on_train_batch_end

    def counting(self, batch, logs=None):
        count.append(batch)
        return original(self, batch, logs)

    monkeypatch.setattr(keras.callbacks.CallbackList, "_on_train_batch_end", counting)
    return count


def ring_dataset(n=64, batch=16):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(keras_gan.data.ring(n, seed=0)).batch(batch)


@pytest.mark.parametrize("source", ["tf.data", "from_numpy"])
def test_fit_without_batch_hooks_skips_the_per_batch_dispatch(dispatches, source):
    gan = small_gan(image=False)
    recorder = Recorder()
    if source == "tf.data":
        data = ring_dataset()
    else:  # tf.data on TensorFlow, a keras.utils.PyDataset on JAX and PyTorch
        data = keras_gan.data.from_numpy(keras_gan.data.ring(64, seed=0), batch_size=16, seed=0)
    history = gan.fit(data, epochs=2, verbose=0, shuffle=False, callbacks=[recorder])
    assert dispatches == []
    # The params Keras' own list gives: 64 samples in batches of 16.
    assert recorder.seen_params == {"verbose": 0, "epochs": 2, "steps": 4}
    assert len(history.history["d_loss"]) == 2
    assert gan.history is history
    with fast_paths.switched(batchless_callbacks=False):  # Keras' own list: the same params
        gan.fit(data, epochs=2, verbose=0, shuffle=False, callbacks=[recorder])
    assert len(dispatches) == 8
    assert recorder.seen_params == {"verbose": 0, "epochs": 2, "steps": 4}


def test_fit_keeps_keras_dispatch_with_a_progress_bar_or_arrays(dispatches):
    gan = small_gan(image=False)
    gan.fit(ring_dataset(), epochs=1, verbose=2, shuffle=False)
    assert len(dispatches) == 4
    gan.fit(keras_gan.data.ring(64, seed=0), batch_size=32, epochs=1, verbose=0)
    assert len(dispatches) == 6  # arrays: Keras' own list and params


def test_fit_with_a_batch_hook_dispatches_every_batch(dispatches):
    gan = small_gan(image=False)
    recorder = Recorder(batches=True)
    data = ring_dataset().repeat()
    gan.fit(data, epochs=2, steps_per_epoch=3, verbose=0, shuffle=False, callbacks=[recorder])
    assert len(dispatches) == 6
    assert recorder.seen_params == {"verbose": 0, "epochs": 2, "steps": 3}
    assert len(recorder.batches) == 6
    assert all(isinstance(logs["d_loss"], float) for logs in recorder.batches)


def test_fit_with_validation_calls_test_batch_hooks():
    gan = small_gan(image=False)
    ends = []
    hook = keras.callbacks.LambdaCallback(on_test_batch_end=lambda b, logs: ends.append(b))
    gan.fit(
        ring_dataset(),
        validation_data=ring_dataset(32),
        epochs=2,
        verbose=0,
        shuffle=False,
        callbacks=[hook],
    )
    assert ends == [0, 1, 0, 1]


def test_fit_uses_a_given_callback_list_as_it_is():
    gan = small_gan(image=False)
    recorder = Recorder()
    callbacks = keras.callbacks.CallbackList([recorder], add_history=True, model=gan, epochs=1)
    gan.fit(ring_dataset(), epochs=1, verbose=0, shuffle=False, callbacks=callbacks)
    assert recorder.seen_params == {"epochs": 1}


@pytest.mark.parametrize(
    "callback",
    [
        keras_gan.callbacks.TerminateOnNaN(raise_error=True, monitor=["d_loss"]),
        keras_gan.callbacks.GeneratorEMA(half_life_images=500),
        keras_gan.callbacks.SampleGrid(
            "/tmp/grid", every=2, num_samples=9, seed=3, labels=[0, 1, 2]
        ),
        keras_gan.callbacks.ConvergenceMonitor(patience=2, best_monitor="val_fd", mode="min"),
        keras_gan.callbacks.BackupAndRestore("/tmp/backup", save_freq=3, delete_checkpoint=False),
    ],
    ids=lambda cb: type(cb).__name__,
)
def test_callbacks_are_registered_and_round_trip(callback):
    name = keras.saving.get_registered_name(type(callback))
    assert name == f"keras_gan>{type(callback).__name__}"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(callback))
    assert type(restored) is type(callback)
    assert restored.get_config() == callback.get_config()
