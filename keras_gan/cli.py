"""The `keras-gan` command line: argument parsing only.

keras-gan demo [--out DIR] [--quick]      train the demo GANs offline (keras_gan.demo)
keras-gan export RUN.keras OUT [...]      export saved GANs' generators (keras_gan.serving)
keras-gan serve PATH [--host --port ...]  serve an exported generator (keras_gan.server)
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keras-gan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train the demo GANs offline and write pictures and metrics"
    )
    demo_parser.add_argument("--out", default="runs/demo", help="output folder")
    demo_parser.add_argument("--quick", action="store_true", help="a few epochs (smoke test)")
    demo_parser.add_argument("--seed", type=_seed, default=0, help="0 to 2**32 - 1")
    export_parser = commands.add_parser(
        "export", help="export saved GANs' generators: RUN.keras OUT [RUN.keras OUT ...]"
    )
    export_parser.add_argument(
        "paths",
        nargs="+",
        metavar="RUN.keras OUT",
        help="pairs: a .keras file saved with gan.save, then the SavedModel folder to write",
    )
    serve_parser = commands.add_parser("serve", help="serve an exported generator over HTTP")
    serve_parser.add_argument("path", help="a SavedModel folder from export_generator")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=_port, default=8000, help="0-65535 (0: any free)")
    serve_parser.add_argument("--model-name", default="generator")
    serve_parser.add_argument("--max-n", type=int, default=256, help="most samples a request")
    serve_parser.add_argument(
        "--max-concurrency", type=int, default=4, help="most model calls at once"
    )
    serve_parser.add_argument(
        "--max-body",
        type=int,
        default=4 * 2**20,
        help="most bytes of a request body (413 beyond it; default 4 MiB)",
    )
    args = parser.parse_args(argv)
    try:
        return _run(args, export_parser)
    except (ValueError, OSError) as error:  # a bad value or path: its message, no traceback
        print(f"keras-gan {args.command}: error: {error}", file=sys.stderr)
        return 1


def _port(text):
    """argparse's type for a TCP port."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535. Received: {text!r}")
    return port


def _seed(text):
    """argparse's type for the demo's seed (numpy's legacy seeding takes
    0 to 2**32 - 1)."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f"a seed is 0 to 2**32 - 1. Received: {text!r}")
    return seed


def _run(args, export_parser):
    if args.command == "demo":
        from keras_gan import _files, demo

        # Named as the command line names it (demo.demo checks it as `out`).
        demo.demo(_files.folder(args.out, "--out"), quick=args.quick, seed=args.seed)
    elif args.command == "export":
        if len(args.paths) % 2:
            export_parser.error(
                "export takes pairs of paths, RUN.keras OUT [RUN.keras OUT ...]. "
                f"Received {len(args.paths)} paths: {args.paths}"
            )
        if "keras" not in sys.modules:  # the SavedModel is written by TensorFlow
            os.environ["KERAS_BACKEND"] = "tensorflow"
        from keras_gan import serving

        for out in serving.export_saved(zip(args.paths[::2], args.paths[1::2], strict=True)):
            print(out)
    elif args.command == "serve":
        from keras_gan.server import serve

        serve(
            args.path,
            host=args.host,
            port=args.port,
            model_name=args.model_name,
            max_n=args.max_n,
            max_concurrency=args.max_concurrency,
            max_body=args.max_body,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
