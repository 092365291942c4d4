#!/usr/bin/python3
"""The Fashion-MNIST networks in the joule command, with the weights they ship (compiled in):
accuracy on the whole test set in C++ against the accuracy PyTorch measured when training them,
int8 against fp32, the pruned student smaller than the student, floors under today's figures (so
that a regression in the weights, the kernels or the int8 path fails here; the issue's targets,
93% and 1.5 points, are reported in docs/compression.md, where it says by how much they are
missed), `joule run` with no --weights, and `joule eval`'s refusals of bad datasets.

  check_fashion.py JOULE WORK_DIR
"""

import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "fashion"))
import fashion_data  # noqa: E402

JOULE, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
WEIGHTS = os.path.join(HERE, "..", "..", "examples", "fashion", "weights")
failures = []


def joule(*args):
    return subprocess.run([JOULE, *args], capture_output=True, text=True, timeout=600)


def check(condition, what):
    print("ok  " if condition else "FAIL", what)
    if not condition:
        failures.append(what)


def expect_error(args, code, fragment):
    result = joule(*args)
    lines = result.stderr.strip().splitlines()
    check(result.returncode == code and len(lines) == 1 and fragment in result.stderr,
          f"{' '.join(args)}: exit {code}, one line with '{fragment}' "
          f"(got {result.returncode}: {result.stderr.strip()})")


def evaluate(model, precision):
    result = joule("eval", model, "--dataset", fashion_data.DEFAULT_DIR, "--precision", precision, "--json")
    check(result.returncode == 0, f"eval {model} {precision} exits 0 ({result.stderr.strip()})")
    return json.loads(result.stdout)


def pytorch_accuracy(network):
    with open(os.path.join(WEIGHTS, f"{network}.json")) as stream:
        return json.load(stream)["history"][-1]["test_accuracy"]


# Accuracy on all 10,000 test images, computed by the C++ networks.
teacher = evaluate("fashion_teacher", "f32")
student = evaluate("fashion_student", "f32")
student_int8 = evaluate("fashion_student", "int8")
pruned = evaluate("fashion_student_pruned", "f32")
pruned_int8 = evaluate("fashion_student_pruned", "int8")
for result in (teacher, student, student_int8, pruned, pruned_int8):
    print(f"     {result['model']} {result['precision']}: {result['accuracy']:.2f}% "
          f"({result['correct']} of {result['images']}), weights {result['weights']}")
    check(result["images"] == 10000, f"{result['model']} {result['precision']}: the whole test set")
# fp32 in C++ is PyTorch's network: the same answers but for an image or two where two logits are
# within rounding of each other.
for result, network in ((teacher, "teacher"), (student, "student"), (pruned, "student_pruned")):
    check(abs(result["accuracy"] - pytorch_accuracy(network)) <= 0.05,
          f"{network} fp32 in C++ {result['accuracy']:.2f}% = PyTorch's {pytorch_accuracy(network):.2f}% (0.05)")
check(teacher["accuracy"] >= 92.5, f"teacher at least 92.5%: {teacher['accuracy']:.2f}%")
check(student["accuracy"] >= 90.0, f"student at least 90%: {student['accuracy']:.2f}%")
check(student_int8["accuracy"] >= student["accuracy"] - 0.5,
      f"int8 student {student_int8['accuracy']:.2f}% within 0.5 points of the fp32 student's {student['accuracy']:.2f}%")
check(pruned["accuracy"] >= 88.5, f"pruned student at least 88.5%: {pruned['accuracy']:.2f}%")
check(pruned_int8["accuracy"] >= pruned["accuracy"] - 0.5,
      f"int8 pruned student {pruned_int8['accuracy']:.2f}% within 0.5 points of its fp32 {pruned['accuracy']:.2f}%")
# Structured pruning makes a smaller network: fewer parameters, MACs and activations.
check(pruned["params"] < 0.7 * student["params"] and pruned["macs"] < 0.7 * student["macs"]
      and pruned["arena_bytes"] < student["arena_bytes"],
      f"pruned student: params {pruned['params']}, MACs {pruned['macs']}, arena {pruned['arena_bytes']} B "
      f"under the student's {student['params']}, {student['macs']}, {student['arena_bytes']} B")
check(pruned_int8["weights"].endswith("student_pruned_int8.safetensors"), "pruned int8: its shipped weights")
check(student_int8["macs"] * 10 <= teacher["macs"],
      f"student MACs {student_int8['macs']} at most a tenth of the teacher's {teacher['macs']}")
