"""numpy compatibility of joule's .npy reader and writer, run by CTest with a Python that has numpy.

  npy_numpy_compat.py joule-to-numpy TESTS DIR
      joule_io_tests writes every case into DIR; numpy loads each and compares dtype, shape and
      value bits, and np.save of the expected array must give the same bytes.
  npy_numpy_compat.py numpy-to-joule TESTS DIR
      numpy writes every case (and files joule must refuse) into DIR; joule_io_tests reads them.

The cases are defined identically in test_npy_numpy.cpp. Exits non-zero on any mismatch, and
when numpy cannot be imported: this test fails rather than skips.
"""
import io
import os
import shutil
import subprocess
import sys

import numpy as np


def cases():
    def ramp(shape):
        count = int(np.prod(shape, dtype=np.int64))
        return ((np.arange(count, dtype=np.float32) - np.float32(7)) * np.float32(0.25)).reshape(shape)

    special_bits = [0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000, 0x00000001, 0x7F7FFFFF, 0x7FA00001]
    return {
        "f32_2x3": ramp((2, 3)),
        "f32_scalar": np.array(3.5, dtype=np.float32),
        "f32_empty": np.zeros((0, 4), dtype=np.float32),
        "f32_rank5": ramp((2, 1, 3, 1, 2)),
        "f32_special": np.array(special_bits, dtype=np.uint32).view(np.float32),
        "f32_long": ((np.arange(12345) % 97 - 48) * 0.5).astype(np.float32),
        "i8_all": np.arange(-128, 128).astype(np.int8),
        "i8_2x2": np.array([[-1, 2], [-3, 4]], dtype=np.int8),
    }


def run_tests(tests, tag, directory):
    env = dict(os.environ, JOULE_NPY_COMPAT_DIR=directory)
    # --warn NoTests: a tag that matches nothing must fail, not pass silently.
    result = subprocess.run([tests, tag, "--warn", "NoTests"], env=env)
    if result.returncode != 0:
        sys.exit(f"{tests} {tag} failed with status {result.returncode}")


def same(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == np.float32:
        return np.array_equal(a.view(np.uint32), b.view(np.uint32))
    return np.array_equal(a, b)


def joule_to_numpy(tests, directory):
    run_tests(tests, "[npy_compat_write]", directory)
    failures = []
    for name, expected in cases().items():
        path = os.path.join(directory, name + ".npy")
        loaded = np.load(path, allow_pickle=False)
        if not same(loaded, expected):
            failures.append(f"{name}: numpy loaded {loaded.dtype} {loaded.shape} {loaded!r}, expected {expected.dtype} {expected.shape}")
        buffer = io.BytesIO()
        np.save(buffer, expected)
        with open(path, "rb") as f:
            ours = f.read()
        if ours != buffer.getvalue():
            failures.append(f"{name}: joule's bytes differ from np.save's:\n  joule {ours[:160]!r}\n  numpy {buffer.getvalue()[:160]!r}")
    for failure in failures:
        print("FAIL", failure)
    print(f"numpy loaded {len(cases())} joule files, {len(failures)} failures")
    return 1 if failures else 0


def numpy_to_joule(tests, directory):
    all_cases = cases()
    for name, array in all_cases.items():
        np.save(os.path.join(directory, name + ".npy"), array)
    for version in (2, 3):
        with open(os.path.join(directory, f"v{version}_f32_2x3.npy"), "wb") as f:
            np.lib.format.write_array(f, all_cases["f32_2x3"], version=(version, 0))
    refusals = {
        "refuse_f64": np.arange(3, dtype=np.float64),
        "refuse_f16": np.arange(3, dtype=np.float16),
        "refuse_i16": np.arange(3, dtype=np.int16),
        "refuse_u8": np.arange(3, dtype=np.uint8),
        "refuse_big_endian": np.arange(3, dtype=">f4"),
        "refuse_structured": np.zeros(2, dtype=[("x", "<f4")]),
        "refuse_fortran": np.asfortranarray(all_cases["f32_2x3"]),
    }
    for name, array in refusals.items():
        np.save(os.path.join(directory, name + ".npy"), array)
    buffer = io.BytesIO()
    np.save(buffer, all_cases["f32_2x3"])
    with open(os.path.join(directory, "refuse_truncated.npy"), "wb") as f:
        f.write(buffer.getvalue()[:-4])
    run_tests(tests, "[npy_compat_read]", directory)
    print(f"joule read {len(all_cases) + 2} numpy files and refused {len(refusals) + 1}")
    return 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("joule-to-numpy", "numpy-to-joule"):
        sys.exit(__doc__)
    mode, tests, directory = sys.argv[1:]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    print(f"numpy {np.__version__}")
    return joule_to_numpy(tests, directory) if mode == "joule-to-numpy" else numpy_to_joule(tests, directory)


if __name__ == "__main__":
    sys.exit(main())
