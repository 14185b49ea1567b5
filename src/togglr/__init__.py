"""Togglr: self-hosted feature flags and adaptive experimentation."""

__version__ = "0.1.0"
