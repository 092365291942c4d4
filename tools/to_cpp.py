#!/usr/bin/python3
"""Write a PyTorch module as a joule C++ network type, with its weights beside it.

  to_cpp.py MODULE --input-shape H,W,C --header OUT.hpp [--weights OUT.safetensors]
            [--name TYPE] [--namespace NS] [--state-dict FILE | --randomize SEED] [--golden DIR]

MODULE names the network: `package.module:factory` or `path/to/file.py:factory` (factory() is
called with no arguments and returns the nn.Module; an nn.Module attribute is taken as it is), or
FILE.pt, a whole module saved with torch.save(model). The module is put in eval mode and traced
with torch.fx; every node is mapped to joule's layers (a convolution, its BatchNorm and its
activation folded into one layer, torchvision's inverted residual, MBConv and squeeze-excitation
blocks into joule's blocks, `x + f(x)` into a Residual). Anything that cannot be mapped is listed
as `name: type` on one line and the exit status is 1: nothing is approximated.

The header holds `using TYPE = joule::Network<joule::Shape<H, W, C>, ...>;`, each line commented
with the PyTorch modules it stands for; the weights file (default: the header's path with
.safetensors) is the module's state dict, whose names the type binds. --golden DIR also writes
DIR/input.npy (NHWC) and DIR/expected.npy (PyTorch's output; NHWC for a feature map), as golden.py
does for the zoo.
"""

import importlib
import importlib.util
import math
import operator
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "to_cpp.py"


UNMAPPED = object()  # the value of a node that was refused, so that its users are not listed too


class Unmappable(Exception):
    """What joule has no layer for: each entry is (name, type), with the reason in the type."""

    def __init__(self, entries):
        entries = list(dict.fromkeys(entries))  # a module called twice is listed once
        super().__init__("; ".join(f"{name}: {kind}" for name, kind in entries))
        self.entries = entries


# ---- The network given on the command line ----

def _joined(error):
    """An exception's message on one line (PyTorch's state-dict errors take several)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) if lines else type(error).__name__

def input_shape(text):
    """`H,W,C` -> (H, W, C), each positive."""
    import argparse

    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected H,W,C: {text!r}")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three integers H,W,C: {text!r}") from None
    if min(values) <= 0:
        raise argparse.ArgumentTypeError(f"H, W and C must be positive: {text!r}")
    return values


def load_module(spec):
    """The nn.Module that `spec` names (see the module's docstring)."""
    import torch

    if ":" not in spec:
        if not os.path.isfile(spec):
            raise UsageError(f"{spec}: expected package.module:factory, file.py:factory or a "
                             f"saved module file")
        try:
            model = torch.load(spec, map_location="cpu")
        except Exception as error:  # pickle and torch raise many kinds
            raise Failure(f"{spec}: cannot load: {_joined(error)}") from None
        source = spec
    else:
        where, _, attribute = spec.rpartition(":")
        if not where or not attribute:
            raise UsageError(f"{spec}: expected package.module:factory or file.py:factory")
        try:
            if where.endswith(".py"):
                if not os.path.isfile(where):
                    raise Failure(f"{where}: no such file")
                unit = importlib.util.spec_from_file_location(
                    os.path.splitext(os.path.basename(where))[0], where)
                python_module = importlib.util.module_from_spec(unit)
                unit.loader.exec_module(python_module)
            else:
                python_module = importlib.import_module(where)
        except Failure:
            raise
        except Exception as error:
            raise Failure(f"{where}: cannot import: {type(error).__name__}: "
                          f"{_joined(error)}") from None
        if not hasattr(python_module, attribute):
            raise Failure(f"{where} has no {attribute}")
        model = getattr(python_module, attribute)
        if not isinstance(model, torch.nn.Module):
            try:
                model = model()
            except Exception as error:
                raise Failure(f"{spec}(): {type(error).__name__}: "
                              f"{_joined(error)}") from None
        source = spec
    if not isinstance(model, torch.nn.Module):
        raise Failure(f"{spec}: gives a {type(model).__name__}, not a torch.nn.Module")
    return model.eval(), source


# ---- Tracing ----

def _activations():
    import torch
    import torch.nn.functional as F
    from torch import nn

    modules = {nn.ReLU: "ReLU", nn.ReLU6: "ReLU6", nn.Hardswish: "HardSwish",
               nn.Hardsigmoid: "HardSigmoid", nn.Sigmoid: "Sigmoid", nn.SiLU: "SiLU"}
    functions = {F.relu: "ReLU", torch.relu: "ReLU", F.relu6: "ReLU6", F.hardswish: "HardSwish",
                 F.hardsigmoid: "HardSigmoid", torch.sigmoid: "Sigmoid", F.silu: "SiLU"}
    methods = {"relu": "ReLU", "sigmoid": "Sigmoid"}
    return modules, functions, methods


def _torchvision_blocks():
    """torchvision's block classes joule has blocks for (those this torchvision has)."""
    blocks = []
    try:
        from torchvision.models import efficientnet, mobilenetv2, mobilenetv3
        from torchvision import ops
    except ImportError:
        return ()
    blocks.append(mobilenetv2.InvertedResidual)
    blocks.append(mobilenetv3.InvertedResidual)
    blocks.append(efficientnet.MBConv)
    blocks.append(efficientnet.FusedMBConv)
    blocks.append(ops.SqueezeExcitation)
    return tuple(blocks)


def trace(model, shape):
    """The torch.fx graph module, shapes propagated from an (1, C, H, W) input."""
    import torch
    import torch.fx
    from torch.fx.passes.shape_prop import ShapeProp

    blocks = _torchvision_blocks()

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, module, qualified_name):
            return isinstance(module, blocks) or super().is_leaf_module(module, qualified_name)

    try:
        graph = Tracer().trace(model)
    except Exception as error:
        raise Failure(f"torch.fx cannot trace the module: {type(error).__name__}: "
                      f"{_joined(error)}") from None
    traced = torch.fx.GraphModule(model, graph)
    height, width, channels = shape
    x = torch.zeros(1, channels, height, width)
    # The module itself first: ShapeProp's error would print a traceback and lose the message.
    try:
        with torch.no_grad():
            model(x)
    except Exception as error:
        raise Failure(f"the module does not run on a (1, {channels}, {height}, {width}) input: "
                      f"{type(error).__name__}: {_joined(error)}") from None
    with torch.no_grad():
        ShapeProp(traced).propagate(x)
    return traced


