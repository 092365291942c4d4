#!/usr/bin/python3
"""The joule command's contract, as other scripts rely on it: the model list, the JSON of `info` and
`bench`, exit status 0 / 2 (usage) / 1 (anything else) with a one-line message on stderr, and no
crash whatever the files hold."""

import json
import os
import re
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import zoo_registry  # noqa: E402

JOULE, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
failures = []

# The zoo registry (include/joule/models/registry.hpp) is the one list of the models made from
# their papers; the Fashion-MNIST networks, trained here, follow it.
EXPECTED_MODELS = zoo_registry.NAMES + ["fashion_teacher", "fashion_student", "fashion_student_pruned"]


def joule(*args):
    return subprocess.run([JOULE, *args], capture_output=True, text=True, timeout=300)


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def expect_error(args, code, fragment):
    """A failing call: the exit status, a single stderr line starting with 'joule:', the fragment."""
    result = joule(*args)
    lines = result.stderr.strip().splitlines()
    check(result.returncode == code, f"{args}: exit {result.returncode}, expected {code} ({result.stderr.strip()})")
    check(len(lines) == 1 and lines[0].startswith("joule: "), f"{args}: stderr is not one 'joule:' line: {lines}")
    check(fragment in result.stderr, f"{args}: message lacks '{fragment}': {result.stderr.strip()}")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def safetensors(entries):
    """A safetensors file from (name, dtype, shape, raw bytes), offsets computed here."""
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


# list: exactly the zoo, one per line.
listed = joule("list")
check(listed.returncode == 0, "list exits 0")
check(listed.stdout.split() == EXPECTED_MODELS, f"list prints the zoo in order: {listed.stdout.split()}")

# info --json: one object with the promised fields.
info = joule("info", "mobilenet_v2", "--json")
check(info.returncode == 0, "info --json exits 0")
obj = json.loads(info.stdout)
for key in ("params", "macs", "arena_bytes", "input_shape", "layers"):
    check(key in obj, f"info --json has '{key}'")
check(obj["params"] == 3504872, f"mobilenet_v2 params {obj['params']}")
check(obj["input_shape"] == [224, 224, 3], "mobilenet_v2 input shape")
check(sum(layer["macs"] for layer in obj["layers"]) == obj["macs"], "layer MACs add up to the total")
check(all({"name", "type", "kernel", "input_shape", "output_shape", "params", "macs"} <= set(l) for l in obj["layers"]),
      "every layer has name, type, kernel, shapes, params, MACs")
check(all(l["kernel"].startswith("f32_") for l in obj["layers"]), "every layer names its kernel")
energy = obj["energy_pj"]
check(energy["method"] == "estimate" and energy["total"] > 0, f"info --json has the estimated energy: {energy}")
check(abs(sum(l["energy_pj"]["total"] for l in obj["layers"]) - energy["total"]) <= 1e-9 * energy["total"],
      "layer energies add up to the network's (compile-time) total")
check(abs(energy["compute"] + energy["weights"] + energy["activations"] - energy["total"]) <= 1e-9 * energy["total"],
      "the energy total is compute + weights + activations")
check(all(sum(l[k] for l in obj["layers"]) == obj[k] for k in ("elementwise_adds", "elementwise_multiplies"))
      and obj["elementwise_adds"] > 0, "info --json counts element-wise work per layer and in total")
expected_compute = 4.6 * obj["macs"] + 0.9 * obj["elementwise_adds"] + 3.7 * obj["elementwise_multiplies"]
check(abs(energy["compute"] - expected_compute) <= 1e-9 * expected_compute,
      f"compute energy is MACs and element-wise work at the default table: {energy['compute']} vs {expected_compute}")
table = joule("info", "mobilenet_v3_small")
check(table.returncode == 0 and "features.1.block.2.fc1" not in table.stdout and "total:" in table.stdout,
      "info prints the table with totals")
check("estimated energy:" in table.stdout and "uJ per inference" in table.stdout and "most energy:" in table.stdout,
      "info prints the estimated energy and the layers that take the most")

