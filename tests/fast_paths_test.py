"""The speed-ups on private APIs (`keras_gan.backend.fast_paths`): their
internals are where they expect them, each switch falls back to the public
path, and training is the same bits either way."""

import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import keras_gan
from keras_gan.backend import fast_paths

BACKEND = keras.backend.backend()
OF_THIS_BACKEND = [
    name for name in fast_paths.SPEED_UPS if fast_paths._BACKEND_OF.get(name, BACKEND) == BACKEND
]


def test_the_internals_of_every_speed_up_are_in_place():
    missing = fast_paths.missing_internals()
    assert not missing, (
        f"Keras {keras.__version__} (backend {BACKEND}) moved internals that keras_gan's "
        f"speed-ups rely on; they fall back to the public path, slower: {missing}. Update "
        "keras_gan/backend/fast_paths.py, or delete the speed-up."
    )


def train(seed=0):
    keras.utils.set_random_seed(seed)
    generator = keras_gan.models.mlp_generator(3, 2, hidden_units=(8,))
    discriminator = keras_gan.models.mlp_discriminator(2, hidden_units=(8,))
    gan = keras_gan.GAN(generator, discriminator, seed=seed)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    dataset = keras_gan.data.from_numpy(data, batch_size=16, seed=0)
    history = gan.fit(dataset, epochs=2, verbose=0, shuffle=False)
    return gan, history.history


@pytest.mark.parametrize("name", OF_THIS_BACKEND)
def test_each_switch_trains_the_same_bits_on_the_public_path(name):
    gan, history = train()
    with fast_paths.switched(**{name: False}):
        assert not fast_paths.enabled(name)
        public, public_history = train()
    assert fast_paths.enabled(name)
    for fast, slow in zip(gan.weights, public.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(fast), np.asarray(slow))
    assert history == public_history


def test_switched_off_speed_ups_take_the_public_path():
    gan, _ = train()
    with fast_paths.switched(tf_train_function=False, batchless_callbacks=False):
        assert fast_paths.tf_train_function(gan) is None  # Keras' own train function
        given = [keras.callbacks.History()]
        assert fast_paths.fit_callback_list(gan, given, None, 1, 0, 4) is given
    assert isinstance(
        fast_paths.fit_callback_list(gan, [], None, 1, 0, 4), fast_paths.BatchlessCallbackList
    )


@pytest.mark.parametrize(
    "x,steps_per_epoch,known",
    [
        (None, 7, (True, 7)),
        ("array", None, (False, None)),  # Keras' adapter splits arrays (validation_split)
        ("endless", None, (True, None)),
    ],
)
def test_the_steps_keras_would_give_its_callbacks(x, steps_per_epoch, known):
    data = np.zeros((40, 2), "float32")
    if x == "array":
        x = data
    elif x == "endless":
        x = keras_gan.data.from_numpy(data, batch_size=8, seed=0).repeat()
    assert fast_paths._batches_per_epoch(x, steps_per_epoch) == known
    assert fast_paths._batches_per_epoch(keras_gan.data.from_numpy(data, batch_size=8), None) == (
        True,
        5,
    )


class StateTypes(keras.callbacks.Callback):
    """Records the type of the state Keras' JAX fit stores after each step."""

    def __init__(self):
        super().__init__()
        self.types = []

    def on_epoch_end(self, epoch, logs=None):
        self.types.append(type(self.model._jax_state).__name__)


@pytest.mark.skipif(BACKEND != "jax", reason="JAX fit's per-step state on the model")
def test_the_jax_state_is_stored_untracked_on_the_fast_path():
    # (that training is the same bits either way: the switch test above)
    gan, _ = train()
    types = StateTypes()
    gan.fit(
        keras_gan.data.from_numpy(np.zeros((32, 2), "float32"), batch_size=16, seed=0),
        epochs=1,
        verbose=0,
        callbacks=[types],
    )
    with fast_paths.switched(jax_untracked_state=False):
        gan.fit(np.zeros((32, 2), "float32"), batch_size=16, epochs=1, verbose=0, callbacks=[types])
    assert types.types == ["dict", "TrackedDict"]  # Keras tracks it on the public path
    assert gan._jax_state is None  # cleared at the end of fit, as Keras does


@pytest.mark.tensorflow_only("moves the internals of tf_bound_call")
def test_moved_internals_turn_the_speed_up_off_with_a_warning(monkeypatch):
    monkeypatch.setitem(
        fast_paths._INTERNALS,
        "tf_bound_call",
        (("tensorflow.python.eager.polymorphic_function.function_type_utils", "NoSuchThing"),),
    )
    monkeypatch.setattr(fast_paths, "_missing", {})
    with pytest.warns(UserWarning, match=rf"tf_bound_call.*Keras {keras.__version__}"):
        assert not fast_paths.enabled("tf_bound_call")
    assert fast_paths.missing_internals()["tf_bound_call"] == [
        "tensorflow.python.eager.polymorphic_function.function_type_utils:NoSuchThing"
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan, history = train()  # trains on the public path, the same bits
    assert not [w for w in caught if "speed-up" in str(w.message)]  # warned once
    monkeypatch.undo()
    fast, fast_history = train()
    for a, b in zip(gan.weights, fast.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert history == fast_history


@pytest.mark.parametrize(
    "setting,off",
    [
        ("", ()),
        ("all", ()),
        ("none", fast_paths.SPEED_UPS),
        ("-tf_bound_call", ("tf_bound_call",)),
        ("-tf_train_function, +tf_bound_call", ("tf_train_function",)),
    ],
)
def test_the_environment_switches(monkeypatch, setting, off):
    monkeypatch.setenv("KERAS_GAN_FAST_PATHS", setting)
    switches = fast_paths._from_environment()
    assert {name for name, on in switches.items() if not on} == set(off)


def test_an_unknown_switch_is_named(monkeypatch):
    monkeypatch.setenv("KERAS_GAN_FAST_PATHS", "-tf_bound_cal")
    with pytest.raises(ValueError, match="tf_bound_cal"):
        fast_paths._from_environment()
    with pytest.raises(ValueError, match="Received: 'nope'"):
        fast_paths.set_enabled("nope", False)


def test_the_switch_is_read_from_the_environment_at_import():
    code = (
        "from keras_gan.backend import fast_paths\n"
        "print(sorted(n for n in fast_paths.SPEED_UPS if not fast_paths._switches[n]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, KERAS_GAN_FAST_PATHS="-tf_bound_call"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "['tf_bound_call']"
