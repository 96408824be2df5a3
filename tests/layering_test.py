"""The package's layering, a checked contract (pyproject.toml's
`[tool.importlinter]`), and what `import keras_gan` leaves unimported."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINT_IMPORTS = os.path.join(os.path.dirname(sys.executable), "lint-imports")


def lint_imports(root):
    """Runs import-linter on the keras_gan package under `root`."""
    return subprocess.run(
        [LINT_IMPORTS, "--config", os.path.join(root, "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=root),
        capture_output=True,
        text=True,
    )


# The import contract is about source files, not the backend: checked once.
static = pytest.mark.tensorflow_only("import-linter reads the source; the backend plays no part")


@pytest.fixture
def package_copy(tmp_path):
    shutil.copytree(
        os.path.join(ROOT, "keras_gan"),
        tmp_path / "keras_gan",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), tmp_path)
    return tmp_path


def plant(root, module, line):
    path = root / "keras_gan" / module
    path.write_text(path.read_text() + f"\n{line}\n")


@static
def test_the_layering_contract_holds(package_copy):
    done = lint_imports(package_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@static
@pytest.mark.parametrize(
    "module,line,broken",
    [
        # the library importing its command line
        ("losses.py", "from keras_gan import cli  # noqa", "keras_gan.losses -> keras_gan.cli"),
        # metrics importing data (a sibling of the same layer)
        ("metrics/base.py", "from keras_gan import data  # noqa", "keras_gan.metrics.base"),
        # the backend reaching up to the GAN
        ("backend/common.py", "import keras_gan.gan.core  # noqa", "keras_gan.backend.common"),
    ],
)
def test_a_planted_upward_import_breaks_the_contract(package_copy, module, line, broken):
    plant(package_copy, module, line)
    done = lint_imports(package_copy)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and broken in done.stdout, done.stdout


@static
def test_a_module_outside_every_layer_breaks_the_contract(package_copy):
    (package_copy / "keras_gan" / "stray.py").write_text("import keras\n")
    done = lint_imports(package_copy)
    assert done.returncode != 0 and "keras_gan.stray" in done.stdout, done.stdout


def test_import_keras_gan_leaves_the_tuner_and_the_server_unimported():
    code = (
        "import sys, keras_gan\n"
        "heavy = [m for m in ('keras_tuner', 'fastapi', 'uvicorn', 'keras_gan.tuning', "
        "'keras_gan.server', 'keras_gan.cli') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert keras_gan.tuning.GANHyperModel  # imported when first used\n"
        "assert 'keras_tuner' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
