"""Catalogue entries and settings validation for the adaptive algorithms.

Settings are a flat JSON object of numbers (the wire format of the original) and, for on/off
switches, booleans. Each algorithm declares its settings once, as `Setting` rows; the JSON
Schema, the defaults and the validator are all derived from those rows, so they cannot drift
apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["bandit", "contextual_bandit", "optimizer"]
Number = int | float
Value = bool | int | float  # a setting's value: a number, or a boolean for a switch
Settings = dict[str, Value]


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its default, bounds and meaning. Numeric unless `boolean` (an on/off switch,
    JSON `true`/`false`, no bounds)."""

    name: str
    description: str
    default: Value
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    integer: bool = False
    choices: tuple[Number, ...] | None = None
    boolean: bool = False

    def __post_init__(self) -> None:
        if self.boolean and (
            not isinstance(self.default, bool)
            or self.integer
            or self.choices is not None
            or self.minimum is not None
            or self.maximum is not None
        ):
            raise TypeError(f"boolean setting {self.name!r} takes a bool default and no bounds")

    def schema(self) -> dict[str, Any]:
        """This setting as a JSON-Schema property."""
        if self.boolean:
            return {"type": "boolean", "description": self.description, "default": self.default}
        out: dict[str, Any] = {
            "type": "integer" if self.integer else "number",
            "description": self.description,
            "default": self.default,
        }
        if self.choices is not None:
            out["enum"] = list(self.choices)
        if self.minimum is not None:
            out["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out

    def coerce(self, raw: object) -> Value:
        """Check one raw value and return it as bool, int or float; raise ValueError otherwise."""
        if self.boolean:  # strictly true/false: 0/1 or "true" are rejected, not guessed at
            if not isinstance(raw, bool):
                raise ValueError(
                    f"setting {self.name!r} must be true or false, got {type(raw).__name__}"
                )
            return raw
        # bool is an int subclass in Python but never a sensible number here
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"setting {self.name!r} must be a number, got {type(raw).__name__}")
        if not math.isfinite(raw):
            raise ValueError(f"setting {self.name!r} must be finite")
        value: Number = raw
        if self.integer:
            if not float(raw).is_integer():
                raise ValueError(f"setting {self.name!r} must be an integer, got {raw!r}")
            value = int(raw)
        else:
            value = float(raw)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise ValueError(f"setting {self.name!r} must be one of {allowed}, got {raw!r}")
        if self.minimum is not None:
            if self.exclusive_minimum and not value > self.minimum:
                raise ValueError(f"setting {self.name!r} must be > {self.minimum}, got {raw!r}")
            if not self.exclusive_minimum and value < self.minimum:
                raise ValueError(f"setting {self.name!r} must be >= {self.minimum}, got {raw!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"setting {self.name!r} must be <= {self.maximum}, got {raw!r}")
        return value


CrossCheck = Callable[[Settings], None]


@dataclass(frozen=True, slots=True)
class AlgorithmSpec:
    """A catalogue entry: what `GET /algorithms` lists and what validates a settings object."""

    slug: str
    name: str
    kind: Kind
    description: str
    settings: tuple[Setting, ...]
    check: CrossCheck | None = None  # rules that involve several settings

    @property
    def default_settings(self) -> Settings:
        """Every setting at its default."""
        return {s.name: s.default for s in self.settings}

    @property
    def settings_schema(self) -> dict[str, Any]:
        """A JSON-Schema (draft 2020-12) object describing the settings."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{self.name} settings",
            "type": "object",
            "additionalProperties": False,
            "properties": {s.name: s.schema() for s in self.settings},
        }

    def validate(self, raw: Mapping[str, object] | None) -> Settings:
        """Return the complete settings (defaults filled in) or raise ValueError."""
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ValueError(f"settings for {self.slug!r} must be an object")
        known = {s.name: s for s in self.settings}
        unknown = sorted(str(k) for k in raw if k not in known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"unknown setting(s) for {self.slug!r}: {', '.join(unknown)} (allowed: {allowed})"
            )
        out = self.default_settings
        for name, value in raw.items():
            out[str(name)] = known[str(name)].coerce(value)
        if self.check is not None:
            self.check(out)
        return out


# Settings shared by several algorithms, declared once so the wording stays identical.
MIN_SHARE = Setting(
    "min_share",
    "Minimum share of traffic each arm keeps (exploration floor), e.g. 0.01 = 1 %. "
    "Capped at 1/number-of-arms.",
    0.0,
    minimum=0.0,
    maximum=0.5,
)
DECAY_HALF_LIFE = Setting(
    "decay_half_life",
    "Forget old feedback: an observation's weight halves every this many seconds "
    "(0 = never forget). Use it when the best arm can change over time.",
    0.0,
    minimum=0.0,
)
FEATURE_DIM = Setting(
    "feature_dim",
    "Number of hashed feature buckets for the context (bucket 0 is the bias term).",
    32,
    minimum=2,
    maximum=1024,
    integer=True,
)
INITIAL_VALUE = Setting("initial_value", "Value served before the optimizer has data.", 0.0)
MIN_VALUE = Setting("min_value", "Lowest value the optimizer may serve.", -1e9)
MAX_VALUE = Setting("max_value", "Highest value the optimizer may serve.", 1e9)
BATCH_SIZE = Setting(
    "batch_size",
    "Feedback events needed per served value before the optimizer takes a step "
    "(averaging a batch is what makes noisy rewards usable; 1 = step on every event).",
    20,
    minimum=1,
    maximum=1_000_000,
    integer=True,
)
DECIMALS = Setting(
    "decimals",
    "Served values are rounded to this many decimal places (0 = integers).",
    4,
    minimum=0,
    maximum=12,
    integer=True,
)
OPTIMIZER_COMMON = (INITIAL_VALUE, MIN_VALUE, MAX_VALUE, BATCH_SIZE, DECIMALS)


def check_bounds(settings: Settings) -> None:
    """min_value < max_value and the initial value lies between them."""
    lo, hi = float(settings["min_value"]), float(settings["max_value"])
    if not lo < hi:
        raise ValueError(f"min_value ({lo}) must be < max_value ({hi})")
    start = float(settings["initial_value"])
    if not lo <= start <= hi:
        raise ValueError(f"initial_value ({start}) must lie in [min_value, max_value]")
