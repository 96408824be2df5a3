"""Atomic writes (`keras_gan._files`), the GAN's atomic saves and the
crash-safe `keras_gan.callbacks.BackupAndRestore`."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gan
from keras_gan import _files
from tests.saving_test import DATA, compiled_gan

pytestmark = pytest.mark.tensorflow_only(
    "the writing code is backend-neutral; saving_test resumes BackupAndRestore on every backend"
)


def test_atomic_path_replaces_only_a_complete_file(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="midway"):
        with _files.atomic_path(path) as temporary:
            assert os.path.dirname(temporary) == str(tmp_path)  # same folder: same disk
            assert temporary.endswith(".json") and os.path.basename(temporary).startswith(".")
            with open(temporary, "w") as f:
                f.write("half")
            raise RuntimeError("midway")
    assert path.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["report.json"]  # the temporary file is gone
    _files.write_json(path, {"new": 1})
    assert json.loads(path.read_text()) == {"new": 1}


@pytest.mark.parametrize(
    "name,extension", [("a.weights.h5", ".weights.h5"), ("run.keras", ".keras"), ("x", "")]
)
def test_the_temporary_name_keeps_the_extension_keras_checks(tmp_path, name, extension):
    with _files.atomic_path(tmp_path / name) as temporary:
        assert temporary.endswith(f".partial{extension}")
        open(temporary, "wb").close()
    assert os.listdir(tmp_path) == [name]


def test_a_dead_writers_leftover_is_removed_by_the_next_write(tmp_path):
    # A process that died mid-write: its pid no longer exists.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    leftover = tmp_path / f".run.keras.{dead}-abcd.partial.keras"
    leftover.write_bytes(b"half a file")
    live = tmp_path / f".run.keras.{os.getpid()}-abcd.partial.keras"  # a write in progress
    live.write_bytes(b"")
    assert _files.partial_leftovers(str(tmp_path)) == [str(leftover)]
    _files.write_bytes(tmp_path / "run.keras", b"complete")
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, "run.keras"])


def test_atomic_folder_builds_aside_and_takes_the_place(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with _files.atomic_folder(target) as folder:
            (tmp_path / folder / "new.txt").write_text("new")
            raise RuntimeError("midway")
    assert os.listdir(target) == ["old.txt"] and os.listdir(tmp_path) == ["model"]
    with _files.atomic_folder(target) as folder:
        with open(os.path.join(folder, "new.txt"), "w") as f:
            f.write("new")
    assert os.listdir(target) == ["new.txt"] and os.listdir(tmp_path) == ["model"]


def test_gan_save_and_save_weights_are_atomic(tmp_path, monkeypatch):
    gan = compiled_gan()
    gan.fit(DATA, batch_size=16, epochs=1, shuffle=False, verbose=0)
    path, weights = tmp_path / "run.keras", tmp_path / "run.weights.h5"
    gan.save(path)
    gan.save_weights(weights)
    saved = {p: p.read_bytes() for p in (path, weights)}

    def broken(self, filepath, *args, **kwargs):  # dies after writing some bytes
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", broken)
    monkeypatch.setattr(keras.Model, "save_weights", broken)
    for target, save in ((path, gan.save), (weights, gan.save_weights)):
        with pytest.raises(OSError, match="disk full"):
            save(target)
        assert target.read_bytes() == saved[target]
    assert sorted(os.listdir(tmp_path)) == ["run.keras", "run.weights.h5"]
    monkeypatch.undo()
    assert isinstance(keras_gan.saving.load_model(path), keras_gan.GAN)


def backup_run(folder, epochs, callbacks=()):
    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    backup = keras_gan.callbacks.BackupAndRestore(str(folder), delete_checkpoint=False)
    gan.fit(
        DATA, batch_size=16, epochs=epochs, shuffle=False, verbose=0, callbacks=[backup, *callbacks]
    )
    return gan, backup


def test_backup_keeps_the_newest_and_its_fallback(tmp_path):
    _, backup = backup_run(tmp_path / "b", epochs=4)
    assert [os.path.basename(f) for _, f in backup.backups()] == [
        "backup-000000003",
        "backup-000000002",
    ]
    for _, folder in backup.backups():
        assert sorted(os.listdir(folder)) == ["model.weights.h5", "training_metadata.json"]


def test_an_unreadable_newest_backup_falls_back_to_the_previous_with_a_warning(tmp_path):
    _, backup = backup_run(tmp_path / "b", epochs=3)
    (newest, newest_folder), (_, previous_folder) = backup.backups()
    broken = os.path.join(newest_folder, "model.weights.h5")
    with open(broken, "r+b") as f:
        f.truncate(100)
    with pytest.warns(UserWarning, match=rf"could not read the backup {newest_folder}"):
        gan, again = backup_run(tmp_path / "b", epochs=3)
    assert again.restored_from == previous_folder
    assert gan._initial_epoch == 2  # it ran the epoch the newest backup held again


def test_no_readable_backup_is_an_error_naming_each(tmp_path):
    _, backup = backup_run(tmp_path / "b", epochs=2)
    for _, folder in backup.backups():
        os.remove(os.path.join(folder, "training_metadata.json"))
    with pytest.raises(ValueError, match="could read none") as error:
        with pytest.warns(UserWarning):
            backup_run(tmp_path / "b", epochs=3)
    for _, folder in backup.backups():
        assert folder in str(error.value)


def test_backup_removes_a_dead_writers_partial_folder_and_its_checkpoint_at_the_end(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    (folder / f".backup-000000007.{dead}-abcd.partial").mkdir()
    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    backup = keras_gan.callbacks.BackupAndRestore(str(folder), save_freq=2)
    gan.fit(DATA, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[backup])
    assert backup.restored_from is None  # the partial folder is no backup
    assert not folder.exists()  # delete_checkpoint=True: removed when fit completes
    assert np.isfinite(gan.generate(2, seed=0)).all()
