"""Alembic environment and revisions for the engine's own ``plinth_*`` tables."""
