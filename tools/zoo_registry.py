#!/usr/bin/python3
"""The zoo registry, read from its one source: include/joule/models/registry.hpp.

Every model of the zoo is one X(name, resolution, pytorch, Type...) line there; the joule command,
the zoo tests and this package take their list from it. MODELS is that list, in its order:
(name, resolution, pytorch builder) tuples, the builder being "torchvision.NAME" or
"twin.mobilenet_v1(ALPHA)". No torch import, so scripts that only need names stay fast.
"""

import os
import re

REGISTRY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "joule", "models",
                        "registry.hpp")
_ENTRY = re.compile(r'^\s*X\("([^"]+)", (\d+), "([^"]+)",', re.MULTILINE)


def _read(path=REGISTRY):
    with open(path, encoding="utf-8") as file:
        entries = [(name, int(resolution), pytorch) for name, resolution, pytorch in _ENTRY.findall(file.read())]
    if not entries:
        raise RuntimeError(f"no zoo entries found in {path}")
    return entries


MODELS = _read()
NAMES = [name for name, _, _ in MODELS]
