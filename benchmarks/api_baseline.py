"""A hand-written Flask + SQLAlchemy endpoint set on an identical table: the API baseline.

It does what a competent hand-written service would: checks the bearer token against the
same token table, validates the few fields, and answers JSON. Served by gunicorn from
``benchmarks/api.py``; configured by the same PLINTH_* variables.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import os

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request
from flask.json.provider import DefaultJSONProvider

STATUSES = {"open", "assigned", "working", "done", "closed"}


class _JSON(DefaultJSONProvider):
    @staticmethod
    def default(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        if isinstance(value, decimal.Decimal):
            return float(value)
        return DefaultJSONProvider.default(value)


def create_app() -> Flask:
    url = os.environ["PLINTH_DATABASE_URL"]
    schema = os.environ.get("PLINTH_DATABASE_SCHEMA")
    args = {"options": f"-csearch_path={schema}"} if schema and url.startswith("postgresql") else {}
    # Same connection-health policy as Plinth (a checkout ping), so only the code differs.
    engine = sa.create_engine(url, pool_size=10, pool_pre_ping=True, connect_args=args)
    metadata = sa.MetaData()
    table = sa.Table("baseline_item", metadata, autoload_with=engine)
    tokens = sa.Table("plinth_api_token", metadata, autoload_with=engine)
    users = sa.Table("plinth_user", metadata, autoload_with=engine)
    app = Flask(__name__)
    app.json = _JSON(app)
    check_token = (
        sa.select(users.c.id)
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(
            tokens.c.token_hash == sa.bindparam("h"),
            tokens.c.revoked_at.is_(None),
            users.c.active.is_(True),
        )
    )
    get_one = sa.select(table).where(table.c.id == sa.bindparam("id"))
    list_page = (
        sa.select(table)
        .where(table.c.status == sa.bindparam("status"))
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(sa.bindparam("limit"))
    )
    insert = table.insert().returning(*table.c)

    def user_id(conn) -> int:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            abort(401)
        digest = hashlib.sha256(header[7:].encode()).hexdigest()
        found = conn.execute(check_token, {"h": digest}).scalar()
        if found is None:
            abort(401)
        return found

    @app.post("/items")
    def create():
        body = request.get_json()
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            abort(422)
        if body.get("status") not in STATUSES:
            abort(422)
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            uid = user_id(conn)
            row = (
                conn.execute(
                    insert,
                    {
                        "title": body["title"][:200],
                        "status": body["status"],
                        "priority": int(body.get("priority") or 0),
                        "amount": decimal.Decimal(str(body.get("amount") or 0)),
                        "due": dt.datetime.fromisoformat(body["due"]) if body.get("due") else None,
                        "created_at": now,
                        "updated_at": now,
                        "created_by": uid,
                        "updated_by": uid,
                        "owner_id": uid,
                        "version": 1,
                    },
                )
                .mappings()
                .one()
            )
        return jsonify(dict(row)), 201, {"Location": f"/items/{row['id']}"}

    @app.get("/items/<int:item_id>")
    def get(item_id: int):
        with engine.begin() as conn:
            user_id(conn)
            row = conn.execute(get_one, {"id": item_id}).mappings().first()
        if row is None:
            abort(404)
        return jsonify(dict(row)), 200, {"ETag": f'"{row["version"]}"'}

    @app.get("/items")
    def listing():
        status = request.args.get("status", "open")
        with engine.begin() as conn:
            user_id(conn)
            rows = conn.execute(list_page, {"status": status, "limit": 51}).mappings().all()
        data = [dict(r) for r in rows[:50]]
        return jsonify({"data": data, "next_cursor": None})

    return app
