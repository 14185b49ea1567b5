"""Stable bucketing for percentage rollouts, and the canonical string form of context values.

A value is hashed through its *string form* (see `string_form`), so `123`, `123.0` and `"123"`
land in the same bucket. The hash is specified in docs/adr/0002-bucketing-hash.md:

    h      = first 4 bytes, big-endian, of SHA-256(UTF-8 of f"{salt}:{string_form(value)}")
    bucket = (h * 10_000) >> 32          # basis points, 0..9999
    unit   = h / 2**32                   # position in [0, 1); floor(unit * 10_000) == bucket

32 bits are plenty for 10,000 buckets and keep every step exact in 64-bit integers and in
IEEE doubles, so SDKs in any language (JavaScript included) reproduce it without big integers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from togglr.evaluation.snapshot import VariantSpec

# Who is split when a feature names no rollout attribute: OpenFeature's targetingKey (what OFREP
# clients send), then the user-id spellings of the Togglr SDKs' context maps. docs/evaluation.md
# ("Who is split") explains the order.
DEFAULT_SPLIT_ATTRIBUTES: tuple[str, ...] = ("targetingKey", "user.id", "userId", "user_id")

BUCKETS = 10_000  # basis points: a percent with two decimals maps to a whole number of buckets
MAX_NESTING = 32  # deeper arrays/objects have no string form (guards self-referencing values)

_SHA256 = hashlib.sha256
_INF = math.inf


class NoStringFormError(ValueError):
    """A value that cannot be written as text (nested too deep, an integer too long)."""


def format_number(number: int | float) -> str:
    """Shortest round-trip decimal of a number, positional (no exponent), no trailing ".0".

    `30.0` → "30", `1.05` → "1.05", `-0.0` → "0", `1e21` → "1000000000000000000000",
    `1.5e-07` → "0.00000015"; NaN → "NaN", ±inf → "Infinity"/"-Infinity".
    """
    if isinstance(number, int):
        return str(int(number))  # int() drops bool/IntEnum subclasses to their plain value
    if number != number:
        return "NaN"
    if number == _INF:
        return "Infinity"
    if number == -_INF:
        return "-Infinity"
    if number.is_integer() and -1e16 < number < 1e16:
        return str(int(number))  # also maps -0.0 to "0"
    text = repr(number)  # Python's repr is the shortest string that reads back to the same float
    if "e" not in text:
        return text
    return format(Decimal(text), "f")  # expand the exponent without changing the digits


def string_form(value: Any) -> str:
    """The canonical text of a context or condition value, used for comparing and hashing.

    Strings are themselves; numbers use `format_number`; booleans are "true"/"false"; null is
    "null"; arrays and objects are compact JSON with keys sorted. Raises NoStringFormError for
    values nested deeper than MAX_NESTING (and ValueError for integers of over 4300 digits).
    """
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return format_number(value)
    if value is None:
        return "null"
    if isinstance(value, list | tuple | Mapping):
        return _json_text(value, 0)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json_text(value: Any, depth: int) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple | Mapping):
        if depth >= MAX_NESTING:
            raise NoStringFormError(f"nested deeper than {MAX_NESTING}")
        if isinstance(value, Mapping):
            # sort on the key text only: items of mixed types do not compare
            items = sorted(((string_form(key), item) for key, item in value.items()), key=_first)
            inner = ",".join(
                f"{json.dumps(key, ensure_ascii=False)}:{_json_text(item, depth + 1)}"
                for key, item in items
            )
            return "{" + inner + "}"
        return "[" + ",".join(_json_text(item, depth + 1) for item in value) + "]"
    if isinstance(value, bool | int | float) or value is None:
        return string_form(value)
    return json.dumps(string_form(value), ensure_ascii=False)


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


def stable_hash(salt: str, value: Any) -> int:
    """The 32-bit hash of `f"{salt}:{string_form(value)}"` (first 4 bytes of SHA-256)."""
    text = f"{salt}:{value if isinstance(value, str) else string_form(value)}"
    # surrogatepass: a lone surrogate in a Python str must not make hashing raise
    digest = _SHA256(text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big")


def bucket(salt: str, value: Any) -> int:
    """The value's bucket in [0, 10000) for this salt (the feature key for splits)."""
    return (stable_hash(salt, value) * BUCKETS) >> 32


def unit(salt: str, value: Any) -> float:
    """The value's stable position in [0, 1) for this salt; floor(unit * 10000) == bucket."""
    return stable_hash(salt, value) / 4294967296.0


def position(salt: str, value: Any) -> tuple[int, float]:
    """Bucket and unit from a single hash."""
    h = stable_hash(salt, value)
    return (h * BUCKETS) >> 32, h / 4294967296.0


def basis_points(percent: float) -> int:
    """A percent as a whole number of buckets: floor(percent * 100 + 0.5), clamped to 0..10000."""
    if not percent > 0:  # also catches NaN
        return 0
    if percent >= 100:
        return BUCKETS
    return math.floor(percent * 100 + 0.5)


def split_attributes(rollout_key: str | None) -> tuple[str, ...]:
    """The attributes a split reads, in order: the feature's own key, else the defaults."""
    return (rollout_key,) if rollout_key else DEFAULT_SPLIT_ATTRIBUTES


def split_layout(variants: Iterable[VariantSpec]) -> tuple[tuple[int, VariantSpec], ...]:
    """Variants ordered by name (code points) with the exclusive upper bucket of each range.

    Percents accumulate in that order; a sum above 100 clips the later variants, and the
    buckets past the sum belong to no variant (the default value).
    """
    layout: list[tuple[int, VariantSpec]] = []
    upper = 0
    for variant in sorted(variants, key=lambda v: v.name):
        upper = min(BUCKETS, upper + basis_points(variant.rollout_percent))
        layout.append((upper, variant))
    return tuple(layout)


def pick_variant(layout: tuple[tuple[int, VariantSpec], ...], slot: int) -> VariantSpec | None:
    """The variant whose range holds bucket `slot`, or None past the summed percents."""
    for upper, variant in layout:
        if slot < upper:
            return variant
    return None
