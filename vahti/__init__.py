"""Tapahtumavahti: the application shell (settings, command line)."""

__version__ = "0.1.0"
