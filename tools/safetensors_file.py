#!/usr/bin/python3
"""The safetensors file format, written and read without the `safetensors` package.

Layout: an unsigned 64-bit little-endian header length N, N bytes of JSON header, then the data
section. The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
(offsets relative to the data section) and may hold "__metadata__": {str: str}.

What this writer guarantees, and the C++ reader may rely on:
- the header is padded with spaces to a multiple of 8 bytes, so the data section starts 8-aligned;
- tensors are laid out by decreasing element size, then by name, so each tensor starts at a
  multiple of its own element size, and the same tensors always give the same bytes;
- the data section is contiguous: each tensor begins where the previous one ends, the last one
  ends at the end of the file;
- all values are little-endian.

Usable as a program, too: `safetensors_file.py FILE` lists a file's tensors.
"""

import json
import signal
import struct
import sys

import numpy as np

# safetensors dtype -> (numpy dtype of the stored bytes, element size). BF16 has no numpy type:
# its bytes travel as uint16, the upper half of a float32.
DTYPES = {
    "F64": ("<f8", 8),
    "F32": ("<f4", 4),
    "F16": ("<f2", 2),
    "BF16": ("<u2", 2),
    "I64": ("<i8", 8),
    "I32": ("<i4", 4),
    "I16": ("<i2", 2),
    "I8": ("i1", 1),
    "U8": ("u1", 1),
    "BOOL": ("?", 1),
}

_NUMPY_TO_DTYPE = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}

METADATA_KEY = "__metadata__"


class FormatError(ValueError):
    pass


def _is_torch_tensor(value):
    module = type(value).__module__
    return module.startswith("torch") and hasattr(value, "detach")


def encode(value):
    """(dtype name, shape list, little-endian bytes) of a torch tensor or numpy array."""
    if _is_torch_tensor(value):
        import torch

        tensor = value.detach().to("cpu").contiguous()
        if tensor.dtype == torch.bfloat16:
            raw = tensor.view(torch.int16).numpy().astype("<i2").tobytes()
            return "BF16", list(tensor.shape), raw
        array = tensor.numpy()
    else:
        array = np.asarray(value)
    dtype = _NUMPY_TO_DTYPE.get(array.dtype.newbyteorder("="))
    if dtype is None:
        raise FormatError(f"unsupported element type {array.dtype}")
    stored = np.ascontiguousarray(array, dtype=DTYPES[dtype][0])
    return dtype, list(array.shape), stored.tobytes()


def serialize(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (a mapping name -> tensor or array)."""
    encoded = []
    for name, value in tensors.items():
        if not isinstance(name, str) or name == METADATA_KEY:
            raise FormatError(f"invalid tensor name {name!r}")
        encoded.append((name,) + encode(value))
    encoded.sort(key=lambda item: (-DTYPES[item[1]][1], item[0]))

    header = {}
    if metadata:
        header[METADATA_KEY] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, dtype, shape, raw in encoded:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)

    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + [item[3] for item in encoded])


def save(tensors, path, metadata=None):
    data = serialize(tensors, metadata)
    with open(path, "wb") as file:
        file.write(data)
    return len(data)


def parse(data):
    """(header dict with __metadata__ removed, metadata dict, data section bytes); checks the
    layout strictly: any overlap, hole or out-of-range offset is a FormatError."""
    if len(data) < 8:
        raise FormatError("file shorter than its 8-byte header length")
    (length,) = struct.unpack_from("<Q", data, 0)
    if length > len(data) - 8:
        raise FormatError(f"header length {length} runs past the end of the file")
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(f"header is not valid JSON: {error}") from None
    if not isinstance(header, dict):
        raise FormatError("header is not a JSON object")
    metadata = header.pop(METADATA_KEY, {})
    body = data[8 + length :]

    spans = []
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise FormatError(f"tensor '{name}': malformed entry {entry!r}") from None
        if dtype not in DTYPES:
            raise FormatError(f"tensor '{name}': unknown dtype {dtype}")
        count = 1
        for dim in shape:
            count *= dim
        if end - begin != count * DTYPES[dtype][1] or begin < 0:
            raise FormatError(f"tensor '{name}': offsets [{begin}, {end}] do not fit {dtype}{shape}")
        spans.append((begin, end, name))
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            raise FormatError(f"tensor '{name}' starts at {begin}, expected {position}")
        position = end
    if position != len(body):
        raise FormatError(f"data section has {len(body)} bytes, tensors cover {position}")
    return header, metadata, body


def read_raw(path):
    with open(path, "rb") as file:
        return parse(file.read())


def load_numpy(path):
    """({name: numpy array}, metadata); BF16 comes back widened to float32 (exactly)."""
    header, metadata, body = read_raw(path)
    arrays = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = entry["dtype"]
        array = np.frombuffer(body[begin:end], dtype=DTYPES[dtype][0]).reshape(entry["shape"])
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = array.copy()
    return arrays, metadata


def load_torch(path):
    """({name: torch tensor of the stored dtype}, metadata)."""
    import torch

    header, metadata, body = read_raw(path)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = entry["dtype"]
        array = np.frombuffer(body[begin:end], dtype=DTYPES[dtype][0]).reshape(entry["shape"])
        if dtype == "BF16":
            tensors[name] = torch.from_numpy(array.view("<i2").copy()).view(torch.bfloat16)
        else:
            tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: safetensors_file.py FILE", file=sys.stderr)
        return 2
    try:
        header, metadata, body = read_raw(argv[0])
    except (OSError, FormatError) as error:
        print(f"safetensors_file.py: {argv[0]}: {error}", file=sys.stderr)
        return 1
    # Listing into `head` is normal use, not an error worth a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    for key, value in metadata.items():
        print(f"# {key} = {value}")
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        print(f"{name} {entry['dtype']} {entry['shape']} [{begin}, {end})")
    print(f"# {len(header)} tensors, {len(body)} data bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
