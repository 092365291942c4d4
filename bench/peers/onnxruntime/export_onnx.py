#!/usr/bin/python3
"""Export the torchvision models that ONNX Runtime is timed on, with a reference input and output.

  export_onnx.py OUT_DIR [--models NAME ...] [--seed S]

For each model (default: mobilenet_v2, mobilenet_v3_large, efficientnet_b0) writes
  OUT_DIR/NAME.onnx           batch 1, NCHW float32 input "input" (1, 3, 224, 224), output
                              "output" (1, 1000); opset 13, constant folding on
  OUT_DIR/NAME.input.npy      the reference input, float32 NCHW
  OUT_DIR/NAME.expected.npy   PyTorch's output for it, float32 (1, 1000)
and prints one line per model. Exit status: 0 on success, 2 on a usage error, 1 otherwise.
"""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The zoo and its deterministic weights live in tools/; using them means ONNX Runtime runs the
# very networks (same builders, same weights) that joule's own parity tests run.
sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "export_onnx.py"
MODELS = ("mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0")
OPSET = 13


def export(model_name, out_dir, seed=0):
    """Writes the three files of one model; returns (path of the .onnx, max |expected|)."""
    import numpy as np
    import onnx
    import torch

    import joule_models

    try:
        _, res = joule_models.lookup(model_name)
    except joule_models.UnknownModel as error:
        raise UsageError(str(error)) from None
    if res != 224:
        raise UsageError(f"{model_name}: the peer comparison is at 224x224, this model is {res}x{res}")

    # torchvision's builder, random weights, eval mode. Not torchvision's bare initialization:
    # in eval mode with fresh BatchNorm statistics its activations shrink ~10x per depthwise
    # layer (see joule_models.randomize), so the output would hardly depend on the input (a
    # useless correctness check) and activations could reach subnormal floats, which would time
    # ONNX Runtime on a slow path no trained network takes.
    model = joule_models.random_model(model_name, seed)
    model.eval()
    x = joule_models.random_input(res, seed)
    with torch.no_grad():
        expected = model(x).numpy().astype(np.float32)
    if not np.isfinite(expected).all():
        raise Failure(f"{model_name}: PyTorch output is not finite")

    path = os.path.join(out_dir, f"{model_name}.onnx")
    try:
        with torch.no_grad():
            torch.onnx.export(
                model,
                x,
                path,
                export_params=True,
                opset_version=OPSET,
                do_constant_folding=True,
                input_names=["input"],
                output_names=["output"],
            )
        np.save(os.path.join(out_dir, f"{model_name}.input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(out_dir, f"{model_name}.expected.npy"), expected)
    except OSError as error:
        raise Failure(f"cannot write into {out_dir}: {error.strerror or error}") from None
    # A file that the checker rejects would fail later in ONNX Runtime with a vaguer message.
    try:
        onnx.checker.check_model(onnx.load(path))
    except onnx.checker.ValidationError as error:
        raise Failure(f"{path}: not a valid ONNX model: {error}") from None
    return path, float(np.abs(expected).max())


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", metavar="OUT_DIR")
    parser.add_argument("--models", nargs="+", default=list(MODELS), metavar="NAME")
    parser.add_argument("--seed", type=tool_cli.seed, default=0)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        tool_cli.limit_threads()
        try:
            os.makedirs(args.out_dir, exist_ok=True)
        except OSError as error:
            raise Failure(f"cannot create {args.out_dir}: {error.strerror or error}") from None
        for name in args.models:
            path, max_abs = export(name, args.out_dir, args.seed)
            print(f"{name}: {path} (opset {OPSET}), max|expected| {max_abs:.6g}")
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug or a failed export still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
