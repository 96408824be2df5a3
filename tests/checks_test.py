"""keras_gan._checks: the optional-package boundary (the argument checks are
tested with the functions that use them)."""

import sys

import pytest

from keras_gan import _checks


def test_a_missing_optional_package_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras_tuner", None)  # import raises ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError, match="'keras-tuner'.*pip install keras-tuner"):
        _checks.require("keras_tuner")
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ModuleNotFoundError, match="from_tfds. needs the package 'tensorflow'"):
        _checks.require("tensorflow", "`keras_gan.data.from_tfds`")


def test_a_broken_optional_package_is_not_reported_as_missing(monkeypatch):
    """A dependency of the package that is missing is that package's error."""

    def broken(name, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'kiwisolver'", name="kiwisolver")

    monkeypatch.setattr(_checks.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="kiwisolver") as info:
        _checks.require("matplotlib")
    assert "pip install" not in str(info.value)


def test_an_installed_optional_package_is_returned():
    assert _checks.require("numpy").__name__ == "numpy"
