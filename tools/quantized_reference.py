#!/usr/bin/python3
"""PyTorch 1.13's int8 MobileNetV2 / MobileNetV3-Large arithmetic in NumPy, as an executable spec.

  quantized_reference.py Q.safetensors --input X.npy --output Y.npy [--engine qnnpack|onednn]
      [--accumulation auto|exact|int16-pairs] [--aten-capability auto|default|avx2|avx512]
      [--expected E.npy]

Runs a file in joule's quantized format (export.py --quantized writes it) on an NHWC float32
input and writes the dequantized output, float32 (1, classes). Every operation follows what
PyTorch 1.13 computes on the chosen engine, found by experiment and written down op by op in
docs/quantization-pytorch.md; each function below names the section it implements. The output
equals PyTorch's quantized model bit for bit (same integers), when the options describe the
machine PyTorch ran on:

  --accumulation   onednn only. On a CPU without VNNI, oneDNN's u8 x s8 convolutions and linear
                   layers add each pair of products in int16 with saturation (vpmaddubsw), so
                   a few accumulators differ from the exact sum. auto: int16-pairs unless
                   /proc/cpuinfo lists avx512_vnni or avx_vnni (or ONEDNN_MAX_CPU_ISA says).
  --aten-capability  the ISA of ATen's element-wise quantized kernels (add, hardswish and
                   hardsigmoid on onednn): their vector part dequantizes with an FMA, the last
                   n mod 64 (avx2) or n mod 128 (avx512) elements without. auto: as ATen picks
                   it ($ATEN_CPU_CAPABILITY, else avx2 if the CPU has AVX2 and FMA; PyTorch 1.13
                   uses AVX-512 only when that variable asks for it).

With --expected (PyTorch's output, dequantized float32), the quantized outputs are compared:
exit 1 unless every element is the same integer. Activations are int8 in joule's convention
(PyTorch's quint8 value minus 128, zero points too); where PyTorch's float arithmetic sees the
quint8 numbers themselves, the code adds 128 back, and says so.

Exit status: 0 success, 2 usage error, 1 any other error (a mismatch included); errors are one
line on stderr.
"""

import os
import sys
import time

# One BLAS thread: the matrix products below are exact float64 sums, and the machine is shared.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "quantized_reference.py"
F32 = np.float32
ENGINES = ("qnnpack", "onednn")
ACCUMULATIONS = ("exact", "int16-pairs")
CAPABILITIES = ("default", "avx2", "avx512")
# Elements per iteration of ATen's vectorized loop: two Vectorized<quint8> (32 or 64 lanes).
ATEN_VECTOR_BLOCK = {"default": 0, "avx2": 64, "avx512": 128}
U8_OFFSET = 128  # joule int8 value = PyTorch quint8 value - 128

# MobileNetV2 (torchvision 0.14): the stride of each inverted residual, features.1 ... 17.
V2_STRIDES = (1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1)
# MobileNetV3-Large: (stride, hardswish?) of each block, features.1 ... 15 (torchvision's table).
V3_LARGE_BLOCKS = ((1, False), (2, False), (1, False), (2, False), (1, False), (1, False),
                   (2, True), (1, True), (1, True), (1, True), (1, True), (1, True),
                   (2, True), (1, True), (1, True))
MODELS = ("mobilenet_v2", "mobilenet_v3_large")


class Options:
    def __init__(self, engine, accumulation="exact", capability="avx2"):
        if engine not in ENGINES:
            raise UsageError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
        self.engine = engine
        self.accumulation = accumulation if engine == "onednn" else "exact"
        self.capability = capability
        self.vector_block = ATEN_VECTOR_BLOCK[capability]

    def describe(self):
        if self.engine == "onednn":
            return f"onednn ({self.accumulation} accumulation, ATen {self.capability})"
        return "qnnpack"


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def detect_accumulation():
    """What oneDNN 2.6 does on this CPU: exact int32 sums with VNNI, int16 pairs without."""
    limit = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").upper()
    if limit and limit != "ALL":
        return "exact" if "VNNI" in limit or "AMX" in limit else "int16-pairs"
    flags = _cpu_flags()
    return "exact" if flags & {"avx512_vnni", "avx_vnni"} else "int16-pairs"


