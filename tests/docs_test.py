"""The documentation site builds offline, strictly, from the docstrings and the guide."""

import html
import importlib
import inspect
import pathlib
import re
import subprocess
import sys

import pytest

import keras_gan

pytestmark = pytest.mark.tensorflow_only("the documentation is the same on every backend")

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
GUIDE_PAGES = ("structure", "discriminator", "generator", "training", "convergence", "losses")


def visible_text(page):
    """The text a reader sees: tags dropped, entities decoded, spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return " ".join(text.split())


def resolve(dotted):
    """The object `keras_gan.a.b...` names, importing submodules as needed."""
    obj = keras_gan
    path = "keras_gan"
    for part in dotted.split(".")[1:]:
        path = f"{path}.{part}"
        if not hasattr(obj, part) and inspect.ismodule(obj):
            importlib.import_module(path)
        obj = getattr(obj, part)
    return obj


def test_guide_follows_the_course():
    for name in GUIDE_PAGES:
        assert (GUIDE / f"{name}.md").is_file(), name
    config = (ROOT / "mkdocs.yml").read_text()
    for name in GUIDE_PAGES:
        assert f"guide/{name}.md" in config, name


def test_guide_code_names_exist_in_keras_gan():
    pages = sorted(GUIDE.glob("*.md")) + [DOCS / "index.md"]
    names = set()
    for page in pages:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S):
            names.update(re.findall(r"\bkeras_gan(?:\.[A-Za-z_]\w*)+", block))
    assert "keras_gan.GAN" in names and "keras_gan.losses.GANLoss" in names
    for name in sorted(names):
        try:
            resolve(name)
        except (AttributeError, ImportError) as err:
            pytest.fail(f"The guide uses {name}, which keras_gan lacks: {err}")


@pytest.mark.slow
def test_docs_build_strict(tmp_path):
    mkdocs = pathlib.Path(sys.executable).parent / "mkdocs"
    assert mkdocs.exists(), f"no mkdocs next to {sys.executable}: pip install .[docs]"
    site = tmp_path / "site"
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
        + ["--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    gan_page = visible_text((site / "reference" / "gan.html").read_text())
    first_line = inspect.getdoc(keras_gan.GAN).splitlines()[0].replace("`", "")
    assert first_line in gan_page
    assert "keras_gan.gan.ConditionalGAN" in gan_page

    for name in ("losses", "penalties", "constraints", "callbacks", "metrics"):
        assert (site / "reference" / f"{name}.html").is_file(), name
    for md in GUIDE.glob("*.md"):
        assert (site / "guide" / f"{md.stem}.html").is_file(), md.name
    losses_page = visible_text((site / "guide" / "losses.html").read_text())
    assert "WeightClip(0.01)" in losses_page and "GradientPenalty(10.0)" in losses_page