# bench --json
bench = joule("bench", "mobilenet_v3_small", "--runs", "3", "--json")
check(bench.returncode == 0, f"bench exits 0: {bench.stderr}")
result = json.loads(bench.stdout)
for key in ("model", "threads", "median_ms", "min_ms", "max_ms"):
    check(key in result, f"bench --json has '{key}'")
check(result["min_ms"] <= result["median_ms"] <= result["max_ms"], "bench min <= median <= max")

# --energy-table: the table info --json reports, read back, gives the same figures; another
# table gives other figures; a bad table is refused naming the key.
table_file = os.path.join(WORK, "energy_table.json")
with open(table_file, "w") as f:
    json.dump(obj["energy_table"], f)
again = json.loads(joule("info", "mobilenet_v2", "--json", "--energy-table", table_file).stdout)
check(again["energy_pj"]["total"] == energy["total"] and again["energy_pj"]["table"] == table_file,
      "the table info --json writes reads back to the same energy")
compute_only = os.path.join(WORK, "compute_only.json")
with open(compute_only, "w") as f:
    json.dump({"l1_byte_pj": 0, "l2_byte_pj": 0, "llc_byte_pj": 0, "dram_byte_pj": 0}, f)
free_memory = json.loads(joule("info", "mobilenet_v2", "--json", "--energy-table", compute_only).stdout)
check(free_memory["energy_pj"]["total"] == energy["compute"] and free_memory["energy_table"]["fp32_mac_pj"] == 4.6,
      "a partial table replaces its keys and keeps the default's others")
for name, content, fragment in [
        ("unknown_key.json", '{"fp32_mac": 1}', "unknown key 'fp32_mac'"),
        ("negative.json", '{"int8_mac_pj": -1}', "'int8_mac_pj' must be a finite number >= 0"),
        ("text.json", '{"dram_byte_pj": "a lot"}', "'dram_byte_pj' must be a finite number >= 0"),
        ("fraction.json", '{"l1_bytes": 1.5}', "'l1_bytes' is a capacity in bytes, a whole number"),
        ("shrinking.json", '{"l2_bytes": 1024}', "capacities must grow from l1_bytes to l2_bytes to llc_bytes"),
        ("array.json", '[1, 2]', "not a JSON object of EnergyTable fields"),
        ("broken.json", '{"l1_bytes": ', "not a JSON object of EnergyTable fields")]:
    path = write(os.path.join(WORK, name), content.encode())
    expect_error(["info", "mobilenet_v2", "--energy-table", path], 1, fragment)
expect_error(["info", "mobilenet_v2", "--energy-table", os.path.join(WORK, "no_such_table.json")], 1, "cannot open")
expect_error(["bench", "mobilenet_v2", "--energy-table", table_file], 2, "--energy-table goes with --layers")

# bench --layers: one row per layer (as info --json lists them), its time beside its estimated energy.
layers = joule("bench", "mobilenet_v3_small", "--runs", "2", "--layers")
check(layers.returncode == 0, f"bench --layers exits 0: {layers.stderr}")
rows = layers.stdout.splitlines()
small = json.loads(joule("info", "mobilenet_v3_small", "--json").stdout)
check(rows[0].split()[-1] == "nJ" and "median us" in rows[0], f"bench --layers header: {rows[0]}")
check([row.split()[0] for row in rows[1:-1]] == [l["name"] for l in small["layers"]],
      "bench --layers has a row per layer, in order")
check(all(abs(float(row.split()[-1]) - l["energy_pj"]["total"] * 1e-3) <= 0.05 + 1e-9 * l["energy_pj"]["total"]
          for row, l in zip(rows[1:-1], small["layers"])),
      "bench --layers gives each layer's estimated energy, as info --json does")
check(rows[-1].startswith("sum of layer medians:"), f"bench --layers ends with the sum: {rows[-1]}")

# bench --energy: measured joules per inference where a counter is readable, each figure labelled
# with its method, and the estimate. Where none is (this project's VMs: no powercap, no power PMU),
# one note on stderr says what was tried and why it failed, the estimate is printed alone, exit 0.
NO_COUNTER = not os.path.exists("/sys/class/powercap") and not os.path.exists("/sys/bus/event_source/devices/power")


