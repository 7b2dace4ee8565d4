"""One door per operation: the CLI, the admin pages, the demo and the daemon call these.

Each module takes the caller's database session (and `now` where time matters) and holds the
one set of rules for its operation, so every caller refuses and accepts the same values.
"""
