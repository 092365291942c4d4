#!/usr/bin/python3
"""The model zoo that the C++ `joule` program mirrors, and deterministic random weights for parity.

ZOO maps each zoo name to (builder, resolution), for every model of the zoo registry
(include/joule/models/registry.hpp, read by zoo_registry.py); builder(num_classes) returns an nn.Module in
training mode with the builder's own initialization. Every model except MobileNetV1 is
torchvision 0.14's own builder, untouched, so that a state_dict trained with torchvision loads as
is. MobileNetV1 has no torchvision builder; MobileNetV1 below is the twin the C++ model mirrors,
parameter names included.
"""

import math
import os
import re
import sys

import torch
from torch import nn
import torchvision.models as tvm
from torchvision.ops.misc import Conv2dNormActivation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo_registry  # noqa: E402


def _depthwise_separable(inp, out, stride):
    return nn.Sequential(
        Conv2dNormActivation(inp, inp, 3, stride=stride, groups=inp, activation_layer=nn.ReLU6),
        Conv2dNormActivation(inp, out, 1, activation_layer=nn.ReLU6),
    )


class MobileNetV1(nn.Module):
    """MobileNetV1 (Howard et al. 2017) in torchvision's style: features, avgpool, classifier."""

    def __init__(self, alpha=1.0, num_classes=1000):
        super().__init__()

        def c(channels):
            return int(channels * alpha)

        # (out, stride) of the 13 depthwise-separable blocks, as in the paper's Table 1.
        plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
        plan += [(512, 1)] * 5
        plan += [(1024, 2), (1024, 1)]
        layers = [Conv2dNormActivation(3, c(32), kernel_size=3, stride=2, activation_layer=nn.ReLU6)]
        inp = c(32)
        for out, stride in plan:
            layers.append(_depthwise_separable(inp, c(out), stride))
            inp = c(out)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(inp, num_classes)

        # Same scheme as torchvision's MobileNetV2, so that both train alike from scratch.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def _v1_builder(alpha):
    return lambda num_classes=1000: MobileNetV1(alpha=float(alpha), num_classes=num_classes)


def _tv_builder(function):
    # weights=None: the zoo never fetches pretrained weights; users bring their own state_dict.
    return lambda num_classes=1000: function(weights=None, num_classes=num_classes)


_TWIN_V1 = re.compile(r"twin\.mobilenet_v1\(([0-9.]+)\)$")


def _builder(pytorch):
    """The builder a registry entry names: "torchvision.NAME" or "twin.mobilenet_v1(ALPHA)"."""
    if pytorch.startswith("torchvision."):
        return _tv_builder(getattr(tvm, pytorch[len("torchvision."):]))
    match = _TWIN_V1.match(pytorch)
    if match:
        return _v1_builder(match.group(1))
    raise ValueError(f"zoo registry: unknown PyTorch builder '{pytorch}'")


def _make_zoo():
    return {name: (_builder(pytorch), resolution) for name, resolution, pytorch in zoo_registry.MODELS}


ZOO = _make_zoo()


class UnknownModel(ValueError):
    pass


def lookup(name):
    """(builder, resolution) of a zoo model; UnknownModel with a suggestion otherwise."""
    if name in ZOO:
        return ZOO[name]
    import difflib

    close = difflib.get_close_matches(name, ZOO.keys(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(ZOO)}"
    raise UnknownModel(f"unknown model '{name}'{hint}")


def build(name, num_classes=1000):
    builder, _ = lookup(name)
    return builder(num_classes)


def resolution(name):
    return lookup(name)[1]


def randomize(model, seed=0, input_size=224):
    """Give every parameter and buffer a value drawn from `seed` alone; returns the model in eval.
    input_size is the resolution of a 3-channel input, or (C, H, W).

    BatchNorm parameters and statistics are drawn away from the identity that a fresh model has,
    and every bias is nonzero, so that a reader which forgets to fold one of them, or folds it
    into the wrong channel, gives a different answer.

    Convolution and Linear weights are normal, as torchvision draws them, but not at
    torchvision's scale. That scale (kaiming fan_out) suits training-mode BatchNorm; in an
    eval-mode network whose running statistics are near (0, 1) the signal shrank ~10x per
    depthwise layer, and every zoo model's output depended on its input by ~1e-7 of its size, so
    a parity check at rtol 1e-4 would have passed a program that ignores its input. Instead, one
    calibration forward (an input_size x input_size input drawn from the seed; pass the model's
    own resolution, as activation statistics depend on it) scales each weight tensor, in
    execution order, by the power of two that brings its own output (bias left out) closest to
    unit standard deviation. A power of two keeps the draw exact, and makes the weights immune
    to the last-bit differences that thread counts cause in the calibration pass.
    """
    generator = torch.Generator().manual_seed(int(seed))

    def uniform(tensor, low, high):
        tensor.uniform_(low, high, generator=generator)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
                if module.bias is not None:
                    uniform(module.bias, -0.1, 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                uniform(module.weight, 0.5, 1.5)
                uniform(module.bias, -0.2, 0.2)
                uniform(module.running_mean, -0.2, 0.2)
                uniform(module.running_var, 0.5, 1.5)
            elif isinstance(module, nn.Linear):
                module.weight.normal_(0.0, 1.0 / math.sqrt(module.in_features), generator=generator)
                if module.bias is not None:
                    uniform(module.bias, -0.1, 0.1)
    model.eval()
    _calibrate(model, random_input(input_size, int(seed) + 1))
    return model


def _calibrate(model, x):
    def rescale(module, inputs, output):
        bias = module.bias
        if bias is not None:
            bias = bias.view(1, -1, *([1] * (output.dim() - 2)))
            output = output - bias
        std = float(output.std())
        if not math.isfinite(std) or std == 0.0:
            return None
        factor = 2.0 ** round(math.log2(std))
        module.weight.div_(factor)
        output = output / factor
        return output if bias is None else output + bias

    layers = (nn.Conv2d, nn.Linear)
    hooks = [m.register_forward_hook(rescale) for m in model.modules() if isinstance(m, layers)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()


def random_model(name, seed=0, num_classes=1000):
    builder, res = lookup(name)
    return randomize(builder(num_classes), seed, res)


def random_input(res, seed=0):
    """x ~ N(0, 1), NCHW (1, 3, res, res), from its own generator (the weights' stream differs).
    res may also be a (C, H, W) tuple, for a network of another input."""
    generator = torch.Generator().manual_seed(int(seed) + 0x5EED)
    channels, height, width = res if isinstance(res, tuple) else (3, res, res)
    return torch.randn(1, channels, height, width, generator=generator)
