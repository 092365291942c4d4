#!/usr/bin/python3
"""A quantized PyTorch state dict (torchvision's quantizable MobileNetV2 / V3-Large, eager-mode
post-training quantization, engine qnnpack or onednn) in joule's quantized format.

export.py --quantized calls convert(); the format is in docs/python-tools.md ("The quantized
format"), the arithmetic that goes with it in docs/quantization-pytorch.md.

Names are those of the float zoo model's tensors: each convolution or Linear at path P gives
P.weight (I8, int_repr of the symmetric weight), P.weight_scale (F32 [out], per channel), P.bias
(F32, BatchNorm folded by fuse_model), P.scale and P.zero_point (F32 and I32 rank 0: the layer's
quantized output). Every zero point is written as int8, quint8 value minus 128.

Not a program: export.py MODEL --quantized FILE -o OUT.safetensors is.
"""

import os

from tool_cli import Failure, UsageError, listing

MODELS = ("mobilenet_v2", "mobilenet_v3_large")
ENGINES = ("qnnpack", "onednn")
U8_OFFSET = 128  # joule stores activations as int8: zero point z (quint8) is written z - 128
# PyTorch's quantized hardsigmoid always outputs scale 1/256, quint8 zero point 0.
HARDSIGMOID_SCALE = 1.0 / 256.0
HARDSIGMOID_ZERO_POINT = 0


def load_state(path):
    """The quantized state dict in `path` (torch.save'd), as name -> tensor or packed params."""
    import torch

    if not os.path.isfile(path):
        raise Failure(f"{path}: no such file")
    try:
        loaded = torch.load(path, map_location="cpu")
    except Exception as error:  # torch.load raises anything from pickle, zipfile or torch itself
        raise Failure(f"{path}: cannot load: {type(error).__name__}: {error}") from None
    if isinstance(loaded, torch.nn.Module):
        # PyTorch 1.13 cannot even take the state dict of an unpickled quantized module (its
        # quantized convolutions come back without their Module fields), so refuse it here.
        raise UsageError(f"{path}: a pickled module; save qmodel.state_dict() instead "
                         "(see docs/python-tools.md, 'Quantized models')")
    if not isinstance(loaded, dict):
        raise Failure(f"{path}: holds a {type(loaded).__name__}, not a state dict")
    return loaded


def is_quantized(state):
    import torch

    for value in state.values():
        if isinstance(value, torch.Tensor) and value.is_quantized:
            return True
        if isinstance(value, tuple) and any(isinstance(v, torch.Tensor) and v.is_quantized for v in value):
            return True
    return False


def add_hardswish_qparams(qmodel, state):
    """Add each quantized Hardswish's output scale and zero point to `state`, under the names
    PyTorch 2 saves them (`<path>.scale`, `<path>.zero_point`); PyTorch 1.13 keeps them out of
    the state dict (pytorch/pytorch#91877), and MobileNetV3 cannot be exported without them."""
    import torch
    from torch.ao.nn.quantized import Hardswish

    for name, module in qmodel.named_modules():
        if isinstance(module, Hardswish):
            state.setdefault(f"{name}.scale", torch.tensor(float(module.scale)))
            state.setdefault(f"{name}.zero_point", torch.tensor(int(module.zero_point)))
    return state


def classes_of(model_name, state):
    """The class count from the quantized classifier's weight, else 1000."""
    key = {"mobilenet_v2": "classifier.1", "mobilenet_v3_large": "classifier.3"}[model_name]
    packed = state.get(f"{key}._packed_params._packed_params")
    if isinstance(packed, tuple) and packed and hasattr(packed[0], "shape") and packed[0].dim() == 2:
        return int(packed[0].shape[0])
    return 1000


