#!/usr/bin/python3
"""Tests of to_cpp.py, the PyTorch-to-C++ network writer. Run:
/usr/bin/python3 -m unittest tools/test_to_cpp.py

What the C++ compiler checks (the written types build, bind the weights by name, cost what the
zoo's do and give PyTorch's output) is tests/to_cpp's; these tests check the mapping of each layer
kind to its C++ text, the refusals and the program's files and exit codes.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

import safetensors_file  # noqa: E402
import to_cpp  # noqa: E402

PYTHON = "/usr/bin/python3"
torch.set_num_threads(1)


def cpp_for(model, shape=(8, 8, 3)):
    """The header text to_cpp.py writes for `model` on an H, W, C input."""
    traced = to_cpp.trace(model.eval(), shape)
    return to_cpp.cpp_header(to_cpp.map_graph(traced), "Net", shape, "test", "net.safetensors")


def refusals(model, shape=(8, 8, 3)):
    """The (name, type) entries to_cpp.py refuses `model` with."""
    with unittest.TestCase().assertRaises(to_cpp.Unmappable) as raised:
        cpp_for(model, shape)
    return raised.exception.entries


class Lambda(nn.Module):
    """A module whose forward is `function(self, x)`, for one-off graphs."""

    def __init__(self, function, **children):
        super().__init__()
        self.function = function
        for name, child in children.items():
            setattr(self, name, child)

    def forward(self, x):
        return self.function(self, x)


class MappingTest(unittest.TestCase):
    def assertLine(self, text, expected):
        self.assertIn(expected, text, msg=f"\n{text}")

    def test_convolution_kinds_and_their_folding(self):
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),            # 0-2
            nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),  # 3-5
            nn.Conv2d(8, 16, 1, bias=False), nn.BatchNorm2d(16, eps=1e-3),                 # 6-7
            nn.Conv2d(16, 32, 3, padding=1, groups=4), nn.Hardswish(),                     # 8-9
            nn.Conv2d(32, 32, 1, stride=2, bias=False), nn.SiLU(),                         # 10-11
            nn.Conv2d(32, 32, 3, padding=0, bias=False),                                   # 12
            nn.Conv2d(32, 8, 3, padding=2, dilation=2, bias=False), nn.BatchNorm2d(8))     # 13-14
        text = cpp_for(model, (16, 16, 3))
        # The first convolution and its BatchNorm are parts "0" and "1" of the path "": the default.
        self.assertLine(text, 'joule::Named<"", joule::Conv2d<8, 3, 2, joule::ReLU>>,')
        self.assertLine(text, 'joule::PartNames<joule::DepthwiseConv<3, 1, joule::ReLU6>, "3", "4">')
        self.assertLine(text, 'joule::PartNames<joule::Pointwise<16, joule::Identity, '
                              'joule::ConvOptions{.bn_eps_log10 = -3}>, "6", "7">')
        self.assertLine(text, 'joule::Named<"8", joule::Conv2d<32, 3, 1, joule::HardSwish, '
                              'joule::ConvOptions{.groups = 4, .norm = joule::Norm::bias}>>')
        self.assertLine(text, 'joule::Named<"10", joule::Conv2d<32, 1, 2, joule::SiLU, '
                              'joule::ConvOptions{.norm = joule::Norm::none}>>')
        self.assertLine(text, 'joule::Conv2d<32, 3, 1, joule::Identity, '
                              'joule::ConvOptions{.norm = joule::Norm::none, .padding = 0}>')
        self.assertLine(text, 'joule::Conv2d<8, 3, 1, joule::Identity, joule::ConvOptions{.dilation = 2}>')
        # Each line names its PyTorch modules.
        self.assertLine(text, "// 3 Conv2d + 4 BatchNorm2d + 5 ReLU6")
        self.assertLine(text, "using Net = joule::Network<joule::Shape<16, 16, 3>,")

    def test_each_activation_module_and_function(self):
        cases = [(nn.ReLU(), "ReLU"), (nn.ReLU6(), "ReLU6"), (nn.Hardswish(), "HardSwish"),
                 (nn.Hardsigmoid(), "HardSigmoid"), (nn.Sigmoid(), "Sigmoid"), (nn.SiLU(), "SiLU"),
                 (F.relu, "ReLU"), (torch.relu, "ReLU"), (F.relu6, "ReLU6"),
                 (F.hardswish, "HardSwish"), (F.hardsigmoid, "HardSigmoid"),
                 (torch.sigmoid, "Sigmoid"), (F.silu, "SiLU")]
        for activation, name in cases:
            with self.subTest(activation=activation):
                if isinstance(activation, nn.Module):
                    model = nn.Sequential(nn.Conv2d(3, 4, 1), activation)
                else:
                    model = Lambda(lambda self, x, f=activation: f(self.conv(x)), conv=nn.Conv2d(3, 4, 1))
                self.assertLine(cpp_for(model), f"joule::Pointwise<4, joule::{name}, "
                                                f"joule::ConvOptions{{.norm = joule::Norm::bias}}>")

    def test_a_method_activation(self):
        model = Lambda(lambda self, x: self.conv(x).relu(), conv=nn.Conv2d(3, 4, 1))
        self.assertLine(cpp_for(model), "joule::Pointwise<4, joule::ReLU,")

    def test_linear_flatten_pooling_dropout(self):
        pools = {
            "module": Lambda(lambda self, x: self.fc(self.flat(self.pool(x))),
                             pool=nn.AdaptiveAvgPool2d(1), flat=nn.Flatten(), fc=nn.Linear(3, 5)),
            "function": Lambda(lambda self, x: self.fc(torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1)),
                               fc=nn.Linear(3, 5)),
            "mean": Lambda(lambda self, x: self.fc(x.mean((2, 3))), fc=nn.Linear(3, 5)),
        }
        for kind, model in pools.items():
            with self.subTest(kind):
                text = cpp_for(model)
                self.assertLine(text, "joule::GlobalAvgPool")
                self.assertLine(text, 'joule::Named<"fc", joule::Linear<5, joule::Identity>>')
        # A flattened feature map goes into Linear (which reads CHW order); dropout is the identity.
        model = Lambda(lambda self, x: self.out(self.drop(F.relu(self.fc(torch.flatten(x, 1))))),
                       fc=nn.Linear(8 * 8 * 3, 7), drop=nn.Dropout(0.5), out=nn.Linear(7, 2, bias=False))
        text = cpp_for(model)
        self.assertLine(text, 'joule::Named<"fc", joule::Linear<7, joule::ReLU>>')
        self.assertLine(text, 'joule::Named<"out", joule::Linear<2, joule::Identity, false>>')
        self.assertNotIn("Dropout", text.split("#include")[1])

    def test_standalone_batch_norm(self):
        model = Lambda(lambda self, x: F.relu(self.bn(x + self.conv(x))),
                       conv=nn.Conv2d(3, 3, 1, bias=False), bn=nn.BatchNorm2d(3, eps=1e-4))
        text = cpp_for(model)
        self.assertLine(text, 'joule::Named<"bn", joule::BatchNorm<-4, joule::ReLU>>')

    def test_residual_adds(self):
        for add in (lambda a, b: a + b, torch.add):
            with self.subTest(add=add):
                model = Lambda(lambda self, x, add=add: add(x, self.body(x)),
                               body=nn.Sequential(nn.Conv2d(3, 3, 3, padding=1, groups=3, bias=False),
                                                  nn.BatchNorm2d(3), nn.ReLU(),
                                                  nn.Conv2d(3, 3, 1, bias=False), nn.BatchNorm2d(3)))
                text = cpp_for(model)
                self.assertLine(text, 'joule::Named<"body", joule::Residual<')
                self.assertLine(text, 'joule::Named<"", joule::DepthwiseConv<3, 1, joule::ReLU>>,')
                self.assertLine(text, 'joule::PartNames<joule::Pointwise<3, joule::Identity>, "3", "4">')
        # Nested: (x + f(x)) inside another residual.
        inner = Lambda(lambda self, x: x + self.conv(x), conv=nn.Conv2d(3, 3, 1))
        outer = Lambda(lambda self, x: x + self.inner(self.pre(x)), pre=nn.Conv2d(3, 3, 1), inner=inner)
        text = cpp_for(outer)
        self.assertEqual(text.count("joule::Residual<"), 2, msg=text)

    def test_torchvision_blocks(self):
        from torchvision.models.mobilenetv2 import InvertedResidual
        from torchvision.ops import SqueezeExcitation

        b0 = torchvision.models.efficientnet_b0()
        v3 = torchvision.models.mobilenet_v3_large()
        v2s = torchvision.models.efficientnet_v2_s()
        cases = [
            (InvertedResidual(16, 24, 2, 6), (8, 8, 16),
             "joule::InvertedResidual<24, 6, 3, 2, joule::NoSqueezeExcite, joule::ReLU6, "
             "joule::BlockOptions{.names = joule::BlockNames::mobilenet_v2}>"),
            (InvertedResidual(16, 16, 1, 1), (8, 8, 16),
             "joule::InvertedResidual<16, 1, 3, 1, joule::NoSqueezeExcite, joule::ReLU6, "
             "joule::BlockOptions{.names = joule::BlockNames::mobilenet_v2}>"),
            (b0.features[3][0], (8, 8, 24),
             "joule::InvertedResidual<40, 6, 5, 2, joule::SqueezeExcite<joule::SqueezeSpec{.channels = 6}, "
             "joule::SiLU, joule::Sigmoid>, joule::SiLU>"),
            (v3.features[4], (8, 8, 24),
             "joule::InvertedResidual<40, 3, 5, 2, joule::SqueezeExcite<joule::SqueezeSpec{.channels = 24}, "
             "joule::ReLU, joule::HardSigmoid>, joule::ReLU, joule::BlockOptions{.bn_eps_log10 = -3}>"),
            (v3.features[7], (8, 8, 40),
             "joule::InvertedResidual<80, 6, 3, 2, joule::NoSqueezeExcite, joule::HardSwish, "
             "joule::BlockOptions{.bn_eps_log10 = -3}>"),
            (v3.features[8], (8, 8, 80),
             "joule::InvertedResidual<80, joule::ExpandTo{200}, 3, 1, joule::NoSqueezeExcite, joule::HardSwish, "
             "joule::BlockOptions{.bn_eps_log10 = -3}>"),
            (v2s.features[2][0], (8, 8, 24),
             "joule::FusedMBConv<48, 4, 3, 2, joule::SiLU, joule::BlockOptions{.bn_eps_log10 = -3}>"),
            (v2s.features[1][0], (8, 8, 24),
             "joule::FusedMBConv<24, 1, 3, 1, joule::SiLU, joule::BlockOptions{.bn_eps_log10 = -3}>"),
            (SqueezeExcitation(16, 4), (8, 8, 16),
             "joule::SqueezeExcite<joule::SqueezeSpec{.channels = 4}, joule::ReLU, joule::Sigmoid>"),
        ]
        for block, shape, expected in cases:
            with self.subTest(block=type(block).__name__, expected=expected):
                text = cpp_for(nn.Sequential(block), shape)
                self.assertLine(text, expected)
                self.assertLine(text, f"// 0 {type(block).__name__}")

    def test_zoo_models_map_whole(self):
        text = cpp_for(torchvision.models.mobilenet_v2(), (224, 224, 3))
        self.assertEqual(text.count("joule::InvertedResidual<"), 17)
        self.assertLine(text, 'joule::Named<"features", joule::Sequential<')
        self.assertLine(text, 'joule::Named<"classifier.1", joule::Linear<1000, joule::Identity>>>;')


class RefusalTest(unittest.TestCase):
    def assertRefused(self, model, expected, shape=(8, 8, 3)):
        entries = refusals(model, shape)
        text = "; ".join(f"{name}: {kind}" for name, kind in entries)
        for entry in expected:
            self.assertIn(entry, text)
        return entries

    def test_modules_joule_has_no_layer_for(self):
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2)), ["1: MaxPool2d"])
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.AdaptiveAvgPool2d(2)),
                           ["1: AdaptiveAvgPool2d (output size 2, only 1 is mapped)"])
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 4, 1), nn.Upsample(scale_factor=2)),
                           ["1: Upsample"])

    def test_only_the_refused_node_is_listed_not_what_follows_it(self):
        model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2), nn.Dropout(), nn.ReLU(),
                              nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(64, 2))
        self.assertEqual(refusals(model), [("1", "MaxPool2d")])

    def test_every_problem_is_listed_at_once(self):
        lstm = Lambda(lambda self, x: self.lstm(x.flatten(2))[0], lstm=nn.LSTM(64, 4))
        entries = self.assertRefused(lstm, ["lstm: LSTM", "flatten: Tensor.flatten (only flatten(x, 1) is mapped)",
                                            "getitem: operator.getitem"])
        self.assertEqual(len(entries), 3)

    def test_functions_joule_has_no_layer_for(self):
        cat = Lambda(lambda self, x: torch.cat([self.a(x), self.b(x)], 1), a=nn.Conv2d(3, 2, 1), b=nn.Conv2d(3, 2, 1))
        self.assertRefused(cat, ["cat: torch.cat"])
        mul = Lambda(lambda self, x: x * torch.sigmoid(self.a(x)), a=nn.Conv2d(3, 3, 1))
        self.assertRefused(mul, ["mul: operator.mul"])

    def test_structures_joule_has_no_layer_for(self):
        # An activation with no convolution, Linear or BatchNorm of its own before it.
        after_add = Lambda(lambda self, x: F.relu(x + self.conv(x)), conv=nn.Conv2d(3, 3, 1))
        self.assertRefused(after_add, ["relu: F.relu (joule applies an activation"])
        shared = Lambda(lambda self, x: (lambda y: y + torch.relu(y))(self.conv(x)), conv=nn.Conv2d(3, 3, 1))
        self.assertRefused(shared, ["relu: torch.relu"])
        through_dropout = Lambda(lambda self, x: (lambda y: y + F.relu(self.drop(y)))(self.conv(x)),
                                 conv=nn.Conv2d(3, 3, 1), drop=nn.Dropout())
        self.assertRefused(through_dropout, ["relu: F.relu"])
        # Two branches added: neither is the block's input.
        branches = Lambda(lambda self, x: self.a(x) + self.b(x), a=nn.Conv2d(3, 3, 1), b=nn.Conv2d(3, 3, 1))
        self.assertRefused(branches, ["output taken by"])
        # Linear on a feature map; a flattened map used as anything but Linear's input.
        self.assertRefused(nn.Sequential(nn.Linear(8, 4)), ["0: Linear (on a 4-D tensor"])
        flat_out = Lambda(lambda self, x: torch.flatten(self.conv(x), 1), conv=nn.Conv2d(3, 3, 1))
        self.assertRefused(flat_out, ["flatten of a feature map as the output"])
        # A BatchNorm eps that is not a power of ten (joule's template argument is its exponent).
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 3, 1, bias=False), nn.BatchNorm2d(3, eps=2e-5)),
                           ["1: BatchNorm2d (eps 2e-05 is not a power of ten)"])
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 3, (3, 1))), ["0: Conv2d (kernel 3x1 is not square)"])
        self.assertRefused(nn.Sequential(nn.Conv2d(3, 3, 3, padding="same")),
                           ["0: Conv2d (padding 'same')"])

    def test_a_changed_torchvision_block(self):
        from torchvision.models.mobilenetv2 import InvertedResidual

        block = InvertedResidual(16, 24, 2, 6)
        block.conv[1][2] = nn.Hardswish()   # the depthwise convolution's activation
        self.assertRefused(nn.Sequential(block), ["0: InvertedResidual (the expansion and the depthwise "
                                                  "convolution have different activations)"], (8, 8, 16))


NET_FILE = textwrap.dedent(
    """\
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.stem(x)), 1))

    def net():
        return Net()

    def pooled():
        return nn.Sequential(nn.Conv2d(3, 8, 1), nn.MaxPool2d(2), nn.Upsample(scale_factor=2))
    """)


def run_tool(*args):
    return subprocess.run([PYTHON, os.path.join(TOOLS, "to_cpp.py"), *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class ProgramTest(unittest.TestCase):
    def setUp(self):
        self.temp = tempfile.TemporaryDirectory()
        self.dir = self.temp.name
        self.net_file = os.path.join(self.dir, "net_file.py")
        with open(self.net_file, "w") as out:
            out.write(NET_FILE)

    def tearDown(self):
        self.temp.cleanup()

    def test_writes_the_header_the_weights_and_the_golden_case(self):
        header = os.path.join(self.dir, "net.hpp")
        done = run_tool(f"{self.net_file}:net", "--input-shape", "12,10,3", "--header", header,
                        "--randomize", "5", "--golden", os.path.join(self.dir, "case"), "--namespace", "mine")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, "")
        with open(header) as text:
            cpp = text.read()
        self.assertIn("using Net = joule::Network<joule::Shape<12, 10, 3>,", cpp)
        self.assertIn('joule::Named<"stem", joule::Conv2d<8, 3, 2, joule::ReLU>>,', cpp)
        self.assertIn("namespace mine {", cpp)
        # Written one layer per line for people to read: clang-format is kept off it.
        self.assertTrue(cpp.startswith("// clang-format off\n") and cpp.endswith("// clang-format on\n"))
        # The weights beside the header: the module's state dict under its own names.
        tensors, metadata = safetensors_file.load_torch(os.path.join(self.dir, "net.safetensors"))
        self.assertEqual(sorted(tensors), sorted(["stem.0.weight", "stem.1.weight", "stem.1.bias",
                                                  "stem.1.running_mean", "stem.1.running_var",
                                                  "stem.1.num_batches_tracked", "fc.weight", "fc.bias"]))
        self.assertEqual(metadata["joule.input_shape"], "12,10,3")
        # The golden case: an NHWC input and PyTorch's output for it, with the weights written.
        x = np.load(os.path.join(self.dir, "case", "input.npy"))
        y = np.load(os.path.join(self.dir, "case", "expected.npy"))
        self.assertEqual(x.shape, (1, 12, 10, 3))
        self.assertEqual(y.shape, (1, 4))
        sys.path.insert(0, self.dir)
        try:
            import net_file
        finally:
            sys.path.remove(self.dir)
        model = net_file.net().eval()
        model.load_state_dict(tensors)
        with torch.no_grad():
            again = model(torch.from_numpy(x).permute(0, 3, 1, 2))
        np.testing.assert_allclose(again.numpy(), y, rtol=0, atol=1e-6)

    def test_a_package_module_and_a_saved_module(self):
        saved = os.path.join(self.dir, "whole.pt")
        torch.save(nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU()), saved)
        done = run_tool(saved, "--input-shape", "4,4,3", "--header", os.path.join(self.dir, "a.hpp"))
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(self.dir, "a.hpp")) as text:
            self.assertIn("using Sequential = joule::Network<", text.read())
        done = run_tool("torchvision.models:mobilenet_v3_small", "--input-shape", "224,224,3",
                        "--header", os.path.join(self.dir, "v3.hpp"), "--name", "V3")
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_trained_weights_from_a_state_dict(self):
        sys.path.insert(0, self.dir)
        try:
            import net_file
        finally:
            sys.path.remove(self.dir)
        trained = net_file.net()
        with torch.no_grad():
            trained.fc.bias.fill_(0.25)
        state = os.path.join(self.dir, "trained.pt")
        torch.save(trained.state_dict(), state)
        weights = os.path.join(self.dir, "elsewhere.safetensors")
        done = run_tool(f"{self.net_file}:net", "--input-shape", "8,8,3", "--header",
                        os.path.join(self.dir, "t.hpp"), "--state-dict", state, "--weights", weights)
        self.assertEqual(done.returncode, 0, done.stderr)
        tensors, _ = safetensors_file.load_torch(weights)
        self.assertTrue(torch.equal(tensors["fc.bias"], torch.full((4,), 0.25)))
        # A state dict of another network: one line, exit 1.
        torch.save(nn.Linear(2, 2).state_dict(), state)
        done = run_tool(f"{self.net_file}:net", "--input-shape", "8,8,3", "--header",
                        os.path.join(self.dir, "t.hpp"), "--state-dict", state)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn("trained.pt: Error(s) in loading state_dict for Net: Missing key(s)", done.stderr)

    def test_unmappable_modules_are_listed_with_exit_1(self):
        header = os.path.join(self.dir, "p.hpp")
        done = run_tool(f"{self.net_file}:pooled", "--input-shape", "4,4,3", "--header", header)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn("joule cannot map 2 of its modules and functions: 1: MaxPool2d; 2: Upsample", done.stderr)
        self.assertFalse(os.path.exists(header))

    def test_failures_and_usage_errors(self):
        header = os.path.join(self.dir, "x.hpp")
        cases = [
            ((f"{self.net_file}:net", "--input-shape", "4,4", "--header", header), 2, "expected H,W,C"),
            ((f"{self.net_file}:net", "--input-shape", "4,4,3"), 2, "--header"),
            ((f"{self.net_file}:net", "--input-shape", "4,4,3", "--header", header, "--name", "a-b"), 2,
             "not a C++ identifier"),
            (("no_such_file.py:net", "--input-shape", "4,4,3", "--header", header), 1, "no such file"),
            ((f"{self.net_file}:missing", "--input-shape", "4,4,3", "--header", header), 1, "has no missing"),
            ((f"{self.net_file}:net", "--input-shape", "4,4,5", "--header", header), 1,
             "does not run on a (1, 5, 4, 4) input"),
            (("not_a_spec", "--input-shape", "4,4,3", "--header", header), 2, "expected package.module:factory"),
        ]
        for args, status, message in cases:
            with self.subTest(args=args):
                done = run_tool(*args)
                self.assertEqual(done.returncode, status, done.stderr)
                self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
                self.assertIn(message, done.stderr)
                self.assertTrue(done.stderr.startswith("to_cpp.py: "))


if __name__ == "__main__":
    unittest.main()
