#!/usr/bin/python3
"""Make an int8 golden case: a randomized model quantized by PyTorch, an input, PyTorch's output.

  golden_quantized.py MODEL --engine qnnpack|onednn --out DIR [--seed S] [--calibration-batches N]

MODEL is mobilenet_v2 or mobilenet_v3_large. The float weights are the zoo's random weights for
the seed (golden.py's and export.py --seed's); torchvision's quantizable twin of the model loads
them, fuses (BatchNorm folded, ReLU fused), takes the engine's default qconfig, observes N
calibration images and converts: PyTorch's eager post-training quantization as its docs give it.

Writes DIR/qstate.pt (the quantized state dict; for MobileNetV3 with its Hardswish output
parameters added, which PyTorch 1.13 leaves out), DIR/float_state.pt (the float state dict
before fusion), DIR/input.npy (float32 NHWC (1, 224, 224, 3), x ~ N(0, 1)), DIR/expected.npy
(float32 (1, classes): the quantized model's output, dequantized) and DIR/case.json (what the
case was made with); prints one line.
"""

import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "golden_quantized.py"
MODELS = ("mobilenet_v2", "mobilenet_v3_large")
ENGINES = ("qnnpack", "onednn")
QSTATE = "qstate.pt"
FLOAT_STATE = "float_state.pt"
INPUT = "input.npy"
EXPECTED = "expected.npy"
CASE = "case.json"
DEFAULT_CALIBRATION_BATCHES = 4


def cpu_capability():
    """ATen's vector ISA as torch reports it ('AVX2', 'AVX512', 'DEFAULT'), or None."""
    import torch

    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return None


def quantize(model_name, engine, seed=0, calibration_batches=DEFAULT_CALIBRATION_BATCHES):
    """(float model, quantized model): the zoo's random float weights through torchvision's
    quantizable model and eager post-training quantization on `engine`."""
    import torch
    import torchvision.models.quantization as quantizable

    import joule_models

    if model_name not in MODELS:
        raise UsageError(f"unknown model '{model_name}': int8 golden cases exist for {', '.join(MODELS)}")
    if engine not in torch.backends.quantized.supported_engines:
        raise Failure(f"engine {engine} is not in this PyTorch ({torch.backends.quantized.supported_engines})")
    res = joule_models.resolution(model_name)
    float_model = joule_models.random_model(model_name, seed)
    qmodel = getattr(quantizable, model_name)(weights=None, quantize=False)
    qmodel.load_state_dict(float_model.state_dict())
    qmodel.eval()
    qmodel.fuse_model()
    torch.backends.quantized.engine = engine
    qmodel.qconfig = torch.ao.quantization.get_default_qconfig(engine)
    torch.ao.quantization.prepare(qmodel, inplace=True)
    with torch.no_grad():
        for index in range(calibration_batches):
            # One image per batch, drawn as the parity inputs are but from seeds the case's own
            # input (seed) does not use.
            qmodel(joule_models.random_input(res, seed + 1 + index))
    torch.ao.quantization.convert(qmodel, inplace=True)
    return float_model, qmodel


def quantized_state(model_name, qmodel):
    """What to torch.save: the state dict, plus for MobileNetV3 its Hardswish output parameters
    under the names later PyTorch versions save them (pytorch/pytorch#91877)."""
    import quantized_export

    state = qmodel.state_dict()
    if model_name == "mobilenet_v3_large":
        quantized_export.add_hardswish_qparams(qmodel, state)
    return state


