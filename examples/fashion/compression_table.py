#!/usr/bin/python3
"""The compression table of docs/compression.md: every Fashion-MNIST network the joule command
ships, measured by it (`joule eval --json`, C++, the whole test set, the shipped weights).

  compression_table.py [--joule PATH] [--write docs/compression.md] [--limit N]

Prints the table as Markdown; --write puts it into the file between the lines
`<!-- compression table -->` and `<!-- end of compression table -->`.
"""

import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import tool_cli  # noqa: E402

sys.path.insert(0, HERE)
import fashion_data  # noqa: E402

# (row, model, precision): the rows of the table, in the order of the pipeline.
ROWS = (
    ("teacher, fp32", "fashion_teacher", "f32"),
    ("student (distilled), fp32", "fashion_student", "f32"),
    ("student (distilled), int8", "fashion_student", "int8"),
    ("student pruned (structured, half of each expansion), fp32", "fashion_student_pruned", "f32"),
    ("student pruned (structured) + int8", "fashion_student_pruned", "int8"),
)
BEGIN, END = "<!-- compression table -->", "<!-- end of compression table -->"


def cpu_name():
    """The CPU's model name and the vector instruction sets that decide joule's kernels."""
    name, flags = None, set()
    try:
        with open("/proc/cpuinfo") as stream:
            for line in stream:
                if line.startswith("model name") and name is None:
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    sets = [label for flag, label in (("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512"),
                                      ("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"),
                                      ("asimddp", "NEON dot product")) if flag in flags]
    return f"{name or platform.processor() or 'unknown CPU'} ({', '.join(sets) or 'no AVX2'})"


def measure(joule, dataset, limit):
    results = []
    for row, model, precision in ROWS:
        command = [joule, "eval", model, "--dataset", dataset, "--precision", precision, "--json"]
        if limit:
            command += ["--limit", str(limit)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise tool_cli.Failure(f"{' '.join(command)}: {done.stderr.strip()}")
        results.append((row, json.loads(done.stdout)))
    return results


def table(results):
    teacher = results[0][1]
    lines = ["| network | test accuracy | params | weight bytes | MACs | MACs vs teacher | arena bytes "
             "| C++ latency (ms per image) | estimated energy (uJ per image) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row, r in results:
        lines.append(f"| {row} | {r['accuracy']:.2f}% | {r['params']:,} | {r['weight_bytes']:,} | {r['macs']:,} "
                     f"| {r['macs'] / teacher['macs']:.3f} | {r['arena_bytes']:,} | {r['median_ms']:.3f} "
                     f"| {r['energy_uj']['total']:.2f} |")
    images = results[0][1]["images"]
    lines.append("")
    lines.append(f"Measured by `examples/fashion/compression_table.py` with `joule eval` on {images:,} test "
                 f"images, 1 thread, on {cpu_name()}; latency is the median over the images, energy the "
                 f"compile-time estimate (docs/energy.md, table horowitz_45nm).")
    return "\n".join(lines)


def write(path, text):
    with open(path) as stream:
        document = stream.read()
    if BEGIN not in document or END not in document:
        raise tool_cli.Failure(f"{path}: no '{BEGIN}' ... '{END}' lines to put the table between")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as stream:
        stream.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv=None):
    parser = tool_cli.Parser(prog="compression_table.py", description=__doc__.split("\n")[0])
    parser.add_argument("--joule", help="the joule command (default: $PATH, then the build tree)")
    parser.add_argument("--dataset", default=fashion_data.DEFAULT_DIR)
    parser.add_argument("--limit", type=tool_cli.positive_int, help="the first N test images only")
    parser.add_argument("--write", metavar="FILE", help="put the table into FILE (docs/compression.md)")
    args = parser.parse_args(argv)
    try:
        text = table(measure(tool_cli.find_joule(args.joule), args.dataset, args.limit))
        if args.write:
            write(args.write, text)
    except tool_cli.Failure as error:
        print(f"compression_table.py: {error}", file=sys.stderr)
        return tool_cli.EXIT_FAILURE
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
