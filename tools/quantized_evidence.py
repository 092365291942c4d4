#!/usr/bin/python3
"""The experiments behind docs/quantization-pytorch.md, to run again on another machine.

  quantized_evidence.py ops [--engine qnnpack|onednn] [--trials N]
  quantized_evidence.py model MODEL --engine qnnpack|onednn [--seed S] [--calibration-batches N]

ops: each quantized op of PyTorch 1.13 on data chosen to tell candidate formulas apart (exact
halves, values one float32 step from a rounding boundary, all 256 codes), one line per op and
candidate: how many output integers the candidate got right. The first candidate of each op is
the formula quantized_reference.py implements; the others are the plausible alternatives it was
told apart from.

model: golden_quantized's model for the seed, run by PyTorch with every intermediate tensor
recorded and by quantized_reference.py, compared tensor by tensor (each reference op on the
reference's own inputs, so a difference would propagate); then, on onednn, each convolution and
linear layer again on PyTorch's own input with exact int32 sums, to show what oneDNN's int16
pairs change on this CPU.

Not part of CI (a minute or two per run). Exit status: 0 when the implemented formulas agreed
everywhere, 1 otherwise, 2 usage error.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "quantized_evidence.py"


class Tally:
    """Agreement counts per (op, candidate); the first candidate of an op is the implemented one."""

    def __init__(self):
        self.counts = {}

    def add(self, op, candidate, predicted, actual):
        import numpy as np

        agreed, total = self.counts.get((op, candidate), (0, 0))
        self.counts[(op, candidate)] = (agreed + int((np.asarray(predicted) == np.asarray(actual)).sum()),
                                        total + int(np.asarray(actual).size))

    def report(self):
        ok = True
        first = {}
        for op, candidate in self.counts:
            first.setdefault(op, candidate)
        for (op, candidate), (agreed, total) in self.counts.items():
            implemented = first[op] == candidate
            ok &= not implemented or agreed == total
            mark = "implemented" if implemented else "alternative"
            print(f"{op:34s} {mark:11s} {agreed:>9,}/{total:<9,} {candidate}")
        return ok


def _probe_ops(engine, trials, tally):
    import numpy as np
    import torch
    import torch.ao.nn.quantized as nnq

    import quantized_reference as ref

    f32 = np.float32
    rng = np.random.default_rng(5)
    torch.backends.quantized.engine = engine
    options = ref.Options(engine, ref.detect_accumulation(), ref.detect_capability())
    recip = ref._recip
    per_channel = engine == "onednn"

    def qtensor(codes, scale, zero_point):
        return torch._make_per_tensor_quantized_tensor(torch.from_numpy(np.asarray(codes, np.uint8)),
                                                       float(scale), int(zero_point))

    def conv1x1(weights, scales, bias, out_scale, out_zero):
        out = len(weights)
        w = torch.from_numpy(np.asarray(weights, np.int8).reshape(out, 1, 1, 1))
        if per_channel:
            qw = torch._make_per_channel_quantized_tensor(w, torch.from_numpy(np.float64(scales)),
                                                          torch.zeros(out, dtype=torch.long), 0)
        else:
            qw = torch._make_per_tensor_quantized_tensor(w, float(scales[0]), 0)
        m = nnq.Conv2d(1, out, 1)
        m.set_weight_bias(qw, torch.from_numpy(np.asarray(bias, f32)))
        m.scale, m.zero_point = float(out_scale), int(out_zero)
        return m

    # Input quantization: x * (1/s) against x / s, on exact halves.
    for _ in range(trials):
        s = f32(rng.uniform(0.001, 0.1))
        z = int(rng.integers(0, 256))
        x = ((rng.integers(-300, 300, 3000) + 0.5) * s).astype(f32)
        x[::2] = (rng.standard_normal(1500) * 3).astype(f32)
        want = torch.quantize_per_tensor(torch.from_numpy(x), float(s), z, torch.quint8).int_repr().numpy()
        tally.add(f"{engine} quantize_per_tensor", "rint(x * (1/s)) + z", np.clip(np.rint(x * recip(s)) + z, 0, 255), want)
        tally.add(f"{engine} quantize_per_tensor", "rint(x / s) + z", np.clip(np.rint(x / s) + z, 0, 255), want)

    # Convolution bias and multiplier: with the input at its zero point the accumulator is the
    # bias alone, so each output shows how the bias was taken; biases are drawn where the
    # candidates disagree.
    for _ in range(trials):
        out = 64
        ws = rng.uniform(0.0005, 0.01, out).astype(f32)
        if not per_channel:
            ws[:] = ws[0]
        in_s, out_s = f32(rng.uniform(0.005, 0.05)), f32(rng.uniform(0.01, 0.2))
        z_in, z_out = (int(v) for v in rng.integers(0, 256, 2))
        if engine == "qnnpack":
            candidates = {
                "rint(rint(b * (1/(ws*is))) * ((ws*is) * (1/os))) + z":
                    lambda b, w: np.rint(np.rint(b * (f32(1) / (w * in_s))).astype(f32) * ((w * in_s) * recip(out_s))) + z_out,
                "rint(rint(b / (ws*is)) * (ws*is/os)) + z":
                    lambda b, w: np.rint(np.rint(b / (w * in_s)).astype(f32) * (w * in_s / out_s)) + z_out,
                "rint(b * (1/os)) + z (bias kept float)": lambda b, w: np.rint(b * recip(out_s)) + z_out,
            }
        else:
            candidates = {
                "rint(b * ((1/is)*(1/ws)) * ((1/os) / ((1/is)*(1/ws))) + z)":
                    lambda b, w: np.rint(b * (recip(in_s) * (f32(1) / w)) * (recip(out_s) / (recip(in_s) * (f32(1) / w))) + f32(z_out)),
                "rint(rint(b * (1/(ws*is))) * ((ws*is) * (1/os))) + z":
                    lambda b, w: np.rint(np.rint(b * (f32(1) / (w * in_s))).astype(f32) * ((w * in_s) * recip(out_s))) + z_out,
                "rint(b / (ws*is) * (ws*is/os) + z)":
                    lambda b, w: np.rint(b / (w * in_s) * (w * in_s / out_s) + f32(z_out)),
            }
        bias = np.zeros(out, f32)
        for channel in range(out):
            draws = (rng.uniform(-120, 120, 4000) * float(out_s)).astype(f32)
            outs = np.array([f(draws, ws[channel]) for f in candidates.values()])
            split = np.nonzero((outs != outs[0]).any(axis=0))[0]
            bias[channel] = draws[split[0]] if len(split) else draws[0]
        m = conv1x1(rng.integers(-127, 128, out), ws, bias, out_s, z_out)
        want = m(qtensor(np.full((1, 1, 1, 1), z_in), in_s, z_in)).int_repr().numpy().reshape(-1)
        for name, f in candidates.items():
            tally.add(f"{engine} conv bias and multiplier", name, np.clip(f(bias, ws), 0, 255), want)

    # Residual add on all 256 x 256 code pairs, for scales where the candidates disagree
    # somewhere (every other set powers of two: exact halves everywhere).
    codes_a = np.repeat(np.arange(256), 256).reshape(1, 1, 256, 256)
    codes_b = np.tile(np.arange(256), 256).reshape(1, 1, 256, 256)
    a_int8, b_int8 = codes_a.reshape(256, 256, 1) - 128, codes_b.reshape(256, 256, 1) - 128
    for index in range(max(2, trials // 4)):
        for _ in range(200):
            if index % 2:
                sa, sb, so = (f32(2.0 ** -int(e)) for e in rng.integers(3, 8, 3))
            else:
                sa, sb, so = rng.uniform(0.001, 0.05, 3).astype(f32)
            za, zb, zo = (int(v) for v in rng.integers(0, 256, 3))
            a, b = ref.QTensor(a_int8, sa, za - 128), ref.QTensor(b_int8, sb, zb - 128)
            candidates = {
                "qnnpack: q8add fixed point, half away from zero":
                    ref.add(a, b, so, zo - 128, ref.Options("qnnpack")).values,
                "ATen: FMA dequantize, rint(sum * (1/so)) + z":
                    ref.add(a, b, so, zo - 128, ref.Options("onednn", "exact", "avx2")).values,
                "ATen without FMA: ((a-za)*sa + (b-zb)*sb) * (1/so)":
                    ref.add(a, b, so, zo - 128, ref.Options("onednn", "exact", "default")).values,
            }
            names = list(candidates)
            if engine == "onednn":
                names = [names[1], names[0], names[2]]
            if engine == "onednn" and not index % 2:  # sets where the FMA matters
                wanted = names[2:]
            else:
                wanted = names[1:]
            if not any((candidates[name] != candidates[names[0]]).any() for name in wanted):
                continue
            f = nnq.QFunctional()
            f.scale, f.zero_point = float(so), zo
            want = f.add(qtensor(codes_a, sa, za), qtensor(codes_b, sb, zb)).int_repr().numpy()
            for name in names:
                tally.add(f"{engine} add", name, candidates[name].reshape(want.shape) + 128, want)
            break

    # Global average pooling: sums exactly halfway between two outputs.
    for _ in range(trials):
        c, h = 64, [14, 28][_ % 2]
        n = h * h
        s, z = f32(rng.uniform(0.001, 0.2)), int(rng.integers(0, 256))
        values = rng.integers(0, 256, (c, n))
        for channel in range(c):
            missing = ((values[channel].sum() - z * n) // n) * n + n // 2 - (values[channel].sum() - z * n)
            for index in range(n):
                step = int(np.clip(values[channel, index] + missing, 0, 255)) - values[channel, index]
                values[channel, index] += step
                missing -= step
        x = qtensor(values.reshape(1, c, h, h), s, z).contiguous(memory_format=torch.channels_last)
        want = torch.nn.functional.adaptive_avg_pool2d(x, 1).int_repr().numpy().reshape(-1)
        acc = (values.sum(axis=1) - z * n).astype(f32)
        candidates = {"qnnpack: rint(sum * (s / (s*n))) + z": np.rint(acc * (s / (s * f32(n)))) + z,
                      "ATen: rint(sum * ((s/s) / n)) + z": np.rint(acc * ((s / s) / f32(n))) + z,
                      "rint(sum / n + z)": np.rint(acc / f32(n) + f32(z))}
        names = list(candidates)
        if engine == "onednn":
            names = [names[1], names[0], names[2]]
        for name in names:
            tally.add(f"{engine} adaptive_avg_pool2d", name, np.clip(candidates[name], 0, 255), want)

    # Hardswish on all 256 codes, for quantization parameters where each alternative differs
    # from the implemented formula somewhere.
    codes = np.arange(256)
    names = ["qnnpack table: rint(inv*y + z), plain x", "ATen: rint(y*inv) + z, FMA x", "ATen: rint(y*inv) + z, plain x"]
    if engine == "onednn":
        names = [names[1], names[0], names[2]]
    for alternative in names[1:]:
        found = 0
        for _ in range(trials * 2000):
            if found >= max(1, trials // 2):
                break
            si, so = f32(rng.uniform(0.005, 0.1)), f32(rng.uniform(0.005, 0.05))
            zi, zo = (int(v) for v in rng.integers(0, 256, 2))
            plain = (codes - zi).astype(f32) * si
            fused = ref.fma32(si, codes.astype(f32), si * f32(-zi))
            table = np.rint(np.clip(recip(so) * (plain * ref._hard_gate(plain) / f32(6)) + f32(zo), 0, 255))
            candidates = {"qnnpack table: rint(inv*y + z), plain x": table,
                          "ATen: rint(y*inv) + z, FMA x": np.clip(np.rint(fused * ref._hard_gate(fused) / f32(6) * recip(so)) + zo, 0, 255),
                          "ATen: rint(y*inv) + z, plain x": np.clip(np.rint(plain * ref._hard_gate(plain) / f32(6) * recip(so)) + zo, 0, 255)}
            if not (candidates[alternative] != candidates[names[0]]).any():
                continue
            found += 1
            x = qtensor(np.tile(codes, 4).reshape(1, 4, 16, 16), si, zi)  # 1024 codes: all in ATen's vector loop
            want = torch.ao.nn.quantized.functional.hardswish(x, float(so), zo).int_repr().numpy().reshape(-1)[:256]
            for name in names:
                tally.add(f"{engine} hardswish", name, candidates[name], want)

    # Hardsigmoid (output scale 1/256, zero point 0) on all 256 codes, same selection.
    x_name = "plain x" if engine == "qnnpack" else "FMA x"
    names = [f"rint(min(max(x + 3, 0), 6) / 6 * 256), {x_name}", f"rint(min(max(x + 3, 0), 6) * (1/6) * 256), {x_name}",
             f"rint(clamp(x / 6 + 1/2, 0, 1) * 256), {x_name}"]
    for alternative in names[1:]:
        found = 0
        for _ in range(trials * 2000):
            if found >= max(1, trials // 2):
                break
            si, zi = f32(rng.uniform(0.005, 0.1)), int(rng.integers(0, 256))
            if engine == "qnnpack":
                x = (codes - zi).astype(f32) * si
            else:
                x = ref.fma32(si, codes.astype(f32), si * f32(-zi))
            gate = ref._hard_gate(x)
            candidates = {names[0]: gate / f32(6), names[1]: gate * recip(f32(6)),
                          names[2]: np.clip(x / f32(6) + f32(0.5), f32(0), f32(1))}
            candidates = {name: np.clip(np.rint(v * f32(256)), 0, 255) for name, v in candidates.items()}
            if not (candidates[alternative] != candidates[names[0]]).any():
                continue
            found += 1
            want = torch.nn.functional.hardsigmoid(qtensor(np.tile(codes, 4), si, zi)).int_repr().numpy()[:256]
            for name in names:
                tally.add(f"{engine} hardsigmoid", name, candidates[name], want)

    # Squeeze-excite multiply: all products of two codes, for scales where the multipliers
    # (s_a*s_b)*(1/s_out), s_a*(s_b*(1/s_out)) and (s_a*s_b)/s_out round differently.
    product_codes = (np.repeat(np.arange(256), 256), np.tile(np.arange(256), 256))
    for _ in range(trials * 100):
        sa, sb = rng.uniform(0.001, 0.05, 2).astype(f32)
        so = f32(sa * sb * rng.uniform(20, 200))
        za, zb, zo = (int(v) for v in rng.integers(0, 256, 3))
        product = ((product_codes[0] - za) * (product_codes[1] - zb)).astype(f32)
        candidates = {"rint(p * ((sa*sb) * (1/so))) + z": (sa * sb) * recip(so),
                      "rint(p * (sa * (sb * (1/so)))) + z": sa * (sb * recip(so)),
                      "rint(p * ((sa*sb) / so)) + z": (sa * sb) / so}
        outs = {name: np.clip(np.rint(product * m) + zo, 0, 255) for name, m in candidates.items()}
        first = outs[next(iter(outs))]
        differ = np.nonzero(np.any([o != first for o in outs.values()], axis=0))[0]
        if not len(differ):
            continue
        f = nnq.QFunctional()
        f.scale, f.zero_point = float(so), zo
        want = f.mul(qtensor(product_codes[0][differ], sa, za), qtensor(product_codes[1][differ], sb, zb))
        for name, o in outs.items():
            tally.add(f"{engine} mul", name, o[differ], want.int_repr().numpy())

    # oneDNN's accumulation: a pointwise convolution and a depthwise one on random data.
    if engine == "onednn":
        import torch.nn.intrinsic.quantized as nniq

        for groups in (1, 32):
            for _ in range(max(1, trials // 4)):
                w = torch.randn(32, 32 // groups, 3 if groups > 1 else 1, 3 if groups > 1 else 1)
                ws = (w.abs().amax(dim=(1, 2, 3)) / 127.5).float()
                qw = torch.quantize_per_channel(w, ws.double(), torch.zeros(32, dtype=torch.long), 0, torch.qint8)
                m = nniq.ConvReLU2d(32, 32, qw.shape[2], padding=qw.shape[2] // 2, groups=groups)
                m.set_weight_bias(qw, torch.randn(32) * 0.1)
                m.scale, m.zero_point = float(f32(rng.uniform(0.05, 0.5))), 0
                z_in = int(rng.integers(0, 256))
                x = torch.quantize_per_tensor(torch.rand(1, 32, 14, 14) * 5, 0.02, z_in, torch.quint8)
                want = m(x).int_repr().numpy()[0].transpose(1, 2, 0)
                x_ref = ref.QTensor(x.int_repr().numpy()[0].transpose(1, 2, 0).astype(np.int32) - 128, f32(0.02), z_in - 128)
                layer = ref.Layer({"c.weight": qw.int_repr().numpy(), "c.weight_scale": ws.numpy(),
                                   "c.bias": m.bias().detach().numpy(), "c.scale": np.float32(m.scale),
                                   "c.zero_point": np.int32(-128)}, "c")
                if groups > 1:  # the reference's depthwise path always sums exactly
                    got = ref.conv2d(x_ref, layer, 1, True, options).values
                    tally.add("onednn depthwise accumulation", "exact int32 sums", got + 128, want)
                    continue
                for mode in (options.accumulation, "exact" if options.accumulation != "exact" else "int16-pairs"):
                    got = ref.conv2d(x_ref, layer, 1, True, ref.Options("onednn", mode, options.capability)).values
                    tally.add("onednn pointwise accumulation", f"{mode} sums", got + 128, want)

    # Dequantization of the output.
    for _ in range(trials):
        s, z = f32(rng.uniform(0.001, 0.1)), int(rng.integers(0, 256))
        want = qtensor(np.tile(codes, 8), s, z).dequantize().numpy()
        tally.add(f"{engine} dequantize", "(q - z) * s", (np.tile(codes, 8) - z).astype(f32) * s, want)
        tally.add(f"{engine} dequantize", "fma(s, q, s * -z)", ref.fma32(s, np.tile(codes, 8).astype(f32), s * f32(-z)), want)


def run_ops(engines, trials):
    tally = Tally()
    for engine in engines:
        _probe_ops(engine, trials, tally)
    return tally.report()


def run_model(model_name, engine, seed, calibration_batches):
    """Tensor-by-tensor comparison of PyTorch's quantized model with quantized_reference.py."""
    import numpy as np
    import torch
    import torch.ao.nn.quantized as nnq
    import torch.nn.intrinsic.quantized as nniq

    import golden_quantized
    import joule_models
    import quantized_export
    import quantized_reference as ref

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="must run observer")
        _, qmodel = golden_quantized.quantize(model_name, engine, seed, calibration_batches)
    tensors, metadata, _ = quantized_export.convert("(memory)", model_name,
                                                    golden_quantized.quantized_state(model_name, qmodel))

    def int8(t):
        values = t.int_repr().numpy().astype(np.int32) - 128
        return values[0].transpose(1, 2, 0) if values.ndim == 4 else values.reshape(-1)

    recorded, layer_io = [], []
    kinds = {nnq.Quantize: "quantize", nnq.Conv2d: "conv", nniq.ConvReLU2d: "conv", nnq.Linear: "linear",
             nnq.Hardswish: "hardswish", torch.nn.Hardsigmoid: "hardsigmoid", torch.nn.AdaptiveAvgPool2d: "pool"}
    for name, module in qmodel.named_modules():
        kind = kinds.get(type(module))
        if kind:
            module.register_forward_hook(lambda m, i, o, kind=kind: recorded.append((kind, int8(o))))
        if kind in ("conv", "linear"):
            module.register_forward_hook(lambda m, i, o, name=name: layer_io.append((name, m, i[0], o)))
    add, mul, pool = nnq.QFunctional.add, nnq.QFunctional.mul, torch.nn.functional.adaptive_avg_pool2d

    def recording(kind, function):
        def call(*args):
            out = function(*args)
            recorded.append((kind, int8(out)))
            return out
        return call

    nnq.QFunctional.add, nnq.QFunctional.mul = recording("add", add), recording("mul", mul)
    if model_name == "mobilenet_v2":  # calls the functional pooling itself
        torch.nn.functional.adaptive_avg_pool2d = recording("pool", pool)
    x = joule_models.random_input(joule_models.resolution(model_name), seed)
    try:
        with torch.no_grad():
            qmodel(x)
    finally:
        nnq.QFunctional.add, nnq.QFunctional.mul = add, mul
        torch.nn.functional.adaptive_avg_pool2d = pool

    produced = []
    originals = {}
    for name, kind in [("quantize_input", "quantize"), ("conv2d", "conv"), ("linear", "linear"), ("add", "add"),
                       ("mul", "mul"), ("global_average_pool", "pool"), ("hardswish", "hardswish"),
                       ("hardsigmoid", "hardsigmoid")]:
        originals[name] = getattr(ref, name)

        def call(*args, _function=originals[name], _kind=kind):
            out = _function(*args)
            produced.append((_kind, out.values))
            return out
        setattr(ref, name, call)
    options = ref.Options(engine, ref.detect_accumulation(), ref.detect_capability())
    try:
        ref.run(tensors, metadata, x.permute(0, 2, 3, 1).numpy(), options)
    finally:
        for name, function in originals.items():
            setattr(ref, name, function)

    ok = True
    print(f"{model_name} {options.describe()} seed {seed}, {calibration_batches} calibration images:")
    for kind in ["quantize", "conv", "linear", "add", "mul", "pool", "hardswish", "hardsigmoid"]:
        theirs = [values for k, values in recorded if k == kind]
        ours = [values for k, values in produced if k == kind]
        if len(theirs) != len(ours):
            raise Failure(f"{kind}: PyTorch ran {len(theirs)}, the reference {len(ours)}")
        if not theirs:
            continue
        equal = sum(int((a == b.reshape(a.shape)).sum()) for a, b in zip(theirs, ours))
        total = sum(a.size for a in theirs)
        steps = max(int(np.abs(a - b.reshape(a.shape)).max()) for a, b in zip(theirs, ours))
        tensors_equal = sum(bool((a == b.reshape(a.shape)).all()) for a, b in zip(theirs, ours))
        ok &= equal == total
        print(f"  {kind:12s} {tensors_equal:3d}/{len(theirs):<3d} tensors equal, {equal:>10,}/{total:<10,} "
              f"elements, max difference {steps} steps")

    if engine == "onednn":
        # Each layer alone, on PyTorch's own input: what exact int32 sums would change.
        exact = ref.Options(engine, "exact", options.capability)
        equal = total = steps = 0
        for name, module, given, out in layer_io:
            x_in = ref.QTensor(int8(given), given.q_scale(), given.q_zero_point() - 128)
            layer = ref.Layer(tensors, name)
            if isinstance(module, nnq.Linear):
                got = ref.linear(x_in, layer, exact).values
            else:
                got = ref.conv2d(x_in, layer, module.stride[0], isinstance(module, nniq.ConvReLU2d), exact).values
            want = int8(out)
            equal += int((got.reshape(want.shape) == want).sum())
            total += want.size
            steps = max(steps, int(np.abs(got.reshape(want.shape) - want).max()))
        print(f"  with exact int32 sums, each layer on PyTorch's input: {equal:,}/{total:,} outputs equal "
              f"({100 * equal / total:.2f}%), max difference {steps} steps")
    return ok


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ops = commands.add_parser("ops", help="op-level probes")
    ops.add_argument("--engine", choices=("qnnpack", "onednn"), help="default: both")
    ops.add_argument("--trials", type=tool_cli.positive_int, default=20)
    model = commands.add_parser("model", help="a whole model, tensor by tensor")
    model.add_argument("model", choices=("mobilenet_v2", "mobilenet_v3_large"))
    model.add_argument("--engine", required=True, choices=("qnnpack", "onednn"))
    model.add_argument("--seed", type=tool_cli.seed, default=0)
    model.add_argument("--calibration-batches", type=tool_cli.positive_int, default=2)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import torch

        torch.set_num_threads(1)
        if args.command == "ops":
            ok = run_ops([args.engine] if args.engine else ["qnnpack", "onednn"], args.trials)
        else:
            ok = run_model(args.model, args.engine, args.seed, args.calibration_batches)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    return tool_cli.EXIT_OK if ok else tool_cli.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