class _Converter:
    def __init__(self, path, model_name, state, float_state):
        self.path = path
        self.model_name = model_name
        self.state = state
        self.float_state = float_state
        self.used = set()
        self.missing = []
        self.shapes = []
        self.out = {}
        self.engine_votes = set()

    # -- reading the PyTorch side ------------------------------------------------------------

    def take(self, key, optional=False):
        if key not in self.state:
            if not optional:
                self.missing.append(key)
            return None
        self.used.add(key)
        return self.state[key]

    def fail(self, key, message):
        raise Failure(f"{self.path}: {key}: {message}")

    def float32_value(self, key, value):
        import numpy as np

        as_float = np.float32(value)
        if not (np.isfinite(as_float) and as_float > 0 and float(as_float) == float(value)):
            self.fail(key, f"scale {value!r} is not a positive float32 value")
        return as_float

    def zero_point(self, key, value):
        if not 0 <= value <= 255:
            self.fail(key, f"zero point {value} outside quint8's 0..255 (activations must be quint8)")
        return value - U8_OFFSET

    def output_qparams(self, source, target):
        """source.scale / source.zero_point (rank-0 or one-element tensors) -> target.*"""
        import numpy as np

        scale = self.take(f"{source}.scale")
        zero_point = self.take(f"{source}.zero_point")
        if scale is None or zero_point is None:
            return
        for key, value in ((f"{source}.scale", scale), (f"{source}.zero_point", zero_point)):
            if not hasattr(value, "numel") or value.numel() != 1 or value.is_quantized:
                self.fail(key, f"expected a one-element tensor, got {type(value).__name__}")
        self.out[f"{target}.scale"] = np.array(self.float32_value(f"{source}.scale", float(scale)), np.float32)
        self.out[f"{target}.zero_point"] = np.array(
            self.zero_point(f"{source}.zero_point", int(zero_point)), np.int32)

    def weight(self, key, weight, expected_shape):
        import numpy as np
        import torch

        if not isinstance(weight, torch.Tensor) or not weight.is_quantized:
            self.fail(key, "not a quantized tensor (a float weight in a quantized state dict?)")
        if weight.dtype != torch.qint8:
            self.fail(key, f"weight dtype {weight.dtype}, expected torch.qint8")
        if list(weight.shape) != list(expected_shape):
            self.shapes.append(f"{key} {list(weight.shape)} (model: {list(expected_shape)})")
            return None, None
        scheme = weight.qscheme()
        out_channels = weight.shape[0]
        if scheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            if weight.q_zero_point() != 0:
                self.fail(key, f"weight zero point {weight.q_zero_point()}; joule needs symmetric weights (0)")
            scales = np.full(out_channels, self.float32_value(key, weight.q_scale()), np.float32)
            self.engine_votes.add("qnnpack")
        elif scheme in (torch.per_channel_affine, torch.per_channel_symmetric):
            if weight.q_per_channel_axis() != 0:
                self.fail(key, f"per-channel weight on axis {weight.q_per_channel_axis()}, expected 0")
            if bool((weight.q_per_channel_zero_points() != 0).any()):
                self.fail(key, "nonzero weight zero points; joule needs symmetric weights (0)")
            scales = np.array([self.float32_value(key, float(s)) for s in weight.q_per_channel_scales()],
                              np.float32)
            self.engine_votes.add("onednn")
        else:
            self.fail(key, f"weight quantization scheme {scheme} is not supported")
        return weight.int_repr().numpy().astype(np.int8), scales

    def bias(self, key, bias, out_channels):
        import numpy as np
        import torch

        if bias is None:
            return np.zeros(out_channels, np.float32)
        if not isinstance(bias, torch.Tensor) or bias.is_quantized or not bias.is_floating_point():
            self.fail(key, "expected a float bias")
        if list(bias.shape) != [out_channels]:
            self.shapes.append(f"{key} {list(bias.shape)} (model: [{out_channels}])")
            return None
        return bias.detach().to(torch.float32).numpy().copy()

    # -- the layers ----------------------------------------------------------------------------

    def conv(self, path):
        raw = self.take(f"{path}.weight")
        raw_bias = self.take(f"{path}.bias", optional=True)
        expected = self.float_state[f"{path}.weight"].shape
        if raw is None:
            self.output_qparams(path, path)
            return
        weight, scales = self.weight(f"{path}.weight", raw, expected)
        bias = self.bias(f"{path}.bias", raw_bias, expected[0])
        self.layer(path, path, weight, scales, bias)

    def linear(self, path):
        import torch

        dtype = self.take(f"{path}._packed_params.dtype")
        packed = self.take(f"{path}._packed_params._packed_params")
        if packed is None:
            self.output_qparams(path, path)
            return
        if dtype is not None and dtype != torch.qint8:
            self.fail(f"{path}._packed_params.dtype", f"{dtype}; joule reads qint8 weights (static quantization)")
        if not (isinstance(packed, tuple) and len(packed) == 2):
            self.fail(f"{path}._packed_params._packed_params", "expected a (weight, bias) pair")
        weight, scales = self.weight(f"{path}._packed_params (weight)", packed[0],
                                     self.float_state[f"{path}.weight"].shape)
        bias = self.bias(f"{path}._packed_params (bias)", packed[1], self.float_state[f"{path}.weight"].shape[0])
        self.layer(path, path, weight, scales, bias)

    def layer(self, source, target, weight, scales, bias):
        self.output_qparams(source, target)
        if weight is None or bias is None:
            return
        self.out[f"{target}.weight"] = weight
        self.out[f"{target}.weight_scale"] = scales
        self.out[f"{target}.bias"] = bias

    def fixed_qparams(self, target, scale, zero_point):
        import numpy as np

        self.out[f"{target}.scale"] = np.array(scale, np.float32)
        self.out[f"{target}.zero_point"] = np.array(zero_point - U8_OFFSET, np.int32)