def detect_capability():
    """ATen's CPU capability as PyTorch 1.13 chooses it for its vectorized kernels: AVX512 only
    when $ATEN_CPU_CAPABILITY asks for it (the default stopped at AVX2 in 1.12, pytorch#80253),
    else AVX2 on a CPU with AVX2 and FMA."""
    forced = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if forced in CAPABILITIES:
        return forced
    return "avx2" if {"avx2", "fma"} <= _cpu_flags() else "default"


# ---------------------------------------------------------------------------------------------
# Float helpers. NumPy float32 arithmetic is IEEE single precision, one rounding per operation,
# round to nearest even, never contracted into an FMA: the same as the C++ compilers produced
# for PyTorch's x86-64 kernels, except where a kernel calls an FMA itself (fma32 below).

def _recip(value):
    return F32(1) / F32(value)


def _rint(values):
    """Round half to even, as cvtps2dq, nearbyint and lrintf do in the default rounding mode."""
    return np.rint(values)


def fma32(a, b, c):
    """float32 a * b + c with one rounding (vfmadd), for a a scale, b a quint8 value (an integer
    in 0..255) and c = float32(a * -z) with z in 0..255.

    Exact through float64: a * b and c are both multiples of ulp(a) (c because |a * z| >= |a|
    when z > 0) and both below 2^9 |a|, so their sum has at most 34 significant bits; float64
    holds it exactly and the only rounding is the final one to float32.
    """
    wide = np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)
    return wide.astype(F32)


def _clamp8(values, low=-128):
    return np.clip(values, low, 127).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# Quantized tensors: int8 values (NHWC) with their scale and int8 zero point.

class QTensor:
    def __init__(self, values, scale, zero_point):
        self.values = values            # int32 array holding int8 values
        self.scale = F32(scale)
        self.zero_point = int(zero_point)

    @property
    def u8_zero_point(self):
        return self.zero_point + U8_OFFSET


def quantize_input(x, scale, zero_point):
    """docs: "Input". q = clamp(rint(x * (1/s)) + z); 1/s is a float32 division."""
    q = _rint(np.asarray(x, F32) * _recip(scale)) + zero_point
    return QTensor(_clamp8(q), scale, zero_point)


def dequantize(q):
    return (q.values - q.zero_point).astype(F32) * q.scale


class Layer:
    """A convolution or linear layer of the file: weight int8, per-channel scale, float bias."""

    def __init__(self, tensors, prefix):
        def get(name):
            key = f"{prefix}.{name}"
            if key not in tensors:
                raise Failure(f"missing tensor {key}")
            return tensors[key]

        self.prefix = prefix
        self.weight = get("weight").astype(np.int32)
        self.weight_scale = get("weight_scale").astype(F32)
        self.bias = get("bias").astype(F32)
        self.scale = F32(get("scale"))
        self.zero_point = int(get("zero_point"))
        # Pairs of weights that can saturate an int16 sum: |x| <= 255 bounds a pair's sum by
        # 255 (|w_a| + |w_b|), which stays within int16 unless |w_a| + |w_b| >= 129.
        self._risky = None


