#!/usr/bin/python3
"""Hostile safetensors and .npy files against joule's readers and `joule run`, in bounded memory
and time. Each case is generated here (a ~99 MB header holding one flat shape array, deep
nesting, millions of tiny tensors, offsets and a header length past the end, a byte-order mark,
and their .npy counterparts), run under `prlimit --as` (1 GiB by default) and a time limit through
`/usr/bin/time -v`, and must end with exit status 1 and one line on stderr that gives the reason
the case is about (not "out of memory": a reader that ran out of memory on the way to a refusal
would fail here). Peak memory (maximum resident set size) and wall time of every run go into a
Markdown table, printed and written to WORK/hostile_files.md.

    hostile_files.py --work DIR --reader joule_io_read [--joule joule --model NAME]
                     [--address-limit BYTES] [--seconds S]

--address-limit 0 runs without the address-space limit (AddressSanitizer reserves terabytes of
address space, so the sanitizer build uses that); peak memory is still measured.
Only the standard library: no numpy, so that the sanitizer build runs it too.
"""

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import time

MIB = 1 << 20


def safetensors(header: bytes, data: bytes = b"", length=None) -> bytes:
    return struct.pack("<Q", len(header) if length is None else length) + header + data


def npy(header: bytes, data: bytes = b"", major=1, length=None) -> bytes:
    size = len(header) if length is None else length
    field = struct.pack("<H", size) if major == 1 else struct.pack("<I", size)
    return b"\x93NUMPY" + bytes([major, 0]) + field + header + data


def npy_dict(shape: str) -> bytes:
    return ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape).encode()


def entry(name: str, dtype: str, shape: bytes, offsets: str) -> bytes:
    return b'"%s":{"dtype":"%s","shape":%s,"data_offsets":%s}' % (
        name.encode(), dtype.encode(), shape, offsets.encode())


def flat_shape_header(size: int) -> bytes:
    """One tensor whose shape is a single flat array of ones, the header `size` bytes long."""
    head, tail = b'{"w":{"dtype":"F32","shape":[1', b'],"data_offsets":[0,4]}}'
    count = (size - len(head) - len(tail)) // 2
    text = head + b",1" * count + tail
    return text + b" " * (size - len(text))


def deep_header(size: int) -> bytes:
    """An entry whose shape is nested as deep as `size` bytes allow."""
    head, tail = b'{"w":{"dtype":"F32","shape":', b',"data_offsets":[0,4]}}'
    depth = (size - len(head) - len(tail)) // 2
    return head + b"[" * depth + b"]" * depth + tail


def tiny_tensors_header(size: int) -> bytes:
    """As many empty U8 tensors as `size` bytes hold."""
    parts, used, i = [], 1, 0
    while True:
        part = entry("t%d" % i, "U8", b"[0]", "[0,0]")
        if used + len(part) + 2 > size:
            break
        parts.append(part)
        used += len(part) + 1
        i += 1
    text = b"{" + b",".join(parts) + b"}"
    return text + b" " * (size - len(text))


def cases(input_shape):
    """(name, what, file name, bytes or a function making them, fragment the message must hold)."""
    four = b"\0" * 4
    h, w, c = input_shape
    good_npy_header = npy_dict("(1, %d, %d, %d)" % (h, w, c))
    yield ("flat shape array, 99 MB header", "safetensors", "flat_99mb.safetensors",
           lambda: safetensors(flat_shape_header(99_000_000), four),
           "header length 99000000 above the limit of 16777216 bytes")
    yield ("flat shape array, 16 MiB header", "safetensors", "flat_16mib.safetensors",
           lambda: safetensors(flat_shape_header(16 * MIB), four), "above 8, the most joule holds")
    yield ("deep nesting, 16 MiB header", "safetensors", "deep_16mib.safetensors",
           lambda: safetensors(deep_header(16 * MIB), four), "nested more than 3 levels deep")
    yield ("deep nesting, never closed", "safetensors", "deep_open.safetensors",
           lambda: safetensors(b"[" * (16 * MIB)), "malformed JSON near byte 16777216 of 16777216")
    yield ("millions of tiny tensors, 99 MB header", "safetensors", "tiny_99mb.safetensors",
           lambda: safetensors(tiny_tensors_header(99_000_000)),
           "header length 99000000 above the limit of 16777216 bytes")
    yield ("tiny tensors, 16 MiB header (300,000)", "safetensors", "tiny_16mib.safetensors",
           lambda: safetensors(tiny_tensors_header(16 * MIB)), "more than 100000 tensors")
    yield ("offsets past the end", "safetensors", "offsets.safetensors",
           lambda: safetensors(b"{" + entry("w", "F32", b"[274877906944]", "[0,1099511627776]") + b"}", four),
           "data_offsets [0, 1099511627776] run past the data section of 4 bytes")
    yield ("header length past the end", "safetensors", "length_past_end.safetensors",
           lambda: safetensors(b"{}", b"", length=MIB), "header length 1048576 runs past the end of the file")
    yield ("header length 2^63", "safetensors", "length_huge.safetensors",
           lambda: safetensors(b"{}", b"", length=1 << 63), "above the limit of 16777216 bytes")
    yield ("byte-order mark", "safetensors", "bom.safetensors",
           lambda: safetensors(b"\xef\xbb\xbf{}"), "byte-order mark")
    yield ("npy: 99 MB header", "npy", "header_99mb.npy",
           lambda: npy(b" " * 99_000_000, major=2), "npy: header length 99000000 above the limit of 10000 bytes")
    yield ("npy: header length past the end", "npy", "length_past_end.npy",
           lambda: npy(good_npy_header, length=5000), "npy: header length 5000 runs past the end of the file")
    yield ("npy: flat shape of 3,000 ones", "npy", "flat_shape.npy",
           lambda: npy(npy_dict("(" + "1, " * 3000 + ")"), four), "npy header: shape has more than 64 dimensions")
    yield ("npy: shape promising 4 TB", "npy", "huge_shape.npy",
           lambda: npy(npy_dict("(100000, 100000, 100)"), four), "npy data: expected 4000000000000 bytes")
    yield ("npy: data past the end (truncated)", "npy", "truncated.npy",
           lambda: npy(good_npy_header, b"\0" * (h * w * c * 4 - 4)), "(truncated file?)")