def check_energy_bench(args, info_json, label):
    ran = joule("bench", "mobilenet_v3_small", "--runs", "2", "--energy", *args)
    check(ran.returncode == 0, f"{label}: bench --energy exits 0: {ran.stderr}")
    out = ran.stdout.splitlines()
    # int8 from float weights calibrates first, with its progress lines; the rest is joule's.
    err = [l for l in ran.stderr.strip().splitlines() if not l.startswith("calibrating ")]
    estimate_mj = info_json["energy_pj"]["total"] * 1e-9
    check(out[-1:] == [f"energy, estimate: {estimate_mj:.4g} mJ per inference (table horowitz_45nm, docs/energy.md)"],
          f"{label}: bench --energy ends with the estimate, labelled: {out}")
    check(out[0].startswith("mobilenet_v3_small (") and "median" in out[0], f"{label}: the timing line first: {out}")
    if NO_COUNTER:
        check(len(out) == 2, f"{label}: no counter: the timing and the estimate only: {out}")
        check(len(err) == 1 and err[0].startswith("joule: note: no energy counter readable"),
              f"{label}: no counter: one note on stderr: {err}")
        check(err[:1] and "rapl: no /sys/class/powercap" in err[0] and
              "perf: no /sys/bus/event_source/devices/power" in err[0],
              f"{label}: the note names the paths tried and why they failed: {err}")
    else:
        measured_lines = [l for l in out if l.startswith(("energy, rapl: ", "energy, perf: "))]
        check(len(measured_lines) == 1 or (len(err) == 1 and "no energy counter readable" in err[0]),
              f"{label}: a counter here: a measured line labelled rapl or perf, or one note: {out} {err}")


check_energy_bench([], small, "f32")
check_energy_bench(["--threads", "2"], small, "f32, 2 threads")
small8 = json.loads(joule("info", "mobilenet_v3_small", "--precision", "int8", "--json").stdout)
check_energy_bench(["--precision", "int8"], small8, "int8")
energy_json = joule("bench", "mobilenet_v3_small", "--runs", "1", "--energy", "--json")
check(energy_json.returncode == 0, f"bench --energy --json exits 0: {energy_json.stderr}")
e = json.loads(energy_json.stdout).get("energy", {})
check(e.get("estimate", {}).get("method") == "estimate" and
      abs(e["estimate"]["joules_per_inference"] - small["energy_pj"]["total"] * 1e-12) <= 1e-12 * small["energy_pj"]["total"],
      f"bench --energy --json has the estimate, labelled, in joules: {e}")
if NO_COUNTER:
    check(e.get("measured", 0) is None and "rapl: no /sys/class/powercap" in e.get("unavailable", ""),
          f"bench --energy --json: no counter, measured null and why: {e}")
else:
    check(e.get("measured") is None or e["measured"]["method"] in ("rapl", "perf"), f"bench --energy --json: {e}")
table_bench = joule("bench", "mobilenet_v3_small", "--runs", "1", "--energy", "--energy-table", compute_only)
check(table_bench.returncode == 0 and "(table " + compute_only + ", docs/energy.md)" in table_bench.stdout,
      f"bench --energy takes --energy-table for its estimate: {table_bench.stdout} {table_bench.stderr}")
expect_error(["bench", "mobilenet_v3_small", "--energy", "--layers"], 2, "--energy measures whole inferences")

# The measured path on a recorded AMD tree ($JOULE_SYSFS_ROOT) whose package-0 counter a writer
# advances meanwhile (1 W, whole files replaced so that a read never sees half of one): a line
# labelled rapl naming both packages, the runs, the window and the baseline, and its JSON. The
# figure itself means nothing here (the writer does not follow the work): only its form is checked.
import re  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402

fake_root = os.path.join(WORK, "fake_root")
shutil.rmtree(fake_root, ignore_errors=True)
shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "sysfs_trees", "amd"), fake_root)
counter_file = os.path.join(fake_root, "sys", "class", "powercap", "intel-rapl:0", "energy_uj")
stop = threading.Event()


def advance_counter():
    value = int(open(counter_file).read())
    while not stop.wait(0.005):
        value += 5000
        with open(counter_file + ".new", "w") as f:
            f.write(f"{value}\n")
        os.replace(counter_file + ".new", counter_file)


