"""Builds the GPU kit's wheelhouse: what a JAX / PyTorch CUDA image lacks.

An air-gapped GPU node typically has Python with JAX and/or PyTorch (and so
numpy, scipy and ml-dtypes) but no TensorFlow, no Keras and no network. This
collects, as wheels in one folder (at most 32 MiB), Keras, the small
packages it adds to such an image, the minimal install of keras-gan
(`requirements.txt` beside this file) and keras-gan itself, each at the
version installed where it is built (so the GPU runs what the CPU tested).
The set is computed from the installed packages' metadata: the minimal
install and all it requires, less what JAX requires (an image with JAX has
it). Carry the folder to the node and run `kit.py` there:

    python benchmarks/gpu/build_wheelhouse.py --dest wheelhouse
    # for a node whose Python differs from this one's (binary wheels):
    python benchmarks/gpu/build_wheelhouse.py --dest wheelhouse \\
        --python-version 3.12 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64

It needs a package index (or pip's cache) where it is built, and nothing
where the kit runs.
"""

import argparse
import importlib.metadata
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The wheelhouse's limit: small enough to carry with a session's files.
MAX_MIB = 32
# What every JAX image holds, where JAX is not installed here to ask.
JAX_IMAGE = ("jax", "jaxlib", "numpy", "scipy", "ml-dtypes", "opt-einsum")


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requires):
    """The distribution names of `Requires-Dist` lines, without extras' lines."""
    for line in requires or ():
        if "extra ==" not in line:
            yield normalized(re.split(r"[\s;<>=!~\[(]", line.strip(), maxsplit=1)[0])


def closure(names, missing_ok=False):
    """`{name: installed version}` of `names` and everything they require,
    from the installed distributions' metadata."""
    found, todo = {}, [normalized(n) for n in names]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if missing_ok:
                continue
            raise SystemExit(f"{name} is not installed here: install keras-gan first") from None
        found[name] = dist.version
        todo += list(requirement_names(dist.requires))
    return found


def minimal_install():
    """The minimal install (`requirements.txt`) with all it requires, less
    what a JAX image already holds (JAX's own requirements): `{name: version}`."""
    with open(os.path.join(HERE, "requirements.txt")) as f:
        wanted = list(requirement_names(line for line in f if not line.startswith("#")))
    image = set(closure(["jax"], missing_ok=True)) or set(JAX_IMAGE)
    return {n: v for n, v in closure(wanted).items() if n not in image and n != "keras-gan"}


def folder_mib(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) / 2**20


def build(dest, python_version=None, platforms=(), pip=(sys.executable, "-m", "pip")):
    """Downloads the pinned wheels and builds keras-gan's into `dest`;
    returns the wheelhouse's size in MiB (a `SystemExit` above `MAX_MIB`)."""
    os.makedirs(dest, exist_ok=True)
    pins = [f"{name}=={version}" for name, version in sorted(minimal_install().items())]
    target = []
    if python_version:
        target += ["--python-version", python_version, "--implementation", "cp"]
    for platform in platforms:
        target += ["--platform", platform]
    subprocess.run(
        [*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", dest]
        + target
        + pins,
        check=True,
    )
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", dest, ROOT],
        check=True,
    )
    size = folder_mib(dest)
    if size > MAX_MIB:
        raise SystemExit(f"The wheelhouse holds {size:.1f} MiB, over its {MAX_MIB} MiB: {dest}")
    return size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", default="wheelhouse", help="the folder to fill")
    parser.add_argument("--python-version", help="the GPU node's Python, e.g. 3.12")
    parser.add_argument(
        "--platform", action="append", default=[], help="the node's wheel platform tags"
    )
    args = parser.parse_args(argv)
    size = build(args.dest, args.python_version, args.platform)
    print(f"{args.dest}: {len(os.listdir(args.dest))} wheels, {size:.1f} MiB")


if __name__ == "__main__":
    main()