# ---- What each node is ----

def _eps_log10(eps, name, kind):
    exponent = round(math.log10(eps)) if eps > 0 else None
    if exponent is None or not math.isclose(eps, 10.0 ** exponent, rel_tol=1e-9):
        raise Unmappable([(name, f"{kind} (eps {eps:g} is not a power of ten)")])
    return exponent


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class Conv:
    """An nn.Conv2d, with the BatchNorm and activation folded into it."""

    def __init__(self, name, module):
        kind = "Conv2d"
        kernel, stride = _pair(module.kernel_size), _pair(module.stride)
        padding, dilation = module.padding, _pair(module.dilation)
        if isinstance(padding, str):
            raise Unmappable([(name, f"{kind} (padding '{padding}')")])
        padding = _pair(padding)
        for what, value in (("kernel", kernel), ("stride", stride), ("padding", padding),
                            ("dilation", dilation)):
            if value[0] != value[1]:
                raise Unmappable([(name, f"{kind} ({what} {value[0]}x{value[1]} is not square)")])
        if module.padding_mode != "zeros":
            raise Unmappable([(name, f"{kind} (padding_mode '{module.padding_mode}')")])
        self.name = name
        self.modules = [(name, kind)]
        self.paths = [name]
        self.in_channels, self.out_channels = module.in_channels, module.out_channels
        self.kernel, self.stride = kernel[0], stride[0]
        self.padding, self.dilation, self.groups = padding[0], dilation[0], module.groups
        self.has_bias = module.bias is not None
        self.bn_eps_log10 = None  # set when a BatchNorm is folded in
        self.activation = None

    def fold_batch_norm(self, name, module):
        self.bn_eps_log10 = batch_norm_eps_log10(name, module)
        self.modules.append((name, "BatchNorm2d"))
        self.paths.append(name)

    def spec(self):
        norm = "batch" if self.bn_eps_log10 is not None else "bias" if self.has_bias else "none"
        act = "joule::" + (self.activation or "Identity")
        depthwise = (self.groups == self.in_channels == self.out_channels and
                     self.kernel in (3, 5, 7) and self.stride in (1, 2))
        pointwise = self.kernel == 1 and self.stride == 1 and self.groups == 1 and self.padding == 0
        options = []
        if not depthwise and self.groups != 1:
            options.append(f".groups = {self.groups}")
        if norm != "batch":
            options.append(f".norm = joule::Norm::{norm}")
        default_padding = (self.kernel - 1) // 2 * self.dilation
        if not pointwise and self.padding != default_padding:
            options.append(f".padding = {self.padding}")
        if self.dilation != 1:
            options.append(f".dilation = {self.dilation}")
        if norm == "batch" and self.bn_eps_log10 != -5:
            options.append(f".bn_eps_log10 = {self.bn_eps_log10}")
        tail = f", joule::ConvOptions{{{', '.join(options)}}}" if options else ""
        if depthwise:
            text = f"joule::DepthwiseConv<{self.kernel}, {self.stride}, {act}{tail}>"
        elif pointwise:
            text = f"joule::Pointwise<{self.out_channels}, {act}{tail}>"
        else:
            text = f"joule::Conv2d<{self.out_channels}, {self.kernel}, {self.stride}, {act}{tail}>"
        return text


def batch_norm_eps_log10(name, module):
    if not module.affine or not module.track_running_stats:
        raise Unmappable([(name, "BatchNorm2d (without affine weights or running statistics)")])
    return _eps_log10(module.eps, name, "BatchNorm2d")


