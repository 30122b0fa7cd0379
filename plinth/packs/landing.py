"""Where a user lands after logging in: a page a pack declares for its roles.

A pack's manifest may map roles to a path on the site (``landing: {engineer: /m/}``). A
user lands there when every one of their roles declares that same path, so whoever also
holds a role without one (an office role, admin) keeps the app's home. Of two packs
declaring a page for one role, the one installed first wins. Whether the path is served is
for the web layer to check (a pack's page is there only once its Python is loaded).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st


def declared_landings(conn: Connection) -> dict[str, str]:
    """Role -> path, from the manifests of the installed packs."""
    query = sa.select(st.pack.c.manifest).order_by(st.pack.c.installed_at, st.pack.c.name)
    landings: dict[str, str] = {}
    manifest: Any
    for manifest in conn.scalars(query):
        declared: Any = manifest.get("landing") if isinstance(manifest, Mapping) else None
        for role, path in (declared or {}).items():
            landings.setdefault(role, path)
    return landings


def landing_for(conn: Connection, user_id: int) -> str | None:
    """The page a user lands on after logging in, or None for the app's home."""
    roles: set[str] = set(
        conn.scalars(sa.select(st.user_role.c.role).where(st.user_role.c.user_id == user_id))
    )
    if not roles:
        return None
    declared = declared_landings(conn)
    paths = {declared.get(role) for role in roles}
    if len(paths) != 1:
        return None
    return paths.pop()
