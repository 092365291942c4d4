#!/usr/bin/python3
"""Turn joule's benchmark results and its peers' into one Markdown comparison (docs/benchmarks.md).

  bench_report.py [--gbench FILE]... [--onnxruntime FILE] [--joule FILE]...
                  [--command CMD]... [--out FILE]

Inputs (each optional; a missing file or a missing peer is shown as "-" and stated, not an error):
  --gbench       `joule_bench --benchmark_format=json` output (Google Benchmark JSON). Benchmark
                 names follow bench/bench_common.hpp: "<op>/<who>/<model>/<shape>", e.g.
                 pointwise/xnnpack/mobilenet_v2/112x112x32->16, model/joule/mobilenet_v2/threads:2.
                 With repetitions, the median aggregate is used (else the median of the
                 repetitions, else the plain entry). Default: build/bench/joule_bench.json.
  --onnxruntime  JSON lines from scripts/bench_onnxruntime. Default: build/bench/onnxruntime.jsonl.
  --joule        JSON lines from `joule bench MODEL --threads N --json` (whole models).
                 Default: build/bench/joule.jsonl.
  --command      a command that produced the inputs, quoted verbatim in the report (repeatable).
Defaults are relative to the repository root; paths given are relative to the current directory.

Exit status: 0 when the report was written (whatever the targets say), 2 on a usage error, 1 when
an input exists but cannot be read as what it claims to be. Errors are one line on stderr.
"""

import argparse
import datetime
import json
import math
import os
import re
import shlex
import statistics
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = "bench_report.py"
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

DEFAULT_GBENCH = "build/bench/joule_bench.json"
DEFAULT_ONNXRUNTIME = "build/bench/onnxruntime.jsonl"
DEFAULT_JOULE = "build/bench/joule.jsonl"
DEFAULT_OUT = "docs/benchmarks.md"

# The models the targets name; they always get a row, so a missing one shows as "-".
TARGET_MODELS = ("mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0")
LAYER_PEERS = ("xnnpack", "eigen")
PEER_LABELS = {"xnnpack": "XNNPACK", "eigen": "Eigen", "onnxruntime": "ONNX Runtime"}

# The targets, as the issue states them.
MODEL_RATIO_TARGET = 0.75  # joule 1-thread time <= 0.75 x the faster peer's
SPEEDUP_TARGET = 1.8  # 1-thread time / 2-thread time
PEAK_TARGET = 70.0  # percent of the measured fp32 peak, every pointwise layer
DEPTHWISE_TARGET_MODEL = "mobilenet_v2"

# A 1-minute load average from which a 2-core machine counts as busy for the cautions: half a
# core taken by something else already shows in the times.
BUSY_LOAD = 0.5

MET, NOT_MET, INCOMPLETE, NOT_EVALUATED = "MET", "NOT MET", "INCOMPLETE", "NOT EVALUATED"

TIME_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
# Suffixes Google Benchmark itself appends to a name (UseRealTime(), Iterations(n), ...). They are
# not part of the grammar, and would keep joule's row and a peer's apart if one had them.
# threads:N is not among them: for "model" it is the grammar's own shape.
GBENCH_SUFFIX = re.compile(
    r"^(real_time|manual_time|process_time|iterations:\d+|repeats:\d+|"
    r"min_time:[0-9.eE+-]+s?|min_warmup_time:[0-9.eE+-]+s?)$"
)
# Fields Google Benchmark writes for every entry; every other numeric field is a user counter.
GBENCH_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label", "skipped",
    "skip_message",
}


class InputError(Exception):
    """An input file exists but is not what it claims to be."""


# ---------------------------------------------------------------------------------------------
# Reading the inputs


class Record:
    """One benchmark result: median wall time in ms and its counters."""

    def __init__(self, time_ms, counters=None, samples=1):
        self.time_ms = time_ms
        self.counters = dict(counters or {})
        self.samples = samples

    def __repr__(self):
        return f"Record({self.time_ms!r}, {self.counters!r}, samples={self.samples})"


