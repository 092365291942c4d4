#!/usr/bin/python3
"""What the command-line tools share: exit codes, one-line errors, finding the `joule` program."""

import argparse
import os
import shutil
import sys

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

LISTED = 8  # names per kind in a mismatch message: enough to see the pattern, still one line

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Where the project's presets put the program, tried after $PATH. The target lives in
# tools/joule/, so CMake's binary is tools/joule/joule in the build tree; the shorter paths cover
# a build that places it one level up.
JOULE_CANDIDATES = (
    "build/release/tools/joule/joule",
    "build/release/tools/joule",
    "build/demo/tools/joule/joule",
    "build/demo/tools/joule",
)


class UsageError(Exception):
    pass


class Failure(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (CI logs and callers grep for it)."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (--help for usage)\n")
        sys.exit(EXIT_USAGE)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def seed(text):
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be in [0, 2^63): {text}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number: {text}")
    return value


def find_joule(explicit=None):
    """The path of the `joule` program: `explicit` if given, else $PATH, else the build tree."""
    if explicit:
        path = explicit if os.sep in explicit else shutil.which(explicit) or explicit
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise Failure(f"joule program not found or not executable: {explicit}")
        # Absolute, since callers may run it from another directory.
        return os.path.abspath(path)
    found = shutil.which("joule")
    if found:
        return found
    for relative in JOULE_CANDIDATES:
        path = os.path.join(REPO_ROOT, relative)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise Failure(
        "joule program not found: not on $PATH nor at "
        + " or ".join(JOULE_CANDIDATES)
        + " (build it, or pass --joule PATH)"
    )


def one_line(text):
    """The last nonempty line of a program's stderr, to quote it in our own one-line message."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def listing(kind, names):
    """'kind (N): a, b, ... (M more)': at most LISTED names, so that a message stays one line."""
    shown = ", ".join(names[:LISTED])
    more = f", ... ({len(names) - LISTED} more)" if len(names) > LISTED else ""
    return f"{kind} ({len(names)}): {shown}{more}"


def report(prog, message):
    sys.stderr.write(f"{prog}: {' '.join(str(message).split())}\n")


def limit_threads():
    """One PyTorch thread unless $JOULE_TOOLS_THREADS says otherwise.

    The tools run on small shared machines next to compilers. Measured on two loaded cores, two
    threads made mobilenet_v2's golden case 10x slower than one (the second thread waits on a
    busy core at every layer), while on an idle machine one thread costs little at these sizes.
    """
    import torch

    text = os.environ.get("JOULE_TOOLS_THREADS", "1")
    try:
        count = max(1, int(text))
    except ValueError:
        count = 1
    torch.set_num_threads(count)
