"""The OpenAPI 3 document, generated from the live metadata (cached per revision)."""
