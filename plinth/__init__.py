"""Plinth: a metadata-driven object platform."""

__version__ = "0.1.0"