def _requantize(acc, layer, x, relu, options):
    """docs: "Convolution and linear layer": int32 accumulators (bias not included) to int8."""
    out_channels = layer.weight.shape[0]
    shape = (1,) * (acc.ndim - 1) + (out_channels,)
    ws = layer.weight_scale.reshape(shape)
    in_s, out_s, z = x.scale, layer.scale, layer.zero_point
    if options.engine == "qnnpack":
        # Bias to int32 with quantize_per_tensor's formula, scale ws * is (float32 product).
        bias_q = _rint(layer.bias.reshape(shape) * (F32(1) / (ws * in_s)))
        total = acc + bias_q.astype(np.int64)
        multiplier = (ws * in_s) * _recip(out_s)
        q = _rint(total.astype(F32) * multiplier) + z
        return _clamp8(q, z if relu else -128)
    # oneDNN through ideep: reciprocal scales; the bias stays float, in accumulator units.
    bias_scale = _recip(in_s) * (F32(1) / ws)
    multiplier = _recip(out_s) / bias_scale
    value = (acc.astype(F32) + layer.bias.reshape(shape) * bias_scale) * multiplier
    if relu:
        value = np.maximum(value, F32(0))
    # The zero point is added in float before rounding, as quint8: z + 128, not z.
    q = _rint(np.clip(value + F32(z + U8_OFFSET), 0, 255)) - U8_OFFSET
    return q.astype(np.int32)


def _pair_correction(patches, weight_rows, layer):
    """docs: "oneDNN without VNNI": sum of (sat16(p) - p) over the weight pairs that saturate.

    patches: (pixels, K) quint8 values (joule int8 + 128, 0 where the input is padding);
    weight_rows: (O, K) int8 weights with K in oneDNN's order (per tap, input channels, padded
    to a multiple of 4 with zeros). Pairs are (2j, 2j+1).
    """
    if layer._risky is None:
        k = weight_rows.shape[1]
        pad = -k % 4
        rows = np.pad(weight_rows, ((0, 0), (0, pad)))
        a, b = rows[:, 0::2], rows[:, 1::2]
        out_index, pair_index = np.nonzero(np.abs(a) + np.abs(b) >= 129)
        layer._risky = (out_index, pair_index, a[out_index, pair_index], b[out_index, pair_index], pad)
    out_index, pair_index, wa, wb, pad = layer._risky
    correction = np.zeros((patches.shape[0], weight_rows.shape[0]), np.int64)
    if len(out_index) == 0:
        return correction
    padded = np.pad(patches, ((0, 0), (0, pad))).astype(np.int64)
    sums = padded[:, 2 * pair_index] * wa + padded[:, 2 * pair_index + 1] * wb
    excess = np.clip(sums, -32768, 32767) - sums
    for o in np.unique(out_index[np.any(excess != 0, axis=0)]):
        correction[:, o] = excess[:, out_index == o].sum(axis=1)
    return correction


def _matmul_exact(a, b):
    # float64 products and sums of int8 x int9 values stay below 2^53: exact.
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def conv2d(x, layer, stride, relu, options):
    """A quantized convolution (BatchNorm folded, ReLU fused when relu) on NHWC x."""
    out_channels, in_per_group, kh, kw = layer.weight.shape
    h, w, c = x.values.shape
    pad = (kh - 1) // 2
    ho, wo = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    centered = np.pad(x.values - x.zero_point, ((pad, pad), (pad, pad), (0, 0)))
    taps = [(i, j) for i in range(kh) for j in range(kw)]

    def window(array, i, j):
        return array[i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]

    if in_per_group == 1 and c > 1:  # depthwise: oneDNN's kernel multiplies in int32 (exact)
        acc = np.zeros((ho, wo, c), np.int64)
        for i, j in taps:
            acc += window(centered, i, j).astype(np.int64) * layer.weight[:, 0, i, j]
        return QTensor(_requantize(acc, layer, x, relu, options), layer.scale, layer.zero_point)
    if in_per_group != c:
        raise Failure(f"{layer.prefix}: grouped convolution with {c // in_per_group} groups is not supported")

    # Rows ordered (tap, input channel); oneDNN pads each tap's channels to a multiple of 4.
    patches = np.concatenate([window(centered, i, j).reshape(ho * wo, c) for i, j in taps], axis=1)
    rows = layer.weight.transpose(0, 2, 3, 1).reshape(out_channels, kh * kw * c)
    acc = _matmul_exact(patches, rows.T)
    if options.accumulation == "int16-pairs":
        raw = np.pad(x.values + U8_OFFSET, ((pad, pad), (pad, pad), (0, 0)))  # padding reads 0
        group = -c % 4
        raw_patches = np.concatenate(
            [np.pad(window(raw, i, j).reshape(ho * wo, c), ((0, 0), (0, group))) for i, j in taps], axis=1)
        padded_rows = np.concatenate(
            [np.pad(layer.weight[:, :, i, j], ((0, 0), (0, group))) for i, j in taps], axis=1)
        acc += _pair_correction(raw_patches, padded_rows, layer)
    out = _requantize(acc.reshape(ho, wo, out_channels), layer, x, relu, options)
    return QTensor(out, layer.scale, layer.zero_point)


