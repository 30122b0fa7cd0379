"""Runtime: tables built from metadata, schema sync, the record service, queries and files."""
