"""Packs: folders of metadata (plus optional Python) installed into a tenant."""
