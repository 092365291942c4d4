#!/usr/bin/python3
"""Fits the energy table's constants to measured energy, and writes them as a user table.

  tools/calibrate_energy.py -o my_chip.json [--joule PATH] [--base-table T.json]
                            [--fit KEY,KEY,...] [--threads N] [--runs N]
                            [--measurements FILE.jsonl] CASE...

A CASE is a zoo model, in float32 (mobilenet_v2) or int8 (mobilenet_v2:int8). For each case the
measured joules per inference come from `joule bench CASE --energy --json` (a counter's figure,
the idle baseline subtracted: docs/energy.md, Measuring) or, with --measurements, from a file of
JSON lines {"case": "mobilenet_v2:int8", "joules_per_inference": 0.031} measured elsewhere.

What each case does comes from the estimate itself: `joule info CASE --json --energy-table T`
with a table whose constant K is 1 pJ and every other per-unit constant 0 gives the count behind
K (float32 MACs, int8 MACs, element-wise adds and multiplies, bytes read or written at each
memory level, placed by the estimate's own rules and the base table's cache sizes: give your
chip's in --base-table). The
measured energy less what the constants not fitted account for is then fitted as a
non-negative combination of those counts (Lawson and Hanson's NNLS), and the table written is
the base table with the fitted constants replaced. Give at least as many cases as constants,
and cases that differ (float32 and int8, small and large networks), or the fit is not
determined: the script refuses then rather than writing a table.

The measured energy is the whole package's above idle, static power over the inference's
duration included; the table has no term for time, so the per-operation constants absorb it.
Without an energy counter (virtual machines) there is nothing to fit: the script says so and
exits 1. Exit status 0 / 1 / 2 (usage), with one line on stderr.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import tool_cli

PROG = "calibrate_energy.py"
# The table's per-unit constants (EnergyTable's *_pj fields); capacities are the base table's.
CONSTANTS = ("fp32_mac_pj", "int8_mac_pj", "fp32_add_pj", "fp32_mul_pj", "l1_byte_pj", "l2_byte_pj", "llc_byte_pj",
             "dram_byte_pj")


def nnls(a, b, tolerance=1e-12, max_iterations=None):
    """argmin |a x - b| over x >= 0, by Lawson and Hanson's active-set method (Solving Least
    Squares Problems, 1974, chapter 23)."""
    m, n = a.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    max_iterations = max_iterations or 3 * n
    scale = tolerance * max(1.0, np.abs(a).max()) * max(1.0, np.abs(b).max())
    for _ in range(max_iterations):
        gradient = a.T @ (b - a @ x)
        candidates = ~passive & (gradient > scale)
        if not candidates.any():
            return x
        passive[np.argmax(np.where(candidates, gradient, -np.inf))] = True
        while True:
            z = np.zeros(n)
            if not passive.any():
                x = z
                break
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            # Step back to the boundary and free the constants that reached zero.
            shrinking = passive & (z <= 0)
            alpha = np.min(x[shrinking] / (x[shrinking] - z[shrinking]))
            x = x + alpha * (z - x)
            passive &= x > tolerance
            x[~passive] = 0.0
    raise tool_cli.Failure("the non-negative fit did not converge")


def parse_case(text):
    model, _, precision = text.partition(":")
    if not model or precision not in ("", "int8", "f32"):
        raise tool_cli.UsageError(f"a case is MODEL or MODEL:int8, not {text!r}")
    return model, precision or "f32"


def run_joule(joule, args):
    result = subprocess.run([joule, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise tool_cli.Failure(f"joule {' '.join(args)}: {tool_cli.one_line(result.stderr)}")
    return result


def estimate_pj(joule, case, table, work):
    model, precision = case
    path = os.path.join(work, "table.json")
    with open(path, "w") as f:
        json.dump(table, f)
    out = run_joule(joule, ["info", model, "--precision", precision, "--json", "--energy-table", path])
    return json.loads(out.stdout)["energy_pj"]["total"]


def measured_joules(joule, case, threads, runs):
    model, precision = case
    out = run_joule(joule, ["bench", model, "--precision", precision, "--threads", str(threads),
                            "--runs", str(runs), "--energy", "--json"])
    energy = json.loads(out.stdout)["energy"]
    if energy.get("measured") is None:
        raise tool_cli.Failure("no energy counter to measure with, nothing to fit: "
                               + energy.get("unavailable", "(no reason given)"))
    return energy["measured"]["joules_per_inference"]


def read_measurements(path):
    found = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                case = parse_case(row["case"])
                joules = float(row["joules_per_inference"])
            except (ValueError, KeyError, TypeError, tool_cli.UsageError) as error:
                raise tool_cli.Failure(f"{path}:{number}: not a measurement ({error})") from None
            if not np.isfinite(joules):
                raise tool_cli.Failure(f"{path}:{number}: joules_per_inference is not finite")
            found[case] = joules
    return found


def fit(joule, cases, measured, base, keys, work):
    """The fitted constants (picojoules) and the relative residual of each case."""
    zero = {k: 0.0 for k in CONSTANTS}
    columns = []
    for key in keys:
        columns.append([estimate_pj(joule, c, {**base, **zero, key: 1.0}, work) for c in cases])
    kept = {**base, **{k: 0.0 for k in keys}}  # the constants not fitted, at the base's values
    offset = np.array([estimate_pj(joule, c, kept, work) for c in cases])
    a = np.array(columns, dtype=float).T
    b = np.array([measured[c] * 1e12 for c in cases]) - offset
    used = [i for i, key in enumerate(keys) if a[:, i].any()]
    unused = [keys[i] for i in range(len(keys)) if i not in used]
    if not used:
        raise tool_cli.Failure("no case has any count behind the constants to fit")
    a = a[:, used]
    if len(cases) < len(used) or np.linalg.matrix_rank(a) < len(used):
        raise tool_cli.Failure(
            f"the fit is not determined: {len(cases)} cases of rank {np.linalg.matrix_rank(a)} for "
            f"{len(used)} constants ({', '.join(keys[i] for i in used)}); add cases that differ "
            "(float32 and int8, other models) or fit fewer with --fit")
    # Columns scaled to unit norm, so that MAC counts and byte counts weigh alike in the solver.
    norms = np.linalg.norm(a, axis=0)
    solution = nnls(a / norms, b) / norms
    fitted = {keys[i]: float(solution[j]) for j, i in enumerate(used)}
    predicted = offset + a @ solution
    residuals = (predicted - (b + offset)) / (b + offset)
    return fitted, unused, residuals


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", metavar="CASE", help="MODEL or MODEL:int8")
    parser.add_argument("-o", "--output", required=True, help="the user table to write (JSON)")
    parser.add_argument("--joule", help="the joule program (default: $PATH, then the build tree)")
    parser.add_argument("--base-table", help="a table to start from, e.g. your chip's cache sizes")
    parser.add_argument("--fit", default=",".join(CONSTANTS),
                        help="the constants to fit, comma-separated (default: all per-unit ones)")
    parser.add_argument("--threads", type=tool_cli.positive_int, default=1)
    parser.add_argument("--runs", type=tool_cli.positive_int, default=10)
    parser.add_argument("--measurements", help="JSON lines of measured cases instead of measuring")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cases = list(dict.fromkeys(parse_case(c) for c in args.cases))
        keys = [k for k in args.fit.split(",") if k]
        for key in keys:
            if key not in CONSTANTS:
                raise tool_cli.UsageError(f"--fit: {key!r} is not one of {', '.join(CONSTANTS)}")
        if not keys:
            raise tool_cli.UsageError("--fit names no constant")
    except tool_cli.UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    try:
        joule = tool_cli.find_joule(args.joule)
        with tempfile.TemporaryDirectory() as work:
            base_args = ["--energy-table", args.base_table] if args.base_table else []
            info = json.loads(run_joule(joule, ["info", cases[0][0], "--json", *base_args]).stdout)
            base = info["energy_table"]  # the default, or the base table read by joule itself
            if args.measurements:
                found = read_measurements(args.measurements)
                missing = [f"{m}:{p}" for m, p in cases if (m, p) not in found]
                if missing:
                    raise tool_cli.Failure(f"{args.measurements} has no measurement of "
                                           + ", ".join(missing))
                measured = {c: found[c] for c in cases}
            else:
                measured = {c: measured_joules(joule, c, args.threads, args.runs) for c in cases}
            fitted, unused, residuals = fit(joule, cases, measured, base, keys, work)
        table = {**base, **fitted}
        with open(args.output, "w") as f:
            json.dump(table, f, indent=1)
            f.write("\n")
    except (tool_cli.Failure, OSError) as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_FAILURE
    for key, value in fitted.items():
        print(f"{key} = {value:.6g} pJ (default table: {base[key]:.6g})")
    for key in unused:
        print(f"{key}: no case counts anything there; kept at {base[key]:.6g}")
    for (model, precision), residual in zip(cases, residuals):
        print(f"{model} {precision}: fitted table off the measurement by {100 * residual:+.2f}%")
    print(f"wrote {args.output} (joule bench MODEL --energy --energy-table {args.output})")
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
