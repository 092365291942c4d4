#!/usr/bin/python3
"""Tests of scripts/plots.py's reading of its inputs (what each figure draws), on small synthetic
inputs. The drawing itself needs matplotlib and is exercised by scripts/plots.

  /usr/bin/python3 -m unittest scripts/test_plots.py
"""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import plots  # noqa: E402
from test_bench_report import entry, repeated  # noqa: E402


def layer(name, compute, weights, activations):
    return {"name": name, "energy_pj": {"compute": compute, "weights": weights, "activations": activations,
                                        "total": compute + weights + activations}}


class LayerEnergyTest(unittest.TestCase):
    def test_groups_blocks_and_converts_to_microjoules(self):
        info = {"layers": [layer("features.0", 1e6, 2e6, 3e6), layer("features.1.conv.0", 1e6, 0, 0),
                           layer("features.1.conv.1", 2e6, 0, 5e5), layer("classifier.1", 0, 4e6, 0)]}
        rows = plots.layer_energy(info)
        self.assertEqual([group for group, _ in rows], ["features.0", "features.1", "classifier.1"])
        self.assertEqual(rows[1][1], {"compute": 3.0, "weights": 0.0, "activations": 0.5})
        self.assertEqual(rows[2][1]["weights"], 4.0)

    def test_aligns_int8_edges_with_zeros_for_float32(self):
        f32 = plots.layer_energy({"layers": [layer("features.0", 1e6, 0, 0), layer("avgpool", 0, 0, 1e6)]})
        int8 = plots.layer_energy({"layers": [layer("quant", 0, 0, 1e6), layer("features.0", 1e5, 0, 0),
                                              layer("avgpool", 0, 0, 1e5), layer("dequant", 0, 0, 1e3)]})
        order, (a, b) = plots.aligned(f32, int8)
        self.assertEqual(order, ["features.0", "avgpool", "quant", "dequant"])
        self.assertEqual(a[2], {"compute": 0.0, "weights": 0.0, "activations": 0.0})
        self.assertAlmostEqual(b[0]["compute"], 0.1)
        self.assertEqual(b[2]["activations"], 1.0)

    def test_refuses_what_is_not_joule_info(self):
        with self.assertRaises(plots.InputError) as caught:
            plots.layer_energy({"layers": [{"name": "x"}]}, "x.json")
        self.assertIn("x.json: not the output of joule info --json", str(caught.exception))


class VariantPointsTest(unittest.TestCase):
    def write(self, entries):
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, "bench.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"context": {}, "benchmarks": entries}, file)
        return path

    def test_medians_of_variants_only(self):
        path = self.write(repeated("variant/joule/mbconv_e6/56x56x24", [300.0, 100.0, 200.0], MACs=5e6,
                                   energy_nJ=900.0)
                          + [entry("pointwise/joule/mobilenet_v2/56x56x24->144", 50.0, MACs=1.0)])
        self.assertEqual(plots.variant_points(path), [("mbconv_e6", "56x56x24", 5e6, 200.0, 900.0)])

    def test_refuses_variants_without_the_energy_counter(self):
        path = self.write([entry("variant/joule/conv3x3/14x14x96", 10.0, MACs=1.0)])
        with self.assertRaises(plots.InputError) as caught:
            plots.variant_points(path)
        self.assertIn("variant/joule/conv3x3/14x14x96 has no MACs or energy_nJ counter", str(caught.exception))

    def test_refuses_a_file_without_variants(self):
        path = self.write([entry("model/joule/mobilenet_v2/threads:1", 10.0)])
        with self.assertRaises(plots.InputError):
            plots.variant_points(path)


if __name__ == "__main__":
    unittest.main()
