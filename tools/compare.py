#!/usr/bin/python3
"""Compare an output with the expected one.

  compare.py ACTUAL.npy EXPECTED.npy [--rtol 1e-4]

Passes when max|actual - expected| <= rtol * max|expected|: one tolerance relative to the whole
output's scale rather than per element, because logits near zero have no meaningful relative
error of their own. Any NaN or infinity in either array fails. Prints one line; exit 0 PASS,
1 FAIL or an unreadable or mismatched file, 2 usage error.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure  # noqa: E402

PROG = "compare.py"
DEFAULT_RTOL = 1e-4


def criterion(actual, expected, rtol=DEFAULT_RTOL):
    """(passed, max abs diff, max |expected|, ratio); shapes must already agree."""
    import numpy as np

    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {e.shape}")
    if a.size == 0:
        return True, 0.0, 0.0, 0.0
    if not (np.isfinite(a).all() and np.isfinite(e).all()):
        return False, float("nan"), float(np.nanmax(np.abs(e))), float("nan")
    diff = float(np.abs(a - e).max())
    scale = float(np.abs(e).max())
    ratio = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
    return diff <= rtol * scale, diff, scale, ratio


def load(path):
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise Failure(f"{path}: cannot read as .npy: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu":
        raise Failure(f"{path}: not a numeric array (dtype {getattr(array, 'dtype', '?')})")
    return array


def compare_files(actual_path, expected_path, rtol=DEFAULT_RTOL):
    """(passed, summary line)."""
    actual = load(actual_path)
    expected = load(expected_path)
    if actual.shape != expected.shape:
        raise Failure(f"shape mismatch: {actual_path} is {list(actual.shape)}, "
                      f"{expected_path} is {list(expected.shape)}")
    passed, diff, scale, ratio = criterion(actual, expected, rtol)
    nonfinite = "" if diff == diff else " (NaN or infinity present)"
    line = (f"max|a-e| {diff:.3e}  max|e| {scale:.4g}  ratio {ratio:.3e}  rtol {rtol:g}  "
            f"{'PASS' if passed else 'FAIL'}{nonfinite}")
    return passed, line


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("actual", metavar="ACTUAL.npy")
    parser.add_argument("expected", metavar="EXPECTED.npy")
    parser.add_argument("--rtol", type=tool_cli.positive_float, default=DEFAULT_RTOL)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        passed, line = compare_files(args.actual, args.expected, args.rtol)
    except Failure as error:
        tool_cli.report(PROG, error)
        return tool_cli.EXIT_FAILURE
    print(line)
    return tool_cli.EXIT_OK if passed else tool_cli.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
