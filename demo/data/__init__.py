"""The demo's events, venues and organisers as TOML (read by ``demo.specs``)."""
