#!/usr/bin/python3
"""Tests of the Python tools. Run: /usr/bin/python3 -m unittest tools/test_tools.py
(or /usr/bin/python3 tools/test_tools.py). About a minute on one core: most of it is
starting PyTorch in the programs under test.

The C++ `joule` program is stood in for by a small Python program (FAKE_JOULE) that implements
`joule run` and `joule header` with PyTorch, so that export.py's and parity.py's side of the
contract is tested without a C++ build.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest
import unittest.mock

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import compare  # noqa: E402
import count  # noqa: E402
import export  # noqa: E402
import golden  # noqa: E402
import joule_models  # noqa: E402
import safetensors_file  # noqa: E402
import tool_cli  # noqa: E402
import zoo_registry  # noqa: E402

PYTHON = "/usr/bin/python3"
torch.set_num_threads(1)

# The zoo registry (include/joule/models/registry.hpp) is the one list of models.
EXPECTED_NAMES = zoo_registry.NAMES

# `joule run` / `joule header` with PyTorch. FAKE_MODE perturbs or breaks it on purpose.
FAKE_JOULE = textwrap.dedent(
    """\
    #!/usr/bin/python3
    import os, sys
    sys.path.insert(0, {tools!r})
    import numpy as np, torch
    import joule_models, safetensors_file
    torch.set_num_threads(1)
    args = sys.argv[1:]
    command, model_name, options = args[0], args[1], dict(zip(args[2::2], args[3::2]))
    mode = os.environ.get("FAKE_MODE", "")
    if mode == "usage":
        sys.stderr.write("joule: error: unknown option --frobnicate\\n")
        sys.exit(2)
    tensors, _ = safetensors_file.load_torch(options["--weights"])
    if command == "header":
        with open(options["--output"], "w") as out:
            out.write(f"// {{options['--name']}}: {{len(tensors)}} tensors of {{model_name}}\\n")
        sys.exit(0)
    classes = tensors[[k for k in tensors if k.startswith("classifier")][-1]].shape[0]
    model = joule_models.build(model_name, classes).eval()
    model.load_state_dict(tensors)
    x = np.load(options["--input"])
    with torch.no_grad():
        y = model(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()).numpy()
    if mode == "perturb":
        y[0, 7] += 1e-3 * np.abs(y).max()
    np.save(options["--output"], y.astype(np.float32))
    """
).format(tools=TOOLS)


def run_tool(script, *args, env=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([PYTHON, os.path.join(TOOLS, script), *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


def run_main(module, *args):
    """(exit status, stdout, stderr) of a tool's main() called in this process: the programs'
    contract without starting PyTorch again (a few seconds each on a small machine)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = module.main([str(arg) for arg in args])
        except SystemExit as exit:  # argparse's usage errors
            status = exit.code
    return status, out.getvalue(), err.getvalue()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="joule-tools-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)