def parse_name(name):
    """(op, who, model, shape) of a name in bench_common.hpp's grammar, or None."""
    parts = name.split("/")
    while len(parts) > 3 and GBENCH_SUFFIX.match(parts[-1]):
        parts.pop()
    if len(parts) < 4 or not all(parts[:4]):
        return None
    # The shape may itself hold slashes (depthwise: "56x56x144/k5s2").
    return parts[0], parts[1], parts[2], "/".join(parts[3:])


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _read_json_document(path):
    with open(path, encoding="utf-8") as file:
        text = file.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as first_error:
        # A benchmark binary may print a line of its own before the JSON on stdout (and
        # --benchmark_format=json goes to stdout); the document starts at the first line that
        # opens an object.
        match = re.search(r"^\{", text, re.MULTILINE)
        if match and match.start() > 0:
            try:
                document, _ = json.JSONDecoder().raw_decode(text, match.start())
                return document
            except json.JSONDecodeError:
                pass
        raise InputError(f"{path}: not JSON ({first_error})") from None


def load_gbench(path):
    """Reads Google Benchmark JSON: returns {"records": {(op, who, model, shape): Record},
    "context": dict, "skipped": [str], "unparsed": [str], "duplicates": [str]}."""
    document = _read_json_document(path)
    if not isinstance(document, dict) or not isinstance(document.get("benchmarks"), list):
        raise InputError(f"{path}: no \"benchmarks\" list; is this --benchmark_format=json output?")
    context = document.get("context") if isinstance(document.get("context"), dict) else {}

    groups = {}  # run name -> {"median": entry or None, "iterations": [entries]}
    order = []
    skipped, unparsed = [], []
    for index, entry in enumerate(document["benchmarks"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError(f"{path}: benchmarks[{index}] has no name")
        name = entry["name"]
        run_name = entry.get("run_name")
        aggregate = entry.get("aggregate_name") if entry.get("run_type") == "aggregate" else None
        if not isinstance(run_name, str):
            # Older Google Benchmark: aggregates are only told apart by a "_<aggregate>" suffix.
            run_name = name[: -len(aggregate) - 1] if aggregate and name.endswith("_" + aggregate) else name
        if entry.get("error_occurred") or entry.get("skipped"):
            message = entry.get("error_message") or entry.get("skip_message") or "skipped"
            skipped.append(f"{run_name}: {message}")
            continue
        if aggregate is not None and aggregate != "median":
            continue  # mean, stddev, cv: the report quotes medians only
        if not _number(entry.get("real_time")) or entry.get("time_unit", "ns") not in TIME_UNIT_MS:
            raise InputError(f"{path}: {name}: no real_time with a known time_unit")
        group = groups.get(run_name)
        if group is None:
            group = groups[run_name] = {"median": None, "iterations": []}
            order.append(run_name)
        if aggregate == "median":
            group["median"] = entry
        else:
            group["iterations"].append(entry)

    records, duplicates = {}, []
    for run_name in order:
        key = parse_name(run_name)
        if key is None:
            unparsed.append(run_name)
            continue
        group = groups[run_name]
        if group["median"] is not None:
            record = _gbench_record(group["median"])
            record.samples = int(group["median"].get("repetitions") or len(group["iterations"]) or 1)
        else:
            record = _median_record([_gbench_record(entry) for entry in group["iterations"]])
        if key in records:
            duplicates.append(run_name)
        records[key] = record
    return {"records": records, "context": context, "skipped": skipped, "unparsed": unparsed,
            "duplicates": duplicates}


def _gbench_record(entry):
    time_ms = float(entry["real_time"]) * TIME_UNIT_MS[entry.get("time_unit", "ns")]
    counters = {key: float(value) for key, value in entry.items() if key not in GBENCH_FIELDS and _number(value)}
    return Record(time_ms, counters)


def _median_record(records):
    """The median of several results, field by field (time and each counter)."""
    if len(records) == 1:
        return records[0]
    counters = {}
    for key in set().union(*(r.counters for r in records)):
        values = [r.counters[key] for r in records if key in r.counters]
        counters[key] = statistics.median(values)
    return Record(statistics.median(r.time_ms for r in records), counters, samples=len(records))


def load_jsonl(path, required=("model", "threads", "median_ms")):
    """Reads JSON lines; returns the list of objects. Blank lines are allowed, nothing else is."""
    objects = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: not a JSON object ({error.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{number}: not a JSON object")
            for key in required:
                if key not in obj:
                    raise InputError(f"{path}:{number}: no \"{key}\"")
            if not isinstance(obj["model"], str) or not obj["model"]:
                raise InputError(f"{path}:{number}: \"model\" is not a name")
            if not isinstance(obj["threads"], int) or isinstance(obj["threads"], bool) or obj["threads"] < 1:
                raise InputError(f"{path}:{number}: \"threads\" is not a positive integer")
            if not _number(obj["median_ms"]) or obj["median_ms"] <= 0:
                raise InputError(f"{path}:{number}: \"median_ms\" is not a positive number")
            objects.append(obj)
    return objects


def whole_model_times(objects):
    """{(model, threads): Record} from JSON lines; several lines for one pair (appended runs)
    give the median of their medians."""
    grouped = {}
    for obj in objects:
        grouped.setdefault((obj["model"], obj["threads"]), []).append(float(obj["median_ms"]))
    return {key: Record(statistics.median(values), samples=len(values)) for key, values in grouped.items()}


# ---------------------------------------------------------------------------------------------
# The machine


def machine_info(cpuinfo_path="/proc/cpuinfo"):
    """CPU model and logical core count from /proc/cpuinfo, and the load average now."""
    model, processors = None, 0
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as file:
            for line in file:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "processor":
                    processors += 1
                elif key == "model name" and model is None:
                    model = value.strip()
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu": model, "cores": processors or os.cpu_count(), "load": load}


def measured_peak(context, records):
    """(GFLOP/s, how it was found) of the peak that peak% is relative to, or (None, reason).

    The benchmark may put it in its JSON context (benchmark::AddCustomContext); otherwise any
    entry with both counters gives it back, as peak% = GFLOP/s / peak * 100.
    """
    for key, value in (context or {}).items():
        if "peak" in key.lower():
            number = _first_number(value)
            if number is not None and number > 0:
                return number, f"Google Benchmark context \"{key}\""
    derived = [
        r.counters["GFLOP/s"] / r.counters["peak%"] * 100.0
        for r in records.values()
        if r.counters.get("peak%", 0) > 0 and "GFLOP/s" in r.counters
    ]
    if derived:
        return statistics.median(derived), "GFLOP/s / peak% of the benchmarks (no peak in the JSON context)"
    return None, "no peak in the benchmark JSON"


def _first_number(value):
    if _number(value):
        return float(value)
    if isinstance(value, str):
        match = re.search(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?", value)
        if match:
            return float(match.group(0))
    return None


# ---------------------------------------------------------------------------------------------
# Tables and targets


def gflops(record):
    if record is None:
        return None
    if "GFLOP/s" in record.counters:
        return record.counters["GFLOP/s"]
    if "MACs" in record.counters and record.time_ms > 0:
        return 2.0 * record.counters["MACs"] / (record.time_ms * 1e6)
    return None


def peak_percent(record, peak):
    if record is None:
        return None
    if "peak%" in record.counters:
        return record.counters["peak%"]
    value = gflops(record)
    return value / peak * 100.0 if value is not None and peak else None


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def fmt(value, digits=2, suffix=""):
    if value is None:
        return "-"
    return f"{value:.{digits}f}{suffix}"


def combine(statuses):
    """One status for several checks: any NOT MET fails; all MET passes; otherwise incomplete."""
    statuses = list(statuses)
    if not statuses:
        return NOT_EVALUATED
    if NOT_MET in statuses:
        return NOT_MET
    if all(s == MET for s in statuses):
        return MET
    if all(s == NOT_EVALUATED for s in statuses):
        return NOT_EVALUATED
    return INCOMPLETE


class Data:
    """Everything the report reads, joined: whole-model times per (who, model, threads) and
    layer records per (op, who, model, shape)."""

    def __init__(self, gbench_records=None, onnxruntime=None, joule_cli=None, peak=None):
        self.layers = {}
        self.models = {}  # (who, model, threads) -> (Record, source)
        for (op, who, model, shape), record in (gbench_records or {}).items():
            if op == "model":
                match = re.fullmatch(r"threads:(\d+)", shape)
                if match:
                    self.models[(who, model, int(match.group(1)))] = (record, "joule_bench")
            else:
                self.layers[(op, who, model, shape)] = record
        for (model, threads), record in (onnxruntime or {}).items():
            self.models[("onnxruntime", model, threads)] = (record, "onnxruntime.jsonl")
        # `joule bench` is the program users time a model with, so its numbers win over
        # joule_bench's model/joule/... entries for the same model and thread count.
        for (model, threads), record in (joule_cli or {}).items():
            self.models[("joule", model, threads)] = (record, "joule bench")
        self.peak = peak

    def model_time(self, who, model, threads):
        entry = self.models.get((who, model, threads))
        return entry[0].time_ms if entry else None

    def model_names(self):
        others = sorted({model for (_, model, _) in self.models} - set(TARGET_MODELS))
        return list(TARGET_MODELS) + others

    def layer_shapes(self, op):
        """(model, shape) pairs of one op, in the order the benchmark ran them."""
        seen = []
        for (o, _, model, shape) in self.layers:
            if o == op and (model, shape) not in seen:
                seen.append((model, shape))
        return seen

    def layer(self, op, who, model, shape):
        return self.layers.get((op, who, model, shape))


def model_target(data, model):
    """Target 1 for one model: joule at 1 thread <= 0.75 x the faster of ONNX Runtime and XNNPACK."""
    joule = data.model_time("joule", model, 1)
    peers = {who: data.model_time(who, model, 1) for who in ("onnxruntime", "xnnpack")}
    present = {who: t for who, t in peers.items() if t is not None}
    missing = [PEER_LABELS[who] for who, t in peers.items() if t is None]
    if joule is None:
        return NOT_EVALUATED, "no joule 1-thread time"
    if not present:
        return NOT_EVALUATED, f"joule {joule:.2f} ms; no peer time ({', '.join(missing)} missing)"
    best_who = min(present, key=present.get)
    best = present[best_who]
    r = joule / best
    text = (f"joule {joule:.2f} ms vs {MODEL_RATIO_TARGET} x {best:.2f} ms ({PEER_LABELS[best_who]}) = "
            f"{MODEL_RATIO_TARGET * best:.2f} ms: ratio {r:.2f}")
    if r > MODEL_RATIO_TARGET:
        # A missing peer could only lower the best time, so this cannot turn into MET.
        return NOT_MET, text + (f" ({', '.join(missing)} missing)" if missing else "")
    if missing:
        return INCOMPLETE, text + f"; met against {PEER_LABELS[best_who]}, but {', '.join(missing)} missing"
    return MET, text


def speedup_target(data, model):
    """Target 2 for one model: joule's 2-thread time at least 1.8x faster than its 1-thread time."""
    one, two = data.model_time("joule", model, 1), data.model_time("joule", model, 2)
    if one is None or two is None:
        return NOT_EVALUATED, f"joule 1 thread {fmt(one)} ms, 2 threads {fmt(two)} ms"
    s = one / two
    text = f"{one:.2f} ms / {two:.2f} ms = {s:.2f}x (target >= {SPEEDUP_TARGET}x)"
    return (MET if s >= SPEEDUP_TARGET else NOT_MET), text


def pointwise_target(data):
    """Target 3: every pointwise layer joule runs at >= 70% of the measured peak, on the target
    models' shapes (other rows, e.g. the Fashion-MNIST student's beside its sparse rows, are not
    the target's). Returns (status, summary, [(model, shape, percent or None)])."""
    rows = []
    for model, shape in data.layer_shapes("pointwise"):
        if model not in TARGET_MODELS:
            continue
        record = data.layer("pointwise", "joule", model, shape)
        if record is not None:
            rows.append((model, shape, peak_percent(record, data.peak)))
    if not rows:
        return NOT_EVALUATED, "no joule pointwise results", rows
    known = [(m, s, p) for m, s, p in rows if p is not None]
    if not known:
        return NOT_EVALUATED, "no peak% (no peak counter and no measured peak)", rows
    below = [(m, s, p) for m, s, p in known if p < PEAK_TARGET]
    worst = min(known, key=lambda row: row[2])
    text = (f"{len(known) - len(below)} of {len(rows)} shapes >= {PEAK_TARGET:.0f}% of peak; lowest "
            f"{worst[0]} {worst[1]} at {worst[2]:.1f}%")
    if below:
        return NOT_MET, text, rows
    if len(known) < len(rows):
        return INCOMPLETE, text + f"; {len(rows) - len(known)} without peak%", rows
    return MET, text, rows


def depthwise_target(data):
    """Target 4: joule's depthwise faster than XNNPACK's on every MobileNetV2 shape.
    Returns (status, summary, [(shape, joule ms or None, xnnpack ms or None)])."""
    rows = []
    for model, shape in data.layer_shapes("depthwise"):
        if model != DEPTHWISE_TARGET_MODEL:
            continue
        joule = data.layer("depthwise", "joule", model, shape)
        xnn = data.layer("depthwise", "xnnpack", model, shape)
        rows.append((shape, joule.time_ms if joule else None, xnn.time_ms if xnn else None))
    if not rows:
        return NOT_EVALUATED, f"no {DEPTHWISE_TARGET_MODEL} depthwise results", rows
    both = [(s, j, x) for s, j, x in rows if j is not None and x is not None]
    slower = [(s, j, x) for s, j, x in both if not j < x]
    text = f"joule faster on {len(both) - len(slower)} of {len(rows)} shapes"
    if slower:
        worst = max(slower, key=lambda row: row[1] / row[2])
        return NOT_MET, text + f"; slowest relative: {worst[0]} at {worst[1] / worst[2]:.2f}x XNNPACK's time", rows
    if not both:
        return NOT_EVALUATED, text + "; no shape has both joule and XNNPACK times", rows
    if len(both) < len(rows):
        return INCOMPLETE, text + f"; {len(rows) - len(both)} shapes lack a joule or XNNPACK time", rows
    return MET, text, rows


# ---------------------------------------------------------------------------------------------
# The report


def _cell(text):
    return str(text).replace("|", "\\|")


def _table(header, rows):
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def display_path(path):
    """A path as the report shows it: relative to the repository when inside it, so the report
    reads the same on every checkout."""
    absolute = os.path.abspath(path)
    if os.path.commonpath([absolute, REPO_ROOT]) == REPO_ROOT:
        return os.path.relpath(absolute, REPO_ROOT)
    return path


def _load_text(load):
    return ", ".join(f"{x:.2f}" for x in load) if load else "unknown"


def render(data, inputs, machine, gbench_context=None, onnxruntime_version=None, commands=(), argv=(),
           now=None, peak_source=None):
    """The Markdown report. inputs: [(kind, path, status text)]; returns (text, {target: status})."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    context = gbench_context or {}
    out = ["# Benchmarks", ""]
    out.append(f"Written by `scripts/bench_report.py` on {now.strftime('%Y-%m-%d %H:%M %Z').strip()} from the "
               "inputs below; regenerate it rather than editing it.")
    out += ["", "## Machine", ""]
    out.append(f"- CPU: {machine.get('cpu') or 'unknown (no model name in /proc/cpuinfo)'}, "
               f"{machine.get('cores') or 'unknown'} logical cores")
    if data.peak:
        out.append(f"- measured fp32 peak: {data.peak:.1f} GFLOP/s per core ({peak_source})")
    else:
        out.append(f"- measured fp32 peak: - ({peak_source or 'no benchmark JSON'})")
    out.append(f"- load average (1, 5, 15 min) when this report was written: {_load_text(machine.get('load'))}")
    if context:
        details = [f"date {context['date']}" if "date" in context else None,
                   f"load average {_load_text(context['load_avg'])}" if isinstance(context.get("load_avg"), list) else None,
                   f"{context['num_cpus']} CPUs" if "num_cpus" in context else None,
                   f"{context['mhz_per_cpu']} MHz" if "mhz_per_cpu" in context else None]
        out.append("- joule_bench started: " + ", ".join(d for d in details if d))
    if context.get("joule_simd_target"):
        out.append(f"- joule's SIMD target in joule_bench: {context['joule_simd_target']}")
    loads = sorted(set(machine.get("onnxruntime_loads", ())))
    if loads:
        out.append(f"- ONNX Runtime runs started at 1-minute load averages {', '.join(f'{x:.2f}' for x in loads)}")
    cautions = cautions_for(data, context, loads)
    if cautions:
        out += ["", "**Cautions:**", ""] + [f"- {text}" for text in cautions]

    out += ["", "## Inputs", ""]
    out += _table(["input", "file", "status"], [(kind, f"`{display_path(path)}`", status) for kind, path, status in inputs])
    out += ["", "Commands that produced them:", ""]
    if commands:
        out += ["```"] + list(commands) + ["```"]
    else:
        out.append("- not recorded (pass each one to the report with `--command`)")
    if context.get("executable"):
        out += ["", f"The Google Benchmark JSON names its executable: `{context['executable']}`."]
    out += ["", "This report:", "", "```", shlex.join(["scripts/bench_report.py"] + list(argv)), "```"]

    out += ["", "Times are medians. Every ratio is joule's time divided by the peer's: below 1, joule is "
            "faster. \"-\" means no result for that cell (see the inputs above)."]

    # Whole models.
    out += ["", "## Whole models (224x224, batch 1, fp32)", ""]
    rows = []
    for model in data.model_names():
        j1, j2 = data.model_time("joule", model, 1), data.model_time("joule", model, 2)
        x1, x2 = data.model_time("xnnpack", model, 1), data.model_time("xnnpack", model, 2)
        o1, o2 = data.model_time("onnxruntime", model, 1), data.model_time("onnxruntime", model, 2)
        best = min((t for t in (x1, o1) if t is not None), default=None)
        rows.append((model, fmt(j1), fmt(j2), fmt(ratio(j1, j2), 2, "x"), f"{fmt(x1)} / {fmt(x2)}",
                     f"{fmt(o1)} / {fmt(o2)}", fmt(ratio(j1, best))))
    out += _table(["model", "joule 1 thread (ms)", "joule 2 threads (ms)", "speedup 2/1",
                   "XNNPACK 1 / 2 threads (ms)", f"ONNX Runtime{' ' + onnxruntime_version if onnxruntime_version else ''}"
                   " 1 / 2 threads (ms)", "joule / best peer, 1 thread"], rows)
    sources = sorted({source for (who, _, _), (_, source) in data.models.items() if who == "joule"})
    if sources:
        out += ["", f"joule's times come from: {', '.join(sources)} (`joule bench` wins where both have one)."]

    # Pointwise layers.
    out += ["", "## Pointwise layers (1x1 convolution)", ""]
    shapes = data.layer_shapes("pointwise")
    if shapes:
        rows = []
        for model, shape in shapes:
            j = data.layer("pointwise", "joule", model, shape)
            peers = {who: data.layer("pointwise", who, model, shape) for who in LAYER_PEERS}
            best = min((r.time_ms for r in peers.values() if r is not None), default=None)
            rows.append((model, shape, fmt(gflops(j), 1), fmt(peak_percent(j, data.peak), 1, "%"),
                         fmt(gflops(peers["xnnpack"]), 1), fmt(gflops(peers["eigen"]), 1),
                         fmt(ratio(j.time_ms if j else None, best))))
        out += _table(["model", "shape (HxWxCin->Cout)", "joule GFLOP/s", "joule % of peak", "XNNPACK GFLOP/s",
                       "Eigen GFLOP/s", "joule / best peer (time)"], rows)
    else:
        out.append("No pointwise results in the inputs.")

    # Depthwise layers.
    out += ["", "## Depthwise layers", ""]
    shapes = data.layer_shapes("depthwise")
    if shapes:
        rows = []
        for model, shape in shapes:
            j = data.layer("depthwise", "joule", model, shape)
            x = data.layer("depthwise", "xnnpack", model, shape)
            jt, xt = (j.time_ms if j else None), (x.time_ms if x else None)
            rows.append((model, shape, fmt(jt * 1e3 if jt is not None else None, 1),
                         fmt(xt * 1e3 if xt is not None else None, 1), fmt(ratio(jt, xt))))
        out += _table(["model", "shape (HxWxC/kKsS)", "joule (us)", "XNNPACK (us)", "joule / XNNPACK"], rows)
    else:
        out.append("No depthwise results in the inputs.")

    # Targets.
    statuses = {}
    out += ["", "## Targets", ""]
    per_model = [(model, *model_target(data, model)) for model in TARGET_MODELS]
    statuses["models"] = combine(s for _, s, _ in per_model)
    out.append(f"1. Each model at 1 thread <= {MODEL_RATIO_TARGET}x the time of the faster of ONNX Runtime and "
               f"XNNPACK: **{statuses['models']}**")
    out += [f"   - {model}: {status}: {text}" for model, status, text in per_model]
    per_model = [(model, *speedup_target(data, model)) for model in TARGET_MODELS]
    statuses["threads"] = combine(s for _, s, _ in per_model)
    out.append(f"2. Each model at 2 threads >= {SPEEDUP_TARGET}x faster than at 1: **{statuses['threads']}**")
    out += [f"   - {model}: {status}: {text}" for model, status, text in per_model]
    status, text, rows = pointwise_target(data)
    statuses["pointwise"] = status
    out.append(f"3. Every pointwise layer >= {PEAK_TARGET:.0f}% of the measured peak: **{status}**: {text}")
    below = [(m, s, p) for m, s, p in rows if p is not None and p < PEAK_TARGET]
    if below:
        out.append("   - below: " + "; ".join(f"{m} {s} {p:.1f}%" for m, s, p in below))
    status, text, rows = depthwise_target(data)
    statuses["depthwise"] = status
    out.append(f"4. Depthwise faster than XNNPACK on every {DEPTHWISE_TARGET_MODEL} shape: **{status}**: {text}")
    out += [f"   - {s}: joule {fmt(j * 1e3 if j is not None else None, 1)} us, XNNPACK "
            f"{fmt(x * 1e3 if x is not None else None, 1)} us" for s, j, x in rows]
    out += ["", f"{MET}: the numbers meet it. {NOT_MET}: they do not. {INCOMPLETE}: the numbers present meet it "
            f"but some are missing. {NOT_EVALUATED}: no numbers for it."]

    # What is missing, said once in words.
    missing = missing_notes(data)
    if missing:
        out += ["", "## Missing results", ""] + [f"- {note}" for note in missing]
    return "\n".join(out) + "\n", statuses


def cautions_for(data, context, onnxruntime_loads):
    """What makes these numbers less trustworthy, found mechanically in the inputs themselves."""
    cautions = []
    busy = []
    load_avg = context.get("load_avg")
    if isinstance(load_avg, list) and load_avg and _number(load_avg[0]) and load_avg[0] >= BUSY_LOAD:
        busy.append(f"joule_bench started at a 1-minute load average of {load_avg[0]:.2f}")
    if onnxruntime_loads and max(onnxruntime_loads) >= BUSY_LOAD:
        busy.append(f"ONNX Runtime ran at up to {max(onnxruntime_loads):.2f}")
    if busy:
        cautions.append("the machine was not idle: " + "; ".join(busy) + ". Other work inflates times, two-thread "
                        "times most, and lowers the measured peak.")
    over = [(m, s) for m, s in data.layer_shapes("pointwise")
            if (peak_percent(data.layer("pointwise", "joule", m, s), data.peak) or 0.0) > 100.0]
    if over:
        cautions.append(f"joule's pointwise runs above 100% of the measured peak on {len(over)} shapes: the peak "
                        "was measured low (it shares the core with whatever else runs), so every % of peak here "
                        "reads high.")
    return cautions


def missing_notes(data):
    notes = []
    for who, label in (("joule", "joule"), ("xnnpack", "XNNPACK"), ("onnxruntime", "ONNX Runtime")):
        absent = [f"{model} at {threads} thread{'s' if threads > 1 else ''}"
                  for model in TARGET_MODELS for threads in (1, 2) if data.model_time(who, model, threads) is None]
        if len(absent) == 2 * len(TARGET_MODELS):
            notes.append(f"no whole-model times for {label}")
        elif absent:
            notes.append(f"no whole-model time for {label}: {', '.join(absent)}")
    for op in ("pointwise", "depthwise"):
        shapes = data.layer_shapes(op)
        whos = ("joule",) + (LAYER_PEERS if op == "pointwise" else ("xnnpack",))
        for who in whos:
            absent = [s for s in shapes if data.layer(op, who, *s) is None]
            if shapes and len(absent) == len(shapes):
                notes.append(f"no {op} results for {PEER_LABELS.get(who, who)}")
            elif absent:
                notes.append(f"no {op} result for {PEER_LABELS.get(who, who)} on {len(absent)} of {len(shapes)} shapes")
        if not shapes:
            notes.append(f"no {op} results at all")
    return notes


# ---------------------------------------------------------------------------------------------
# Command line


def _resolve(paths, default):
    # Defaults live under the repository root, so the report runs the same from any directory.
    return [os.path.join(REPO_ROOT, default)] if not paths else paths


def build(args, machine=None, now=None):
    """Reads every input named in args; returns (markdown, statuses). InputError on a bad input."""
    machine = dict(machine or machine_info())
    inputs = []
    gbench_records, context, gbench_notes = {}, {}, []
    for path in _resolve(args.gbench, DEFAULT_GBENCH):
        if not os.path.exists(path):
            inputs.append(("Google Benchmark JSON", path, "missing: its rows are \"-\""))
            continue
        loaded = load_gbench(path)
        gbench_records.update(loaded["records"])
        context = context or loaded["context"]
        status = f"{len(loaded['records'])} results"
        if loaded["skipped"]:
            status += f"; {len(loaded['skipped'])} skipped by the benchmark"
            gbench_notes += [f"skipped: {text}" for text in loaded["skipped"]]
        if loaded["unparsed"]:
            status += f"; {len(loaded['unparsed'])} names outside the grammar, ignored"
            gbench_notes += [f"ignored (name outside <op>/<who>/<model>/<shape>): {n}" for n in loaded["unparsed"]]
        if loaded["duplicates"]:
            gbench_notes += [f"appears twice, the last is used: {n}" for n in loaded["duplicates"]]
        inputs.append(("Google Benchmark JSON", path, status))

    onnxruntime, version = {}, None
    (ort_path,) = _resolve([args.onnxruntime] if args.onnxruntime else [], DEFAULT_ONNXRUNTIME)
    if os.path.exists(ort_path):
        objects = load_jsonl(ort_path)
        onnxruntime = whole_model_times(objects)
        versions = sorted({str(obj.get("version")) for obj in objects if obj.get("version")})
        version = ", ".join(versions) or None
        machine["onnxruntime_loads"] = [float(obj["load1"]) for obj in objects if _number(obj.get("load1"))]
        inputs.append(("ONNX Runtime JSON lines", ort_path, f"{len(objects)} lines"))
    else:
        inputs.append(("ONNX Runtime JSON lines", ort_path, "missing: its columns are \"-\""))

    joule_lines = []
    for path in _resolve(args.joule, DEFAULT_JOULE):
        if os.path.exists(path):
            objects = load_jsonl(path)
            joule_lines += objects
            inputs.append(("`joule bench --json` lines", path, f"{len(objects)} lines"))
        else:
            inputs.append(("`joule bench --json` lines", path, "missing: joule_bench's model rows are used, if any"))

    peak, peak_source = measured_peak(context, gbench_records)
    data = Data(gbench_records, onnxruntime, whole_model_times(joule_lines), peak)
    text, statuses = render(data, inputs, machine, context, version, args.command, args.argv, now, peak_source)
    if gbench_notes:
        text += "\n## Notes on the Google Benchmark input\n\n" + "".join(f"- {note}\n" for note in gbench_notes)
    return text, statuses


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr, like the tools/ programs."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (--help for usage)\n")
        sys.exit(EXIT_USAGE)


def parse_args(argv):
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--gbench", action="append", default=[], metavar="FILE")
    parser.add_argument("--onnxruntime", metavar="FILE")
    parser.add_argument("--joule", action="append", default=[], metavar="FILE")
    parser.add_argument("--command", action="append", default=[], metavar="CMD")
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, DEFAULT_OUT), metavar="FILE")
    args = parser.parse_args(argv)
    args.argv = list(argv)
    return args


def main(argv=None, machine=None):
    # Load average first: reading inputs is cheap, but this is the figure the report calls "at start".
    machine = machine or machine_info()
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        text, statuses = build(args, machine)
    except InputError as error:
        sys.stderr.write(f"{PROG}: {' '.join(str(error).split())}\n")
        return EXIT_FAILURE
    except OSError as error:
        sys.stderr.write(f"{PROG}: cannot read {error.filename}: {error.strerror}\n")
        return EXIT_FAILURE
    try:
        directory = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(directory, exist_ok=True)
        # Written beside the target and renamed, so a reader never sees half a report.
        partial = args.out + ".partial"
        with open(partial, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, args.out)
    except OSError as error:
        sys.stderr.write(f"{PROG}: cannot write {args.out}: {error.strerror}\n")
        return EXIT_FAILURE
    summary = ", ".join(f"{name} {status}" for name, status in statuses.items())
    print(f"{PROG}: wrote {args.out} (targets: {summary})")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