def good_input(shape):
    h, w, c = shape
    return npy(npy_dict("(1, %d, %d, %d)" % (h, w, c)), b"\0" * (h * w * c * 4))


def measure(command, address_limit, seconds, stats_path):
    """Runs `command` under the limits; returns (exit status, stderr, peak RSS bytes, wall s)."""
    limited = ["prlimit", "--as=%d" % address_limit, "--"] + command if address_limit else command
    start = time.monotonic()
    try:
        result = subprocess.run(["/usr/bin/time", "-v", "-o", stats_path] + limited, capture_output=True,
                                text=True, errors="replace", timeout=seconds)
    except subprocess.TimeoutExpired:
        return None, "timed out after %g s" % seconds, 0, time.monotonic() - start
    wall = time.monotonic() - start
    stats = open(stats_path).read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats)
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", stats)
    if elapsed:
        wall = int(elapsed.group(1) or 0) * 3600 + int(elapsed.group(2)) * 60 + float(elapsed.group(3))
    return result.returncode, result.stderr, int(rss.group(1)) * 1024 if rss else 0, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--reader", required=True, help="joule_io_read")
    parser.add_argument("--joule", help="the joule command; `joule run` is run on every case too")
    parser.add_argument("--model", default="mobilenet_v1_0.25_128")
    parser.add_argument("--input-shape", default="128,128,3", help="the model's H,W,C")
    parser.add_argument("--address-limit", type=int, default=1 << 30)
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit of one run")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    shape = tuple(int(x) for x in args.input_shape.split(","))
    input_path = os.path.join(args.work, "input.npy")
    with open(input_path, "wb") as f:
        f.write(good_input(shape))
    missing_weights = os.path.join(args.work, "never-read.safetensors")
    stats_path = os.path.join(args.work, "time.txt")

    failures, rows = [], []
    for name, kind, file_name, make, fragment in cases(shape):
        path = os.path.join(args.work, file_name)
        with open(path, "wb") as f:
            f.write(make())
        runs = [("joule_io_read", [args.reader, path])]
        if args.joule:
            # The input is checked before the weights are read: a bad input needs no weights.
            run = [args.joule, "run", args.model, "--output", os.path.join(args.work, "out.npy")]
            if kind == "safetensors":
                runs.append(("joule run --weights", run + ["--weights", path, "--input", input_path]))
            else:
                runs.append(("joule run --input", run + ["--weights", missing_weights, "--input", path]))
        for program, command in runs:
            status, stderr, rss, wall = measure(command, args.address_limit, args.seconds, stats_path)
            lines = stderr.strip().splitlines()
            message = lines[-1] if lines else ""
            problems = []
            if status != 1:
                problems.append("exit %s, expected 1" % status)
            if len(lines) != 1:
                problems.append("%d lines on stderr, expected 1" % len(lines))
            if fragment not in stderr:
                problems.append("message lacks %r" % fragment)
            if problems:
                failures.append("%s, %s: %s: %s" % (name, program, "; ".join(problems), stderr.strip()[:500]))
                print("FAIL:", failures[-1])
            shown = re.sub(r"'[^']*%s'" % re.escape(file_name), "'" + file_name + "'", message)
            rows.append((name, program, os.path.getsize(path), status, rss, wall, shown))
        os.remove(path)  # up to 99 MB each: keep the build directory small

    limit = "%d MiB address space" % (args.address_limit >> 20) if args.address_limit else "no address-space limit"
    table = ["Under %s, %g s per run (`prlimit --as`, `/usr/bin/time -v`):" % (limit, args.seconds), "",
             "| case | program | file bytes | exit | peak RSS MB | wall s | message |", "|---|---|---|---|---|---|---|"]
    for name, program, size, status, rss, wall, message in rows:
        table.append("| %s | %s | %s | %s | %.1f | %.2f | `%s` |" % (
            name, program, format(size, ","), status, rss / 1e6, wall, message.replace("|", "\\|")[:160]))
    report = "\n".join(table) + "\n"
    print(report)
    with open(os.path.join(args.work, "hostile_files.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.work, "hostile_files.json"), "w") as f:
        json.dump([dict(zip(("case", "program", "file_bytes", "exit", "peak_rss_bytes", "wall_s", "message"), row))
                   for row in rows], f, indent=1)
    print("%d passed, %d failed" % (len(rows) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
