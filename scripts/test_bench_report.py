#!/usr/bin/python3
"""Tests of scripts/bench_report.py on small synthetic inputs written into a temporary directory.

  /usr/bin/python3 -m unittest scripts/test_bench_report.py
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_report as br  # noqa: E402

SCRIPT = os.path.join(HERE, "bench_report.py")
MACHINE = {"cpu": "Test CPU @ 1.00GHz", "cores": 2, "load": (0.5, 0.25, 0.125)}


def entry(name, time, unit="us", run_type="iteration", aggregate=None, **counters):
    """One Google Benchmark JSON entry, as libbenchmark 1.7 writes it."""
    run_name = name[: -len(aggregate) - 1] if aggregate else name
    result = {"name": name, "run_name": run_name, "run_type": run_type, "repetitions": 1, "threads": 1,
              "iterations": 100, "real_time": time, "cpu_time": time, "time_unit": unit}
    if aggregate:
        result.update(aggregate_name=aggregate, aggregate_unit="time")
    result.update({key.replace("_pct", "%").replace("_per_s", "/s"): value for key, value in counters.items()})
    return result


def repeated(name, times, unit="us", aggregates=True, **counters):
    """Entries of a benchmark run with --benchmark_repetitions=len(times)."""
    entries = []
    for index, time in enumerate(times):
        e = entry(name, time, unit, **counters)
        e.update(repetitions=len(times), repetition_index=index)
        entries.append(e)
    if aggregates:
        ordered = sorted(times)
        middle = ordered[len(ordered) // 2]
        # The mean is made far from the median so a report that took it would show.
        for aggregate, value in (("mean", sum(times) / len(times) + 1000.0), ("median", middle),
                                 ("stddev", 1.0), ("cv", 0.01)):
            e = entry(f"{name}_{aggregate}", value, unit, "aggregate", aggregate, **counters)
            e["repetitions"] = len(times)
            entries.append(e)
    return entries


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def write(self, name, content):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as file:
            file.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def write_gbench(self, name, benchmarks, context=None):
        return self.write(name, {"context": context or {"date": "2026-01-01T00:00:00+00:00", "num_cpus": 2,
                                                         "load_avg": [0.1, 0.2, 0.3]},
                                 "benchmarks": benchmarks})

    def write_lines(self, name, objects):
        return self.write(name, "".join(json.dumps(obj) + "\n" for obj in objects))


class ParseNameTest(unittest.TestCase):
    def test_grammar(self):
        self.assertEqual(br.parse_name("pointwise/joule/mobilenet_v2/112x112x32->16"),
                         ("pointwise", "joule", "mobilenet_v2", "112x112x32->16"))
        self.assertEqual(br.parse_name("depthwise/xnnpack/efficientnet_b0/56x56x144/k5s2"),
                         ("depthwise", "xnnpack", "efficientnet_b0", "56x56x144/k5s2"))
        self.assertEqual(br.parse_name("model/joule/mobilenet_v2/threads:2"),
                         ("model", "joule", "mobilenet_v2", "threads:2"))

    def test_google_benchmark_suffixes_are_dropped(self):
        self.assertEqual(br.parse_name("depthwise/joule/mobilenet_v2/112x112x32/k3s1/real_time"),
                         ("depthwise", "joule", "mobilenet_v2", "112x112x32/k3s1"))
        self.assertEqual(br.parse_name("model/xnnpack/mobilenet_v2/threads:1/min_time:0.500/repeats:5"),
                         ("model", "xnnpack", "mobilenet_v2", "threads:1"))
        self.assertEqual(br.parse_name("pointwise/eigen/mobilenet_v2/7x7x320->1280/iterations:10"),
                         ("pointwise", "eigen", "mobilenet_v2", "7x7x320->1280"))

    def test_names_outside_the_grammar(self):
        for name in ("BM_peak", "pointwise/joule/mobilenet_v2", "pointwise//mobilenet_v2/7x7x1->2",
                     "model/joule/mobilenet_v2/real_time"):
            self.assertIsNone(br.parse_name(name), name)


class LoadGbenchTest(TempDirTest):
    KEY = ("pointwise", "joule", "mobilenet_v2", "7x7x320->1280")
    NAME = "pointwise/joule/mobilenet_v2/7x7x320->1280"

    def test_median_aggregate_wins(self):
        path = self.write_gbench("g.json", repeated(self.NAME, [30.0, 10.0, 20.0], GFLOP_per_s=5.0))
        loaded = br.load_gbench(path)
        record = loaded["records"][self.KEY]
        self.assertAlmostEqual(record.time_ms, 0.020)
        self.assertEqual(record.samples, 3)
        self.assertEqual(record.counters["GFLOP/s"], 5.0)
        self.assertEqual(list(loaded["records"]), [self.KEY])

    def test_only_aggregates(self):
        # --benchmark_report_aggregates_only=true leaves the aggregates alone.
        entries = [e for e in repeated(self.NAME, [3.0, 1.0, 2.0]) if e["run_type"] == "aggregate"]
        record = br.load_gbench(self.write_gbench("g.json", entries))["records"][self.KEY]
        self.assertAlmostEqual(record.time_ms, 0.002)

    def test_repetitions_without_aggregates_give_their_median(self):
        entries = repeated(self.NAME, [9.0, 1.0, 4.0, 2.0], aggregates=False)
        for e, gf in zip(entries, (1.0, 9.0, 3.0, 4.0)):
            e["GFLOP/s"] = gf
        record = br.load_gbench(self.write_gbench("g.json", entries))["records"][self.KEY]
        self.assertAlmostEqual(record.time_ms, 0.003)
        self.assertAlmostEqual(record.counters["GFLOP/s"], 3.5)
        self.assertEqual(record.samples, 4)

    def test_plain_entry_and_time_units(self):
        entries = [entry(self.NAME, 2_000_000.0, "ns"),
                   entry("model/joule/mobilenet_v2/threads:1", 3.5, "ms"),
                   entry("model/joule/mobilenet_v2/threads:2", 0.002, "s")]
        records = br.load_gbench(self.write_gbench("g.json", entries))["records"]
        self.assertAlmostEqual(records[self.KEY].time_ms, 2.0)
        self.assertAlmostEqual(records[("model", "joule", "mobilenet_v2", "threads:1")].time_ms, 3.5)
        self.assertAlmostEqual(records[("model", "joule", "mobilenet_v2", "threads:2")].time_ms, 2.0)

    def test_errors_and_foreign_names_are_reported_not_used(self):
        failed = entry("pointwise/xnnpack/mobilenet_v2/7x7x320->1280", 0.0)
        failed.update(error_occurred=True, error_message="XNNPACK not built")
        entries = [entry(self.NAME, 1.0), failed, entry("BM_peak", 1.0)]
        loaded = br.load_gbench(self.write_gbench("g.json", entries))
        self.assertEqual(list(loaded["records"]), [self.KEY])
        self.assertEqual(loaded["skipped"], ["pointwise/xnnpack/mobilenet_v2/7x7x320->1280: XNNPACK not built"])
        self.assertEqual(loaded["unparsed"], ["BM_peak"])

    def test_old_format_without_run_name(self):
        entries = repeated(self.NAME, [5.0, 6.0, 7.0])
        for e in entries:
            del e["run_name"]
        record = br.load_gbench(self.write_gbench("g.json", entries))["records"][self.KEY]
        self.assertAlmostEqual(record.time_ms, 0.006)

    def test_text_printed_before_the_json(self):
        document = json.dumps({"context": {}, "benchmarks": [entry(self.NAME, 1.0)]}, indent=2)
        path = self.write("g.json", "peak: 100 GFLOP/s\n" + document)
        self.assertIn(self.KEY, br.load_gbench(path)["records"])

    def test_not_benchmark_json(self):
        for content in ("not json at all", "[1, 2]", '{"context": {}}',
                        json.dumps({"benchmarks": [{"name": self.NAME, "real_time": "fast"}]})):
            with self.subTest(content=content), self.assertRaises(br.InputError):
                br.load_gbench(self.write("bad.json", content))


class LoadJsonlTest(TempDirTest):
    def test_lines_and_duplicates(self):
        path = self.write("o.jsonl", "\n".join(json.dumps(o) for o in (
            {"peer": "onnxruntime", "model": "mobilenet_v2", "threads": 1, "median_ms": 5.0},
            {"peer": "onnxruntime", "model": "mobilenet_v2", "threads": 1, "median_ms": 7.0},
            {"peer": "onnxruntime", "model": "mobilenet_v2", "threads": 1, "median_ms": 6.5},
        )) + "\n\n")
        times = br.whole_model_times(br.load_jsonl(path))
        self.assertEqual(list(times), [("mobilenet_v2", 1)])
        self.assertEqual(times[("mobilenet_v2", 1)].time_ms, 6.5)
        self.assertEqual(times[("mobilenet_v2", 1)].samples, 3)

    def test_bad_lines_name_their_line(self):
        good = json.dumps({"model": "m", "threads": 1, "median_ms": 1.0})
        cases = {
            "joule: median 3 ms": "not a JSON object",
            "[1]": "not a JSON object",
            json.dumps({"model": "m", "threads": 1}): 'no "median_ms"',
            json.dumps({"model": "m", "threads": 0, "median_ms": 1.0}): '"threads"',
            json.dumps({"model": "m", "threads": True, "median_ms": 1.0}): '"threads"',
            json.dumps({"model": "m", "threads": 1, "median_ms": -1}): '"median_ms"',
            json.dumps({"model": "", "threads": 1, "median_ms": 1.0}): '"model"',
        }
        for line, message in cases.items():
            with self.subTest(line=line):
                path = self.write("bad.jsonl", good + "\n" + line + "\n")
                with self.assertRaises(br.InputError) as caught:
                    br.load_jsonl(path)
                self.assertIn("bad.jsonl:2:", str(caught.exception))
                self.assertIn(message, str(caught.exception))


class MachineTest(TempDirTest):
    def test_cpuinfo(self):
        path = self.write("cpuinfo", "processor\t: 0\nmodel name\t: Example CPU\n\nprocessor\t: 1\n"
                                     "model name\t: Example CPU\n")
        info = br.machine_info(path)
        self.assertEqual(info["cpu"], "Example CPU")
        self.assertEqual(info["cores"], 2)

    def test_peak_from_context_or_counters(self):
        records = {("pointwise", "joule", "m", "s"): br.Record(1.0, {"GFLOP/s": 50.0, "peak%": 25.0})}
        self.assertEqual(br.measured_peak({"peak_gflops": "123.5 GFLOP/s"}, records)[0], 123.5)
        self.assertEqual(br.measured_peak({"num_cpus": 2}, records)[0], 200.0)
        self.assertIsNone(br.measured_peak({}, {})[0])


def model_data(**times):
    """Data with whole-model times: keyword who_model_threads=ms, e.g. joule_mobilenet_v2_1=3.0."""
    gbench, ort, cli = {}, {}, {}
    for key, ms in times.items():
        who, rest = key.split("_", 1)
        model, threads = rest.rsplit("_", 1)
        if who == "onnxruntime":
            ort[(model, int(threads))] = br.Record(ms)
        elif who == "cli":
            cli[(model, int(threads))] = br.Record(ms)
        else:
            gbench[("model", who, model, f"threads:{threads}")] = br.Record(ms)
    return br.Data(gbench, ort, cli)


class TargetTest(unittest.TestCase):
    def test_model_target(self):
        m = "mobilenet_v2"
        cases = [
            # joule, ONNX Runtime, XNNPACK at 1 thread -> status
            ((3.0, 4.0, 5.0), br.MET),  # exactly 0.75 x the faster peer
            ((3.1, 4.0, 5.0), br.NOT_MET),
            ((3.0, 5.0, 4.0), br.MET),  # the faster peer is XNNPACK
            ((3.5, 5.0, 4.0), br.NOT_MET),  # met against ONNX Runtime, not against XNNPACK
            ((3.0, 4.0, None), br.INCOMPLETE),  # met, but XNNPACK could still be faster
            ((3.1, 4.0, None), br.NOT_MET),  # a missing peer cannot rescue it
            ((None, 4.0, 5.0), br.NOT_EVALUATED),
            ((3.0, None, None), br.NOT_EVALUATED),
        ]
        for (joule, ort, xnn), expected in cases:
            times = {}
            if joule is not None:
                times[f"joule_{m}_1"] = joule
            if ort is not None:
                times[f"onnxruntime_{m}_1"] = ort
            if xnn is not None:
                times[f"xnnpack_{m}_1"] = xnn
            with self.subTest(times=times):
                self.assertEqual(br.model_target(model_data(**times), m)[0], expected)

    def test_model_target_text_names_the_numbers(self):
        status, text = br.model_target(model_data(joule_mobilenet_v2_1=3.0, onnxruntime_mobilenet_v2_1=4.0,
                                                  xnnpack_mobilenet_v2_1=5.0), "mobilenet_v2")
        self.assertEqual(text, "joule 3.00 ms vs 0.75 x 4.00 ms (ONNX Runtime) = 3.00 ms: ratio 0.75")

    def test_speedup_target(self):
        self.assertEqual(br.speedup_target(model_data(joule_m_1=3.6, joule_m_2=2.0), "m")[0], br.MET)
        self.assertEqual(br.speedup_target(model_data(joule_m_1=3.5, joule_m_2=2.0), "m")[0], br.NOT_MET)
        self.assertEqual(br.speedup_target(model_data(joule_m_1=3.5), "m")[0], br.NOT_EVALUATED)

    def test_joule_bench_lines_win_over_joule_bench_model_rows(self):
        data = model_data(joule_m_1=9.0, cli_m_1=3.0)
        self.assertEqual(data.model_time("joule", "m", 1), 3.0)
        self.assertEqual(data.models[("joule", "m", 1)][1], "joule bench")

    def layers(self, entries, peak=None):
        return br.Data({key: br.Record(ms, counters) for key, (ms, counters) in entries.items()}, peak=peak)

    def test_pointwise_target(self):
        a, b = "mobilenet_v2", "efficientnet_b0"
        met = self.layers({("pointwise", "joule", a, "s1"): (1.0, {"peak%": 70.0}),
                           ("pointwise", "joule", b, "s2"): (1.0, {"peak%": 90.0})})
        self.assertEqual(br.pointwise_target(met)[0], br.MET)
        not_met = self.layers({("pointwise", "joule", a, "s1"): (1.0, {"peak%": 69.9}),
                               ("pointwise", "joule", b, "s2"): (1.0, {"peak%": 90.0})})
        status, text, _ = br.pointwise_target(not_met)
        self.assertEqual(status, br.NOT_MET)
        self.assertIn("1 of 2 shapes", text)
        self.assertIn(f"{a} s1 at 69.9%", text)
        # Rows of other models (the Fashion-MNIST student's, beside its sparse rows) are not the target's.
        other = self.layers({("pointwise", "joule", a, "s1"): (1.0, {"peak%": 80.0}),
                             ("pointwise", "joule", "fashion_student", "s3"): (1.0, {"peak%": 20.0})})
        status, text, rows = br.pointwise_target(other)
        self.assertEqual((status, len(rows)), (br.MET, 1))
        # No peak% counter: from GFLOP/s and the measured peak.
        derived = self.layers({("pointwise", "joule", a, "s1"): (1.0, {"GFLOP/s": 80.0})}, peak=100.0)
        self.assertEqual(br.pointwise_target(derived)[0], br.MET)
        unknown = self.layers({("pointwise", "joule", a, "s1"): (1.0, {"GFLOP/s": 80.0})})
        self.assertEqual(br.pointwise_target(unknown)[0], br.NOT_EVALUATED)
        peers_only = self.layers({("pointwise", "xnnpack", "a", "s1"): (1.0, {"peak%": 90.0})})
        self.assertEqual(br.pointwise_target(peers_only)[0], br.NOT_EVALUATED)

    def test_depthwise_target(self):
        def data(pairs, model="mobilenet_v2"):
            entries = {}
            for shape, (joule, xnn) in pairs.items():
                if joule is not None:
                    entries[("depthwise", "joule", model, shape)] = (joule, {})
                if xnn is not None:
                    entries[("depthwise", "xnnpack", model, shape)] = (xnn, {})
            return self.layers(entries)

        self.assertEqual(br.depthwise_target(data({"a/k3s1": (1.0, 2.0), "b/k3s2": (1.0, 1.1)}))[0], br.MET)
        self.assertEqual(br.depthwise_target(data({"a/k3s1": (1.0, 2.0), "b/k3s2": (1.0, 1.0)}))[0], br.NOT_MET)
        self.assertEqual(br.depthwise_target(data({"a/k3s1": (1.0, 2.0), "b/k3s2": (1.0, None)}))[0],
                         br.INCOMPLETE)
        self.assertEqual(br.depthwise_target(data({"a/k3s1": (1.0, None)}))[0], br.NOT_EVALUATED)
        # Other models' shapes are not part of this target.
        self.assertEqual(br.depthwise_target(data({"a/k5s2": (2.0, 1.0)}, "efficientnet_b0"))[0],
                         br.NOT_EVALUATED)

    def test_combine(self):
        self.assertEqual(br.combine([br.MET, br.MET]), br.MET)
        self.assertEqual(br.combine([br.MET, br.NOT_MET, br.NOT_EVALUATED]), br.NOT_MET)
        self.assertEqual(br.combine([br.MET, br.NOT_EVALUATED]), br.INCOMPLETE)
        self.assertEqual(br.combine([br.NOT_EVALUATED, br.NOT_EVALUATED]), br.NOT_EVALUATED)
        self.assertEqual(br.combine([]), br.NOT_EVALUATED)


class ReportTest(TempDirTest):
    """The whole program on a small but complete set of inputs."""

    def inputs(self):
        v2 = "mobilenet_v2"
        benchmarks = []
        benchmarks += repeated(f"pointwise/joule/{v2}/112x112x32->16", [100.0, 90.0, 110.0],
                               MACs=6422528.0, GFLOP_per_s=142.7, peak_pct=71.35)
        benchmarks += [entry(f"pointwise/eigen/{v2}/112x112x32->16", 200.0, MACs=6422528.0, GFLOP_per_s=64.2)]
        benchmarks += [entry(f"pointwise/joule/{v2}/7x7x320->1280", 300.0, MACs=20070400.0, GFLOP_per_s=133.8,
                             peak_pct=66.9)]
        benchmarks += [entry(f"depthwise/joule/{v2}/112x112x32/k3s1", 40.0),
                       entry(f"depthwise/xnnpack/{v2}/112x112x32/k3s1", 50.0)]
        # UseRealTime() gives the model benchmarks a /real_time suffix.
        benchmarks += [entry(f"model/joule/{v2}/threads:1", 9.0, "ms"),
                       entry("model/joule/mobilenet_v3_large/threads:1/real_time", 2.5, "ms"),
                       entry(f"model/xnnpack/{v2}/threads:1/real_time", 4.0, "ms"),
                       entry(f"model/xnnpack/{v2}/threads:2/real_time", 2.5, "ms")]
        gbench = self.write_gbench("joule_bench.json", benchmarks,
                                   {"date": "2026-01-01T00:00:00+00:00", "num_cpus": 2, "load_avg": [0.1, 0.2, 0.3],
                                    "executable": "build/peers/bench/joule_bench",
                                    # The keys bench/main.cpp adds with AddCustomContext.
                                    "joule_peak_gflops_per_core": "200.000000", "joule_simd_target": "avx512bw"})
        ort = self.write_lines("onnxruntime.jsonl", [
            {"peer": "onnxruntime", "version": "1.30.0", "model": v2, "threads": t, "runs": 50, "min_ms": ms,
             "median_ms": ms, "max_ms": ms, "load1": 0.3} for t, ms in ((1, 5.0), (2, 2.8))])
        joule = self.write_lines("joule.jsonl", [
            {"model": v2, "threads": 1, "runs": 20, "min_ms": 2.9, "median_ms": 3.0, "max_ms": 3.3},
            {"model": v2, "threads": 2, "runs": 20, "min_ms": 1.5, "median_ms": 1.6, "max_ms": 1.7}])
        return gbench, ort, joule

    def run_main(self, argv):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = br.main(argv, machine=MACHINE)
        return code, err.getvalue()

    def test_full_report(self):
        gbench, ort, joule = self.inputs()
        out = os.path.join(self.dir, "docs", "benchmarks.md")
        code, err = self.run_main(["--gbench", gbench, "--onnxruntime", ort, "--joule", joule, "--out", out,
                                   "--command", "build/release/bench/joule_bench --benchmark_format=json",
                                   "--command", "scripts/bench_onnxruntime"])
        self.assertEqual((code, err), (0, ""))
        with open(out, encoding="utf-8") as file:
            text = file.read()
        lines = text.splitlines()

        self.assertIn("- CPU: Test CPU @ 1.00GHz, 2 logical cores", lines)
        self.assertIn("- measured fp32 peak: 200.0 GFLOP/s per core (Google Benchmark context "
                      "\"joule_peak_gflops_per_core\")", lines)
        self.assertIn("- joule's SIMD target in joule_bench: avx512bw", lines)
        self.assertNotIn("Cautions", text)  # idle machine, every peak% below 100
        self.assertIn("- load average (1, 5, 15 min) when this report was written: 0.50, 0.25, 0.12", lines)
        self.assertIn("build/release/bench/joule_bench --benchmark_format=json", lines)
        self.assertIn("scripts/bench_onnxruntime", lines)

        # joule bench's 3.0 ms wins over joule_bench's 9.0 ms; ratio 3.0 / min(4.0, 5.0).
        self.assertIn("| mobilenet_v2 | 3.00 | 1.60 | 1.88x | 4.00 / 2.50 | 5.00 / 2.80 | 0.75 |", lines)
        # joule_bench's model row is used when there is no `joule bench` line.
        self.assertIn("| mobilenet_v3_large | 2.50 | - | - | - / - | - / - | - |", lines)
        self.assertIn("| efficientnet_b0 | - | - | - | - / - | - / - | - |", lines)
        self.assertIn("ONNX Runtime 1.30.0 1 / 2 threads (ms)", text)

        # Median aggregate 100 us vs Eigen's 200 us; no XNNPACK pointwise rows at all.
        self.assertIn("| mobilenet_v2 | 112x112x32->16 | 142.7 | 71.3% | - | 64.2 | 0.50 |", lines)
        self.assertIn("| mobilenet_v2 | 7x7x320->1280 | 133.8 | 66.9% | - | - | - |", lines)
        self.assertIn("| mobilenet_v2 | 112x112x32/k3s1 | 40.0 | 50.0 | 0.80 |", lines)

        self.assertIn("   - mobilenet_v2: MET: joule 3.00 ms vs 0.75 x 4.00 ms (XNNPACK) = 3.00 ms: ratio 0.75", lines)
        self.assertIn("   - mobilenet_v2: MET: 3.00 ms / 1.60 ms = 1.88x (target >= 1.8x)", lines)
        self.assertIn("3. Every pointwise layer >= 70% of the measured peak: **NOT MET**: 1 of 2 shapes >= 70% of "
                      "peak; lowest mobilenet_v2 7x7x320->1280 at 66.9%", lines)
        self.assertIn("4. Depthwise faster than XNNPACK on every mobilenet_v2 shape: **MET**: joule faster on 1 of 1 "
                      "shapes", lines)
        # Missing models keep the overall status from MET.
        self.assertIn("1. Each model at 1 thread <= 0.75x the time of the faster of ONNX Runtime and XNNPACK: "
                      "**INCOMPLETE**", lines)

        self.assertIn("- no pointwise results for XNNPACK", lines)
        self.assertIn("- no whole-model time for ONNX Runtime: mobilenet_v3_large at 1 thread, mobilenet_v3_large at "
                      "2 threads, efficientnet_b0 at 1 thread, efficientnet_b0 at 2 threads", lines)
        self.assertNotIn("nan", text.lower())

    def test_cautions(self):
        busy = {"load_avg": [1.5, 1.0, 0.5]}
        data = br.Data({("pointwise", "joule", "m", "s"): br.Record(1.0, {"peak%": 120.0})})
        cautions = br.cautions_for(data, busy, [0.2, 0.9])
        self.assertEqual(len(cautions), 2)
        self.assertIn("load average of 1.50", cautions[0])
        self.assertIn("ONNX Runtime ran at up to 0.90", cautions[0])
        self.assertIn("above 100% of the measured peak on 1 shapes", cautions[1])
        self.assertEqual(br.cautions_for(br.Data(), {"load_avg": [0.1, 0.1, 0.1]}, [0.3]), [])

    def test_missing_inputs_are_stated_not_errors(self):
        out = os.path.join(self.dir, "report.md")
        nowhere = os.path.join(self.dir, "nowhere")
        code, err = self.run_main(["--gbench", nowhere + ".json", "--onnxruntime", nowhere + ".jsonl",
                                   "--joule", nowhere + ".joule.jsonl", "--out", out])
        self.assertEqual((code, err), (0, ""))
        with open(out, encoding="utf-8") as file:
            text = file.read()
        self.assertIn("missing: its rows are \"-\"", text)
        self.assertIn("missing: its columns are \"-\"", text)
        self.assertIn("- not recorded (pass each one to the report with `--command`)", text)
        self.assertIn("| mobilenet_v2 | - | - | - | - / - | - / - | - |", text)
        self.assertIn("- no whole-model times for XNNPACK", text)
        self.assertIn("- no pointwise results at all", text)
        self.assertEqual(text.count("**NOT EVALUATED**"), 4)

    def test_bad_input_fails_with_one_line_and_writes_nothing(self):
        gbench, _, joule = self.inputs()
        ort = self.write("onnxruntime.jsonl", "{\"model\": \"mobilenet_v2\", \"threads\": 1}\n")
        out = os.path.join(self.dir, "report.md")
        code, err = self.run_main(["--gbench", gbench, "--onnxruntime", ort, "--joule", joule, "--out", out])
        self.assertEqual(code, 1)
        self.assertEqual(err.count("\n"), 1)
        self.assertIn("onnxruntime.jsonl:1: no \"median_ms\"", err)
        self.assertFalse(os.path.exists(out))


class CommandLineTest(TempDirTest):
    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60)

    def test_usage_error_is_one_line_exit_2(self):
        result = self.run_script("--no-such-option")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.count("\n"), 1)

    def test_help(self):
        result = self.run_script("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--onnxruntime", result.stdout)

    def test_runs_as_a_program(self):
        out = os.path.join(self.dir, "r.md")
        # Every input named, so that whatever lies in the checkout's build/bench/ plays no part.
        result = self.run_script("--gbench", os.path.join(self.dir, "none.json"), "--onnxruntime",
                                 os.path.join(self.dir, "none.jsonl"), "--joule", os.path.join(self.dir, "none2.jsonl"),
                                 "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("wrote", result.stdout)
        with open(out, encoding="utf-8") as file:
            self.assertTrue(file.read().startswith("# Benchmarks\n"))


if __name__ == "__main__":
    unittest.main()