writer = threading.Thread(target=advance_counter)
writer.start()
try:
    env = dict(os.environ, JOULE_SYSFS_ROOT=fake_root)
    ran = subprocess.run([JOULE, "bench", "mobilenet_v3_small", "--runs", "2", "--energy"], capture_output=True,
                         text=True, timeout=300, env=env)
    ran_json = subprocess.run([JOULE, "bench", "mobilenet_v3_small", "--runs", "2", "--energy", "--json"],
                              capture_output=True, text=True, timeout=300, env=env)
finally:
    stop.set()
    writer.join()
out = ran.stdout.splitlines()
check(ran.returncode == 0 and ran.stderr == "", f"bench --energy on a counter: exit 0, no note: {ran.stderr}")
pattern = (r"energy, rapl: -?[0-9.e+-]+ mJ per inference \(package-0 \(intel-rapl:0\), package-1 \(intel-rapl:1\); "
           r"[0-9]+ runs in [0-9.]+ s counted [0-9.]+ J, less the idle baseline [0-9.]+ J over [0-9.]+ s sleeping, [0-9.]+ W\)$")
check(len(out) == 3 and re.match(pattern, out[1]) and out[2].startswith("energy, estimate: "),
      f"bench --energy on a counter: timing, the rapl line, the estimate: {out}")
measured = json.loads(ran_json.stdout)["energy"]["measured"] if ran_json.returncode == 0 else None
check(measured is not None and measured["method"] == "rapl" and measured["runs"] >= 2 and measured["seconds"] >= 1.0
      and measured["idle_seconds"] >= 0.9 * measured["seconds"] and measured["joules"] > 0
      and measured["source"] == "package-0 (intel-rapl:0), package-1 (intel-rapl:1)",
      f"bench --energy --json on a counter: {ran_json.stdout} {ran_json.stderr}")

# Usage errors: exit 2.
expect_error([], 2, "")
expect_error(["frobnicate"], 2, "")
expect_error(["info"], 2, "model")
expect_error(["info", "resnet50"], 2, "unknown model 'resnet50'")
expect_error(["run", "mobilenet_v2", "--input", "x.npy", "--output", "y.npy"], 2, "--weights")
expect_error(["bench", "mobilenet_v2", "--runs", "0"], 2, "--runs")
expect_error(["bench", "mobilenet_v2", "--threads", "0"], 2, "--threads")

# Other errors: exit 1, whatever the files hold.
missing = os.path.join(WORK, "does-not-exist.safetensors")
run_args = lambda w, x: ["run", "mobilenet_v3_small", "--weights", w, "--input", x, "--output",
                         os.path.join(WORK, "out.npy")]
good_input = os.path.join(WORK, "input.npy")
np.save(good_input, np.zeros((1, 224, 224, 3), dtype=np.float32))
expect_error(run_args(missing, good_input), 1, "does-not-exist.safetensors")

hostile = {
    "empty": b"",
    "short": b"\x01\x02",
    "header_beyond_file": struct.pack("<Q", 1 << 40) + b"{}",
    "not_json": struct.pack("<Q", 5) + b"{nope",
    "offsets_out_of_range": safetensors([("a", "F32", [4], b"\0" * 8)])[:-4],
    "garbage": bytes(range(256)) * 8,
}
for name, data in hostile.items():
    expect_error(run_args(write(os.path.join(WORK, name + ".safetensors"), data), good_input), 1, "")

# A valid file that lacks the model's tensors: the first missing one is named.
incomplete = write(os.path.join(WORK, "incomplete.safetensors"),
                   safetensors([("features.0.0.weight", "F32", [16, 3, 3, 3], b"\0" * (16 * 27 * 4))]))
expect_error(run_args(incomplete, good_input), 1, "missing tensor 'features.0.1.weight'")
wrong_shape = write(os.path.join(WORK, "wrong_shape.safetensors"),
                    safetensors([("features.0.0.weight", "F32", [16, 3, 5, 5], b"\0" * (16 * 75 * 4))]))
expect_error(run_args(wrong_shape, good_input), 1, "expected shape [16, 3, 3, 3], found [16, 3, 5, 5]")