class BatchNorm:
    def __init__(self, name, module):
        self.eps_log10 = batch_norm_eps_log10(name, module)
        self.modules = [(name, "BatchNorm2d")]
        self.paths = [name]
        self.activation = None

    def spec(self):
        return f"joule::BatchNorm<{self.eps_log10}, joule::{self.activation or 'Identity'}>"


class Linear:
    def __init__(self, name, module):
        self.out_features = module.out_features
        self.has_bias = module.bias is not None
        self.modules = [(name, "Linear")]
        self.paths = [name]
        self.activation = None

    def spec(self):
        act = self.activation or "Identity"
        bias = "" if self.has_bias else ", false"
        return f"joule::Linear<{self.out_features}, joule::{act}{bias}>"


class Pool:
    """Global average pooling: nn.AdaptiveAvgPool2d(1), its function, or a mean over H and W."""

    def __init__(self, name, kind, path):
        self.modules = [(name, kind)]
        self.paths = [path] if path else []
        self.activation = None

    def spec(self):
        return "joule::GlobalAvgPool"


class Block:
    """A torchvision block mapped whole; its names are the block's own, under its path."""

    def __init__(self, name, kind, text):
        self.modules = [(name, kind)]
        self.paths = [name]
        self.text = text
        self.activation = None

    def spec(self):
        return self.text


# ---- torchvision's blocks ----

def _activation_name(module, where):
    from torch import nn

    if module is None or type(module) is nn.Identity:
        return "Identity"
    modules, _, _ = _activations()
    name = modules.get(type(module))
    if name is None:
        raise Unmappable([(where, f"{type(module).__name__} (no joule activation)")])
    return name


def _block_parts(name, sequence):
    """A block's nn.Sequential as a list of ('conv', Conv) and ('se', module) parts."""
    from torch import nn
    from torchvision import ops

    parts = []
    children = list(sequence.named_children())
    index = 0
    while index < len(children):
        child_name, child = children[index]
        path = f"{name}.{child_name}"
        if isinstance(child, ops.SqueezeExcitation):
            parts.append(("se", child, path))
        elif type(child) is nn.Conv2d:
            conv = Conv(path, child)
            if index + 1 < len(children) and isinstance(children[index + 1][1], nn.BatchNorm2d):
                index += 1
                conv.fold_batch_norm(f"{name}.{children[index][0]}", children[index][1])
            parts.append(("conv", conv, path))
        elif isinstance(child, nn.Sequential):  # Conv2dNormActivation: conv, [norm], [activation]
            inner = list(child.named_children())
            if not inner or type(inner[0][1]) is not nn.Conv2d:
                raise Unmappable([(path, f"{type(child).__name__} (not a convolution block)")])
            conv = Conv(f"{path}.{inner[0][0]}", inner[0][1])
            rest = inner[1:]
            if rest and isinstance(rest[0][1], nn.BatchNorm2d):
                conv.fold_batch_norm(f"{path}.{rest[0][0]}", rest[0][1])
                rest = rest[1:]
            if rest:
                conv.activation = _activation_name(rest[0][1], f"{path}.{rest[0][0]}")
                rest = rest[1:]
            if rest:
                raise Unmappable([(f"{path}.{rest[0][0]}", type(rest[0][1]).__name__)])
            parts.append(("conv", conv, path))
        else:
            raise Unmappable([(path, type(child).__name__)])
        index += 1
    return parts


def squeeze_excite_spec(name, module):
    """joule's SqueezeExcite for a torchvision SqueezeExcitation."""
    from torch import nn

    fc1, fc2 = module.fc1, module.fc2
    for fc in (fc1, fc2):
        if (type(fc) is not nn.Conv2d or _pair(fc.kernel_size) != (1, 1) or fc.bias is None
                or fc.groups != 1):
            raise Unmappable([(name, "SqueezeExcitation (its fc layers are not 1x1 convolutions "
                                     "with a bias)")])
    act = _activation_name(module.activation, f"{name}.activation")
    gate = _activation_name(module.scale_activation, f"{name}.scale_activation")
    if not isinstance(module.avgpool, nn.AdaptiveAvgPool2d) or _pair(module.avgpool.output_size) != (1, 1):
        raise Unmappable([(f"{name}.avgpool", type(module.avgpool).__name__)])
    return (f"joule::SqueezeExcite<joule::SqueezeSpec{{.channels = {fc1.out_channels}}}, "
            f"joule::{act}, joule::{gate}>")


