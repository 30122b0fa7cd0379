"""The builder's start page: each kind of metadata with how many there are."""

from __future__ import annotations

from flask import render_template

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.kinds import DOCUMENT_KINDS
from plinth.auth.directory import head_counts
from plinth.metadata import store


@builder.get("/")
def builder_home() -> str:
    with admin_session() as s:
        kinds = ("objects", "layouts", "workflows", *DOCUMENT_KINDS)
        counts = {kind: len(s.compiled.docs(kind)) for kind in kinds}
        users, teams = head_counts(s.conn)
        recent = store.list_revisions(s.conn, 5)
        return render_template(
            "admin/home.html", counts=counts, users=users, teams=teams, recent=recent
        )
