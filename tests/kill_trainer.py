"""The training process that tests/crash_kill_test.py kills with SIGKILL.

    python -m tests.kill_trainer MODE FOLDER
    python -m tests.kill_trainer zygote


trains a GAN whose checkpoint takes a moment to write (two 512-unit hidden
layers per network, ~9 MB with the optimizers' slots), writing after every
batch in one of three ways (MODE): `checkpoint` (Keras' `ModelCheckpoint`
of the whole GAN, `.keras`), `weights` (`ModelCheckpoint` with
`save_weights_only`, `.weights.h5`) or `backup`
(`keras_gan.callbacks.BackupAndRestore`). It prints `STEP <n>` after each
batch, until it is killed.

`zygote` imports TensorFlow and keras_gan once (6 s of CPU each time) and
then, for each line `MODE FOLDER` on its standard input, forks a trainer as
above (before TensorFlow's runtime starts: the zygote runs no operation),
answers `PID <pid>`, and once the trainer has ended `DONE <status>`. Its
trainers print their steps to `FOLDER/steps.txt` and their errors to
`FOLDER/stderr.txt`.
"""

import os
import sys
import traceback

import keras
import numpy as np

import keras_gan

BATCH = 16
DATA = np.random.default_rng(0).normal(size=(8 * BATCH, 2)).astype("float32")
FILES = {"checkpoint": "ckpt.keras", "weights": "ckpt.weights.h5", "backup": "backup"}


def graphs_as_traced():
    """Bit-for-bit comparisons across processes run TensorFlow's graphs as
    traced (see tests/saving_test.py)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def build_gan():
    keras.utils.set_random_seed(0)
    generator = keras_gan.models.mlp_generator(16, 2, hidden_units=(512, 512))
    discriminator = keras_gan.models.mlp_discriminator(2, hidden_units=(512, 512))
    gan = keras_gan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    return gan


def writer(mode, folder):
    path = f"{folder}/{FILES[mode]}"
    if mode == "backup":
        return keras_gan.callbacks.BackupAndRestore(path, save_freq=1)
    return keras.callbacks.ModelCheckpoint(
        path, save_weights_only=mode == "weights", save_freq=1, verbose=0
    )


class PrintSteps(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(f"STEP {int(self.model.g_optimizer.iterations)}", flush=True)


def fit(gan, callbacks, epochs):
    gan.fit(DATA, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def train(mode, folder):
    graphs_as_traced()
    fit(build_gan(), [writer(mode, folder), PrintSteps()], epochs=1000)


def zygote():
    for line in sys.stdin:
        mode, folder = line.split()
        pid = os.fork()
        if pid == 0:  # the trainer
            status = 1
            try:
                with open(f"{folder}/stderr.txt", "w") as stderr:
                    os.dup2(stderr.fileno(), 2)
                sys.stdout = open(f"{folder}/steps.txt", "w", buffering=1)
                os.dup2(sys.stdout.fileno(), 1)  # nothing reaches the zygote's pipe
                train(mode, folder)
                status = 0
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(status)
        print(f"PID {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"DONE {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        zygote()
    else:
        train(sys.argv[1], sys.argv[2])