check(student_int8["weights"].endswith("student_int8.safetensors") and student["weights"].endswith("student.safetensors"),
      "eval says which shipped weights it used")
# int8: a byte per weight, with int32 biases and float scales per channel beside them.
check(student_int8["weight_bytes"] < 0.4 * student["weight_bytes"],
      f"int8 weights {student_int8['weight_bytes']} B under 40% of float's {student['weight_bytes']} B")

# joule run with the shipped weights: float and int8, the first 64 test images.
images, labels = fashion_data.load("test")
batch = os.path.join(WORK, "batch.npy")
np.save(batch, (images[:64, :, :, None] / np.float32(255.0)).astype(np.float32))
for precision in ("f32", "int8"):
    out = os.path.join(WORK, f"logits_{precision}.npy")
    result = joule("run", "fashion_student", "--input", batch, "--output", out, "--precision", precision)
    check(result.returncode == 0, f"run fashion_student --precision {precision} with no --weights ({result.stderr.strip()})")
    if result.returncode == 0:
        logits = np.load(out)
        right = int((logits.argmax(1) == labels[:64]).sum())
        check(logits.shape == (64, 10) and right >= 50, f"{precision}: (64, 10) logits, {right} of 64 right")

# Refusals: one line each, exit 1 for a bad dataset, 2 for a usage error.
expect_error(["eval", "mobilenet_v2", "--dataset", fashion_data.DEFAULT_DIR], 2, "ships no trained weights")
expect_error(["run", "mobilenet_v2", "--input", batch, "--output", os.path.join(WORK, "x.npy")], 2,
             "ships no trained weights")
expect_error(["eval", "fashion_student", "--dataset", os.path.join(WORK, "missing")], 1, "cannot open")
expect_error(["eval", "fashion_student", "--dataset", fashion_data.DEFAULT_DIR, "--split", "dev"], 2, "--split")
expect_error(["eval", "fashion_teacher", "--dataset", fashion_data.DEFAULT_DIR, "--precision", "int8"], 2,
             "needs --calibration")


def idx(path, magic, dims, payload, compress=True):
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload
    with (gzip.open if compress else open)(path, "wb") as stream:
        stream.write(data)


def dataset(name, images_dims, labels_count, image_payload=None, label_values=0, compress=True):
    directory = os.path.join(WORK, name)
    os.makedirs(directory, exist_ok=True)
    size = int(np.prod(images_dims))
    suffix = ".gz" if compress else ""
    idx(os.path.join(directory, "t10k-images-idx3-ubyte" + suffix), 0x803, images_dims,
        image_payload if image_payload is not None else bytes(size), compress)
    idx(os.path.join(directory, "t10k-labels-idx1-ubyte" + suffix), 0x801, [labels_count],
        bytes([label_values]) * labels_count, compress)
    return directory


small = dataset("small", [3, 20, 20], 3)
expect_error(["eval", "fashion_student", "--dataset", small], 1, "20x20 grayscale")
uneven = dataset("uneven", [3, 28, 28], 2)
expect_error(["eval", "fashion_student", "--dataset", uneven], 1, "3 test images but 2 labels")
short = dataset("short", [3, 28, 28], 3, image_payload=bytes(28 * 28 * 3 - 5))
expect_error(["eval", "fashion_student", "--dataset", short], 1, "its dimensions say")
label = dataset("label", [2, 28, 28], 2, label_values=10)
expect_error(["eval", "fashion_student", "--dataset", label], 1, "label 10 at image 0")
truncated = dataset("truncated", [3, 28, 28], 3)
path = os.path.join(truncated, "t10k-images-idx3-ubyte.gz")
with open(path, "rb") as stream:
    whole = stream.read()
with open(path, "wb") as stream:
    stream.write(whole[: len(whole) // 2])
expect_error(["eval", "fashion_student", "--dataset", truncated], 1, "t10k-images-idx3-ubyte.gz: unexpected end of file")
# Uncompressed IDX files are read as well: three blank images, all labelled 0.
plain = dataset("plain", [3, 28, 28], 3, compress=False)
result = joule("eval", "fashion_student", "--dataset", plain, "--json")
check(result.returncode == 0 and json.loads(result.stdout)["images"] == 3, f"uncompressed IDX read ({result.stderr.strip()})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all checks passed")
