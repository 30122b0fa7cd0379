"""The builder's start page: each kind of metadata with how many there are."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.kinds import DOCUMENT_KINDS
from plinth.metadata import store
from plinth.runtime import system_tables as st


@builder.get("/")
def builder_home():
    with admin_session() as s:
        kinds = ("objects", "layouts", "workflows", *DOCUMENT_KINDS)
        counts = {kind: len(s.compiled.docs(kind)) for kind in kinds}
        users = s.conn.scalar(select(func.count()).select_from(st.user))
        teams = s.conn.scalar(select(func.count()).select_from(st.team))
        recent = store.list_revisions(s.conn, 5)
        return render_template(
            "admin/home.html", counts=counts, users=users, teams=teams, recent=recent
        )