# Bad inputs, with valid weights from the exporter.
weights = os.path.join(WORK, "weights.safetensors")
export = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "../../tools/export.py"),
                         "mobilenet_v3_small", "-o", weights], capture_output=True, text=True)
check(export.returncode == 0, f"export.py mobilenet_v3_small: {export.stderr}")
# Each refusal names what the model takes.
TAKES = "mobilenet_v3_small takes float32 (1, 224, 224, 3) or (224, 224, 3) (NHWC; a batch (N, 224, 224, 3) runs N inputs)"
wrong_input = os.path.join(WORK, "wrong_input.npy")
np.save(wrong_input, np.zeros((1, 3, 224, 224), dtype=np.float32))
expect_error(run_args(weights, wrong_input), 1, "the input has shape (1, 3, 224, 224), " + TAKES)
empty_batch = os.path.join(WORK, "empty_batch.npy")
np.save(empty_batch, np.zeros((0, 224, 224, 3), dtype=np.float32))
expect_error(run_args(weights, empty_batch), 1, "the input has shape (0, 224, 224, 3), " + TAKES)
double_input = os.path.join(WORK, "double_input.npy")
np.save(double_input, np.zeros((1, 224, 224, 3), dtype=np.float64))
expect_error(run_args(weights, double_input), 1, "dtype '<f8' not supported")
expect_error(run_args(weights, double_input), 1, "; " + TAKES)
int8_input = os.path.join(WORK, "int8_input.npy")
np.save(int8_input, np.zeros((1, 224, 224, 3), dtype=np.int8))
expect_error(run_args(weights, int8_input), 1, "the input is int8 (1, 224, 224, 3), " + TAKES)
good_bytes = open(good_input, "rb").read()
expect_error(run_args(weights, write(os.path.join(WORK, "short_input.npy"), good_bytes[:-4])), 1,
             "npy data: expected 602112 bytes for shape (1, 224, 224, 3) of float32, found 602108 (truncated file?)")
expect_error(run_args(weights, write(os.path.join(WORK, "long_input.npy"), good_bytes + b"\0" * 4)), 1,
             "found 602116 (trailing bytes)")
expect_error(run_args(weights, write(os.path.join(WORK, "garbage.npy"), b"\x93NUMPY garbage")), 1, "")

# Not a number or infinite anywhere in the input: refused, naming the first such element.
for value, word, index in ((np.nan, "NaN", (0, 5, 7, 2)), (np.inf, "+inf", (0, 223, 0, 1)), (-np.inf, "-inf", (0, 0, 0, 0))):
    bad = np.zeros((1, 224, 224, 3), dtype=np.float32)
    bad[index] = value
    bad[0, 223, 223, 2] = np.nan  # a later one is not the one named
    path = os.path.join(WORK, f"input_{word}.npy")
    np.save(path, bad)
    flat = int(np.ravel_multi_index(index, bad.shape))
    expect_error(run_args(weights, path), 1,
                 f"element {index} (flat index {flat}) is {word}; mobilenet_v3_small takes finite values")
hwc_nan = os.path.join(WORK, "input_hwc_nan.npy")
np.save(hwc_nan, np.where(np.arange(224 * 224 * 3).reshape(224, 224, 3) == 1000, np.nan, 0).astype(np.float32))
expect_error(run_args(weights, hwc_nan), 1, "element (1, 109, 1) (flat index 1000) is NaN")

# And a good run: exit 0, output (1, 1000) float32, and both input layouts give the same answer.
ok = joule(*run_args(weights, good_input))
check(ok.returncode == 0, f"run exits 0: {ok.stderr}")
out = np.load(os.path.join(WORK, "out.npy"))
check(out.shape == (1, 1000) and out.dtype == np.float32, f"output shape {out.shape} {out.dtype}")
# Every thread count gives the same bits.
threaded = os.path.join(WORK, "out_threads3.npy")
three = joule("run", "mobilenet_v3_small", "--weights", weights, "--input", good_input, "--output", threaded,
              "--threads", "3")
check(three.returncode == 0 and np.array_equal(np.load(threaded), out), "--threads 3 gives the same output")
hwc = os.path.join(WORK, "input_hwc.npy")
np.save(hwc, np.zeros((224, 224, 3), dtype=np.float32))
joule(*run_args(weights, hwc))
check(np.array_equal(np.load(os.path.join(WORK, "out.npy")), out), "(H,W,3) input gives the same output")

