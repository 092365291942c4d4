#!/usr/bin/python3
"""Parameters and multiply-accumulates of zoo models, by the convention the C++ tests use.

  count.py [MODEL ...] [--json | --cpp] [--classes N]

params: sum(p.numel() for p in model.parameters()) (trainable parameters; BatchNorm's running
statistics are buffers and do not count, its weight and bias do).
MACs, counted with forward hooks at the model's resolution, batch 1:
  nn.Conv2d: output elements x (in_channels / groups) x kh x kw  (bias adds nothing)
  nn.Linear: in_features x out_features
and nothing else (BatchNorm, activations, pooling, SE's multiply, residual adds: 0).
Without arguments, every zoo model in zoo order.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import UsageError  # noqa: E402

PROG = "count.py"


def count(model_name, classes=1000):
    """{"name", "resolution", "params", "macs"} of one zoo model."""
    import torch
    from torch import nn

    import joule_models

    builder, res = joule_models.lookup(model_name)
    model = builder(classes).eval()
    macs = 0

    def conv_hook(module, inputs, output):
        nonlocal macs
        kh, kw = module.kernel_size
        macs += output.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module, inputs, output):
        nonlocal macs
        # in x out per applied row; at batch 1 on a flattened vector, exactly in x out.
        macs += (output.numel() // module.out_features) * module.in_features * module.out_features

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(1, 3, res, res))
    for hook in hooks:
        hook.remove()
    params = sum(p.numel() for p in model.parameters())
    return {"name": model_name, "resolution": res, "params": params, "macs": macs}


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL", help="zoo names (default: all)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="a JSON list of objects")
    output.add_argument("--cpp", action="store_true",
                        help='C++ initializer lines: {"name", params, macs},')
    parser.add_argument("--classes", type=tool_cli.positive_int, default=1000)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    import joule_models

    names = args.models or list(joule_models.ZOO)
    try:
        for name in names:
            try:
                joule_models.lookup(name)
            except joule_models.UnknownModel as error:
                raise UsageError(str(error)) from None
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE

    tool_cli.limit_threads()
    rows = []
    for name in names:
        row = count(name, args.classes)
        rows.append(row)
        if not (args.json or args.cpp):
            print(f"{row['name']} {row['params']} {row['macs']}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))
    elif args.cpp:
        classes = "" if args.classes == 1000 else f", {args.classes} classes"
        print(f"// name, params, MACs at the zoo resolution (tools/count.py --cpp{classes})")
        for row in rows:
            print(f'{{"{row["name"]}", {row["params"]}, {row["macs"]}}},')
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
