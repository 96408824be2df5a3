"""The README's quick start runs exactly as written."""

import pathlib
import re

import pytest

from tests.losses_test import HAND

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.slow
def test_quick_start_runs_as_written(capsys):
    quick_start = python_blocks()[0]
    assert "gan.fit(" in quick_start and len(quick_start.strip().splitlines()) <= 12
    exec(compile(quick_start, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "'num_modes': 8" in printed


def test_readme_names_both_set_up_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    for name in HAND:
        assert f"`{name}`" in text


@pytest.mark.slow
def test_mixture_recipe_block_runs_shortened():
    """The README's mixture recipe (its second code block) runs as written
    but for 2 epochs instead of 82."""
    recipe = python_blocks()[1]
    assert "recipes.mixture_gan(total_steps=82 * 195" in recipe and "epochs=82" in recipe
    namespace = {}
    exec(compile(recipe.replace("82", "2"), "README.md", "exec"), namespace)
    gan = namespace["gan"]
    assert int(gan.g_optimizer.iterations) == 2 * 195
    assert gan.generate(3, seed=0).shape == (3, 2)
