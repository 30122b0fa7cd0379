"""Metadata: kinds and their JSON Schemas, cross-checks, the store and revisions."""