def convert(path, model_name, state, engine=None):
    """(tensors: name -> numpy array, metadata, notes) for a quantized state dict of model_name.

    Raises Failure naming the keys that do not fit (missing, unexpected, wrong shape) and
    UsageError for a float state dict or a model other than MODELS.
    """
    import torch
    from torch import nn
    from torchvision.models.mobilenetv2 import InvertedResidual as V2Block
    from torchvision.models.mobilenetv3 import InvertedResidual as V3Block
    from torchvision.ops.misc import SqueezeExcitation

    import joule_models

    if model_name not in MODELS:
        raise UsageError(f"--quantized supports {' and '.join(MODELS)}, not {model_name}")
    if not is_quantized(state):
        raise UsageError(f"{path}: not a quantized state dict (no quantized tensors); "
                         "float weights go with --state-dict")
    bad = [key for key, value in state.items()
           if not isinstance(value, (torch.Tensor, tuple, torch.dtype)) and value is not None]
    if bad:
        raise Failure(f"{path}: {bad[0]}: holds {type(state[bad[0]]).__name__}, not a tensor")
    classes = classes_of(model_name, state)
    float_model = joule_models.build(model_name, classes)
    converter = _Converter(path, model_name, state, float_model.state_dict())

    converter.output_qparams("quant", "quant")
    modules = dict(float_model.named_modules())
    unused_skip_adds = 0
    for name, module in float_model.named_modules():
        if isinstance(module, nn.Conv2d):
            converter.conv(name)
        elif isinstance(module, nn.Linear):
            converter.linear(name)
        elif isinstance(module, nn.Hardswish):
            parent, _, index = name.rpartition(".")
            previous = modules.get(f"{parent}.{int(index) - 1}") if parent else None
            # After a Linear (MobileNetV3's classifier.1) it is that layer's activation; after a
            # convolution it keeps its own path, the part "2" of a Conv2dNormActivation.
            target = f"{parent}.{int(index) - 1}.activation" if isinstance(previous, nn.Linear) else name
            converter.output_qparams(name, target)
        elif isinstance(module, SqueezeExcitation):
            converter.output_qparams(f"{name}.skip_mul", f"{name}.skip_mul")
            converter.fixed_qparams(f"{name}.scale_activation", HARDSIGMOID_SCALE, HARDSIGMOID_ZERO_POINT)
        elif isinstance(module, (V2Block, V3Block)):
            if module.use_res_connect:
                converter.output_qparams(f"{name}.skip_add", f"{name}.skip_add")
            else:
                # Never ran: PyTorch keeps its default 1.0 / 0. Known, and left out.
                for key in (f"{name}.skip_add.scale", f"{name}.skip_add.zero_point"):
                    if converter.take(key, optional=True) is not None:
                        unused_skip_adds += 1

    unexpected = [key for key in state if key not in converter.used]
    if converter.missing or unexpected or converter.shapes:
        hardswish = [key for key in converter.missing if _is_hardswish_key(key, modules)]
        if hardswish and len(hardswish) == len(converter.missing) and not unexpected and not converter.shapes:
            raise Failure(
                f"{path}: no output scale and zero point for {len(hardswish) // 2} Hardswish layers "
                f"({listing('missing keys', hardswish)}): PyTorch 1.13 leaves a quantized Hardswish's "
                "scale and zero point out of its state dict (pytorch/pytorch#91877); add them as "
                "buffers before saving (docs/python-tools.md, 'Quantized models')")
        parts = []
        if converter.missing:
            parts.append(listing("missing keys", converter.missing))
        if unexpected:
            parts.append(listing("unexpected keys", unexpected))
        if converter.shapes:
            parts.append(listing("wrong shapes", converter.shapes))
        raise Failure(f"{path}: not a quantized {model_name} ({classes} classes): " + "; ".join(parts))

    inferred = None
    if len(converter.engine_votes) == 1:
        inferred = converter.engine_votes.pop()
    if engine is None:
        if inferred is None:
            raise UsageError(f"{path}: per-tensor and per-channel weights mixed; say which engine with --engine")
        engine = inferred
    metadata = {
        "format": "pt",
        "joule.model": model_name,
        "joule.classes": str(classes),
        "joule.resolution": str(joule_models.resolution(model_name)),
        "joule.quantized": "int8",
        "joule.engine": engine,
        "joule.source": f"quantized state dict {os.path.basename(path)}",
    }
    if model_name == "mobilenet_v2":
        # torchvision's quantizable MobileNetV2 replaces every ReLU6 with ReLU before quantizing.
        metadata["joule.relu6"] = "relu"
    notes = {"classes": classes, "engine": engine, "inferred_engine": inferred,
             "unused_skip_adds": unused_skip_adds // 2}
    return converter.out, metadata, notes


def _is_hardswish_key(key, modules):
    from torch import nn

    owner, _, leaf = key.rpartition(".")
    return leaf in ("scale", "zero_point") and isinstance(modules.get(owner), nn.Hardswish)
