#!/usr/bin/python3
"""Draws the figures under docs/plots/ from joule's own output (scripts/plots makes the inputs
and calls this; matplotlib from Debian's python3-matplotlib).

  plots.py energy --f32 F32.json --int8 INT8.json --out PNG
      per-layer estimated energy of one model, float32 beside int8, stacked by where it goes
      (compute, weights, activations); inputs: `joule info MODEL [--precision int8] --json`
  plots.py variants --gbench BENCH.json --out PNG [--cpu TEXT]
      the layer variants of bench/bench_variants.cpp: measured latency and estimated energy
      against MACs; input: `joule_bench --benchmark_filter=^variant/ --benchmark_format=json`

Exit status: 0 when the figure was written, 2 on a usage error, 1 when an input cannot be read
as what it claims to be. Errors are one line on stderr.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_report  # noqa: E402

PROG = "plots.py"
EXIT_FAILURE, EXIT_USAGE = 1, 2
PARTS = ("compute", "weights", "activations")


class InputError(Exception):
    pass


def load_json(path):
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: {error}") from error


def layer_group(name):
    """The block a layer belongs to, so that float32 and int8 rows line up: features.3.conv.0 and
    features.3 are both features.3; quant, avgpool and classifier.1 stay as they are."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "features" and len(parts) > 1 else name


def layer_energy(info, path="info"):
    """[(group, {part: uJ})] in the order of the layers, from `joule info --json`."""
    try:
        layers = info["layers"]
        groups = {}
        for layer in layers:
            energy = layer["energy_pj"]
            group = groups.setdefault(layer_group(layer["name"]), dict.fromkeys(PARTS, 0.0))
            for part in PARTS:
                group[part] += float(energy[part]) * 1e-6
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: not the output of joule info --json ({error!r} missing or wrong)") from error
    return list(groups.items())


def aligned(*series):
    """The union of the series' groups in order of first appearance, each series' parts per group
    (zero where a series lacks the group: the int8 edges have no float32 twin)."""
    order = []
    for rows in series:
        for group, _ in rows:
            if group not in order:
                order.append(group)
    tables = []
    for rows in series:
        by_group = dict(rows)
        tables.append([by_group.get(group, dict.fromkeys(PARTS, 0.0)) for group in order])
    return order, tables


def variant_points(gbench_path):
    """[(variant, shape, MACs, latency us, estimated energy nJ)] of variant/joule/<variant>/<shape>
    in Google Benchmark JSON, read as the benchmark report reads it (medians)."""
    try:
        records = bench_report.load_gbench(gbench_path)["records"]
    except (OSError, bench_report.InputError) as error:
        raise InputError(str(error)) from error
    points = []
    for (op, who, variant, shape), record in records.items():
        if op != "variant" or who != "joule":
            continue
        if "MACs" not in record.counters or "energy_nJ" not in record.counters:
            raise InputError(f"{gbench_path}: variant/joule/{variant}/{shape} has no MACs or energy_nJ counter")
        points.append((variant, shape, record.counters["MACs"], record.time_ms * 1e3, record.counters["energy_nJ"]))
    if not points:
        raise InputError(f"{gbench_path}: no variant/joule/... benchmark in it")
    return points


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_energy(f32, int8, model, out):
    plt = pyplot()
    groups, (a, b) = aligned(f32, int8)
    colors = {"compute": "#4c72b0", "weights": "#dd8452", "activations": "#55a868"}
    figure, axes = plt.subplots(figsize=(12, 4.5))
    width = 0.4
    for offset, table, label, hatch in ((-width / 2, a, "float32", ""), (width / 2, b, "int8", "//")):
        bottom = [0.0] * len(groups)
        for part in PARTS:
            values = [row[part] for row in table]
            axes.bar([i + offset for i in range(len(groups))], values, width, bottom=bottom, color=colors[part],
                     hatch=hatch, edgecolor="white", linewidth=0.3,
                     label=f"{label}: {part}")
            bottom = [x + y for x, y in zip(bottom, values)]
    axes.set_xticks(range(len(groups)))
    axes.set_xticklabels([g.replace("features.", "f.") for g in groups], rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("estimated energy per inference (uJ)")
    total = lambda table: sum(sum(row.values()) for row in table)  # noqa: E731
    axes.set_title(f"{model}: estimated energy per layer, float32 {total(a):,.1f} uJ vs int8 {total(b):,.1f} uJ "
                   "(joule info, default table: Horowitz 45 nm)", fontsize=10)
    axes.legend(ncol=2, fontsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def draw_variants(points, out, cpu):
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    shapes = sorted({shape for _, shape, *_ in points})
    markers = dict(zip(shapes, "os^D"))
    for variant, shape, macs, latency, energy in points:
        for axes, y in ((left, latency), (right, energy * 1e-3)):
            axes.scatter(macs / 1e6, y, marker=markers[shape], s=30)
            axes.annotate(variant, (macs / 1e6, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    for axes, label in ((left, "measured latency, 1 thread (us, median)"),
                        (right, "estimated energy per inference (uJ)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("MACs (millions)")
        axes.set_ylabel(label)
        axes.grid(True, which="both", linewidth=0.3)
    for shape in shapes:
        left.scatter([], [], marker=markers[shape], color="gray", label=f"input {shape}")
    left.legend(fontsize=8)
    figure.suptitle(f"layer variants at equal input and output shape (bench/bench_variants.cpp){cpu}", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=110)


def main(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="figure", required=True)
    energy = commands.add_parser("energy")
    energy.add_argument("--f32", required=True)
    energy.add_argument("--int8", required=True)
    energy.add_argument("--out", required=True)
    variants = commands.add_parser("variants")
    variants.add_argument("--gbench", required=True)
    variants.add_argument("--out", required=True)
    variants.add_argument("--cpu", default="")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else 0
    try:
        if args.figure == "energy":
            f32 = load_json(args.f32)
            draw_energy(layer_energy(f32, args.f32), layer_energy(load_json(args.int8), args.int8),
                        f32.get("model", "?"), args.out)
        else:
            draw_variants(variant_points(args.gbench), args.out,
                          f"\n{args.cpu}" if args.cpu else "")
    except InputError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
