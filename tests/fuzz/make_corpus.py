"""Writes the fuzzers' seed corpus: small valid files that reach every branch of a successful
parse. Run with a Python that has numpy (/usr/bin/python3 here) from anywhere:

    /usr/bin/python3 tests/fuzz/make_corpus.py

The safetensors files are laid out by hand from the format's description (8-byte little-endian
header length, JSON header, data section), not by the safetensors package. Deterministic: running
it again rewrites the same bytes.
"""
import io
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def safetensors(tensors, metadata=None, align=8, extra_spaces=0):
    """tensors: list of (name, dtype, shape, raw bytes), laid out in order."""
    header = {}
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((-(8 + len(text))) % align + extra_spaces)
    return struct.pack("<Q", len(text)) + text + b"".join(raw for _, _, _, raw in tensors)


def arr(values, dtype):
    return np.asarray(values, dtype=dtype).tobytes()


def safetensors_seeds():
    ramp = np.arange(-6, 6, dtype=np.float32) * 0.25
    conv_net = [  # the io tests' network: Conv2d(3->8, 3x3) + BN, GlobalAvgPool, Linear(8->2)
        ("0.0.weight", "F32", (8, 3, 3, 3), arr(np.linspace(-1, 1, 216), np.float32)),
        ("0.1.weight", "F32", (8,), arr(np.linspace(0.5, 1.5, 8), np.float32)),
        ("0.1.bias", "F32", (8,), arr(np.linspace(-0.5, 0.5, 8), np.float32)),
        ("0.1.running_mean", "F32", (8,), arr(np.linspace(-0.1, 0.1, 8), np.float32)),
        ("0.1.running_var", "F32", (8,), arr(np.linspace(0.9, 1.1, 8), np.float32)),
        ("0.1.num_batches_tracked", "I64", (), arr(1234, np.int64)),
        ("2.weight", "F32", (2, 8), arr(np.linspace(-0.3, 0.3, 16), np.float32)),
        ("2.bias", "F32", (2,), arr([0.1, -0.1], np.float32)),
    ]
    return {
        "empty.safetensors": safetensors([]),
        "one_f32.safetensors": safetensors([("w", "F32", (2, 3), ramp[:6].tobytes())]),
        "scalar_and_empty.safetensors": safetensors(
            [("s", "F32", (), arr(3.5, np.float32)), ("e", "F32", (0, 4), b""), ("z", "F16", (0,), b"")]),
        "half_types.safetensors": safetensors(
            [("h", "F16", (2, 2), arr([1.0, -2.5, 65504.0, 6e-8], np.float16)),
             ("b", "BF16", (3,), struct.pack("<3H", 0x3F80, 0xC020, 0x7FC0)),
             ("specials", "F16", (4,), struct.pack("<4H", 0x7C00, 0xFC00, 0x7E00, 0x0001))]),
        "all_dtypes.safetensors": safetensors(
            [("f64", "F64", (2,), arr([1.0, -1.0], np.float64)),
             ("f32", "F32", (2,), arr([1.0, -1.0], np.float32)),
             ("f16", "F16", (2,), arr([1.0, -1.0], np.float16)),
             ("bf16", "BF16", (2,), struct.pack("<2H", 0x3F80, 0xBF80)),
             ("i64", "I64", (2,), arr([1, -1], np.int64)),
             ("i32", "I32", (2,), arr([1, -1], np.int32)),
             ("i16", "I16", (2,), arr([1, -1], np.int16)),
             ("i8", "I8", (2,), arr([1, -1], np.int8)),
             ("u8", "U8", (2,), arr([1, 255], np.uint8)),
             ("bool", "BOOL", (2,), bytes([0, 1]))],
            metadata={"format": "pt", "note": "seed"}),
        "rank8_misaligned.safetensors": safetensors(
            [("r8", "F32", (1, 2, 1, 1, 1, 1, 2, 1), ramp[:4].tobytes()), ("odd", "I8", (3,), arr([1, 2, 3], np.int8)),
             ("after_odd", "F32", (2,), ramp[4:6].tobytes())], align=1, extra_spaces=1),
        "names.safetensors": safetensors(
            [("caf\u00e9.\U0001F600", "F32", (1,), ramp[:1].tobytes()), ("quote\"back\\slash\n", "F32", (1,), ramp[1:2].tobytes()),
             ("", "F32", (1,), ramp[2:3].tobytes())]),
        "conv_net.safetensors": safetensors(conv_net, metadata={"format": "pt"}),
    }


def npy_seeds():
    def save(array, version=None):
        buffer = io.BytesIO()
        if version is None:
            np.save(buffer, array)
        else:
            np.lib.format.write_array(buffer, array, version=version)
        return buffer.getvalue()

    ramp = (np.arange(12, dtype=np.float32) - 6) * 0.25
    hand_header = b"{\"descr\": \"f4\", \"fortran_order\": False, \"shape\": (2L, 3L)}\n"
    return {
        "f32_2x3.npy": save(ramp[:6].reshape(2, 3)),
        "f32_scalar.npy": save(np.array(3.5, dtype=np.float32)),
        "f32_empty.npy": save(np.zeros((0, 4), dtype=np.float32)),
        "f32_rank5.npy": save(ramp.reshape(2, 1, 3, 1, 2)),
        "f32_specials.npy": save(np.array([0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000, 1], dtype=np.uint32).view(np.float32)),
        "i8.npy": save(np.arange(-8, 8, dtype=np.int8).reshape(4, 4)),
        "f32_v2.npy": save(ramp[:6].reshape(3, 2), version=(2, 0)),
        "i8_v3.npy": save(np.arange(5, dtype=np.int8), version=(3, 0)),
        "hand_header.npy": b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hand_header)) + hand_header + ramp[:6].tobytes(),
    }


def main():
    for kind, seeds in (("safetensors", safetensors_seeds()), ("npy", npy_seeds())):
        directory = os.path.join(HERE, "corpus", kind)
        os.makedirs(directory, exist_ok=True)
        for name, data in seeds.items():
            assert len(data) < 4096, name
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
        print(f"{len(seeds)} {kind} seeds in {directory}")


if __name__ == "__main__":
    main()
