"""Loads the repository's scripts (examples/, benchmarks/) as modules."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_script(folder, name):
    """Imports `ROOT/folder/name.py` as a module (without running `__main__`)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
