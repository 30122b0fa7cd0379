"""Web UI: generated record pages and the admin builder (a Flask blueprint)."""
