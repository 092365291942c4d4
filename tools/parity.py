#!/usr/bin/python3
"""Check the C++ model against PyTorch on one zoo model.

  parity.py MODEL --joule PATH --work DIR [--seed S] [--rtol 1e-4] [--timeout SECONDS]

golden.py's case in DIR, then `joule run MODEL --weights DIR/weights.safetensors
--input DIR/input.npy --output DIR/actual.npy`, then compare.py's criterion. Prints one summary
line with the time of each step; exit 0 only on PASS (1 on FAIL or any error, 2 usage error).
--joule defaults to `joule` on $PATH, then the build tree (as export.py finds it).
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tool_cli  # noqa: E402
from tool_cli import Failure, UsageError  # noqa: E402

PROG = "parity.py"


def run_joule(joule, model, work, timeout):
    import golden

    command = [
        joule, "run", model,
        "--weights", os.path.join(work, golden.WEIGHTS),
        "--input", os.path.join(work, golden.INPUT),
        "--output", os.path.join(work, "actual.npy"),
    ]
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"'joule run' did not finish in {timeout:g}s") from None
    except OSError as error:
        raise Failure(f"cannot run {joule}: {error}") from None
    if done.returncode != 0:
        raise Failure(f"'joule run' failed (exit {done.returncode}): "
                      f"{tool_cli.one_line(done.stderr)}")
    return os.path.join(work, "actual.npy")


def parity(model, joule, work, seed, rtol, timeout):
    """(passed, summary line)."""
    import compare
    import golden

    times = {}
    started = time.perf_counter()
    info = golden.make_golden(model, work, seed)
    times["golden"] = time.perf_counter() - started

    started = time.perf_counter()
    actual = run_joule(joule, model, work, timeout)
    times["joule"] = time.perf_counter() - started

    started = time.perf_counter()
    passed, line = compare.compare_files(actual, os.path.join(work, golden.EXPECTED), rtol)
    times["compare"] = time.perf_counter() - started

    timing = ", ".join(f"{step} {seconds:.2f}s" for step, seconds in times.items())
    return passed, f"{model} {info['resolution']} seed {seed}: {line} ({timing})"


def main(argv=None):
    parser = tool_cli.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="zoo name, e.g. mobilenet_v2")
    parser.add_argument("--joule", metavar="PATH", help="the joule program (default: found)")
    parser.add_argument("--work", required=True, metavar="DIR", help="where the files go")
    parser.add_argument("--seed", type=tool_cli.seed, default=0)
    parser.add_argument("--rtol", type=tool_cli.positive_float, default=1e-4)
    parser.add_argument("--timeout", type=tool_cli.positive_float, default=600.0,
                        help="seconds 'joule run' may take (default 600)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import joule_models

        try:
            joule_models.lookup(args.model)
        except joule_models.UnknownModel as error:
            raise UsageError(str(error)) from None
        joule = tool_cli.find_joule(args.joule)
        tool_cli.limit_threads()
        passed, line = parity(args.model, joule, args.work, args.seed, args.rtol, args.timeout)
    except UsageError as error:
        tool_cli.report(PROG, f"error: {error}")
        return tool_cli.EXIT_USAGE
    except Failure as error:
        tool_cli.report(PROG, f"{args.model}: {error}")
        return tool_cli.EXIT_FAILURE
    except Exception as error:  # a bug here still owes the caller one line and exit 1
        tool_cli.report(PROG, f"internal error: {type(error).__name__}: {error}")
        return tool_cli.EXIT_FAILURE
    print(line)
    return tool_cli.EXIT_OK if passed else tool_cli.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
