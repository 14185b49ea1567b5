"""Where a NUL character sits in a JSON document, named as the API's errors name fields."""

from __future__ import annotations

import orjson

from togglr.web.nul import nul_in_json, nul_path


def test_paths_name_keys_and_indexes() -> None:
    assert nul_path({"a": {"b": [1, "x", "y\x00"]}}) == "a.b[2]"
    assert nul_path({"rules": [{"condition": {"value": "\x00"}}]}) == "rules[0].condition.value"
    assert nul_path({"ok": "fine", "context": {"k\x00": 1}}) == "context"  # a key: its object
    assert nul_path({"k\x00": 1}) == "body"
    assert nul_path("\x00") == "body"
    assert nul_path({"a": ["b", 1, None, True, {"c": "d"}]}) is None


def test_the_walk_runs_only_when_the_text_has_the_escape() -> None:
    raw = orjson.dumps({"name": "a\x00b"})
    assert b"\\u0000" in raw
    assert nul_in_json(raw, orjson.loads(raw)) == "name"
    escaped_backslash = b'{"name": "back\\\\u0000slash"}'  # the text \u0000, not a NUL
    assert nul_in_json(escaped_backslash, orjson.loads(escaped_backslash)) is None
    assert nul_in_json(b'{"a": 1}', {"a": "\x00"}) is None  # no escape in the text: no walk
