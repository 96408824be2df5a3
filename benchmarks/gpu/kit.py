"""The offline GPU benchmark kit: one command on a JAX / PyTorch CUDA node.

Installs the wheelhouse that `build_wheelhouse.py` made (`pip --no-index`:
no network) into a fresh virtualenv over the packages the node's Python
already has (JAX, PyTorch, numpy, ...), then runs `benchmarks/speed.py
--grid` on JAX and on PyTorch, each in its own process: DCGANs of 32x32 and
64x64 at batch 64 and 256, float32 and mixed bfloat16, `gan.fit` against the
hand-written loop (`jax.jit`, plain PyTorch), each side's achieved TFLOP/s
against the card's bf16 matrix peak measured in the same run. Prints one
table and writes it as JSON.

    python benchmarks/gpu/kit.py --wheelhouse wheelhouse [--out gpu_kit.json]
    python benchmarks/gpu/kit.py --wheelhouse wheelhouse --dry-run   # CPU, small steps

Run it with the node's Python (the one that holds JAX and PyTorch): the
virtualenv sees that interpreter's packages through a `.pth` file (or those
of `--image-site`, a folder standing in for an image's packages, as the
test suite's dry run uses) and adds only the wheelhouse's.
"""

import argparse
import json
import os
import site
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPEED = os.path.join(os.path.dirname(HERE), "speed.py")
BACKENDS = ("jax", "torch")
# On a GPU: long enough runs for milliseconds-long steps; the dry run only
# goes through every code path.
FULL = {"steps": 50, "repeats": 5, "sizes": (32, 64), "batches": (64, 256), "peak": 8192}
DRY = {"steps": 2, "repeats": 1, "sizes": (8,), "batches": (8,), "peak": 256}


def image_sites():
    """The site-packages folders of the running interpreter (a virtualenv's
    too): what the node's image already has."""
    paths = list(site.getsitepackages()) + [sysconfig.get_paths()["purelib"]]
    return list(dict.fromkeys(p for p in paths if os.path.isdir(p)))


def make_venv(venv, wheelhouse, sites):
    """A virtualenv at `venv` that sees `sites` and holds the wheelhouse's
    install of keras-gan (the minimal one: no TensorFlow). Returns its python."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with open(os.path.join(purelib, "keras_gan_image.pth"), "w") as f:
        f.write("\n".join(sites) + "\n")
    pip = [python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet", "--no-index"]
    pip += ["--find-links", wheelhouse]
    subprocess.run([*pip, "-r", os.path.join(HERE, "requirements.txt")], check=True)
    subprocess.run([*pip, "--no-deps", "--force-reinstall", "keras-gan"], check=True)
    return python


def run_backend(python, backend, settings, out, width):
    command = [python, SPEED, "--grid", "--backend", backend, "--out", out]
    command += ["--steps", str(settings["steps"]), "--repeats", str(settings["repeats"])]
    command += ["--grid-sizes", *map(str, settings["sizes"])]
    command += ["--grid-batches", *map(str, settings["batches"])]
    command += ["--peak-size", str(settings["peak"]), "--width", str(width)]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def table(rows):
    lines = [
        f"{'backend':8s}{'model':44s}{'fit st/s':>10s}{'loop st/s':>11s}{'ratio':>7s}"
        f"{'paired':>8s}{'fit TF/s':>10s}{'loop TF/s':>11s}{'peak TF/s':>11s}{'fit %':>7s}"
    ]
    for r in rows:
        fit_tflops = r["fit_tflops"] or float("nan")
        loop_tflops = r["loop_tflops"] or float("nan")
        lines.append(
            f"{r['backend']:8s}{r['describe']:44s}{r['fit_steps_per_s']:10.1f}"
            f"{r['loop_steps_per_s']:11.1f}{r['ratio']:7.3f}{r['paired_median']:8.3f}"
            f"{fit_tflops:10.3f}{loop_tflops:11.3f}{r['peak_tflops']:11.1f}"
            f"{100 * fit_tflops / r['peak_tflops']:7.1f}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", required=True, help="build_wheelhouse.py's folder")
    parser.add_argument("--venv", default=os.path.join("build", "gpu-kit-venv"))
    parser.add_argument("--out", default="gpu_kit.json", help="the table as JSON")
    parser.add_argument("--dry-run", action="store_true", help="small steps: every code path")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--width", type=int, default=32, help="the DCGANs' width")
    parser.add_argument(
        "--image-site",
        action="append",
        help="a folder of the image's packages (default: the running Python's site-packages)",
    )
    args = parser.parse_args(argv)
    start = time.time()
    settings = DRY if args.dry_run else FULL
    python = make_venv(args.venv, args.wheelhouse, args.image_site or image_sites())
    rows = []
    for backend in args.backends:
        part = f"{args.out}.{backend}.json"
        rows += run_backend(python, backend, settings, part, args.width)
        os.remove(part)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
    print(table(rows))
    print(
        f"{rows[0]['device']}; steps {settings['steps']} x {settings['repeats']} alternating "
        f"runs; ratio = fit / loop throughput; TF/s = TFLOP/s (the loop step's FLOPs); "
        f"{time.time() - start:.0f} s in all; JSON: {args.out}"
    )
    return rows


if __name__ == "__main__":
    main()