class SafetensorsTest(TempDirTest):
    def sample(self):
        generator = torch.Generator().manual_seed(1)
        return {
            "conv.weight": torch.randn(4, 3, 3, 3, generator=generator),
            "half": torch.randn(5, generator=generator).half(),
            "brain": torch.randn(3, 3, generator=generator).bfloat16(),
            "bn.num_batches_tracked": torch.tensor(17, dtype=torch.int64),
            "odd": torch.randn(7, generator=generator),  # 28 bytes: misaligns what follows
            "ids": torch.arange(5, dtype=torch.int64),
            "empty": torch.zeros(0, 4),
        }

    def test_round_trip_every_dtype(self):
        tensors = self.sample()
        tensors["np64"] = np.linspace(-1, 1, 6).reshape(2, 3)  # float64 numpy
        tensors["i32"] = np.array([-5, 6], dtype=np.int32)
        tensors["u8"] = np.array([0, 255], dtype=np.uint8)
        tensors["mask"] = np.array([True, False])
        path = self.path("a.safetensors")
        size = safetensors_file.save(tensors, path, {"joule.model": "x", "n": 3})
        with open(path, "rb") as file:
            data = file.read()
        self.assertEqual(size, len(data))
        loaded, metadata = safetensors_file.load_torch(path)
        self.assertEqual(metadata, {"joule.model": "x", "n": "3"})
        self.assertEqual(set(loaded), set(tensors))
        for name, value in tensors.items():
            original = torch.as_tensor(value)
            self.assertEqual(loaded[name].dtype, original.dtype, name)
            self.assertEqual(loaded[name].shape, original.shape, name)
            self.assertTrue(torch.equal(loaded[name], original), name)
        # Read back and written again: the very same bytes.
        self.assertEqual(safetensors_file.serialize(loaded, metadata), data)

        arrays, _ = safetensors_file.load_numpy(path)
        self.assertEqual(arrays["brain"].dtype, np.float32)
        np.testing.assert_array_equal(arrays["brain"], tensors["brain"].float().numpy())
        np.testing.assert_array_equal(arrays["half"], tensors["half"].numpy())
        self.assertEqual(arrays["bn.num_batches_tracked"].dtype, np.int64)
        self.assertEqual(arrays["bn.num_batches_tracked"].shape, ())

    def test_layout(self):
        data = safetensors_file.serialize(self.sample(), {"k": "v"})
        (length,) = struct.unpack("<Q", data[:8])
        self.assertEqual(length % 8, 0)
        text = data[8 : 8 + length]
        self.assertTrue(text.rstrip(b" ").endswith(b"}"))
        header = json.loads(text)
        self.assertEqual(header.pop("__metadata__"), {"k": "v"})
        spans = sorted(entry["data_offsets"] for entry in header.values())
        self.assertEqual(spans[0][0], 0)
        for (_, end), (begin, _) in zip(spans, spans[1:]):
            self.assertEqual(end, begin)
        self.assertEqual(spans[-1][1], len(data) - 8 - length)
        sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}
        for name, entry in header.items():
            self.assertIn(entry["dtype"], sizes, name)
            begin, end = entry["data_offsets"]
            self.assertEqual((8 + length + begin) % sizes[entry["dtype"]], 0, name)
            self.assertEqual(end - begin, sizes[entry["dtype"]] * int(np.prod(entry["shape"])))
        self.assertEqual(header["bn.num_batches_tracked"]["shape"], [])
        self.assertEqual(header["brain"]["dtype"], "BF16")
        self.assertEqual(header["half"]["dtype"], "F16")

    def test_values_are_little_endian_f32(self):
        data = safetensors_file.serialize({"x": np.array([1.5, -2.0], dtype=">f4")})
        (length,) = struct.unpack("<Q", data[:8])
        self.assertEqual(data[8 + length :], struct.pack("<2f", 1.5, -2.0))

    def test_deterministic_whatever_the_insertion_order(self):
        tensors = self.sample()
        backwards = dict(reversed(list(tensors.items())))
        self.assertEqual(safetensors_file.serialize(tensors), safetensors_file.serialize(backwards))

    def test_numpy_and_torch_give_the_same_bytes(self):
        tensor = torch.randn(3, 4, generator=torch.Generator().manual_seed(2))
        self.assertEqual(safetensors_file.serialize({"t": tensor}),
                         safetensors_file.serialize({"t": tensor.numpy()}))

    def test_parse_rejects_a_hole(self):
        header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}).encode()
        header += b" " * (-len(header) % 8)
        data = struct.pack("<Q", len(header)) + header + bytes(8)
        with self.assertRaisesRegex(safetensors_file.FormatError, "starts at 4"):
            safetensors_file.parse(data)

    def test_parse_rejects_wrong_size(self):
        header = json.dumps({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode()
        data = struct.pack("<Q", len(header)) + header + bytes(8)
        with self.assertRaisesRegex(safetensors_file.FormatError, "do not fit"):
            safetensors_file.parse(data)

    def test_int8_and_rank_zero(self):
        # What the quantized format stores: I8 weights, F32 and I32 scalars (shape []).
        tensors = {
            "w": np.array([[-128, 127], [0, -1]], dtype=np.int8),
            "w_t": torch.tensor([5, -7, 3], dtype=torch.int8),
            "s": np.array(0.25, dtype=np.float32),
            "z": np.array(-128, dtype=np.int32),
            "zt": torch.tensor(-3, dtype=torch.int32),
        }
        path = self.path("q.safetensors")
        safetensors_file.save(tensors, path)
        header, _, _ = safetensors_file.read_raw(path)
        self.assertEqual({name: (e["dtype"], e["shape"]) for name, e in header.items()},
                         {"w": ("I8", [2, 2]), "w_t": ("I8", [3]), "s": ("F32", []),
                          "z": ("I32", []), "zt": ("I32", [])})
        arrays, _ = safetensors_file.load_numpy(path)
        for name, value in tensors.items():
            expected = value.numpy() if isinstance(value, torch.Tensor) else value
            self.assertEqual(arrays[name].dtype, expected.dtype, name)
            np.testing.assert_array_equal(arrays[name], expected)
        loaded, _ = safetensors_file.load_torch(path)
        self.assertEqual(loaded["w"].dtype, torch.int8)
        self.assertEqual(loaded["z"].shape, torch.Size([]))
        self.assertEqual(int(loaded["z"]), -128)

    def test_unsupported_dtype(self):
        with self.assertRaises(safetensors_file.FormatError):
            safetensors_file.serialize({"c": np.zeros(2, dtype=np.complex64)})


class CompareTest(TempDirTest):
    def test_criterion(self):
        # Powers of two keep the arithmetic exact, so the boundary itself can be tested.
        e = np.array([[8.0, -4.0, 0.5]])
        self.assertTrue(compare.criterion(e, e)[0])
        self.assertTrue(compare.criterion(e + 2.0**-10, e, rtol=2.0**-13)[0])  # equal: passes
        self.assertFalse(compare.criterion(e + 2.0**-9, e, rtol=2.0**-13)[0])
        passed, diff, scale, ratio = compare.criterion(e + [[0, 0, 2.0**-11]], e, rtol=2.0**-13)
        self.assertTrue(passed)  # relative to max|e|, not to the small element
        self.assertEqual((diff, scale, ratio), (2.0**-11, 8.0, 2.0**-14))
        nan = e.copy()
        nan[0, 1] = np.nan
        self.assertFalse(compare.criterion(nan, e)[0])
        self.assertFalse(compare.criterion(e, nan)[0])
        zero = np.zeros((1, 3))
        self.assertTrue(compare.criterion(zero, zero)[0])
        self.assertFalse(compare.criterion(zero + 1e-30, zero)[0])

    def test_program(self):
        e = np.array([[3.0, -1.0, 2.0]], dtype=np.float32)
        np.save(self.path("e.npy"), e)
        np.save(self.path("near.npy"), e + np.float32(2e-4))
        np.save(self.path("far.npy"), e + np.float32(1e-3))
        np.save(self.path("flat.npy"), e.reshape(3))

        done = run_tool("compare.py", self.path("near.npy"), self.path("e.npy"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(len(done.stdout.splitlines()), 1)
        self.assertIn("PASS", done.stdout)

        done = run_tool("compare.py", self.path("far.npy"), self.path("e.npy"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("FAIL", done.stdout)

        done = run_tool("compare.py", self.path("far.npy"), self.path("e.npy"), "--rtol", "1e-3")
        self.assertEqual(done.returncode, 0)

        done = run_tool("compare.py", self.path("flat.npy"), self.path("e.npy"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("shape mismatch", done.stderr)
        self.assertEqual(len(done.stderr.splitlines()), 1)

        done = run_tool("compare.py", self.path("e.npy"), self.path("e.npy"), "--rtol", "-1")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(len(done.stderr.splitlines()), 1)

        done = run_tool("compare.py", self.path("missing.npy"), self.path("e.npy"))
        self.assertEqual(done.returncode, 1)


class ModelsTest(unittest.TestCase):
    def test_zoo_names(self):
        self.assertEqual(list(joule_models.ZOO), EXPECTED_NAMES)
        resolutions = [joule_models.resolution(name) for name in EXPECTED_NAMES[16:]]
        self.assertEqual(resolutions, [224] * 3 + [224, 240, 260, 300, 380, 456, 528, 600, 384])

    def test_v1_names(self):
        names = set(joule_models.build("mobilenet_v1_1.0_224").state_dict())
        for name in ["features.0.0.weight", "features.0.1.running_mean", "features.1.0.0.weight",
                     "features.1.0.1.weight", "features.1.1.0.weight", "features.1.1.1.running_var",
                     "features.13.1.1.num_batches_tracked", "classifier.weight", "classifier.bias"]:
            self.assertIn(name, names)
        self.assertNotIn("features.14.0.0.weight", names)

    def test_v1_shapes(self):
        state = joule_models.build("mobilenet_v1_0.75_192", 10).state_dict()
        self.assertEqual(list(state["features.0.0.weight"].shape), [24, 3, 3, 3])
        self.assertEqual(list(state["features.2.0.0.weight"].shape), [48, 1, 3, 3])
        self.assertEqual(list(state["features.13.1.0.weight"].shape), [768, 768, 1, 1])
        self.assertEqual(list(state["classifier.weight"].shape), [10, 768])

    def test_v1_parameter_count(self):
        model = joule_models.build("mobilenet_v1_1.0_224")
        params = sum(p.numel() for p in model.parameters())
        self.assertEqual(params, 4231976)  # the paper: 4.2 million

    def test_randomize_is_deterministic_and_moves_batchnorm(self):
        first = joule_models.random_model("mobilenet_v3_small", seed=5).state_dict()
        torch.manual_seed(1234)  # the global RNG must not matter
        second = joule_models.random_model("mobilenet_v3_small", seed=5).state_dict()
        other = joule_models.random_model("mobilenet_v3_small", seed=6).state_dict()
        for name in first:
            self.assertTrue(torch.equal(first[name], second[name]), name)
        self.assertFalse(torch.equal(first["features.0.0.weight"], other["features.0.0.weight"]))
        var = first["features.0.1.running_var"]
        self.assertTrue(bool(((var >= 0.5) & (var <= 1.5)).all()))
        self.assertGreater(float(var.std()), 0.1)
        self.assertGreater(float(first["features.0.1.running_mean"].abs().max()), 0.05)
        self.assertGreater(float(first["classifier.3.bias"].abs().max()), 0.05)
        self.assertGreater(float(first["features.1.block.1.fc1.bias"].abs().max()), 0.01)

    def test_outputs_have_a_sane_magnitude_and_depend_on_the_input(self):
        for name in ["mobilenet_v1_0.25_128", "mobilenet_v3_small", "efficientnet_b0"]:
            model = joule_models.random_model(name, seed=0)
            res = joule_models.resolution(name)
            with torch.no_grad():
                y0 = model(joule_models.random_input(res, 0))
                y1 = model(joule_models.random_input(res, 1))
            peak = float(y0.abs().max())
            self.assertTrue(0.1 <= peak <= 100, f"{name}: max|y| {peak}")
            # A parity check must see a program that ignores its input.
            self.assertGreater(float((y0 - y1).abs().max()) / peak, 1e-2, name)


class CountTest(unittest.TestCase):
    def test_known_numbers(self):
        self.assertEqual(count.count("mobilenet_v2"),
                         {"name": "mobilenet_v2", "resolution": 224,
                          "params": 3504872, "macs": 300774272})
        v1 = count.count("mobilenet_v1_1.0_224")
        self.assertEqual((v1["params"], v1["macs"]), (4231976, 568740352))  # paper: 4.2M, 569M
        self.assertEqual(count.count("mobilenet_v3_large")["params"], 5483032)
        self.assertEqual(count.count("efficientnet_b0")["params"], 5288548)

    def test_cpp_snippet(self):
        done = run_tool("count.py", "mobilenet_v2", "--cpp")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('{"mobilenet_v2", 3504872, 300774272},', done.stdout.splitlines())


class ExportTest(TempDirTest):
    MODEL = "mobilenet_v1_0.25_128"

    def save_state(self, state, name="state.pt"):
        torch.save(state, self.path(name))
        return self.path(name)

    def test_wrong_key_is_a_one_line_error(self):
        state = joule_models.build(self.MODEL).state_dict()
        state["features.1.0.0.weigth"] = state.pop("features.1.0.0.weight")
        done = run_tool("export.py", self.MODEL, "--state-dict", self.save_state(state),
                        "-o", self.path("out.safetensors"))
        self.assertEqual(done.returncode, 1)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn("missing keys (1): features.1.0.0.weight", done.stderr)
        self.assertIn("unexpected keys (1): features.1.0.0.weigth", done.stderr)
        self.assertFalse(os.path.exists(self.path("out.safetensors")))

    def test_wrong_shape_is_reported(self):
        state = joule_models.build("mobilenet_v1_0.5_128").state_dict()
        done = run_tool("export.py", self.MODEL, "--state-dict", self.save_state(state),
                        "-o", self.path("out.safetensors"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("wrong shapes", done.stderr)
        self.assertIn("features.0.0.weight [16, 3, 3, 3] (model: [8, 3, 3, 3])", done.stderr)

    def test_state_dict_and_module_export(self):
        model = joule_models.random_model(self.MODEL, seed=3, num_classes=10)
        with torch.no_grad():
            model.features[0][1].num_batches_tracked.fill_(42)
        for label, saved in [("state", model.state_dict()), ("module", model)]:
            out = self.path(f"{label}.safetensors")
            done = run_tool("export.py", self.MODEL, "--state-dict",
                            self.save_state(saved, f"{label}.pt"), "-o", out)
            self.assertEqual(done.returncode, 0, done.stderr)
            tensors, metadata = safetensors_file.load_torch(out)
            self.assertEqual(metadata["joule.classes"], "10")  # taken from the classifier
            self.assertEqual(set(tensors), set(model.state_dict()))
            for name, value in model.state_dict().items():
                self.assertTrue(torch.equal(tensors[name], value), name)
            self.assertEqual(tensors["features.0.1.num_batches_tracked"].dtype, torch.int64)
            self.assertEqual(int(tensors["features.0.1.num_batches_tracked"]), 42)

    def test_random_export_equals_golden_weights(self):
        out = self.path("random.safetensors")
        done = run_tool("export.py", self.MODEL, "--seed", 4, "-o", out)
        self.assertEqual(done.returncode, 0, done.stderr)
        golden.make_golden(self.MODEL, self.path("golden"), seed=4)
        with open(out, "rb") as a, open(self.path("golden/weights.safetensors"), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_dtype_conversion(self):
        out = self.path("bf16.safetensors")
        done = run_tool("export.py", self.MODEL, "--dtype", "bf16", "-o", out)
        self.assertEqual(done.returncode, 0, done.stderr)
        header, _, _ = safetensors_file.read_raw(out)
        dtypes = {entry["dtype"] for entry in header.values()}
        self.assertEqual(dtypes, {"BF16", "I64"})
        self.assertEqual(header["features.0.1.num_batches_tracked"]["dtype"], "I64")
        arrays, _ = safetensors_file.load_numpy(out)
        reference = joule_models.random_model(self.MODEL, 0).state_dict()["classifier.weight"]
        np.testing.assert_allclose(arrays["classifier.weight"], reference.numpy(), rtol=1 / 128)

    def test_default_header_name(self):
        self.assertEqual(export.default_identifier("mobilenet_v1_0.75_192"), "mobilenet_v1_0_75_192_weights")

    def test_usage_errors(self):
        for args in [("not_a_model", "-o", self.path("x")),
                     (self.MODEL,),
                     (self.MODEL, "--dtype", "f8", "-o", self.path("x")),
                     (self.MODEL, "--header", self.path("x.hpp"), "--name", "3d")]:
            done = run_tool("export.py", *args)
            self.assertEqual(done.returncode, 2, args)
            self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)

    def test_header_through_joule(self):
        fake = self.path("joule")
        with open(fake, "w") as file:
            file.write(FAKE_JOULE)
        os.chmod(fake, 0o755)
        hpp = self.path("weights.hpp")
        done = run_tool("export.py", self.MODEL, "--header", hpp, "--name", "tiny_v1",
                        "--joule", fake)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(hpp) as file:
            self.assertIn(f"// tiny_v1: 164 tensors of {self.MODEL}", file.read())

        done = run_tool("export.py", self.MODEL, "--header", hpp, "--joule", fake,
                        env={"FAKE_MODE": "usage"})
        self.assertEqual(done.returncode, 1)
        self.assertIn("unknown option --frobnicate", done.stderr)

        done = run_tool("export.py", self.MODEL, "--header", hpp, "--joule", self.path("none"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("not found", done.stderr)


class GoldenAndParityTest(TempDirTest):
    MODEL = "mobilenet_v3_small"  # has squeeze-and-excite and hardswish, and is quick

    def test_golden_files(self):
        info = golden.make_golden(self.MODEL, self.tmp, seed=2)
        x = np.load(self.path("input.npy"))
        y = np.load(self.path("expected.npy"))
        self.assertEqual((x.shape, x.dtype), ((1, 224, 224, 3), np.float32))
        self.assertEqual((y.shape, y.dtype), ((1, 1000), np.float32))
        self.assertAlmostEqual(float(np.abs(x).std()), 0.6, delta=0.05)  # |N(0,1)|: std 0.60
        self.assertEqual(info["max_abs"], float(np.abs(y).max()))
        # The files alone reproduce the expectation: NHWC back to NCHW, weights by name.
        tensors, metadata = safetensors_file.load_torch(self.path("weights.safetensors"))
        self.assertEqual(metadata["joule.model"], self.MODEL)
        self.assertTrue(all(t.dtype in (torch.float32, torch.int64) for t in tensors.values()))
        model = joule_models.build(self.MODEL).eval()
        model.load_state_dict(tensors)
        with torch.no_grad():
            again = model(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()).numpy()
        np.testing.assert_array_equal(again, y)

    def test_golden_program(self):
        done = run_tool("golden.py", "mobilenet_v1_0.25_128", "--out", self.tmp, "--classes", 7)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(len(done.stdout.splitlines()), 1)
        self.assertIn("mobilenet_v1_0.25_128 128x128", done.stdout)
        self.assertEqual(np.load(self.path("expected.npy")).shape, (1, 7))

    def test_parity_with_a_stand_in_joule(self):
        fake = self.path("joule")
        with open(fake, "w") as file:
            file.write(FAKE_JOULE)
        os.chmod(fake, 0o755)
        work = self.path("work")
        args = ("parity.py", self.MODEL, "--joule", fake, "--work", work)

        done = run_tool(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(len(done.stdout.splitlines()), 1)
        self.assertRegex(done.stdout, r"PASS \(golden [\d.]+s, joule [\d.]+s, compare [\d.]+s\)")

        done = run_tool(*args, env={"FAKE_MODE": "perturb"})
        self.assertEqual(done.returncode, 1)
        self.assertIn("FAIL", done.stdout)

        done = run_tool(*args, env={"FAKE_MODE": "usage"})
        self.assertEqual(done.returncode, 1)
        self.assertIn("'joule run' failed (exit 2): joule: error: unknown option", done.stderr)

        done = run_tool("parity.py", "nope", "--joule", fake, "--work", work)
        self.assertEqual(done.returncode, 2)


class QuantizedTest(unittest.TestCase):
    """golden_quantized.py -> export.py --quantized -> quantized_reference.py, and the exporter's
    format and errors. One small golden case (one calibration image) per model and engine is
    made once for the class: about 12 s of the class's 25 s of CPU time."""

    CASES = [("mobilenet_v2", "qnnpack"), ("mobilenet_v2", "onednn"),
             ("mobilenet_v3_large", "qnnpack"), ("mobilenet_v3_large", "onednn")]

    @classmethod
    def setUpClass(cls):
        import golden_quantized

        cls._tmp = tempfile.TemporaryDirectory(prefix="joule-quantized-test-")
        cls.tmp = cls._tmp.name
        for model, engine in cls.CASES:
            golden_quantized.make_case(model, engine, cls.case_dir(model, engine), seed=3,
                                       calibration_batches=1)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    @classmethod
    def case_dir(cls, model, engine):
        return os.path.join(cls.tmp, f"{model}_{engine}")

    def qstate(self, model, engine):
        return torch.load(os.path.join(self.case_dir(model, engine), "qstate.pt"))

    def convert(self, model, engine, state=None):
        import quantized_export

        state = self.qstate(model, engine) if state is None else state
        return quantized_export.convert("q.pt", model, state)

    def save(self, state, name):
        path = os.path.join(self.tmp, name)
        torch.save(state, path)
        return path

    # -- the format ------------------------------------------------------------------------------

    def test_names_dtypes_and_shapes_follow_the_float_model(self):
        for model, engine in [("mobilenet_v2", "qnnpack"), ("mobilenet_v3_large", "onednn")]:
            tensors, metadata, _ = self.convert(model, engine)
            float_state = joule_models.build(model).state_dict()
            convs = [name[:-len(".weight")] for name, value in float_state.items()
                     if name.endswith(".weight") and value.dim() in (2, 4)]
            for prefix in convs:
                out = float_state[f"{prefix}.weight"].shape[0]
                self.assertEqual(tensors[f"{prefix}.weight"].dtype, np.int8, prefix)
                self.assertEqual(tensors[f"{prefix}.weight"].shape, tuple(float_state[f"{prefix}.weight"].shape))
                for part, dtype, shape in [("weight_scale", np.float32, (out,)), ("bias", np.float32, (out,)),
                                           ("scale", np.float32, ()), ("zero_point", np.int32, ())]:
                    value = tensors[f"{prefix}.{part}"]
                    self.assertEqual((value.dtype, value.shape), (dtype, shape), f"{prefix}.{part}")
            # BatchNorm is folded: none of its names remain.
            self.assertFalse([name for name in tensors if name.endswith("running_mean")])
            self.assertEqual((tensors["quant.scale"].shape, tensors["quant.zero_point"].dtype), ((), np.int32))
            self.assertEqual(metadata["joule.quantized"], "int8")
            self.assertEqual(metadata["joule.engine"], engine)
            self.assertEqual(metadata["joule.model"], model)
            self.assertEqual(metadata.get("joule.relu6"), "relu" if model == "mobilenet_v2" else None)

    def test_mobilenet_v2_names(self):
        tensors, _, notes = self.convert("mobilenet_v2", "qnnpack")
        # The projection of an expanding block is conv.2 (conv.3 was its BatchNorm).
        self.assertEqual(tensors["features.2.conv.2.weight"].shape, (24, 96, 1, 1))
        self.assertEqual(tensors["features.1.conv.1.weight"].shape, (16, 32, 1, 1))
        self.assertEqual(tensors["classifier.1.weight"].shape, (1000, 1280))
        residual = {name.split(".")[1] for name in tensors if name.endswith("skip_add.scale")}
        self.assertEqual(residual, {"3", "5", "6", "8", "9", "10", "12", "13", "15", "16"})
        self.assertEqual(notes["unused_skip_adds"], 7)

    def test_mobilenet_v3_names(self):
        tensors, _, _ = self.convert("mobilenet_v3_large", "onednn")
        for name in ["features.0.2.scale", "features.16.2.zero_point", "features.7.block.0.2.scale",
                     "classifier.0.activation.scale", "classifier.0.activation.zero_point",
                     "features.4.block.2.fc1.weight", "features.4.block.2.fc2.bias",
                     "features.4.block.2.skip_mul.scale", "features.15.skip_add.zero_point"]:
            self.assertIn(name, tensors)
        self.assertEqual(float(tensors["features.4.block.2.scale_activation.scale"]), 1 / 256)
        self.assertEqual(int(tensors["features.4.block.2.scale_activation.zero_point"]), -128)
        self.assertNotIn("classifier.1.scale", tensors)
        self.assertNotIn("features.2.skip_add.scale", tensors)  # stride 2: no residual

    def test_values_and_zero_point_shift(self):
        for model, engine in [("mobilenet_v2", "qnnpack"), ("mobilenet_v3_large", "onednn")]:
            state = self.qstate(model, engine)
            tensors, _, _ = self.convert(model, engine, dict(state))
            weight = state["features.1.conv.0.0.weight" if model == "mobilenet_v2" else "features.1.block.0.0.weight"]
            prefix = "features.1.conv.0.0" if model == "mobilenet_v2" else "features.1.block.0.0"
            np.testing.assert_array_equal(tensors[f"{prefix}.weight"], weight.int_repr().numpy())
            if engine == "qnnpack":  # per-tensor: the one scale, repeated
                np.testing.assert_array_equal(tensors[f"{prefix}.weight_scale"],
                                              np.full(weight.shape[0], weight.q_scale(), np.float32))
            else:
                np.testing.assert_array_equal(tensors[f"{prefix}.weight_scale"],
                                              weight.q_per_channel_scales().numpy().astype(np.float32))
            np.testing.assert_array_equal(tensors[f"{prefix}.bias"], state[f"{prefix}.bias"].detach().numpy())
            for source in [prefix, "quant"]:
                self.assertEqual(int(tensors[f"{source}.zero_point"]), int(state[f"{source}.zero_point"]) - 128)
                self.assertEqual(float(tensors[f"{source}.scale"]), float(state[f"{source}.scale"]))
            packed = state["classifier.1._packed_params._packed_params" if model == "mobilenet_v2"
                           else "classifier.3._packed_params._packed_params"]
            linear = "classifier.1" if model == "mobilenet_v2" else "classifier.3"
            np.testing.assert_array_equal(tensors[f"{linear}.weight"], packed[0].int_repr().numpy())
            np.testing.assert_array_equal(tensors[f"{linear}.bias"], packed[1].detach().numpy())

    # -- errors ----------------------------------------------------------------------------------

    def test_unknown_key_is_named(self):
        import quantized_export

        state = self.qstate("mobilenet_v2", "qnnpack")
        state["features.3.conv.9.weight"] = state["features.3.conv.2.weight"]
        with self.assertRaisesRegex(tool_cli.Failure, r"unexpected keys \(1\): features\.3\.conv\.9\.weight"):
            quantized_export.convert("q.pt", "mobilenet_v2", state)
        del state["features.3.conv.9.weight"]
        state.pop("features.5.conv.1.0.bias")
        state.pop("features.5.conv.1.0.scale")
        with self.assertRaisesRegex(tool_cli.Failure, r"missing keys \(1\): features\.5\.conv\.1\.0\.scale"):
            quantized_export.convert("q.pt", "mobilenet_v2", state)

    def test_wrong_shape_and_wrong_model(self):
        import quantized_export

        state = self.qstate("mobilenet_v2", "qnnpack")
        state["features.0.0.weight"] = state["features.1.conv.0.0.weight"]
        with self.assertRaisesRegex(tool_cli.Failure, r"wrong shapes \(1\): features\.0\.0\.weight \[32, 1, 3, 3\]"):
            quantized_export.convert("q.pt", "mobilenet_v2", state)
        with self.assertRaisesRegex(tool_cli.Failure, "not a quantized mobilenet_v3_large"):
            quantized_export.convert("q.pt", "mobilenet_v3_large", self.qstate("mobilenet_v2", "qnnpack"))

    def test_float_weight_in_a_quantized_state_dict(self):
        import quantized_export

        state = self.qstate("mobilenet_v2", "onednn")
        state["features.0.0.weight"] = state["features.0.0.weight"].dequantize()
        with self.assertRaisesRegex(tool_cli.Failure, "features.0.0.weight: not a quantized tensor"):
            quantized_export.convert("q.pt", "mobilenet_v2", state)

    def test_hardswish_parameters_missing(self):
        # What PyTorch 1.13's qmodel.state_dict() alone gives for MobileNetV3.
        hardswish = [name for name, module in joule_models.build("mobilenet_v3_large").named_modules()
                     if isinstance(module, torch.nn.Hardswish)]
        state = self.qstate("mobilenet_v3_large", "qnnpack")
        for name in hardswish:
            del state[f"{name}.scale"], state[f"{name}.zero_point"]
        path = self.save(state, "v3_no_hardswish.pt")
        status, _, stderr = run_main(export, "mobilenet_v3_large", "--quantized", path, "-o", os.path.join(self.tmp, "x.st"))
        self.assertEqual(status, 1, stderr)
        self.assertEqual(len(stderr.splitlines()), 1, stderr)
        self.assertIn("no output scale and zero point for 21 Hardswish layers", stderr)
        self.assertIn("pytorch/pytorch#91877", stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.st")))

    def test_usage_errors(self):
        import golden_quantized

        qstate = os.path.join(self.case_dir("mobilenet_v2", "qnnpack"), "qstate.pt")
        float_state = os.path.join(self.case_dir("mobilenet_v2", "qnnpack"), "float_state.pt")
        out = os.path.join(self.tmp, "u.safetensors")
        for args, message in [
            (("efficientnet_b0", "--quantized", qstate, "-o", out), "--quantized supports mobilenet_v2 and"),
            (("mobilenet_v2", "--quantized", qstate, "--dtype", "f16", "-o", out), "--dtype does not go with"),
            (("mobilenet_v2", "--quantized", qstate), "nothing to write"),
            (("mobilenet_v2", "--engine", "onednn", "-o", out), "--engine goes with --quantized"),
        ]:
            status, _, stderr = run_main(export, *args)
            self.assertEqual(status, 2, (args, stderr))
            self.assertEqual(len(stderr.splitlines()), 1, stderr)
            self.assertIn(message, stderr)
        # As a program: a float state dict is a usage error too.
        done = run_tool("export.py", "mobilenet_v2", "--quantized", float_state, "-o", out)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn("not a quantized state dict", done.stderr)
        self.assertFalse(os.path.exists(out))
        done = run_tool("golden_quantized.py", "mobilenet_v3_small", "--engine", "qnnpack", "--out", self.tmp)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("int8 golden cases exist for mobilenet_v2, mobilenet_v3_large", done.stderr)
        status, _, _ = run_main(golden_quantized, "mobilenet_v2", "--engine", "fbgemm", "--out", self.tmp)
        self.assertEqual(status, 2)

    # -- golden case, export, reference: the same integers as PyTorch ----------------------------

    def test_golden_files(self):
        directory = self.case_dir("mobilenet_v3_large", "onednn")
        x = np.load(os.path.join(directory, "input.npy"))
        y = np.load(os.path.join(directory, "expected.npy"))
        self.assertEqual((x.shape, x.dtype), ((1, 224, 224, 3), np.float32))
        self.assertEqual((y.shape, y.dtype), ((1, 1000), np.float32))
        float_state = torch.load(os.path.join(directory, "float_state.pt"))
        reference = joule_models.random_model("mobilenet_v3_large", seed=3).state_dict()
        self.assertEqual(set(float_state), set(reference))
        self.assertTrue(all(torch.equal(float_state[k], reference[k]) for k in reference))
        with open(os.path.join(directory, "case.json")) as file:
            case = json.load(file)
        self.assertEqual((case["engine"], case["seed"], case["calibration_batches"]), ("onednn", 3, 1))

    def test_golden_is_deterministic(self):
        import golden_quantized

        again = os.path.join(self.tmp, "again")
        golden_quantized.make_case("mobilenet_v2", "qnnpack", again, seed=3, calibration_batches=1)
        first = self.case_dir("mobilenet_v2", "qnnpack")
        for name in ["input.npy", "expected.npy"]:
            np.testing.assert_array_equal(np.load(os.path.join(again, name)), np.load(os.path.join(first, name)))
        a, b = torch.load(os.path.join(again, "qstate.pt")), self.qstate("mobilenet_v2", "qnnpack")
        self.assertEqual(set(a), set(b))
        for key, value in a.items():
            if isinstance(value, torch.Tensor):
                self.assertTrue(torch.equal(value.int_repr() if value.is_quantized else value,
                                            b[key].int_repr() if b[key].is_quantized else b[key]), key)

    def test_reference_reproduces_pytorch(self):
        # Bit-exact on both engines: every output integer equal. On onednn the reference takes the
        # CPU's accumulation (int16 pairs without VNNI) and ATen's vector width from this machine,
        # as PyTorch did when the case was made a moment ago.
        for index, (model, engine) in enumerate(self.CASES):
            with self.subTest(model=model, engine=engine):
                directory = self.case_dir(model, engine)
                weights = os.path.join(directory, "q.safetensors")
                args = (model, "--quantized", os.path.join(directory, "qstate.pt"), "-o", weights)
                if index == 0:  # once as a program, then in this process (saves starting PyTorch)
                    done = run_tool("export.py", *args)
                    status, stdout, stderr = done.returncode, done.stdout, done.stderr
                else:
                    status, stdout, stderr = run_main(export, *args)
                self.assertEqual(status, 0, stderr)
                self.assertIn(f"int8 for {engine}", stdout)
                done = run_tool("quantized_reference.py", weights, "--input", os.path.join(directory, "input.npy"),
                                "--output", os.path.join(directory, "actual.npy"),
                                "--expected", os.path.join(directory, "expected.npy"))
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                self.assertIn("equal to expected: 1000/1000 (max difference 0 steps)", done.stdout)
                actual = np.load(os.path.join(directory, "actual.npy"))
                # (q - z) * s in float32 is PyTorch's dequantization too: the floats are equal.
                np.testing.assert_array_equal(actual, np.load(os.path.join(directory, "expected.npy")))

    def test_reference_reports_a_mismatch(self):
        directory = self.case_dir("mobilenet_v2", "qnnpack")
        weights = os.path.join(self.tmp, "v2_qnnpack.safetensors")
        tensors, metadata, _ = self.convert("mobilenet_v2", "qnnpack")
        safetensors_file.save(tensors, weights, metadata)
        # The same integers read with the other engine's formulas are no longer PyTorch's.
        done = run_tool("quantized_reference.py", weights, "--input", os.path.join(directory, "input.npy"),
                        "--engine", "onednn", "--expected", os.path.join(directory, "expected.npy"))
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"equal to expected: \d+/1000")
        done = run_tool("quantized_reference.py", weights, "--input", os.path.join(directory, "expected.npy"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("input shape [1, 1000]", done.stderr)
        done = run_tool("quantized_reference.py", weights, "--input", os.path.join(directory, "input.npy"),
                        "--engine", "fbgemm")
        self.assertEqual(done.returncode, 2)


class QuantizedOpsTest(unittest.TestCase):
    """quantized_reference.py's ops against PyTorch's on data chosen to separate the candidate
    formulas (ties, FMA-sensitive values). docs/quantization-pytorch.md has the full evidence."""

    def setUp(self):
        import quantized_reference

        self.ref = quantized_reference
        self.rng = np.random.default_rng(11)
        self.addCleanup(setattr, torch.backends.quantized, "engine", torch.backends.quantized.engine)

    def qtensor(self, values_u8, scale, zero_point):
        """A PyTorch quint8 NCHW (1, C, H, W) tensor and the reference's NHWC int8 twin."""
        torch_q = torch._make_per_tensor_quantized_tensor(
            torch.from_numpy(values_u8.astype(np.uint8)), float(scale), int(zero_point))
        nhwc = values_u8[0].transpose(1, 2, 0).astype(np.int32) - 128
        return torch_q.contiguous(memory_format=torch.channels_last), self.ref.QTensor(nhwc, scale, zero_point - 128)

    def to_int8(self, torch_q):
        return torch_q.int_repr().numpy()[0].transpose(1, 2, 0).astype(np.int32) - 128

    def test_add(self):
        from torch.ao.nn.quantized import QFunctional

        for engine in ["qnnpack", "onednn"]:
            torch.backends.quantized.engine = engine
            options = self.ref.Options(engine, "exact", self.ref.detect_capability())
            for _ in range(20):
                scales = self.rng.uniform(0.002, 0.05, 3).astype(np.float32)
                zeros = self.rng.integers(0, 256, 3)
                shape = (1, 8, 9, 13)  # 936 elements: a tail outside ATen's vector loop
                ta, a = self.qtensor(self.rng.integers(0, 256, shape), scales[0], zeros[0])
                tb, b = self.qtensor(self.rng.integers(0, 256, shape), scales[1], zeros[1])
                f = QFunctional()
                f.scale, f.zero_point = float(scales[2]), int(zeros[2])
                got = self.ref.add(a, b, scales[2], zeros[2] - 128, options).values
                np.testing.assert_array_equal(got, self.to_int8(f.add(ta, tb)), engine)

    def test_pool_ties(self):
        # Sums exactly halfway between two outputs: the engines resolve them differently.
        for engine in ["qnnpack", "onednn"]:
            torch.backends.quantized.engine = engine
            options = self.ref.Options(engine, "exact", "avx2")
            for _ in range(4):
                c, h = 64, 14
                values = self.rng.integers(0, 256, (c, h * h))
                zero = int(self.rng.integers(0, 256))
                for channel in range(0, c, 2):  # make every other channel a tie
                    total = values[channel].sum() - zero * h * h
                    missing = (total // (h * h)) * h * h + h * h // 2 - total
                    for index in range(h * h):
                        step = int(np.clip(values[channel, index] + missing, 0, 255)) - values[channel, index]
                        values[channel, index] += step
                        missing -= step
                tx, x = self.qtensor(values.reshape(1, c, h, h), np.float32(self.rng.uniform(0.01, 0.2)), zero)
                want = torch.nn.functional.adaptive_avg_pool2d(tx, 1)
                got = self.ref.global_average_pool(x, options).values
                np.testing.assert_array_equal(got.reshape(-1), self.to_int8(want).reshape(-1), engine)

    def test_hardswish_and_hardsigmoid(self):
        from torch.ao.nn.quantized.functional import hardswish

        codes = np.tile(np.arange(256), 4).reshape(1, 4, 16, 16)
        for engine in ["qnnpack", "onednn"]:
            torch.backends.quantized.engine = engine
            options = self.ref.Options(engine, "exact", self.ref.detect_capability())
            for _ in range(40):
                scale_in, scale_out = np.float32(self.rng.uniform(0.005, 0.1)), np.float32(self.rng.uniform(0.005, 0.05))
                zero_in, zero_out = (int(z) for z in self.rng.integers(0, 256, 2))
                tx, x = self.qtensor(codes, scale_in, zero_in)
                want = hardswish(tx, float(scale_out), zero_out)
                got = self.ref.hardswish(x, scale_out, zero_out - 128, options).values
                np.testing.assert_array_equal(got, self.to_int8(want), engine)
                got = self.ref.hardsigmoid(x, options).values
                np.testing.assert_array_equal(got, self.to_int8(torch.nn.functional.hardsigmoid(tx)), engine)

    def test_detection_follows_the_environment(self):
        with unittest.mock.patch.dict(os.environ, {"ONEDNN_MAX_CPU_ISA": "AVX2"}):
            self.assertEqual(self.ref.detect_accumulation(), "int16-pairs")
        with unittest.mock.patch.dict(os.environ, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"}):
            self.assertEqual(self.ref.detect_accumulation(), "exact")
        with unittest.mock.patch.dict(os.environ, {"ATEN_CPU_CAPABILITY": "default"}):
            self.assertEqual(self.ref.detect_capability(), "default")


if __name__ == "__main__":
    unittest.main()
