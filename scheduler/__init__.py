"""Timing: the daemon's jobs, and deduplication of listings into events."""
