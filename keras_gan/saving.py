"""Loading a saved GAN with errors that say what is wrong with the file.

`keras.saving.load_model("run.keras")` loads a GAN as it loads any model;
`keras_gan.saving.load_model` checks the archive first, so a truncated or
corrupt file gets an error that names the problem (Keras' own says "File not
found" for a truncated archive), and never a half-loaded model.
"""

import json
import os
import zipfile

import keras

# What `model.save("x.keras")` writes (Keras 3's .keras format).
_REQUIRED = ("config.json", "metadata.json", "model.weights.h5")


def check_archive(path):
    """Raises a clear error unless `path` is a complete, intact .keras file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such .keras file. Received: path={path!r}")
    if os.path.isdir(path):
        raise ValueError(f"A folder, not a .keras file. Received: path={path!r}")
    size = os.path.getsize(path)
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"Not a complete .keras archive: the file ({size} bytes) is truncated or is "
            f"not a zip file. Received: path={path!r}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            missing = [name for name in _REQUIRED if name not in archive.namelist()]
            if missing:
                raise ValueError(
                    f"Not a complete .keras archive: it lacks {missing}. Received: path={path!r}"
                )
            bad = archive.testzip()
            if bad is None:
                for name in ("config.json", "metadata.json"):
                    _check_json(archive, name, path)
    except zipfile.BadZipFile as err:
        raise ValueError(f"Corrupt .keras archive ({err}). Received: path={path!r}") from err
    if bad is not None:
        raise ValueError(
            f"Corrupt .keras archive: {bad!r} fails its checksum. Received: path={path!r}"
        )


def _check_json(archive, name, path):
    """Raises naming `name` unless it holds a JSON object (a config edited by
    hand, or written by something else, fails deep in Keras otherwise)."""
    try:
        value = json.loads(archive.read(name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"Corrupt .keras archive: its {name} is not valid JSON ({err}). Received: path={path!r}"
        ) from err
    if not isinstance(value, dict):
        raise ValueError(
            f"Corrupt .keras archive: its {name} holds a {type(value).__name__}, not a "
            f"JSON object. Received: path={path!r}"
        )


def load_model(path, custom_objects=None, compile=True):
    """`keras.saving.load_model` after `check_archive`.

    Args:
        path: a `.keras` file written by `gan.save`.
        custom_objects: as `keras.saving.load_model`.
        compile: as `keras.saving.load_model`.

    Returns:
        The loaded model (a `GAN` restores its optimizers and noise state).
    """
    check_archive(path)
    return keras.saving.load_model(path, custom_objects=custom_objects, compile=compile)
