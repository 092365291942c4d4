#!/usr/bin/python3
"""Make a golden case for one zoo model: random weights, a random input, PyTorch's output.

  golden.py MODEL --out DIR [--seed S] [--classes N]

Writes DIR/weights.safetensors (the state dict, F32, num_batches_tracked kept as I64),
DIR/input.npy (float32, NHWC (1, R, R, 3), x ~ N(0, 1)) and DIR/expected.npy (float32,
(1, classes)); prints one line: model, resolution, max |expected|.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "golden.py"
WEIGHTS = "weights.safetensors"
INPUT = "input.npy"
EXPECTED = "expected.npy"


def write_case(out_dir, x, y, state_dict=None, metadata=None):
    """Writes a case: input.npy (x, NCHW as NHWC), expected.npy (y; a feature map as NHWC) and,
    given a state dict, weights.safetensors. Returns {"max_abs": max |y|}."""
    import numpy as np

    import safetensors_file

    if y.dim() == 4:
        y = y.permute(0, 2, 3, 1).contiguous()
    expected = y.numpy().astype(np.float32)
    if not np.isfinite(expected).all():
        source = (metadata or {}).get("joule.source", "")
        raise Failure(f"{(metadata or {}).get('joule.model', 'model')}: PyTorch output is not finite ({source})")
    try:
        os.makedirs(out_dir, exist_ok=True)
        if state_dict is not None:
            safetensors_file.save(state_dict, os.path.join(out_dir, WEIGHTS), metadata)
        # The C++ side reads images as NHWC, the layout it computes in.
        nhwc = x.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32)
        np.save(os.path.join(out_dir, INPUT), nhwc)
        np.save(os.path.join(out_dir, EXPECTED), expected)
    except OSError as error:
        raise Failure(f"cannot write into {out_dir}: {error.strerror or error}") from None
    return {"max_abs": float(np.abs(expected).max())}


def make_golden(model_name, out_dir, seed=0, classes=1000):
    """Writes the three files; returns a dict of what a caller may report."""
    import torch

    import joule_models

    try:
        _, res = joule_models.lookup(model_name)
    except joule_models.UnknownModel as error:
        raise UsageError(str(error)) from None
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise Failure(f"cannot create {out_dir}: {error.strerror or error}") from None

    started = time.perf_counter()
    model = joule_models.random_model(model_name, seed, classes)
    built = time.perf_counter()
    x = joule_models.random_input(res, seed)
    with torch.no_grad():
        y = model(x)
    ran = time.perf_counter()

    metadata = {
        "format": "pt",
        "joule.model": model_name,
        "joule.classes": str(classes),
        "joule.resolution": str(res),
        "joule.source": f"random, seed {seed}",
    }
    case = write_case(out_dir, x, y, model.state_dict(), metadata)
    return {
        "model": model_name,
        "resolution": res,
        "classes": classes,
        "max_abs": case["max_abs"],
        "build_s": built - started,
        "forward_s": ran - built,
        "total_s": time.perf_counter() - started,
    }


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="zoo name, e.g. mobilenet_v2")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--seed", type=tool_cli.seed, default=0)
    parser.add_argument("--classes", type=tool_cli.positive_int, default=1000)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        tool_cli.limit_threads()
        info = make_golden(args.model, args.out, args.seed, args.classes)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    print(f"{info['model']} {info['resolution']}x{info['resolution']} classes {info['classes']} "
          f"seed {args.seed}: max|expected| {info['max_abs']:.6g} "
          f"({info['total_s']:.2f}s: build+randomize {info['build_s']:.2f}s, "
          f"forward {info['forward_s']:.2f}s)")
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
