"""Atomic writes: every file and folder the library writes is either the old
complete one or the new complete one, whenever the process dies.

A file is written under a temporary name in its own folder (keeping its
extension, which Keras and image encoders read), flushed to disk with
`fsync`, and moved over the old one with `os.replace`, which POSIX makes
atomic; the folder is synced too, so the new name survives a power cut. A
temporary file left by a process that died mid-write is removed by the next
write of the same file.
"""

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import sys

# Temporary names: ".<name>.<pid>-<token>.partial<extension>".
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]+\.partial")


def extension(name):
    """The extension a file name must keep (`.weights.h5`, `.keras`, ...)."""
    if name.endswith(".weights.h5"):
        return ".weights.h5"
    return os.path.splitext(name)[1]


def folder(path, name):
    """`path` as a string: the path of a folder that the caller makes if
    missing, never a file; the error names the argument `name`."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"`{name}` must be a folder path. Received: {name}={path!r}")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(
            f"`{name}` must be a folder (made if missing); this is a file. "
            f"Received: {name}={path!r}"
        )
    return path


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def partial_leftovers(folder, name=None):
    """The temporary files and folders under `folder` (of `name`, or of any
    file) that a process which died mid-write left behind."""
    found = []
    for entry in os.listdir(folder) if os.path.isdir(folder) else ():
        match = _PARTIAL.match(entry)
        if match and (name is None or match["name"] == name) and not _alive(int(match["pid"])):
            found.append(os.path.join(folder, entry))
    return sorted(found)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def fsync_path(path):
    """Flushes a file, or a folder's entries, to disk."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root):
    for folder, _, files in os.walk(root):
        for name in files:
            fsync_path(os.path.join(folder, name))
        fsync_path(folder)


def _temporary(path, is_folder=False):
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    for leftover in partial_leftovers(folder, name):
        _remove(leftover)
    suffix = "" if is_folder else extension(name)
    token = secrets.token_hex(4)
    return path, folder, os.path.join(folder, f".{name}.{os.getpid()}-{token}.partial{suffix}")


@contextlib.contextmanager
def atomic_path(path):
    """A context giving a temporary path to write the file `path` to; on a
    clean exit the file is synced and moved over `path` (atomically), on an
    error the temporary file is removed and `path` is left as it was.

    Example:

    ```python
    with atomic_path("run.keras") as temporary:
        model.save(temporary)
    ```
    """
    path, folder, temporary = _temporary(path)
    try:
        yield temporary
        fsync_path(temporary)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise
    fsync_path(folder)


def _exchange(a, b):
    """Swaps the paths `a` and `b` in one atomic step (Linux'
    `renameat2(RENAME_EXCHANGE)`); False where the platform or the file
    system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), a, None, b)


def _put_back_aside(path):
    """Puts back the old folder that a process which died between the two
    renames of `atomic_folder`'s fallback left beside a missing `path`."""
    if os.path.lexists(path):
        return
    folder, name = os.path.split(path)
    aside = [p for p in partial_leftovers(folder, name) if p.endswith(".old")]
    if aside:
        os.replace(aside[-1], path)


def check_replaceable(path, holds):
    """Raises unless `path` is new, or a folder of the kind being written
    (one holding the file `holds`): a file, the working folder or one above
    it, or a folder of other files is never replaced whole."""
    if not os.path.lexists(path):
        return
    here = os.path.abspath(os.getcwd())
    if here == path or here.startswith(path.rstrip(os.sep) + os.sep):
        raise ValueError(
            "Refusing to replace the working folder (or a folder above it) with a new "
            f"folder: everything in it would be lost. Give a new path. Received: path={path}"
        )
    if not os.path.isdir(path) or os.path.islink(path):
        raise ValueError(
            "Refusing to replace a file with a folder: it would be lost. Give a new path "
            f"or remove the file. Received: path={path}"
        )
    if holds is not None and not os.path.exists(os.path.join(path, holds)):
        raise ValueError(
            f"Refusing to replace a folder that holds no {holds}: it is not one this "
            "writes, and its files would be lost. Give a new path or remove it. "
            f"Received: path={path}"
        )


@contextlib.contextmanager
def atomic_folder(path, holds=None):
    """A context giving a temporary folder to build the folder `path` in
    (a SavedModel); on a clean exit its files are synced and it takes the
    place of `path`.

    An existing `path` is swapped with the new folder in one atomic step
    (`renameat2(RENAME_EXCHANGE)` on Linux) and then removed, so `path`
    always holds the old complete folder or the new one. Where the swap is
    not available (another system, or a file system without it), the old
    folder is moved aside first: a crash between the two renames leaves it
    beside `path` under a temporary name, and the next write of `path` puts it back
    before anything else.

    An existing `path` is replaced only if it is a folder holding the file
    `holds` (a folder of the same kind: `saved_model.pb` for a SavedModel);
    a file, the working folder or any other folder raises `ValueError`."""
    path = os.path.abspath(os.fspath(path))
    _put_back_aside(path)
    check_replaceable(path, holds)
    path, folder, temporary = _temporary(path, is_folder=True)
    os.makedirs(temporary)
    try:
        yield temporary
        _fsync_tree(temporary)
        old = None
        if os.path.lexists(path) and _exchange(temporary, path):
            old = temporary  # now the old folder
        else:
            if os.path.lexists(path):
                old = f"{_temporary(path, is_folder=True)[2]}.old"
                os.replace(path, old)
            os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise
    fsync_path(folder)
    if old is not None:
        _remove(old)


def write_json(path, value, **kwargs):
    """`json.dump(value)` to `path`, atomically (`kwargs`: `json.dump`'s)."""
    with atomic_path(path) as temporary, open(temporary, "w") as f:
        json.dump(value, f, **kwargs)


def write_bytes(path, data):
    """`data` to the file `path`, atomically."""
    with atomic_path(path) as temporary, open(temporary, "wb") as f:
        f.write(data)