def linear(x, layer, options):
    """A quantized Linear on a vector x (the flattened pooled features)."""
    centered = (x.values - x.zero_point).reshape(1, -1)
    acc = _matmul_exact(centered, layer.weight.T)
    if options.accumulation == "int16-pairs":
        acc += _pair_correction((x.values + U8_OFFSET).reshape(1, -1), layer.weight, layer)
    out = _requantize(acc.reshape(-1), layer, x, False, options)
    return QTensor(out, layer.scale, layer.zero_point)


def _aten_dequantize(q, block):
    """docs: "ATen element-wise kernels": the vector part dequantizes as fma(s, q, s * -z) on the
    quint8 numbers, the remaining n mod block elements (memory order) as (q - z) * s."""
    flat = q.values.reshape(-1)
    n = flat.size
    head = (n // block) * block if block else 0
    out = np.empty(n, F32)
    u8 = (flat + U8_OFFSET).astype(F32)
    out[:head] = fma32(q.scale, u8[:head], q.scale * F32(-q.u8_zero_point))
    out[head:] = (flat[head:] - q.zero_point).astype(F32) * q.scale
    return out.reshape(q.values.shape)


def add(a, b, scale, zero_point, options):
    """docs: "Residual add" (QFunctional.add of the block's input a and its body's output b)."""
    if options.engine == "qnnpack":
        # QNNPACK's q8add: fixed-point multipliers of 2^shift, shift from the larger scale ratio.
        a_ratio = F32(a.scale / F32(scale))
        b_ratio = F32(b.scale / F32(scale))
        exponent = int(np.array([max(a_ratio, b_ratio)], F32).view(np.uint32)[0] >> 23) - 127
        shift = 21 - exponent
        if not 13 <= shift <= 31:
            raise Failure(f"add: scale ratio {max(a_ratio, b_ratio)} outside QNNPACK's range")
        multiplier = F32(2.0 ** shift)
        a_mult = int(_rint(a_ratio * multiplier))
        b_mult = int(_rint(b_ratio * multiplier))
        acc = (a.values - a.zero_point).astype(np.int64) * a_mult + (b.values - b.zero_point).astype(np.int64) * b_mult
        mask = (1 << shift) - 1
        remainder = (acc & mask) - (acc < 0)
        rounded = (acc >> shift) + (remainder > (mask >> 1))  # half away from zero
        return QTensor(_clamp8(rounded + zero_point), scale, zero_point)
    total = _aten_dequantize(a, options.vector_block) + _aten_dequantize(b, options.vector_block)
    q = _rint(total * _recip(scale)) + zero_point
    return QTensor(_clamp8(q), scale, zero_point)


def mul(gate, x, scale, zero_point):
    """docs: "Squeeze-excite multiply" (QFunctional.mul), gate (C,) broadcast over x (H, W, C).
    Both engines: rint(float(product) * ((s_a * s_b) * (1/s_out))) + z."""
    product = (gate.values - gate.zero_point).reshape(1, 1, -1) * (x.values - x.zero_point)
    multiplier = (gate.scale * x.scale) * _recip(scale)
    q = _rint(product.astype(F32) * multiplier) + zero_point
    return QTensor(_clamp8(q), scale, zero_point)


def global_average_pool(x, options):
    """docs: "Global average pooling": an int32 sum of (q - z), then rint(float(sum) * m) + z;
    the output keeps the input's scale and zero point (s_in = s_out = s).
    qnnpack (QNNPACK's global average pooling): m = s / (s * n).
    onednn (ATen's channels-last kernel): m = (s / s) / n, applied as * (1 / (1 / m))."""
    h, w, c = x.values.shape
    n = h * w
    acc = (x.values - x.zero_point).reshape(n, c).sum(axis=0).astype(F32)
    if options.engine == "qnnpack":
        q = _rint(acc * (x.scale / (x.scale * F32(n)))) + x.zero_point
    else:
        multiplier = (x.scale / x.scale) / F32(n)
        q = _rint(acc * _recip(_recip(multiplier))) + x.zero_point
    return QTensor(_clamp8(q), x.scale, x.zero_point)


def _hard_gate(x):
    return np.minimum(np.maximum(x + F32(3), F32(0)), F32(6))


def hardswish(x, scale, zero_point, options):
    """docs: "Hardswish": x * min(max(x + 3, 0), 6) / 6, evaluated in float32."""
    if options.engine == "qnnpack":
        # A 256-entry table over quint8 inputs; zero point added in float before lrintf.
        codes = np.arange(256)
        value = x.scale * (codes - x.u8_zero_point).astype(F32)
        y = value * _hard_gate(value) / F32(6)
        table = _rint(np.clip(_recip(scale) * y + F32(zero_point + U8_OFFSET), 0, 255)) - U8_OFFSET
        return QTensor(table.astype(np.int32)[x.values + U8_OFFSET], scale, zero_point)
    value = _aten_dequantize(x, options.vector_block)
    y = value * _hard_gate(value) / F32(6)
    q = _rint(y * _recip(scale)) + zero_point
    return QTensor(_clamp8(q), scale, zero_point)


# PyTorch's quantized hardsigmoid has fixed output parameters: scale 1/256, quint8 zero point 0.
HARDSIGMOID_SCALE = F32(1.0 / 256.0)
HARDSIGMOID_ZERO_POINT = -128


def hardsigmoid(x, options):
    """docs: "Hardsigmoid": min(max(x + 3, 0), 6) / 6 into scale 1/256, zero point 0 (quint8)."""
    if options.engine == "qnnpack":
        codes = np.arange(256)
        value = x.scale * (codes - x.u8_zero_point).astype(F32)
        table = _rint(np.clip(_recip(HARDSIGMOID_SCALE) * (_hard_gate(value) / F32(6)), 0, 255)) - U8_OFFSET
        values = table.astype(np.int32)[x.values + U8_OFFSET]
    else:
        value = _aten_dequantize(x, options.vector_block)
        values = _clamp8(_rint(_hard_gate(value) / F32(6) * _recip(HARDSIGMOID_SCALE)) - U8_OFFSET)
    return QTensor(values, HARDSIGMOID_SCALE, HARDSIGMOID_ZERO_POINT)


# ---------------------------------------------------------------------------------------------
# The two networks, walked by the names of joule's quantized format.

class Network:
    def __init__(self, tensors, options):
        self.tensors = tensors
        self.options = options
        self.layers = {}

    def layer(self, prefix):
        if prefix not in self.layers:
            self.layers[prefix] = Layer(self.tensors, prefix)
        return self.layers[prefix]

    def qparams(self, prefix):
        try:
            return F32(self.tensors[f"{prefix}.scale"]), int(self.tensors[f"{prefix}.zero_point"])
        except KeyError as error:
            raise Failure(f"missing tensor {error.args[0]}") from None

    def has(self, prefix):
        return f"{prefix}.weight" in self.tensors

    def conv(self, x, prefix, stride, activation):
        """activation: None, 'relu' (fused) or 'hardswish' (its own output at the parent's .2)."""
        y = conv2d(x, self.layer(prefix), stride, activation == "relu", self.options)
        if activation == "hardswish":
            parent = prefix.rsplit(".", 1)[0]
            y = hardswish(y, *self.qparams(f"{parent}.2"), self.options)
        return y

    def residual(self, prefix, x, y):
        return add(x, y, *self.qparams(f"{prefix}.skip_add"), self.options)

    def squeeze_excite(self, x, prefix):
        pooled = global_average_pool(x, self.options)
        vector = QTensor(pooled.values.reshape(1, 1, -1), pooled.scale, pooled.zero_point)
        hidden = conv2d(vector, self.layer(f"{prefix}.fc1"), 1, True, self.options)
        gate = conv2d(hidden, self.layer(f"{prefix}.fc2"), 1, False, self.options)
        gate = hardsigmoid(QTensor(gate.values.reshape(-1), gate.scale, gate.zero_point), self.options)
        scale, zero_point = self.qparams(f"{prefix}.scale_activation")
        if (scale, zero_point) != (gate.scale, gate.zero_point):
            raise Failure(f"{prefix}.scale_activation: scale {scale} zero point {zero_point}; "
                          f"PyTorch's quantized hardsigmoid always gives 1/256 and {HARDSIGMOID_ZERO_POINT}")
        return mul(gate, x, *self.qparams(f"{prefix}.skip_mul"))

    def classify(self, x, layers):
        pooled = global_average_pool(x, self.options)
        for prefix, activation in layers:
            pooled = linear(pooled, self.layer(prefix), self.options)
            if activation:
                pooled = hardswish(pooled, *self.qparams(f"{prefix}.activation"), self.options)
        return pooled


def run_mobilenet_v2(net, x):
    x = net.conv(x, "features.0.0", 2, "relu")
    for index, stride in enumerate(V2_STRIDES, start=1):
        block = f"features.{index}"
        y = x
        if net.has(f"{block}.conv.2"):  # expansion, depthwise, projection (else no expansion)
            y = net.conv(y, f"{block}.conv.0.0", 1, "relu")
            y = net.conv(y, f"{block}.conv.1.0", stride, "relu")
            y = net.conv(y, f"{block}.conv.2", 1, None)
        else:
            y = net.conv(y, f"{block}.conv.0.0", stride, "relu")
            y = net.conv(y, f"{block}.conv.1", 1, None)
        if stride == 1 and y.values.shape == x.values.shape:
            y = net.residual(block, x, y)
        x = y
    x = net.conv(x, "features.18.0", 1, "relu")
    return net.classify(x, [("classifier.1", False)])


def run_mobilenet_v3_large(net, x):
    x = net.conv(x, "features.0.0", 2, "hardswish")
    for index, (stride, uses_hardswish) in enumerate(V3_LARGE_BLOCKS, start=1):
        block = f"features.{index}"
        activation = "hardswish" if uses_hardswish else "relu"
        parts = sorted({int(name.split(".")[3]) for name in net.tensors
                        if name.startswith(f"{block}.block.")})
        y = x
        for position, part in enumerate(parts):
            prefix = f"{block}.block.{part}"
            if f"{prefix}.fc1.weight" in net.tensors:
                y = net.squeeze_excite(y, prefix)
            elif position == len(parts) - 1:
                y = net.conv(y, f"{prefix}.0", 1, None)  # projection
            else:
                depthwise = net.layer(f"{prefix}.0").weight.shape[2] > 1
                y = net.conv(y, f"{prefix}.0", stride if depthwise else 1, activation)
        if stride == 1 and y.values.shape == x.values.shape:
            y = net.residual(block, x, y)
        x = y
    x = net.conv(x, "features.16.0", 1, "hardswish")
    return net.classify(x, [("classifier.0", True), ("classifier.3", False)])


RUNNERS = {"mobilenet_v2": run_mobilenet_v2, "mobilenet_v3_large": run_mobilenet_v3_large}


def run(tensors, metadata, x_nhwc, options):
    """The quantized output (QTensor of shape (classes,)) for an NHWC float input."""
    model = metadata.get("joule.model")
    if model not in RUNNERS:
        raise Failure(f"joule.model is {model!r}; this reference runs {', '.join(MODELS)}")
    if metadata.get("joule.quantized") != "int8":
        raise Failure("not a quantized file (metadata joule.quantized is not int8)")
    x = np.asarray(x_nhwc, F32)
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise Failure(f"input batch {x.shape[0]}: one image at a time")
        x = x[0]
    if x.ndim != 3 or x.shape[2] != 3:
        raise Failure(f"input shape {list(np.shape(x_nhwc))}: expected (1, H, W, 3) or (H, W, 3)")
    net = Network(tensors, options)
    scale, zero_point = net.qparams("quant")
    return RUNNERS[model](net, quantize_input(x, scale, zero_point))


def requantize_expected(expected, scale, zero_point):
    """PyTorch's dequantized output back to joule int8 values: (q - z) * s is within an ulp."""
    return _clamp8(_rint(np.asarray(expected, np.float64) / float(scale)) + zero_point)


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", metavar="Q.safetensors", help="joule's quantized format (export.py --quantized)")
    parser.add_argument("--input", required=True, metavar="X.npy", help="float32 NHWC (1, H, W, 3)")
    parser.add_argument("--output", metavar="Y.npy", help="dequantized output, float32 (1, classes)")
    parser.add_argument("--engine", choices=ENGINES, help="default: the file's joule.engine")
    parser.add_argument("--accumulation", choices=("auto",) + ACCUMULATIONS, default="auto",
                        help="onednn's int32 sums (default auto: this CPU's)")
    parser.add_argument("--aten-capability", choices=("auto",) + CAPABILITIES, default="auto",
                        help="ISA of ATen's element-wise kernels (default auto: this CPU's)")
    parser.add_argument("--expected", metavar="E.npy", help="PyTorch's output: compare the integers")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import safetensors_file

        started = time.perf_counter()
        try:
            tensors, metadata = safetensors_file.load_numpy(args.weights)
            x = np.load(args.input)
            expected = np.load(args.expected) if args.expected else None
        except (OSError, ValueError, safetensors_file.FormatError) as error:
            raise Failure(f"cannot read: {error}") from None
        engine = args.engine or metadata.get("joule.engine")
        if engine not in ENGINES:
            raise UsageError(f"{args.weights}: no joule.engine in the metadata; pass --engine")
        accumulation = detect_accumulation() if args.accumulation == "auto" else args.accumulation
        capability = detect_capability() if args.aten_capability == "auto" else args.aten_capability
        options = Options(engine, accumulation, capability)
        result = run(tensors, metadata, x, options)
        y = dequantize(result).reshape(1, -1)
        if args.output:
            try:
                np.save(args.output, y)
            except OSError as error:
                raise Failure(f"cannot write {args.output}: {error.strerror or error}") from None
        line = (f"{metadata['joule.model']} {options.describe()}: output scale {float(result.scale):.6g} "
                f"zero point {result.zero_point}")
        status = tool_cli.EXIT_OK
        if expected is not None:
            if expected.size != y.size:
                raise Failure(f"{args.expected}: {expected.size} values, the model gives {y.size}")
            want = requantize_expected(expected.reshape(-1), result.scale, result.zero_point)
            equal = int((want == result.values).sum())
            steps = int(np.abs(want - result.values).max())
            line += f"; equal to expected: {equal}/{y.size} (max difference {steps} steps)"
            if equal != y.size:
                status = tool_cli.EXIT_FAILURE
        print(f"{line} ({time.perf_counter() - started:.2f}s)")
        return status
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
