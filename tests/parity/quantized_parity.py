#!/usr/bin/python3
"""Parity with PyTorch's own int8 model: torchvision's quantizable MODEL, quantized by PyTorch
(golden_quantized.py: fuse, the engine's qconfig, calibrate, convert), exported with
export.py --quantized and run by `joule run --precision int8`. The dequantized logits must equal
PyTorch's on at least MIN_EQUAL of the elements and never differ by more than one output
quantization step (the last layer's output scale).

  quantized_parity.py MODEL --engine qnnpack|onednn --joule PATH --work DIR [--seed S]
                      [--min-equal F]

Prints what it measured: the fraction of equal logits, the largest difference in steps.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
PYTHON = "/usr/bin/python3"


def step(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def output_scale(weights):
    """The scale of the network's last int8 tensor: the logits' quantization step."""
    with open(weights, "rb") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))
        names = [name for name in header if name.endswith(".scale") and name.startswith("classifier.")]
        last = max(names, key=lambda name: header[name]["data_offsets"][0])
        begin, _ = header[last]["data_offsets"]
        file.seek(8 + length + begin)
        return float(np.frombuffer(file.read(4), dtype="<f4")[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--engine", required=True, choices=("qnnpack", "onednn"))
    parser.add_argument("--joule", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--min-equal", type=float, default=0.99)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    work = lambda name: os.path.join(args.work, name)  # noqa: E731

    print(step([PYTHON, os.path.join(TOOLS, "golden_quantized.py"), args.model, "--engine", args.engine, "--out",
                args.work, "--seed", str(args.seed), "--calibration-batches", "1"]))
    print(step([PYTHON, os.path.join(TOOLS, "export.py"), args.model, "--quantized", work("qstate.pt"), "-o",
                work("q.safetensors")]))
    step([args.joule, "run", args.model, "--precision", "int8", "--weights", work("q.safetensors"), "--input",
          work("input.npy"), "--output", work("actual.npy")])

    expected = np.load(work("expected.npy"))
    actual = np.load(work("actual.npy"))
    if actual.shape != expected.shape:
        sys.exit(f"joule gave shape {actual.shape}, PyTorch {expected.shape}")
    scale = output_scale(work("q.safetensors"))
    steps = np.abs(actual.astype(np.float64) - expected.astype(np.float64)) / scale
    equal = float(np.mean(actual == expected))
    worst = float(steps.max())
    print(f"{args.model} ({args.engine}): {equal * 100:.2f}% of {expected.size} logits equal, "
          f"largest difference {worst:.2f} steps of {scale:.6g}")
    failures = []
    if equal < args.min_equal:
        failures.append(f"only {equal * 100:.2f}% of the logits equal PyTorch's (at least {args.min_equal * 100:.0f}%)")
    if worst > 1.0 + 1e-6:
        failures.append(f"a logit differs by {worst:.2f} quantization steps (at most 1)")
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))


if __name__ == "__main__":
    main()
