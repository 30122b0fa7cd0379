"""Fixtures every test package shares that need this repository's test documents.

The general fixtures (databases on both backends, tenants, apps, users, the JSON API
client ``Api``, browsers) are the ``plinth.testing`` plugin, loaded by its pytest11 entry
point. A package's conftest adds only its own fixtures and never imports another's: shared
helpers live in plain modules (``tests/docs.py``, ``tests/dispatch/days.py``...).
"""

from __future__ import annotations

import pytest

from tests.docs import ASSET, SITE, doc


@pytest.fixture
def assets(app):
    """The site and asset objects, published."""
    from plinth.metadata.publisher import Publisher, Put

    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", doc(SITE)), Put("objects", doc(ASSET))])
