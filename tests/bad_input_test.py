"""Bad input at the public entry points: an error naming the argument and
the value received, raised before anything changes (found by an audit of
the library against its contract; each case here was accepted silently,
left the GAN half-configured, or raised a bare error deep in Keras)."""

import keras
import numpy as np
import pytest

import keras_gan
from keras_gan import cli, models

DATA = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")


def mlp_gan(**kwargs):
    keras.utils.set_random_seed(0)
    return keras_gan.GAN(models.mlp_generator(4, 2), models.mlp_discriminator(2), seed=0, **kwargs)


def adam():
    return keras.optimizers.Adam(1e-3)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"d_optimizer": "adamx"}, "Received: d_optimizer='adamx'"),
        ({"metrics": ["nope"]}, "Received: metric='nope'"),
        ({"metrics": [keras.metrics.BinaryAccuracy()]}, "Keras' own metrics"),
        ({"steps_per_execution": -1}, "Received: steps_per_execution=-1"),
        ({"steps_per_execution": 2.5}, "Received: steps_per_execution=2.5"),
        ({"jit_compile": "yes"}, "Received: jit_compile='yes'"),
        ({"run_eagerly": "no"}, "Received: run_eagerly='no'"),
        ({"d_constraint": keras_gan.constraints.WeightClip}, "an instance, not its class"),
        ({"d_constraint": "foo"}, "Received: d_constraint='foo'"),
        ({"loss": {"class_name": "Foo", "config": {}}}, "Could not rebuild a GAN loss"),
    ],
)
def test_a_compile_that_raises_leaves_the_gan_as_it_was(bad, message):
    gan = mlp_gan()
    d_opt, g_opt = adam(), adam()
    gan.compile(d_opt, g_opt)
    gan.fit(DATA, batch_size=16, epochs=1, verbose=0)
    arguments = {"d_optimizer": adam(), "g_optimizer": adam(), "loss": "wasserstein"}
    arguments["d_constraint"] = "weight_clip"
    arguments.update(bad)
    with pytest.raises(ValueError, match=message):
        gan.compile(**arguments)
    # Nothing of the failed compile was set: the first compile still holds.
    assert gan.d_optimizer is d_opt and gan.g_optimizer is g_opt
    assert type(gan.loss_fn).__name__ == "NonSaturating" and gan.d_constraint is None
    history = gan.fit(DATA, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()


def test_compile_takes_one_metric_as_a_list_of_one():
    gan = mlp_gan()
    for metrics in ("fd", keras_gan.metrics.FrechetDistance()):
        gan.compile(adam(), adam(), metrics=metrics)
        assert [m.name for m in gan.eval_metrics] == ["fd"]


@pytest.mark.parametrize("module", ["losses", "penalties", "constraints", "metrics", "augment"])
def test_deserialize_of_an_unknown_class_raises_instead_of_returning_its_name(module):
    deserialize = getattr(keras_gan, module).deserialize
    config = {"class_name": "Foo", "config": {}}
    with pytest.raises(ValueError, match=r"Could not rebuild .*Received: \{'class_name': 'Foo'"):
        deserialize(config)


def test_terminate_on_nan_takes_one_log_name_and_rejects_unknown_ones():
    assert keras_gan.callbacks.TerminateOnNaN(monitor="d_loss").monitor == ("d_loss",)
    with pytest.raises(ValueError, match="Received: monitor=5"):
        keras_gan.callbacks.TerminateOnNaN(monitor=5)
    gan = mlp_gan()
    gan.compile(adam(), adam())
    watcher = keras_gan.callbacks.TerminateOnNaN(monitor=["d_loss", "loss"])
    with pytest.raises(ValueError, match=r"does not write: \['loss'\]"):
        gan.fit(DATA, batch_size=16, epochs=1, verbose=0, callbacks=[watcher])


def test_a_conditional_gan_with_more_classes_than_its_networks_embed_is_refused():
    generator = models.mlp_generator(4, 2, num_classes=3)
    discriminator = models.mlp_discriminator(2, num_classes=3)
    with pytest.raises(ValueError, match=r"embeds at most 3 labels.*Received: num_classes=5"):
        keras_gan.ConditionalGAN(generator, discriminator, num_classes=5)
    keras_gan.ConditionalGAN(generator, discriminator, num_classes=3)  # as built: fine


@pytest.mark.parametrize(
    "recipe, arguments, message",
    [
        ("mixture_gan", {"total_steps": 0}, "Received: total_steps=0"),
        ("mixture_gan", {"total_steps": None}, "Received: total_steps=None"),
        ("mixture_gan", {"total_steps": 10, "data_scale": 0}, "Received: data_scale=0"),
        ("mixture_gan", {"total_steps": 10, "learning_rate": "a"}, "Received: learning_rate='a'"),
        ("image_gan", {"image_shape": (8, 8, 1), "total_steps": 0.5}, "total_steps=0.5"),
        ("image_gan", {"image_shape": (8, 8, 1), "ema_half_life": -1}, "ema_half_life=-1"),
    ],
)
def test_recipes_name_their_bad_arguments(recipe, arguments, message):
    with pytest.raises(ValueError, match=message):
        getattr(keras_gan.recipes, recipe)(**arguments)


def test_the_cli_reports_bad_values_without_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", str(tmp_path), "--port", "70000"])
    assert "a port is 0-65535. Received: '70000'" in capsys.readouterr().err
    assert cli.main(["serve", str(tmp_path / "missing")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("keras-gan serve: error: ") and "Traceback" not in error


@pytest.mark.parametrize("seed", [True, 2**70, -1, 1.5, "a"])
def test_seeds_are_non_negative_64_bit_integers(seed):
    with pytest.raises(ValueError, match=r"\[0, 2\*\*63\). Received: seed="):
        keras_gan.GAN(models.mlp_generator(4, 2), models.mlp_discriminator(2), seed=seed)
    with pytest.raises(ValueError, match="Received: seed="):
        mlp_gan().generate(2, seed=seed)
    with pytest.raises(ValueError, match="Received: seed="):
        keras_gan.callbacks.SampleGrid("grid", seed=seed)
    assert mlp_gan().generate(2, seed=np.int32(3)).shape == (2, 2)


def test_sample_grid_checks_its_folder_and_labels_when_made(tmp_path):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="this is a file"):
        keras_gan.callbacks.SampleGrid(tmp_path / "file")
    with pytest.raises(ValueError, match="Received: directory=None"):
        keras_gan.callbacks.SampleGrid(None)
    with pytest.raises(ValueError, match="Received: labels=7"):
        keras_gan.callbacks.SampleGrid(tmp_path / "grid", labels=7)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: keras_gan.metrics.PrecisionRecall(k=1.7), "Received: k=1.7"),
        (lambda: keras_gan.metrics.DensityCoverage(k=0), "Received: k=0"),
        (lambda: keras_gan.metrics.KernelInceptionDistance(max_samples="a"), "max_samples='a'"),
        (lambda: keras_gan.metrics.KernelInceptionDistance(max_samples=1), "max_samples=1"),
        (lambda: keras_gan.metrics.FrechetDistance(feature_dim=2.5), "feature_dim=2.5"),
    ],
)
def test_metric_sizes_are_integers_not_truncated_fractions(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def packed_gan():
    keras.utils.set_random_seed(0)
    gan = keras_gan.GAN(models.mlp_generator(4, 2), models.mlp_discriminator(2, pack=3), seed=0)
    gan.compile(adam(), adam(), pack=3)
    return gan


def test_packing_refuses_numpy_batches_that_are_not_whole_packs_before_training():
    gan = packed_gan()
    before = [np.array(v) for v in gan.weights]
    message = r"packs of 3 \(pack=3\).*give a batch of 10.*Received: batch_size=30, len\(x\)=100"
    with pytest.raises(ValueError, match=message):
        gan.fit(np.concatenate([DATA, DATA])[:100], batch_size=30, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="give a batch of 32"):  # the default batch of 32
        gan.fit(DATA[:52], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"16 validation samples.*batch of 7.*split=0.25"):
        gan.fit(DATA[:64], batch_size=9, validation_split=0.25, epochs=1, verbose=0)
    for weight, value in zip(gan.weights, before, strict=True):  # not a step taken
        np.testing.assert_array_equal(np.array(weight), value)
    gan.fit(DATA[:60], batch_size=30, epochs=1, verbose=0)  # whole packs: trains


def test_packing_names_a_short_batch_of_a_dataset():
    # A dataset's last batch is known short only when it comes: on TensorFlow
    # the step's batch size is unknown when traced (checked in the graph).
    data = keras_gan.data.from_numpy(DATA[:50], batch_size=12, drop_remainder=False, seed=0)
    with pytest.raises(Exception, match="With pack=3, the batch size must be a multiple of 3"):
        packed_gan().fit(data, epochs=1, verbose=0)


def test_boolean_labels_are_refused_not_read_as_classes_0_and_1():
    gan = keras_gan.ConditionalGAN(
        models.mlp_generator(4, 2, num_classes=2),
        models.mlp_discriminator(2, num_classes=2),
        num_classes=2,
        seed=0,
    )
    gan.compile(adam(), adam())
    labels = np.arange(64) % 2 == 0
    with pytest.raises(
        ValueError, match="booleans need a cast first. Received: labels of dtype bool"
    ):
        gan.fit(DATA, labels, batch_size=16, epochs=1, verbose=0)
    gan.fit(DATA, labels.astype("int32"), batch_size=16, epochs=1, verbose=0)


def test_a_callable_latent_distribution_is_checked_when_the_gan_is_made():
    def nets():
        return models.mlp_generator(4, 2), models.mlp_discriminator(2)

    def no_seed(shape):
        return keras.ops.zeros(shape)

    with pytest.raises(ValueError, match=r"seed=0 raised TypeError.*no_seed"):
        keras_gan.GAN(*nets(), latent_distribution=no_seed)
    with pytest.raises(ValueError, match=r"returned shape \(4,\) and dtype float32"):
        keras_gan.GAN(*nets(), latent_distribution=lambda shape, seed: keras.ops.zeros((4,)))
    with pytest.raises(ValueError, match=r"shape \(2, 4\) and dtype int32"):
        keras_gan.GAN(
            *nets(), latent_distribution=lambda shape, seed: keras.ops.zeros(shape, "int32")
        )
    gan = keras_gan.GAN(
        *nets(), latent_distribution=lambda s, seed: keras.random.normal(s, seed=seed)
    )
    assert gan.generate(3, seed=1).shape == (3, 2)


def test_a_keras_file_whose_config_is_not_json_is_named(tmp_path):
    import zipfile

    gan = mlp_gan()
    gan.compile(adam(), adam())
    path = tmp_path / "run.keras"
    gan.save(path)
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, b"{not json" if item.filename == "config.json" else data)
    with pytest.raises(ValueError, match=r"its config.json is not valid JSON.*broken.keras"):
        keras_gan.saving.load_model(broken)