def inverted_residual_spec(name, module, in_channels):
    """joule's InvertedResidual for torchvision's MobileNetV2, V3 or EfficientNet block."""
    kind = type(module).__name__
    v2_names = hasattr(module, "conv")
    sequence = module.conv if v2_names else module.block
    parts = _block_parts(f"{name}.{'conv' if v2_names else 'block'}", sequence)

    def refuse(why):
        raise Unmappable([(name, f"{kind} ({why})")])

    convs = [part for part in parts if part[0] == "conv"]
    ses = [part for part in parts if part[0] == "se"]
    if len(ses) > 1 or len(convs) not in (2, 3):
        refuse("not expand, depthwise, squeeze-excite, project")
    expand = convs[0][1] if len(convs) == 3 else None
    depthwise, project = convs[-2][1], convs[-1][1]
    order = ["conv"] * (len(convs) - 1) + (["se"] if ses else []) + ["conv"]
    if [part[0] for part in parts] != order:
        refuse("squeeze-excite is not between the depthwise and the projection convolutions")
    for conv in convs:
        c = conv[1]
        if c.has_bias or c.bn_eps_log10 is None:
            refuse(f"{conv[2]} is not a convolution without bias followed by BatchNorm")
    eps = {conv[1].bn_eps_log10 for conv in convs}
    if len(eps) != 1:
        refuse("its BatchNorms have different eps")
    hidden = depthwise.in_channels
    if expand is not None:
        if expand.kernel != 1 or expand.stride != 1 or expand.groups != 1 or expand.padding != 0:
            refuse("the expansion is not a 1x1 convolution")
        if expand.in_channels != in_channels or expand.out_channels != hidden:
            refuse("the expansion's channels do not lead to the depthwise convolution")
        if expand.activation != depthwise.activation:
            refuse("the expansion and the depthwise convolution have different activations")
    elif hidden != in_channels:
        refuse("no expansion, but the depthwise convolution does not take the block's input")
    if not (depthwise.groups == hidden == depthwise.out_channels and depthwise.kernel in (3, 5, 7)
            and depthwise.stride in (1, 2) and depthwise.dilation == 1
            and depthwise.padding == (depthwise.kernel - 1) // 2):
        refuse("the middle convolution is not a 3x3, 5x5 or 7x7 depthwise one with stride 1 or 2")
    if (project.kernel != 1 or project.stride != 1 or project.groups != 1 or project.padding != 0
            or project.in_channels != hidden or (project.activation or "Identity") != "Identity"):
        refuse("the projection is not a 1x1 convolution without activation")
    out = project.out_channels
    residual = depthwise.stride == 1 and in_channels == out
    if bool(module.use_res_connect) != residual:
        refuse("its residual connection is not stride 1 with equal channels")
    if expand is None:
        expansion = "1"
    elif hidden % in_channels == 0:
        expansion = str(hidden // in_channels)
    else:
        expansion = f"joule::ExpandTo{{{hidden}}}"
    se = squeeze_excite_spec(ses[0][2], ses[0][1]) if ses else "joule::NoSqueezeExcite"
    if v2_names and ses:
        refuse("MobileNetV2's naming with a squeeze-excite")
    options = []
    if eps != {-5}:
        options.append(f".bn_eps_log10 = {eps.pop()}")
    if v2_names:
        options.append(".names = joule::BlockNames::mobilenet_v2")
    act = depthwise.activation or "Identity"
    tail = f", joule::BlockOptions{{{', '.join(options)}}}" if options else ""
    return (f"joule::InvertedResidual<{out}, {expansion}, {depthwise.kernel}, {depthwise.stride}, "
            f"{se}, joule::{act}{tail}>")


def fused_mbconv_spec(name, module, in_channels):
    """joule's FusedMBConv for torchvision's EfficientNetV2 block."""
    kind = type(module).__name__
    parts = _block_parts(f"{name}.block", module.block)

    def refuse(why):
        raise Unmappable([(name, f"{kind} ({why})")])

    if [part[0] for part in parts] not in (["conv"], ["conv", "conv"]):
        refuse("not a convolution and an optional 1x1 projection")
    convs = [part[1] for part in parts]
    for conv in convs:
        if conv.has_bias or conv.bn_eps_log10 is None or conv.groups != 1 or conv.dilation != 1:
            refuse(f"{conv.name} is not an ungrouped convolution without bias followed by BatchNorm")
    if len({conv.bn_eps_log10 for conv in convs}) != 1:
        refuse("its BatchNorms have different eps")
    first = convs[0]
    if first.in_channels != in_channels or first.padding != (first.kernel - 1) // 2:
        refuse("its first convolution does not take the block's input with the default padding")
    act = first.activation or "Identity"
    if len(convs) == 2:
        project = convs[1]
        if (project.kernel != 1 or project.stride != 1 or project.padding != 0
                or (project.activation or "Identity") != "Identity"):
            refuse("the projection is not a 1x1 convolution without activation")
        hidden, out = first.out_channels, project.out_channels
        if hidden == in_channels:
            refuse("an expansion to as many channels as the input")
        expansion = (str(hidden // in_channels) if hidden % in_channels == 0
                     else f"joule::ExpandTo{{{hidden}}}")
    else:
        out = first.out_channels
        expansion = "1"
    if bool(module.use_res_connect) != (first.stride == 1 and in_channels == out):
        refuse("its residual connection is not stride 1 with equal channels")
    eps = first.bn_eps_log10
    tail = f", joule::BlockOptions{{.bn_eps_log10 = {eps}}}" if eps != -5 else ""
    return (f"joule::FusedMBConv<{out}, {expansion}, {first.kernel}, {first.stride}, "
            f"joule::{act}{tail}>")


# ---- From the graph to layers ----

class Residual:
    def __init__(self, body, name):
        self.body = body
        self.name = name  # the add's node name, for the comment


def _node_type(node, modules):
    if node.op == "call_module":
        return type(modules[node.target]).__name__
    if node.op == "call_function":
        function = node.target
        module = getattr(function, "__module__", None) or "torch"
        module = {"_operator": "operator", "torch.nn.functional": "F", "torch._C._nn": "F",
                  "torch._C._VariableFunctions": "torch"}.get(module, module)
        return f"{module}.{getattr(function, '__name__', str(function))}"
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    return node.op


def _flatten_args(node):
    """(start_dim, end_dim) of a flatten call, or None if it is not one."""
    import torch

    if node.op == "call_function" and node.target is torch.flatten:
        args = list(node.args[1:]) + [None, None]
        start = node.kwargs.get("start_dim", args[0] if args[0] is not None else 0)
        end = node.kwargs.get("end_dim", args[1] if args[1] is not None else -1)
        return start, end
    if node.op == "call_method" and node.target == "flatten":
        args = list(node.args[1:]) + [None, None]
        start = node.kwargs.get("start_dim", args[0] if args[0] is not None else 0)
        end = node.kwargs.get("end_dim", args[1] if args[1] is not None else -1)
        return start, end
    return None


def _is_eval_stochastic_depth(node):
    """torchvision.ops.stochastic_depth with training=False: the identity."""
    if node.op != "call_function" or getattr(node.target, "__name__", "") != "stochastic_depth":
        return False
    if not getattr(node.target, "__module__", "").startswith("torchvision.ops"):
        return False
    training = node.kwargs.get("training", node.args[3] if len(node.args) > 3 else True)
    return training is False


def _shape(node):
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def map_graph(traced):
    """The network as a list of layers (Conv, Linear, ..., Residual), or Unmappable."""
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torchvision import ops

    modules = dict(traced.named_modules())
    act_modules, act_functions, act_methods = _activations()
    blocks = _torchvision_blocks()
    problems = []

    # Each node's value: ('input',) or the layer that produces it, and whether it is flattened.
    value = {}
    flattened = set()  # nodes whose value is a flattened map of more than one pixel
    layers = {}        # node -> its layer, for the nodes that start one
    inputs = {}        # layer id -> the node whose value it takes (two for an add)
    # layer id -> the nodes that give its output now: the last folded into it, then any
    # dropout or flatten after it. Folding more into the layer needs each of them used once.
    tail = {}

    def start(node, layer, source):
        layers[node] = layer
        inputs[id(layer)] = source
        tail[id(layer)] = [node]
        value[node] = layer

    def can_fold(layer, source):
        return tail.get(id(layer), [None])[-1] is source and all(
            len(node.users) == 1 for node in tail[id(layer)])

    def alias(node, source):
        value[node] = value.get(source, UNMAPPED)
        if value[node] != "input" and tail.get(id(value[node]), [None])[-1] is source:
            tail[id(value[node])].append(node)

    def consumable(source):
        if source in flattened:
            problems.append((source.name, "flatten of a feature map not followed by Linear "
                                          "(joule keeps maps as HWC)"))

    placeholders = [node for node in traced.graph.nodes if node.op == "placeholder"]
    if len(placeholders) != 1:
        raise Unmappable([(node.name, "input (joule networks take one input)") for node in placeholders]
                         or [("forward", "no input")])
    output = None
    for node in traced.graph.nodes:
        try:
            if node.op == "placeholder":
                value[node] = "input"
                continue
            if node.op == "output":
                output = node
                continue
            kind = _node_type(node, modules)
            args = [arg for arg in node.args if isinstance(arg, torch.fx.Node)]
            module = modules.get(node.target) if node.op == "call_module" else None
            activation = None
            if module is not None and type(module) in act_modules:
                activation = act_modules[type(module)]
            elif node.op == "call_function" and node.target in act_functions:
                activation = act_functions[node.target]
            elif node.op == "call_method" and node.target in act_methods:
                activation = act_methods[node.target]
            if activation is not None:
                if len(args) != 1:
                    raise Unmappable([(node.name, kind)])
                source = args[0]
                layer = value.get(source)
                if layer is UNMAPPED:  # after a refused node: that one is the problem listed
                    value[node] = UNMAPPED
                    continue
                fusable = (isinstance(layer, (Conv, Linear, BatchNorm)) and layer.activation is None
                           and can_fold(layer, source))
                if not fusable:
                    raise Unmappable([(node.target if module is not None else node.name,
                                       f"{kind} (joule applies an activation in the convolution, "
                                       f"Linear or BatchNorm before it; here there is none)")])
                layer.activation = activation
                layer.modules.append((node.target if module is not None else node.name, kind))
                tail[id(layer)] = [node]
                value[node] = layer
                continue
            if module is not None and isinstance(module, nn.Dropout) or (
                    module is not None and type(module) is nn.Identity) or (
                    node.op == "call_function" and node.target is F.dropout) or (
                    _is_eval_stochastic_depth(node)):
                alias(node, args[0])   # eval mode: the identity, exactly
                if args[0] in flattened:
                    flattened.add(node)
                continue
            flat = _flatten_args(node)
            if flat is None and module is not None and isinstance(module, nn.Flatten):
                flat = (module.start_dim, module.end_dim)
            if flat is not None:
                shape = _shape(args[0])
                if flat[0] != 1 or flat[1] not in (-1, len(shape) - 1):
                    raise Unmappable([(node.name, f"{kind} (only flatten(x, 1) is mapped)")])
                alias(node, args[0])
                if len(shape) == 4 and shape[2] * shape[3] > 1:
                    flattened.add(node)
                continue
            if module is not None and type(module) is nn.Conv2d:
                consumable(args[0])
                start(node, Conv(node.target, module), args[0])
                continue
            if module is not None and type(module) is nn.BatchNorm2d:
                consumable(args[0])
                source = args[0]
                layer = value.get(source)
                if (isinstance(layer, Conv) and layer.bn_eps_log10 is None and layer.activation is None
                        and not layer.has_bias and can_fold(layer, source)):
                    layer.fold_batch_norm(node.target, module)
                    tail[id(layer)] = [node]
                    value[node] = layer
                else:
                    start(node, BatchNorm(node.target, module), source)
                continue
            if module is not None and type(module) is nn.Linear:
                shape = _shape(args[0])
                if shape is None or len(shape) != 2:
                    raise Unmappable([(node.target, f"Linear (on a {len(shape or ())}-D tensor; "
                                                    f"joule's Linear takes flatten(x, 1))")])
                start(node, Linear(node.target, module), args[0])
                continue
            pool = None
            if module is not None and isinstance(module, nn.AdaptiveAvgPool2d):
                if _pair(module.output_size) != (1, 1):
                    raise Unmappable([(node.target, f"{kind} (output size {module.output_size}, "
                                                    f"only 1 is mapped)")])
                pool = Pool(node.target, kind, node.target)
            elif node.op == "call_function" and node.target is F.adaptive_avg_pool2d:
                size = node.args[1] if len(node.args) > 1 else node.kwargs.get("output_size")
                if _pair(size) != (1, 1):
                    raise Unmappable([(node.name, f"{kind} (output size {size}, only 1 is mapped)")])
                pool = Pool(node.name, kind, None)
            elif (node.op == "call_method" and node.target == "mean") or (
                    node.op == "call_function" and node.target is torch.mean):
                dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
                keep = node.kwargs.get("keepdim", node.args[2] if len(node.args) > 2 else False)
                if not (isinstance(dims, (tuple, list)) and sorted(dims) in ([2, 3], [-2, -1])):
                    raise Unmappable([(node.name, f"{kind} (only a mean over H and W is mapped)")])
                pool = Pool(node.name, f"{kind}{' keepdim' if keep else ''} over H, W", None)
            if pool is not None:
                if len(_shape(args[0]) or ()) != 4:
                    raise Unmappable([(node.name, f"{kind} (not on a feature map)")])
                consumable(args[0])
                start(node, pool, args[0])
                continue
            if module is not None and isinstance(module, blocks):
                consumable(args[0])
                in_channels = _shape(args[0])[1]
                if isinstance(module, ops.SqueezeExcitation):
                    text = squeeze_excite_spec(node.target, module)
                elif type(module).__name__ == "FusedMBConv":
                    text = fused_mbconv_spec(node.target, module, in_channels)
                else:
                    text = inverted_residual_spec(node.target, module, in_channels)
                start(node, Block(node.target, kind, text), args[0])
                continue
            if (node.op == "call_function" and node.target in (operator.add, torch.add)
                    and len(args) == 2 and len(node.args) == 2 and not node.kwargs):
                if _shape(args[0]) != _shape(args[1]):
                    raise Unmappable([(node.name, f"{kind} (of two shapes: broadcasting)")])
                layers[node] = ("add", args[0], args[1])
                value[node] = node
                continue
            raise Unmappable([(node.target if module is not None else node.name, kind)])
        except Unmappable as error:
            problems.extend(error.entries)
            value[node] = UNMAPPED
    if problems:
        raise Unmappable(problems)

    result = output.args[0]
    if not isinstance(result, torch.fx.Node):
        raise Unmappable([("output", f"{type(result).__name__} (joule networks have one output)")])
    if result in flattened:
        raise Unmappable([(result.name, "flatten of a feature map as the output (joule keeps maps as HWC)")])
    return _structure(value, layers, inputs, result)


def _structure(value, layers, inputs, result):
    """The layers as a chain from the input to `result`, `x + f(x)` as Residual(f)."""
    import torch

    def key(node):
        v = value[node]
        return v if v == "input" or isinstance(v, torch.fx.Node) else id(v)

    def is_add(node):
        return isinstance(layers[node], tuple)

    def output_key(node):
        return node if is_add(node) else id(layers[node])

    def describe(current):
        if current == "input":
            return "input"
        if isinstance(current, torch.fx.Node):
            return current.name
        return next(layer.modules[-1][0] for layer in order if id(layer) == current)

    order = [layer for layer in layers.values() if not isinstance(layer, tuple)]
    takers = {}  # value key -> the nodes (layer starts, adds) that read it
    for node, layer in layers.items():
        sources = layer[1:] if isinstance(layer, tuple) else (inputs[id(layer)],)
        for source in sources:
            takers.setdefault(key(source), []).append(node)
    final = key(result)

    def branch_error(current, users):
        names = ", ".join(user.name for user in users) or "nothing"
        return Unmappable([(describe(current), f"output taken by {names} (joule maps a chain of "
                                               f"layers and x + f(x) only)")])

    def chain(current, stop, items):
        """Appends the layers from value `current` on; returns the key of the last value, which
        feeds `stop` (an add) or is the network's output."""
        while True:
            users = list(takers.get(current, []))
            if stop is not None and stop in users:
                users.remove(stop)
                if not users:
                    return current
                raise branch_error(current, users + [stop])
            if not users:
                if stop is None and current == final:
                    return current
                raise Unmappable([(describe(current), "output not used (joule networks are one "
                                                      "chain to one output)")])
            if stop is None and current == final:
                raise branch_error(current, users)
            if len(users) == 1 and not is_add(users[0]):
                items.append(layers[users[0]])
                current = output_key(users[0])
                continue
            adds = [user for user in users if is_add(user)]
            others = [user for user in users if not is_add(user)]
            if len(adds) == 1 and len(others) == 1 and adds[0] is not stop:
                add = adds[0]
                body = [layers[others[0]]]
                end = chain(output_key(others[0]), add, body)
                if {key(operand) for operand in layers[add][1:]} == {current, end} and end != current:
                    items.append(Residual(body, add.name))
                    current = add
                    continue
            raise branch_error(current, users)

    items = []
    chain("input", None, items)
    if not items:
        raise Unmappable([("forward", "no layers")])
    return items


# ---- Writing the C++ ----

def _segments(path):
    return path.split(".") if path else []


def _common(paths):
    if not paths:
        return None
    split = [_segments(path) for path in paths]
    common = []
    for parts in zip(*split):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return common


class Node:
    """One line of the type: a layer (spec text) or a container of nodes."""

    def __init__(self, prefix, text=None, children=None, comment="", residual=False):
        self.prefix = prefix      # path segments relative to the parent, or None (no tensors)
        self.text = text
        self.children = children
        self.comment = comment
        self.residual = residual


def _leaf_node(layer):
    text = layer.spec()
    prefix = _common(layer.paths) if layer.paths else None
    if isinstance(layer, Conv) and len(layer.paths) == 2:
        parts = [".".join(_segments(path)[len(prefix):]) for path in layer.paths]
        if parts != ["0", "1"]:
            text = f'joule::PartNames<{text}, "{parts[0]}", "{parts[1]}">'
    # A function's node name is torch.fx's, not the module's: only its kind is shown.
    comment = " + ".join(kind if "." in kind else f"{name} {kind}" for name, kind in layer.modules)
    return Node(prefix, text=text, comment=comment)


def _to_nodes(items):
    nodes = []
    for item in items:
        if isinstance(item, Residual):
            body = _to_nodes(item.body)
            prefix = _common([".".join(node.prefix) for node in body if node.prefix is not None]) or []
            for node in body:
                if node.prefix is not None:
                    node.prefix = node.prefix[len(prefix):]
            nodes.append(Node(prefix, children=_group(body), comment=f"{item.name}: x + f(x)",
                              residual=True))
        else:
            nodes.append(_leaf_node(item))
    return nodes


def _group(nodes):
    """Consecutive nodes under the same first segment become one Sequential, as nn.Sequential
    and submodules nest them; returns (name or None, node) children."""
    children = []
    index = 0
    while index < len(nodes):
        node = nodes[index]
        if node.prefix is None or not node.prefix:
            children.append(("" if node.prefix == [] else None, node))
            index += 1
            continue
        first = node.prefix[0]
        group = [node]
        while (index + len(group) < len(nodes) and nodes[index + len(group)].prefix
               and nodes[index + len(group)].prefix[0] == first):
            group.append(nodes[index + len(group)])
        index += len(group)
        if len(group) == 1 and (len(node.prefix) == 1 or node.prefix[1] != "0"):
            children.append((".".join(node.prefix), node))
            node.prefix = []
            continue
        for member in group:
            member.prefix = member.prefix[1:]
        children.append((first, Node([], children=_group(group))))
    return children


def _render(children, indent):
    """The template arguments, one per line, each line's comment after it."""
    lines = []
    pad = " " * indent
    for position, (name, node) in enumerate(children):
        last = position == len(children) - 1
        comma = "" if last else ","
        if node.children is not None:
            opener = "joule::Residual<" if node.residual else "joule::Sequential<"
            inner = node.children
            head = opener
            close = ">"
            if name is not None and name != str(position):
                head = f'joule::Named<"{name}", {opener}'
                close = ">>"
            comment = f"  // {node.comment}" if node.comment else ""
            lines.append(f"{pad}{head}{comment}")
            lines.extend(_render(inner, indent + 4))
            lines.append(f"{pad}{close}{comma}")
        else:
            text = node.text
            if name is not None and name != str(position):
                text = f'joule::Named<"{name}", {text}>'
            lines.append(f"{pad}{text}{comma}  // {node.comment}")
    return lines


def cpp_header(items, type_name, shape, source, weights_name, namespace=None):
    height, width, channels = shape
    children = _group(_to_nodes(items))
    lines = [
        "// clang-format off",
        f"// {type_name}: generated by tools/to_cpp.py from {source}; do not edit.",
        f"// Input {height}x{width}x{channels} (H, W, C). Weights: {weights_name}, the module's",
        "// state dict, bound by name: joule::bind_weights<" + type_name + ">(file, weights).",
        "// Each line's comment names the PyTorch modules it stands for; one layer per line, as",
        "// written here, so clang-format leaves it alone.",
        "#pragma once",
        "",
        "#include <joule/joule.hpp>",
        "",
    ]
    if namespace:
        lines += [f"namespace {namespace} {{", ""]
    lines.append(f"using {type_name} = joule::Network<joule::Shape<{height}, {width}, {channels}>,")
    body = _render(children, 4)
    body[-1] = body[-1].replace("  //", ">;  //", 1) if "  //" in body[-1] else body[-1] + ">;"
    lines += body
    if namespace:
        lines += ["", f"}}  // namespace {namespace}"]
    lines.append("// clang-format on")
    return "\n".join(lines) + "\n"


# ---- The program ----

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def cpp_identifier(text):
    import argparse

    if not IDENTIFIER.match(text):
        raise argparse.ArgumentTypeError(f"not a C++ identifier: {text!r}")
    return text


def parse_args(argv):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("module", metavar="MODULE",
                        help="package.module:factory, file.py:factory or a torch.save'd module")
    parser.add_argument("--input-shape", type=input_shape, required=True, metavar="H,W,C")
    parser.add_argument("--header", required=True, metavar="OUT.hpp")
    parser.add_argument("--weights", metavar="OUT.safetensors",
                        help="default: the header's path with .safetensors")
    parser.add_argument("--name", type=cpp_identifier, metavar="TYPE",
                        help="the C++ type's name (default: the module's class name)")
    parser.add_argument("--namespace", type=cpp_identifier, metavar="NS")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument("--state-dict", metavar="FILE", help="load these weights first")
    weights.add_argument("--randomize", type=tool_cli.seed, metavar="SEED",
                         help="deterministic random weights (joule_models.randomize)")
    parser.add_argument("--golden", metavar="DIR",
                        help="also write DIR/input.npy and DIR/expected.npy")
    return parser.parse_args(argv)


def to_cpp(args):
    """Writes the files; returns the summary line."""
    import torch

    import golden
    import joule_models
    import safetensors_file

    model, source = load_module(args.module)
    height, width, channels = args.input_shape
    if args.state_dict:
        try:
            state = torch.load(args.state_dict, map_location="cpu")
        except Exception as error:
            raise Failure(f"{args.state_dict}: cannot load: {_joined(error)}") from None
        if isinstance(state, torch.nn.Module):
            state = state.state_dict()
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise Failure(f"{args.state_dict}: {_joined(error)}") from None
    if args.randomize is not None:
        joule_models.randomize(model, args.randomize, (channels, height, width))
    model.eval()
    traced = trace(model, args.input_shape)
    items = map_graph(traced)
    type_name = args.name or type(model).__name__
    if not IDENTIFIER.match(type_name):
        raise UsageError(f"{type_name!r} is not a C++ identifier: give --name")
    weights_path = args.weights or os.path.splitext(args.header)[0] + ".safetensors"
    text = cpp_header(items, type_name, args.input_shape, source, os.path.basename(weights_path),
                      args.namespace)
    metadata = {"format": "pt", "joule.model": type_name, "joule.source": source,
                "joule.input_shape": f"{height},{width},{channels}"}
    state = {name: tensor for name, tensor in model.state_dict().items()}
    try:
        safetensors_file.save(state, weights_path, metadata)
        with open(args.header, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise Failure(f"cannot write {error.filename}: {error.strerror or error}") from None
    line = f"{type_name}: {len(text.splitlines())} lines in {args.header}, weights {weights_path}"
    if args.golden:
        x = joule_models.random_input((channels, height, width),
                                      args.randomize if args.randomize is not None else 0)
        with torch.no_grad():
            y = model(x)
        info = golden.write_case(args.golden, x, y, metadata=metadata)
        line += f"; golden case in {args.golden} (max|expected| {info['max_abs']:.6g})"
    return line


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        tool_cli.limit_threads()
        line = to_cpp(args)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Unmappable as error:
        tool_cli.report(PROG, f"{args.module}: joule cannot map {len(error.entries)} "
                              f"of its modules and functions: {error}")
        return tool_cli.EXIT_FAILURE
    except Failure as error:
        tool_cli.report(PROG, f"{args.module}: {error}")
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    print(line)
    return tool_cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
