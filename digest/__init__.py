"""Digests: selection and ranking (pure), rendering, sending, the outbox."""
