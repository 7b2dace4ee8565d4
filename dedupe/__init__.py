"""Deduplication: listings in, events out. Pure matching and clustering (cluster, keys,
score, merge, places, words), and the job that reads and writes the store (job, decisions)."""