# A batch (N, H, W, C) gives (N, classes), each row the output of that input alone.
rng = np.random.default_rng(7)
batch = rng.standard_normal((2, 224, 224, 3)).astype(np.float32)
batch_input = os.path.join(WORK, "batch_input.npy")
np.save(batch_input, batch)
batch_output = os.path.join(WORK, "batch_out.npy")
ran = joule("run", "mobilenet_v3_small", "--weights", weights, "--input", batch_input, "--output", batch_output)
check(ran.returncode == 0, f"a batch runs: {ran.stderr}")
single = os.path.join(WORK, "single.npy")
np.save(single, batch[1:2])
joule("run", "mobilenet_v3_small", "--weights", weights, "--input", single, "--output", os.path.join(WORK, "single_out.npy"))
batched = np.load(batch_output)
check(batched.shape == (2, 1000), f"batch output shape {batched.shape}")
check(np.array_equal(batched[1:2], np.load(os.path.join(WORK, "single_out.npy"))), "a batch's row equals its input alone")

# int8: quantize with a calibration, run, compare; and each refusal.
calibration = os.path.join(WORK, "calibration")
os.makedirs(calibration, exist_ok=True)
np.save(os.path.join(calibration, "a.npy"), rng.standard_normal((224, 224, 3)).astype(np.float32))
np.save(os.path.join(calibration, "b.npy"), rng.standard_normal((2, 224, 224, 3)).astype(np.float32))
quantized = os.path.join(WORK, "quantized.safetensors")
made = joule("quantize", "mobilenet_v3_small", "--weights", weights, "--calibration", calibration, "--output", quantized)
check(made.returncode == 0, f"quantize exits 0: {made.stderr}")
check("calibrating mobilenet_v3_small: 3/3 inputs" in made.stderr, f"quantize shows progress: {made.stderr!r}")
int8_run = joule("run", "mobilenet_v3_small", "--precision", "int8", "--weights", quantized, "--input", batch_input,
                 "--output", os.path.join(WORK, "int8_out.npy"))
check(int8_run.returncode == 0, f"int8 run exits 0: {int8_run.stderr}")
int8_out = np.load(os.path.join(WORK, "int8_out.npy"))
check(int8_out.shape == (2, 1000), f"int8 batch output shape {int8_out.shape}")
cosine = float(np.sum(int8_out * batched) / np.sqrt(np.sum(int8_out ** 2) * np.sum(batched ** 2)))
check(cosine > 0.9, f"int8 output follows the float one (cosine {cosine:.4f})")
on_the_spot = joule("run", "mobilenet_v3_small", "--precision", "int8", "--weights", weights, "--calibration",
                    calibration, "--input", batch_input, "--output", os.path.join(WORK, "int8_spot.npy"))
check(on_the_spot.returncode == 0 and np.array_equal(np.load(os.path.join(WORK, "int8_spot.npy")), int8_out),
      "calibrating on the spot gives what joule quantize gives")
# int8 in and out: an int8 input gives int8 logits and both quantizations; the float-edged network
# on the input those int8 values stand for gives exactly those logits dequantized.
int8_batch = os.path.join(WORK, "int8_batch.npy")
np.save(int8_batch, rng.integers(-128, 128, size=(2, 224, 224, 3)).astype(np.int8))
raw_run = joule("run", "mobilenet_v3_small", "--precision", "int8", "--weights", quantized, "--input", int8_batch,
                "--output", os.path.join(WORK, "int8_logits.npy"))
check(raw_run.returncode == 0, f"int8 in/out run exits 0: {raw_run.stderr}")
edges = re.search(r"input is read with scale (\S+) zero point (-?\d+), the logits in \S+ have scale (\S+) "
                  r"zero point (-?\d+)", raw_run.stdout)