def make_case(model_name, engine, out_dir, seed=0, calibration_batches=DEFAULT_CALIBRATION_BATCHES):
    """Writes the five files; returns a dict of what a caller may report."""
    import warnings

    import numpy as np
    import torch
    import torchvision.models.quantization as quantizable

    import joule_models
    import quantized_reference

    if model_name not in MODELS:
        raise UsageError(f"unknown model '{model_name}': int8 golden cases exist for {', '.join(MODELS)}")
    if calibration_batches < 1:
        raise UsageError("--calibration-batches must be at least 1")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise Failure(f"cannot create {out_dir}: {error.strerror or error}") from None

    started = time.perf_counter()
    with warnings.catch_warnings():
        # A block without a residual never runs its skip_add, whose observer then warns.
        warnings.filterwarnings("ignore", message="must run observer before calling calculate_qparams")
        float_model, qmodel = quantize(model_name, engine, seed, calibration_batches)
    quantized_at = time.perf_counter()
    res = joule_models.resolution(model_name)
    x = joule_models.random_input(res, seed)
    with torch.no_grad():
        y = qmodel(x)
        # The float network that was quantized: the same weights in the quantizable model (for
        # MobileNetV2 with ReLU in place of ReLU6, as torchvision quantizes it).
        twin = getattr(quantizable, model_name)(weights=None, quantize=False)
        twin.load_state_dict(float_model.state_dict())
        y_float = twin.eval()(x)
    ran = time.perf_counter()

    expected = y.numpy().astype(np.float32)
    if not np.isfinite(expected).all():
        raise Failure(f"{model_name}: PyTorch output is not finite (seed {seed})")
    case = {
        "model": model_name,
        "engine": engine,
        "seed": seed,
        "calibration_batches": calibration_batches,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "aten_capability": cpu_capability(),
        "onednn_accumulation": quantized_reference.detect_accumulation() if engine == "onednn" else "exact",
        "cpu": platform.processor() or platform.machine(),
    }
    try:
        torch.save(quantized_state(model_name, qmodel), os.path.join(out_dir, QSTATE))
        torch.save(float_model.state_dict(), os.path.join(out_dir, FLOAT_STATE))
        np.save(os.path.join(out_dir, INPUT), x.permute(0, 2, 3, 1).contiguous().numpy().astype(np.float32))
        np.save(os.path.join(out_dir, EXPECTED), expected)
        with open(os.path.join(out_dir, CASE), "w") as file:
            json.dump(case, file, indent=1, sort_keys=True)
            file.write("\n")
    except OSError as error:
        raise Failure(f"cannot write into {out_dir}: {error.strerror or error}") from None
    peak = float(np.abs(y_float.numpy()).max())
    return {
        "model": model_name,
        "engine": engine,
        "max_abs": float(np.abs(expected).max()),
        "error": float(np.abs(expected - y_float.numpy()).max()) / peak,
        "same_argmax": int(expected.argmax()) == int(y_float.argmax()),
        "quantize_s": quantized_at - started,
        "forward_s": ran - quantized_at,
        "total_s": time.perf_counter() - started,
    }


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help=" or ".join(MODELS))
    parser.add_argument("--engine", required=True, choices=ENGINES)
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--seed", type=tool_cli.seed, default=0)
    parser.add_argument("--calibration-batches", type=tool_cli.positive_int,
                        default=DEFAULT_CALIBRATION_BATCHES, metavar="N",
                        help=f"calibration images (default {DEFAULT_CALIBRATION_BATCHES})")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.model not in MODELS:
        parser.error(f"unknown model '{args.model}': int8 golden cases exist for {', '.join(MODELS)}")
    try:
        import torch

        # One thread, whatever $JOULE_TOOLS_THREADS says: ATen's element-wise int8 kernels
        # split work by threads, and a split changes which elements take the vector path
        # (docs/quantization-pytorch.md), so only the one-thread output is reproducible.
        torch.set_num_threads(1)
        info = make_case(args.model, args.engine, args.out, args.seed, args.calibration_batches)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    print(f"{info['model']} int8 {info['engine']} seed {args.seed}, {args.calibration_batches} "
          f"calibration images: max|expected| {info['max_abs']:.6g}, max|expected - float| "
          f"{info['error']:.3g} of max|float| (argmax {'same' if info['same_argmax'] else 'differs'}) "
          f"({info['total_s']:.2f}s: quantize {info['quantize_s']:.2f}s, forward {info['forward_s']:.2f}s)")
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
