"""docs/configuration.md lists every setting, as generated from the Settings class."""

from __future__ import annotations

from pathlib import Path

from togglr.config import settings_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_configuration_doc_is_current() -> None:
    assert DOC.read_text() == settings_markdown(), (
        "run `togglr config-docs` and commit docs/configuration.md"
    )
