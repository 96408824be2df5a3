"""Multi-worker training with tf.distribute.MultiWorkerMirroredStrategy.

Run the same script once per worker; each learns its place in the cluster
from the `TF_CONFIG` environment variable. Two workers on one machine:

    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                "task": {"type": "worker", "index": 0}}' python examples/multi_worker.py &
    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                "task": {"type": "worker", "index": 1}}' python examples/multi_worker.py

On a cluster, list each machine's `host:port` under "worker" and start the
script on every machine with its own index (worker 0 is the chief). Every
worker reads the same dataset; Keras shards it across workers, so the
dataset's batch is the global batch. Each replica draws its own latent noise
(the draw depends on the replica id) and losses are averaged over the global
batch, so all workers hold the same weights after every step.
`keras_gan.callbacks.BackupAndRestore` backs training up every epoch (and
survives a worker killed while writing): if a worker dies, restart every
worker with the same command and training resumes from the last backup. On
a TPU, the same code runs under `tf.distribute.TPUStrategy` (untested here).
"""

import argparse
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan  # noqa: E402


def main(out="runs/multi_worker", epochs=3, steps_per_epoch=20, keep_backup=False):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {"index": 0})
    index = int(task.get("index", 0))
    keras.utils.set_random_seed(0)  # the same initial weights on every worker
    with strategy.scope():
        gan = keras_gan.GAN(
            keras_gan.models.mlp_generator(8, 2, hidden_units=(64, 64)),
            keras_gan.models.mlp_discriminator(2, hidden_units=(64, 64)),
            seed=0,
        )
        gan.compile(
            keras.optimizers.Adam(5e-4, beta_1=0.0, beta_2=0.99),
            keras.optimizers.Adam(5e-4, beta_1=0.0, beta_2=0.99),
            loss="non_saturating",
            d_penalty=keras_gan.penalties.R1(0.1),
        )
    dataset = keras_gan.data.from_numpy(keras_gan.data.ring(8192, seed=0), batch_size=128, seed=0)
    # Each worker backs up to its own folder (they hold the same weights).
    # (BackupAndRestore deletes its backup when training completes, unless
    # keep_backup: then a later run with more epochs resumes from it.)
    backup = keras_gan.callbacks.BackupAndRestore(
        os.path.join(out, f"backup_worker_{index}"), delete_checkpoint=not keep_backup
    )
    history = gan.fit(
        dataset.repeat(),
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=0,
        shuffle=False,
        callbacks=[backup],
    )
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"weights_worker_{index}.npz")
    np.savez(path, *[np.asarray(w) for w in gan.weights])
    print(
        f"worker {index}: {strategy.num_replicas_in_sync} replicas in sync, "
        f"{len(history.history['d_loss'])} epochs run, "
        f"d_loss {history.history['d_loss'][-1]:.4f}, weights in {path}",
        flush=True,
    )
    return {"replicas": strategy.num_replicas_in_sync, "weights": path, "history": history.history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="runs/multi_worker")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps-per-epoch", type=int, default=20)
    parser.add_argument("--keep-backup", action="store_true")
    args = parser.parse_args()
    main(args.out, args.epochs, args.steps_per_epoch, args.keep_backup)
