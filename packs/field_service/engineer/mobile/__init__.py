"""The engineer app at ``/m/``: an installable, offline-first phone app built on the API.

``pages`` serves the app shell (one HTML page, vanilla JavaScript modules, no build step),
its service worker and its web app manifest, all under ``/m/`` so the worker's scope is the
app; ``app_start`` answers ``GET /api/v1/fs/my/app``, what the app needs to start (who is
signed in, their resource and bag, the field task workflow and the settings it uses).
Everything else the app does goes through the existing API: the day's tasks, transitions,
record changes, files, parts, check-in targets, location batches and the grab pool.

``APP_URL`` is where an engineer's login lands (the manifest's ``landing: {engineer: /m/}``).
"""

from __future__ import annotations

from packs.field_service.engineer.mobile import app_start, pages

APP_URL = pages.APP_URL


def register(context) -> None:
    """Serve the app's pages and its start-up endpoint."""
    pages.register(context)
    app_start.register(context)
