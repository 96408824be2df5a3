"""Each example runs, in a smoke mode, as a user would run it."""

import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quickstart_ring(tmp_path):
    scores = load("quickstart_ring").main(epochs=1, out=str(tmp_path))
    assert scores["num_modes"] == 8
    assert (tmp_path / "samples.png").stat().st_size > 0