check(edges is not None, f"int8 in/out run prints both quantizations: {raw_run.stdout!r}")
raw_logits = np.load(os.path.join(WORK, "int8_logits.npy"))
check(raw_logits.dtype == np.int8 and raw_logits.shape == (2, 1000), f"int8 logits {raw_logits.dtype} {raw_logits.shape}")
if edges:
    in_scale, in_zero, out_scale, out_zero = (np.float32(edges[1]), int(edges[2]), np.float32(edges[3]),
                                              int(edges[4]))
    stands_for = os.path.join(WORK, "int8_batch_real.npy")
    np.save(stands_for, in_scale * (np.load(int8_batch).astype(np.float32) - np.float32(in_zero)))
    float_edged = joule("run", "mobilenet_v3_small", "--precision", "int8", "--weights", quantized, "--input",
                        stands_for, "--output", os.path.join(WORK, "int8_float_edged.npy"))
    check(float_edged.returncode == 0, f"float-edged int8 run exits 0: {float_edged.stderr}")
    check(np.array_equal(out_scale * (raw_logits.astype(np.float32) - np.float32(out_zero)),
                         np.load(os.path.join(WORK, "int8_float_edged.npy"))),
          "int8 in/out logits, dequantized, equal the float-edged network's")
expect_error(run_args(weights, int8_input), 1, "int8 inputs go with joule run --precision int8")
compared = joule("compare", "mobilenet_v3_small", "--weights", weights, "--quantized", quantized, "--input", single)
check(compared.returncode == 0 and "features.0" in compared.stdout and "cosine" in compared.stdout,
      f"compare prints a table: {compared.stderr}")
info8 = joule("info", "mobilenet_v3_small", "--precision", "int8", "--json")
check(info8.returncode == 0 and json.loads(info8.stdout)["precision"] == "int8", "info --precision int8 --json")
check(all(layer["kernel"].startswith("i8_") for layer in json.loads(info8.stdout)["layers"]), "int8 kernels named i8_")
energy8 = json.loads(info8.stdout)["energy_pj"]["total"]
energy32 = json.loads(joule("info", "mobilenet_v3_small", "--json").stdout)["energy_pj"]["total"]
check(0 < energy8 < energy32 / 4, f"int8 estimated energy {energy8} pJ well below float32's {energy32} pJ")
bench8 = joule("bench", "mobilenet_v3_small", "--precision", "int8", "--runs", "1", "--json")
check(bench8.returncode == 0 and json.loads(bench8.stdout)["precision"] == "int8", f"int8 bench: {bench8.stderr}")
run8 = lambda w, *more: ["run", "mobilenet_v3_small", "--precision", "int8", "--weights", w, "--input", single,
                         "--output", os.path.join(WORK, "int8_bad.npy"), *more]
expect_error(run8(weights), 2, "int8 needs --calibration")
expect_error(run8(quantized, "--calibration", calibration), 2, "is quantized already")
expect_error(run_args(quantized, single), 1, "holds int8 weights (joule quantize); run it with --precision int8")
expect_error(["run", "mobilenet_v3_small", "--precision", "int4", "--weights", weights, "--input", single, "--output",
              os.path.join(WORK, "x.npy")], 2, "--precision must be f32 or int8")
empty_dir = os.path.join(WORK, "empty_calibration")
os.makedirs(empty_dir, exist_ok=True)
expect_error(run8(weights, "--calibration", empty_dir), 1, "holds no .npy files")
wrong_calibration = os.path.join(WORK, "wrong_calibration.npy")
np.save(wrong_calibration, np.zeros((2, 3, 224, 224), dtype=np.float32))
expect_error(run8(weights, "--calibration", wrong_calibration), 1,
             "calibration input of shape (2, 3, 224, 224), mobilenet_v3_small takes float32 (-1, 224, 224, 3)")
nan_calibration = os.path.join(WORK, "nan_calibration.npy")
np.save(nan_calibration, np.full((1, 224, 224, 3), np.nan, dtype=np.float32))
expect_error(run8(weights, "--calibration", nan_calibration), 1, "non-finite value at element 0")
# A quantized file for another model: the first tensor of another shape is named.
expect_error(["run", "mobilenet_v3_large", "--precision", "int8", "--weights", quantized, "--input", single,
              "--output", os.path.join(WORK, "x.npy")], 1, "features.")

print(f"cli contract: {len(failures)} failures")
sys.exit(1 if failures else 0)
