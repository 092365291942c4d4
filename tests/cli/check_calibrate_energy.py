#!/usr/bin/python3
"""tools/calibrate_energy.py against the real `joule`: measurements made from a known table (its
own estimate, as a counter would report if the table were the chip's) give that table back; the
refusals are one line with their exit status. The measuring itself needs an energy counter, which
this project's machines lack: here it is checked only that the script says so."""

import json
import os
import subprocess
import sys

JOULE, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "calibrate_energy.py")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def calibrate(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, "--joule", JOULE, *args], capture_output=True, text=True,
                          timeout=600)


def info(model, precision, table_path):
    out = subprocess.run([JOULE, "info", model, "--precision", precision, "--json", "--energy-table", table_path],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# The solver alone: where least squares wants a negative constant, NNLS holds it at 0 and fits the
# rest (the optimum here by the KKT conditions: x = (1.5, 0), gradient of the second negative).
sys.path.insert(0, os.path.dirname(SCRIPT))
import numpy as np  # noqa: E402

import calibrate_energy  # noqa: E402

a = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
b = np.array([2.0, 1.5, 1.0])  # falls with the second column: its free coefficient is -0.5
x = calibrate_energy.nnls(a, b)
check(np.allclose(x, [1.5, 0.0]), f"nnls holds a negative coefficient at 0: {x}")
check(np.allclose(calibrate_energy.nnls(a, a @ np.array([0.5, 2.0])), [0.5, 2.0]), "nnls: an exact positive fit")

# A "chip" unlike the default table in every fitted constant.
chip = {"fp32_mac_pj": 1.7, "int8_mac_pj": 0.11, "l1_byte_pj": 0.9, "l2_byte_pj": 4.0, "llc_byte_pj": 9.5}
chip_path = os.path.join(WORK, "chip.json")
with open(chip_path, "w") as f:
    json.dump(chip, f)
cases = ["mobilenet_v2", "mobilenet_v2:int8", "mobilenet_v3_small", "mobilenet_v3_small:int8", "efficientnet_b0",
         "efficientnet_b0:int8", "mobilenet_v1_0.25_128"]
measurements = os.path.join(WORK, "measurements.jsonl")
with open(measurements, "w") as f:
    for case in cases:
        model, _, precision = case.partition(":")
        joules = info(model, precision or "f32", chip_path)["energy_pj"]["total"] * 1e-12
        f.write(json.dumps({"case": case, "joules_per_inference": joules}) + "\n")

fitted_path = os.path.join(WORK, "fitted.json")
fit_keys = ",".join(chip)
ran = calibrate("-o", fitted_path, "--measurements", measurements, "--fit", fit_keys, *cases)
check(ran.returncode == 0, f"calibrate on measurements exits 0: {ran.stderr}")
if ran.returncode == 0:
    fitted = json.load(open(fitted_path))
    for key, value in chip.items():
        check(abs(fitted[key] - value) <= 1e-6 * value, f"{key}: fitted {fitted[key]}, the chip's {value}")
    check(fitted["dram_byte_pj"] == 243.75 and fitted["l1_bytes"] == 32768, f"the rest from the default: {fitted}")
    again = info("mobilenet_v2", "f32", fitted_path)["energy_pj"]["total"]
    check(abs(again - info("mobilenet_v2", "f32", chip_path)["energy_pj"]["total"]) <= 1e-6 * again,
          "the written table is a user table joule reads, and gives the chip's estimate")
    check("fitted table off the measurement by +0.00%" in ran.stdout or "-0.00%" in ran.stdout, ran.stdout)

# Refusals: too few cases for the constants; a case not measured; no counter here (exit 1); usage (exit 2).
few = calibrate("-o", fitted_path, "--measurements", measurements, "--fit", fit_keys, "mobilenet_v2", "mobilenet_v2:int8")
check(few.returncode == 1 and "the fit is not determined" in few.stderr and len(few.stderr.splitlines()) == 1,
      f"too few cases: {few.stderr}")
unmeasured = calibrate("-o", fitted_path, "--measurements", measurements, "--fit", "fp32_mac_pj", "mobilenet_v3_large")
check(unmeasured.returncode == 1 and "has no measurement of mobilenet_v3_large:f32" in unmeasured.stderr,
      f"a case not measured: {unmeasured.stderr}")
if not os.path.exists("/sys/class/powercap") and not os.path.exists("/sys/bus/event_source/devices/power"):
    nothing = calibrate("-o", fitted_path, "--runs", "1", "mobilenet_v3_small")
    check(nothing.returncode == 1 and "no energy counter to measure with" in nothing.stderr
          and "rapl: no /sys/class/powercap" in nothing.stderr, f"no counter: {nothing.stderr}")
bad = calibrate("-o", fitted_path, "--fit", "fp32_mac", "mobilenet_v2")
check(bad.returncode == 2 and "'fp32_mac' is not one of" in bad.stderr, f"unknown constant: {bad.stderr}")

print(f"calibrate_energy: {len(failures)} failures")
sys.exit(1 if failures else 0)
