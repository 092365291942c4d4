#!/usr/bin/python3
"""Export a zoo model's weights as safetensors (and, through `joule header`, as a C++ header).

  export.py MODEL [--state-dict FILE.pt] [--seed S] [--classes N] [--dtype f32|f16|bf16]
            [-o OUT.safetensors] [--header OUT.hpp [--name IDENT] [--joule PATH]]
  export.py MODEL --quantized QSTATE.pt [--engine qnnpack|onednn] -o OUT.safetensors

With --state-dict, the weights are a user's: a state_dict saved with torch.save (or a whole
pickled module), checked name by name and shape by shape against the zoo model. Without it, the
model is randomized from --seed exactly as golden.py randomizes it, so both give the same file.

With --quantized, the state dict is an int8 one from torchvision's quantizable mobilenet_v2 or
mobilenet_v3_large, and the file is in joule's quantized format (quantized_export.py).

Exit status: 0 success, 2 usage error, 1 any other error; errors are one line on stderr.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import quantized_export  # noqa: E402
import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "export.py"
DTYPE_CHOICES = ("f32", "f16", "bf16")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
LISTED = tool_cli.LISTED


def parse_args(argv):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="zoo name, e.g. mobilenet_v2 or mobilenet_v1_0.75_192")
    parser.add_argument("--state-dict", metavar="FILE", help="a torch.save'd state_dict or module")
    parser.add_argument("--seed", type=tool_cli.seed, help="seed of the random weights (default 0)")
    parser.add_argument("--classes", type=tool_cli.positive_int,
                        help="classifier outputs (default: the state dict's, else 1000)")
    parser.add_argument("--dtype", choices=DTYPE_CHOICES,
                        help="floating-point type of the stored tensors (default f32)")
    parser.add_argument("--quantized", metavar="QSTATE.pt",
                        help="a torch.save'd quantized state_dict (mobilenet_v2, mobilenet_v3_large)")
    parser.add_argument("--engine", choices=("qnnpack", "onednn"),
                        help="with --quantized: the engine it was quantized for (default: "
                             "per-tensor weights qnnpack, per-channel onednn)")
    parser.add_argument("-o", "--output", metavar="OUT.safetensors")
    parser.add_argument("--header", metavar="OUT.hpp", help="also write a C++ header via joule")
    parser.add_argument("--name", metavar="IDENT", help="C++ name in the header (default: MODEL_weights)")
    parser.add_argument("--joule", metavar="PATH", help="the joule program (default: found)")
    args = parser.parse_args(argv)

    if args.quantized is not None:
        given = [option for option, value in (("--state-dict", args.state_dict), ("--seed", args.seed),
                                              ("--classes", args.classes), ("--dtype", args.dtype),
                                              ("--header", args.header)) if value is not None]
        if given:
            parser.error(f"{given[0]} does not go with --quantized (int8 weights from the state dict, -o only)")
        if not args.output:
            parser.error("nothing to write: give -o OUT.safetensors")
        if args.model not in quantized_export.MODELS:
            parser.error(f"--quantized supports {' and '.join(quantized_export.MODELS)}, not {args.model}")
    elif args.engine is not None:
        parser.error("--engine goes with --quantized")
    if not args.output and not args.header:
        parser.error("nothing to write: give -o OUT.safetensors and/or --header OUT.hpp")
    if args.state_dict is not None and args.seed is not None:
        parser.error("--seed makes random weights; it has no meaning with --state-dict")
    if not args.header and (args.name or args.joule):
        parser.error("--name and --joule go with --header")
    if args.name is not None and not IDENTIFIER.match(args.name):
        parser.error(f"--name {args.name!r} is not a C++ identifier")
    if args.seed is None:
        args.seed = 0
    if args.dtype is None:
        args.dtype = "f32"
    return parser, args


def default_identifier(model):
    """The same default as `joule header`: the model name made an identifier, plus _weights."""
    return re.sub(r"[^A-Za-z0-9_]", "_", model) + "_weights"


def load_user_state_dict(path):
    """The state dict in `path` (a saved state_dict or a pickled module), as name -> tensor."""
    import torch

    if not os.path.isfile(path):
        raise Failure(f"{path}: no such file")
    try:
        loaded = torch.load(path, map_location="cpu")
    except Exception as error:  # torch.load raises anything from pickle, zipfile or torch itself
        raise Failure(f"{path}: cannot load: {type(error).__name__}: {error}") from None
    if isinstance(loaded, torch.nn.Module):
        return loaded.state_dict()
    if isinstance(loaded, dict):
        bad = [key for key, value in loaded.items() if not isinstance(value, torch.Tensor)]
        if not bad:
            return loaded
        keys = ", ".join(map(str, list(loaded)[:LISTED]))
        raise Failure(
            f"{path}: not a state dict: {bad[0]!r} holds {type(loaded[bad[0]]).__name__}, not a "
            f"tensor (keys: {keys}{', ...' if len(loaded) > LISTED else ''}); save "
            "model.state_dict(), or pass the state dict inside your checkpoint"
        )
    raise Failure(f"{path}: holds a {type(loaded).__name__}, not a state dict or a module")


def classifier_key(model):
    import torch

    linears = [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return f"{linears[-1]}.weight" if linears else None


def mismatch_message(model_name, classes, expected, given):
    """One line naming what differs between the zoo model's state dict and the user's, or None."""
    missing = [key for key in expected if key not in given]
    unexpected = [key for key in given if key not in expected]
    shapes = [
        f"{key} {list(given[key].shape)} (model: {list(expected[key].shape)})"
        for key in expected
        if key in given and given[key].shape != expected[key].shape
    ]
    if not (missing or unexpected or shapes):
        return None
    parts = []
    if missing:
        parts.append(tool_cli.listing("missing keys", missing))
    if unexpected:
        parts.append(tool_cli.listing("unexpected keys", unexpected))
    if shapes:
        parts.append(tool_cli.listing("wrong shapes", shapes))
    hint = ""
    if given and all(key.startswith("module.") for key in given):
        hint = " (every key starts with 'module.': saved from DataParallel? strip the prefix)"
    return f"state dict does not match {model_name} ({classes} classes): " + "; ".join(parts) + hint


def user_model(model_name, path, classes):
    import joule_models

    state = load_user_state_dict(path)
    if classes is None:
        # A fine-tuned model's class count is in its classifier; taking it from there saves the
        # user from repeating it (a wrong --classes still shows up as a shape mismatch).
        model = joule_models.build(model_name, 1000)
        key = classifier_key(model)
        weight = state.get(key)
        classes = int(weight.shape[0]) if weight is not None and weight.dim() == 2 else 1000
        if classes != 1000:
            model = joule_models.build(model_name, classes)
    else:
        model = joule_models.build(model_name, classes)
    message = mismatch_message(model_name, classes, model.state_dict(), state)
    if message:
        raise Failure(f"{path}: {message}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise Failure(f"{path}: {error}") from None
    return model.eval(), classes


def convert(state, dtype):
    import torch

    target = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    # Only floating tensors change: num_batches_tracked stays I64, as PyTorch has it.
    return {k: (v.to(target) if v.is_floating_point() else v) for k, v in state.items()}


def run_joule_header(joule, model, weights, header, ident, cwd=None):
    command = [joule, "header", model, "--weights", weights, "--output", header, "--name", ident]
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=cwd)
    except OSError as error:
        raise Failure(f"cannot run {joule}: {error}") from None
    if done.returncode != 0:
        raise Failure(f"'{joule} header' failed (exit {done.returncode}): "
                      f"{tool_cli.one_line(done.stderr)}")
    if not os.path.isfile(header):
        raise Failure(f"'{joule} header' exited 0 but wrote no {header}")


def export(args):
    import joule_models
    import safetensors_file

    try:
        joule_models.lookup(args.model)
    except joule_models.UnknownModel as error:
        raise UsageError(str(error)) from None
    if args.quantized is not None:
        export_quantized(args)
        return
    joule = tool_cli.find_joule(args.joule) if args.header else None

    tool_cli.limit_threads()
    if args.state_dict is not None:
        model, classes = user_model(args.model, args.state_dict, args.classes)
        source = f"state dict {os.path.basename(args.state_dict)}"
    else:
        classes = args.classes or 1000
        model = joule_models.random_model(args.model, args.seed, classes)
        source = f"random, seed {args.seed}"
    state = convert(model.state_dict(), args.dtype)
    metadata = {
        "format": "pt",
        "joule.model": args.model,
        "joule.classes": str(classes),
        "joule.resolution": str(joule_models.resolution(args.model)),
        "joule.source": source,
    }

    written = []
    with tempfile.TemporaryDirectory(prefix="joule-export-") as scratch:
        weights = args.output or os.path.join(scratch, f"{args.model}.safetensors")
        try:
            size = safetensors_file.save(state, weights, metadata)
        except OSError as error:
            raise Failure(f"cannot write {weights}: {error.strerror or error}") from None
        if args.output:
            written.append(f"{args.output} ({len(state)} tensors, {size:,} bytes, {args.dtype})")
        if args.header:
            ident = args.name or default_identifier(args.model)
            if args.output:
                run_joule_header(joule, args.model, weights, args.header, ident)
            else:
                # joule names its weights file in the header's comment: run it beside the
                # temporary file so that the comment, and the header, do not change per run.
                run_joule_header(joule, args.model, os.path.basename(weights),
                                 os.path.abspath(args.header), ident, cwd=scratch)
            written.append(f"{args.header} ({ident})")
    print(f"{args.model}, {classes} classes, {source}: wrote " + ", ".join(written))


def export_quantized(args):
    import safetensors_file

    tool_cli.limit_threads()
    state = quantized_export.load_state(args.quantized)
    tensors, metadata, notes = quantized_export.convert(args.quantized, args.model, state, args.engine)
    try:
        size = safetensors_file.save(tensors, args.output, metadata)
    except OSError as error:
        raise Failure(f"cannot write {args.output}: {error.strerror or error}") from None
    engine = notes["engine"]
    if args.engine is None:
        scheme = "per-tensor" if engine == "qnnpack" else "per-channel"
        engine += f" (from its {scheme} weights)"
    left_out = notes["unused_skip_adds"]
    skipped = f"; left out {left_out} skip_add of blocks without a residual" if left_out else ""
    print(f"{args.model}, {notes['classes']} classes, int8 for {engine}, "
          f"{metadata['joule.source']}: wrote {args.output} ({len(tensors)} tensors, {size:,} bytes{skipped})")


def main(argv=None):
    _, args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        export(args)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
