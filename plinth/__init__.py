"""Plinth: a metadata-driven object platform."""

__version__ = "0.2.0"
