"""REST API v1: records, metadata, auth, files and the OpenAPI document."""

from __future__ import annotations

from flask import Flask, jsonify

from plinth.extension import current_tenant


def init_app(app: Flask) -> None:
    """Register the API routes."""

    @app.get("/api/v1/health")
    def health():
        tenant = current_tenant()
        database = "ok" if tenant.database.ping() else "unavailable"
        queue = "redis" if tenant.config["REDIS_URL"] else "inline"
        status = 200 if database == "ok" else 503
        body = {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "queue": queue,
        }
        return jsonify(body), status