def test_two_metrics_that_would_log_under_one_name_are_refused():
    metrics = keras_gan.metrics
    for clash, log in [
        ([metrics.FrechetDistance(), "fd"], "'fd'"),
        ([metrics.PrecisionRecall(), metrics.PrecisionRecall(k=5)], "'precision'"),
        ([metrics.FrechetDistance(name="d_loss")], "'d_loss' \\(the GAN's own log"),
    ]:
        with pytest.raises(ValueError, match=f"would be logged as {log}.*own `name=`"):
            mlp_gan().compile(adam(), adam(), metrics=clash)


def test_a_named_two_valued_metric_logs_under_its_name():
    metrics = keras_gan.metrics
    gan = mlp_gan()
    chosen = [
        metrics.PrecisionRecall(name="raw"),
        "precision_recall",
        metrics.DensityCoverage(name="dc"),
    ]
    gan.compile(adam(), adam(), metrics=chosen)
    logs = gan.evaluate(DATA, batch_size=32, verbose=0, return_dict=True)
    for name in ("raw_precision", "raw_recall", "precision", "recall", "dc_density", "dc_coverage"):
        assert np.isfinite(logs[name]), (name, logs)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: keras_gan.visualize.image_grid(np.zeros((0, 8, 8))), r"shape=\(0, 8, 8\)"),
        (
            lambda: keras_gan.visualize.image_grid(np.zeros((4, 8, 8)), value_range=(1, 1)),
            r"low < high.*Received: value_range=\(1, 1\)",
        ),
        (
            lambda: keras_gan.visualize.image_grid(np.zeros((4, 8, 8)), padding=-1),
            "Received: padding=-1",
        ),
        (
            lambda: keras_gan.visualize.save_image_grid("x.png", np.zeros((4, 8, 8)), scale=2.5),
            "Received: scale=2.5",
        ),
        (lambda: keras_gan.callbacks.SampleGrid("g", value_range=None), "value_range=None"),
        (lambda: keras_gan.callbacks.TerminateOnNaN(monitor=[]), "Received: monitor=\\[\\]"),
        (
            lambda: keras_gan.callbacks.ConvergenceMonitor(best_monitor=5, mode="min"),
            "Received: best_monitor=5",
        ),
    ],
)
def test_pictures_and_callbacks_name_their_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_generator_ema_on_a_model_without_a_generator_is_named():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="Received: a Sequential"):
        model.fit(
            DATA,
            DATA[:, :1],
            epochs=1,
            verbose=0,
            callbacks=[keras_gan.callbacks.GeneratorEMA(100)],
        )


