"""Who is acting: a user (with roles and teams) or the system itself."""

from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

ADMIN_ROLE = "admin"


@dataclasses.dataclass(frozen=True)
class Actor:
    """The identity every record-service call runs as."""

    id: int | None
    label: str
    roles: frozenset[str] = frozenset()
    teams: frozenset[int] = frozenset()
    time_zone: str = "UTC"
    locale: str = "en"
    is_system: bool = False

    @property
    def is_admin(self) -> bool:
        return self.is_system or ADMIN_ROLE in self.roles

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (KeyError, ValueError):
            return ZoneInfo("UTC")


SYSTEM = Actor(id=None, label="system", roles=frozenset({ADMIN_ROLE}), is_system=True)
