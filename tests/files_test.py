"""Atomic writes (`keras_gan._files`), the GAN's atomic saves and the
crash-safe `keras_gan.callbacks.BackupAndRestore`."""

import json
import os
import subprocess
import sys
import warnings

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


def test_atomic_folder_swaps_in_one_step_where_the_system_can(tmp_path, monkeypatch):
    # Linux swaps the two folders in one renameat2(RENAME_EXCHANGE): no
    # moment without a folder at `target`, so no second rename is made.
    target = tmp_path / "model"
    with _files.atomic_folder(target) as folder:
        open(os.path.join(folder, "v"), "w").close()
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: renames.append((a, b)) or real_replace(a, b))
    with _files.atomic_folder(target) as folder:
        open(os.path.join(folder, "w"), "w").close()
    assert os.listdir(target) == ["w"] and os.listdir(tmp_path) == ["model"]
    if sys.platform.startswith("linux"):
        assert renames == []


def test_the_old_folder_left_aside_by_a_dead_writer_is_put_back(tmp_path):
    # Without the swap the old folder is moved aside, then the new one is
    # moved in: a process killed between the two leaves no folder at the
    # path. The next write puts the old complete one back first.
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    script = (
        "import os, sys\n"
        "from keras_gan import _files\n"
        "_files._exchange = lambda a, b: False\n"
        "real = os.replace\n"
        "def dying(a, b):\n"
        "    real(a, b)\n"
        "    if b.endswith('.old'): os._exit(9)\n"
        "os.replace = dying\n"
        "with _files.atomic_folder(sys.argv[1]) as folder:\n"
        "    open(os.path.join(folder, 'new.txt'), 'w').close()\n"
    )
    died = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True)
    assert died.returncode == 9, died.stderr.decode()[-2000:]
    assert not target.exists()  # the window the fallback leaves
    with pytest.raises(RuntimeError):
        with _files.atomic_folder(target):
            raise RuntimeError("midway")
    assert os.listdir(target) == ["old.txt"] and os.listdir(tmp_path) == ["model"]


def test_a_folder_write_never_replaces_a_file_the_working_folder_or_other_files(
    tmp_path, monkeypatch
):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("mine")
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_text("old")
    monkeypatch.chdir(tmp_path / "mine")
    for path, problem in (
        (tmp_path / "notes.txt", "replace a file"),
        (tmp_path / "mine", "working folder"),
        (".", "working folder"),
        ("", "working folder"),
        (tmp_path, "working folder"),  # a folder above it
        (tmp_path / "other", None),
    ):
        if problem is None:  # new: written
            with _files.atomic_folder(path, holds="saved_model.pb") as folder:
                open(os.path.join(folder, "saved_model.pb"), "w").close()
            continue
        with pytest.raises(ValueError, match=problem):
            with _files.atomic_folder(path, holds="saved_model.pb"):
                pass
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"holds no saved_model.pb. .*Received: path=.*mine"):
        with _files.atomic_folder(tmp_path / "mine", holds="saved_model.pb"):
            pass
    with _files.atomic_folder(tmp_path / "exported", holds="saved_model.pb") as folder:
        open(os.path.join(folder, "saved_model.pb"), "w").close()  # the same kind: replaced
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "mine" / "a.txt").read_text() == "mine"
    assert (tmp_path / "exported" / "saved_model.pb").read_text() == ""
    gan = compiled_gan()
    with pytest.raises(ValueError, match="holds no saved_model.pb"):
        gan.export_generator(tmp_path / "mine")
    with pytest.raises(ValueError, match="holds no config.json"):
        gan.save(tmp_path / "mine", zipped=False)
    assert os.listdir(tmp_path / "mine") == ["a.txt"]


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


def test_an_unzipped_save_is_an_atomic_folder_and_errors_name_the_users_path(tmp_path):
    gan = compiled_gan()
    target = tmp_path / "run.keras"
    gan.save(target, zipped=False)
    gan.save(target, zipped=False)  # over the old folder, in one swap
    assert os.listdir(tmp_path) == ["run.keras"]
    assert "model.weights.h5" in os.listdir(target)
    with pytest.raises(ValueError, match=f"Received: filepath={tmp_path / 'run.h6'}"):
        gan.save(tmp_path / "run.h6")
    with pytest.raises(ValueError, match=f"Received: filepath={tmp_path / 'run.h5'}"):
        gan.save_weights(tmp_path / "run.h5")
    assert os.listdir(tmp_path) == ["run.keras"]


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


def test_a_backup_whose_weights_were_damaged_after_writing_is_set_aside(tmp_path):
    # HDF5 keeps no checksum: bytes flipped inside a weight array load
    # silently. The SHA-256 recorded with the backup catches them.
    _, backup = backup_run(tmp_path / "b", epochs=3)
    (_, newest_folder), (_, previous_folder) = backup.backups()
    weights = os.path.join(newest_folder, "model.weights.h5")
    raw = bytearray(open(weights, "rb").read())
    raw[-64:-48] = bytes(b ^ 0xFF for b in raw[-64:-48])
    open(weights, "wb").write(bytes(raw))
    with pytest.warns(UserWarning, match=rf"{newest_folder}: the weights file .* SHA-256"):
        gan, again = backup_run(tmp_path / "b", epochs=3)
    assert again.restored_from == previous_folder
    # Set aside, not counted among the two kept: the good one survives.
    assert os.path.isdir(f"{newest_folder}.unreadable")
    assert [f for _, f in again.backups()][1] == previous_folder


class _CrashAfter(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        self.batches, self.seen = batches, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batches:
            raise RuntimeError("crash")


def _freq_run(folder, save_freq, callbacks=()):
    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    backup = keras_gan.callbacks.BackupAndRestore(str(folder), save_freq=save_freq)
    # 64 samples in batches of 16: 4 batches an epoch.
    gan.fit(DATA, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[backup, *callbacks])
    return gan


def test_integer_save_freq_on_epoch_ends_resumes_exactly_and_mid_epoch_warns(tmp_path):
    reference = _freq_run(tmp_path / "none", save_freq="epoch")
    with pytest.raises(RuntimeError, match="crash"):
        _freq_run(tmp_path / "b", save_freq=4, callbacks=[_CrashAfter(7)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = _freq_run(tmp_path / "b", save_freq=4)
    assert not [w for w in caught if "BackupAndRestore" in str(w.message)]  # a whole epoch
    for a, b in zip(reference.variables, resumed.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    with pytest.raises(RuntimeError, match="crash"):
        _freq_run(tmp_path / "c", save_freq=2, callbacks=[_CrashAfter(7)])
    with pytest.warns(UserWarning, match="after batch 2 of epoch 2 .* trained on again"):
        _freq_run(tmp_path / "c", save_freq=2)


def test_backup_removes_only_its_own_backups_at_the_end(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    keras.utils.set_random_seed(5)
    gan = compiled_gan()
    backup = keras_gan.callbacks.BackupAndRestore(str(folder))
    gan.fit(DATA, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[backup])
    assert os.listdir(folder) == ["notes.txt"]
    for save_freq in (0, -2, 1.5, False):
        with pytest.raises(ValueError, match=f"Received: save_freq={save_freq}"):
            keras_gan.callbacks.BackupAndRestore(str(folder), save_freq=save_freq)
    with pytest.raises(ValueError, match="must be a folder"):
        keras_gan.callbacks.BackupAndRestore(str(folder / "notes.txt"))


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
