"""Feature hashing: an arbitrary evaluation context → a sparse vector of `dim` numbers.

Specified in docs/algorithms.md ("Feature hashing"); in short:

- slot 0 is the bias term and is always 1.0;
- every context entry becomes one or more tokens with a magnitude:
  `bool` → token "key=true"/"key=false", magnitude 1; finite `int`/`float` → token "key",
  magnitude = the number itself; `str` → token "key=value", magnitude 1; a list → one
  "key=item" token (magnitude 1) per str/int/float/bool item; None, objects and non-finite
  numbers are skipped;
- a token's 64-bit hash is the first 8 bytes (big-endian) of BLAKE2b(UTF-8 token); its slot is
  1 + (h >> 1) mod (dim - 1) and its sign is - when the lowest bit of h is set, else +
  (the sign bit makes collisions cancel on average instead of piling up);
- colliding tokens add up. No normalisation: magnitudes are used as sent, so numeric features
  should be roughly on a unit scale (or be sent as strings, i.e. categories).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any


def _string_form(value: str | int | float | bool) -> str:
    """Text of a list item; booleans lower-case and integral floats without ".0" like the SDKs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tokens(context: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    """The (token, magnitude) pairs of a context, in sorted key order."""
    for key in sorted(context):
        value = context[key]
        if isinstance(value, bool):
            yield f"{key}={_string_form(value)}", 1.0
        elif isinstance(value, int | float):
            if math.isfinite(value):
                yield str(key), float(value)
        elif isinstance(value, str):
            yield f"{key}={value}", 1.0
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str | int | float | bool):
                    yield f"{key}={_string_form(item)}", 1.0


@lru_cache(maxsize=65536)
def slot(token: str, dim: int) -> tuple[int, float]:
    """Slot in 1..dim-1 and sign (±1.0) of a token."""
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    h = int.from_bytes(digest, "big")
    return 1 + (h >> 1) % (dim - 1), -1.0 if h & 1 else 1.0


def hash_context(context: Mapping[str, Any] | None, dim: int) -> dict[int, float]:
    """Sparse feature vector {slot: value}; slot 0 (bias) is always present."""
    out: dict[int, float] = {0: 1.0}
    if context:
        for token, magnitude in tokens(context):
            index, sign = slot(token, dim)
            out[index] = out.get(index, 0.0) + sign * magnitude
    return out