def test_convergence_monitor_warns_when_its_best_monitor_is_never_logged():
    gan = mlp_gan()
    gan.compile(adam(), adam())
    keep = keras_gan.callbacks.ConvergenceMonitor(best_monitor="val_FD", mode="min", verbose=False)
    with pytest.warns(UserWarning, match=r"'val_FD', which this run never logged"):
        gan.fit(DATA, batch_size=16, epochs=2, verbose=0, callbacks=[keep])


def test_tuning_names_a_network_given_for_its_builder_and_takes_one_loss_name():
    tuning = pytest.importorskip("keras_gan.tuning")
    keras_tuner = pytest.importorskip("keras_tuner")
    hp = keras_tuner.HyperParameters()
    with pytest.raises(TypeError, match="must be a function that returns a fresh network"):
        tuning.build_gan(hp, models.mlp_generator(4, 2), lambda: models.mlp_discriminator(2))
    with pytest.raises(ValueError, match=r"Received: losses=\(\)"):
        tuning.build_gan(
            hp, lambda: models.mlp_generator(4, 2), lambda: models.mlp_discriminator(2), losses=()
        )
    gan = tuning.build_gan(
        hp,
        lambda: models.mlp_generator(4, 2),
        lambda: models.mlp_discriminator(2),
        losses="hinge",
        metrics="fd",
    )
    assert type(gan.loss_fn).__name__ == "Hinge" and [m.name for m in gan.eval_metrics] == ["fd"]


def test_cli_names_a_bad_demo_seed_and_an_out_that_is_a_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--seed", "-1", "--out", str(tmp_path / "new")])
    assert "a seed is 0 to 2**32 - 1. Received: '-1'" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_text("mine")
    assert cli.main(["demo", "--out", str(tmp_path / "file")]) == 1
    assert "`--out` must be a folder (made if missing); this is a file" in capsys.readouterr().err
    from keras_gan import demo

    with pytest.raises(ValueError, match="this is a file. Received: out="):
        demo.demo(tmp_path / "file")
    assert (tmp_path / "file").read_text() == "mine"
    assert cli.main(["export", str(tmp_path), str(tmp_path / "out")]) == 1
    assert "A folder, not a .keras file" in capsys.readouterr().err
