"""Data-parallel training over several processes on JAX (a GPU or TPU pod).

Keras' distribution API does the work: `keras.distribution.initialize`
joins the processes (through `jax.distributed`), `DataParallel` replicates
the GAN over every device of every process, and each process feeds its own
part of every global batch (`data.from_numpy(..., shard=(index, count))`).
The train step is one SPMD program over the global batch, so the latent
noise is drawn for the global batch and each device computes on its own
slice of it, exactly as one process would on the whole batch. Run the same
script once per process:

    python examples/multi_process_jax.py --coordinator 10.0.0.1:1234 \\
        --num-processes 2 --process-id 0          # on host 0
    python examples/multi_process_jax.py --coordinator 10.0.0.1:1234 \\
        --num-processes 2 --process-id 1          # on host 1

(On a TPU pod or a SLURM / Open MPI cluster, `keras.distribution.initialize()`
with no arguments finds all three by itself.) Every process trains the same
weights. `keras_gan.callbacks.BackupAndRestore` backs up every epoch into
one folder, which must be on a file system every process sees: process 0
alone writes it, and every process resumes from it. If a process dies,
restart all of them with the same command and training resumes from the
last backup.
"""

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

import keras_gan  # noqa: E402

GLOBAL_BATCH = 64


def build_gan():
    keras.utils.set_random_seed(0)  # the same initial weights in every process
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
    return gan


def main(
    coordinator=None,
    num_processes=1,
    process_id=0,
    out="runs/multi_process",
    epochs=3,
    keep_backup=False,
):
    if num_processes > 1:
        keras.distribution.initialize(coordinator, num_processes, process_id)
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    # Each process feeds its own part of every global batch (below).
    distribution.auto_shard_dataset = False
    keras.distribution.set_distribution(distribution)
    gan = build_gan()
    dataset = keras_gan.data.from_numpy(
        keras_gan.data.ring(2048, seed=0),
        batch_size=GLOBAL_BATCH,
        seed=0,
        shard=(process_id, num_processes),
    )
    # BackupAndRestore deletes its backup when training completes, unless
    # keep_backup: then a later run with more epochs resumes from it.
    backup = keras_gan.callbacks.BackupAndRestore(
        os.path.join(out, "backup"), delete_checkpoint=not keep_backup
    )
    history = gan.fit(dataset, epochs=epochs, verbose=0, shuffle=False, callbacks=[backup])
    if process_id == 0:
        gan.save_weights(os.path.join(out, "final.weights.h5"))  # process 0 alone
    print(
        f"process {process_id} of {num_processes}: {len(distribution.device_mesh.devices)} "
        f"devices, resumed from {backup.restored_from}, "
        f"{len(history.history.get('d_loss', []))} epochs run",
        flush=True,
    )
    return gan, backup


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, default=1)
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--out", default="runs/multi_process")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--keep-backup", action="store_true")
    args = parser.parse_args()
    main(
        args.coordinator,
        args.num_processes,
        args.process_id,
        args.out,
        args.epochs,
        args.keep_backup,
    )
