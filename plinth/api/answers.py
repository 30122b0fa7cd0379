"""Shapes of answers the API assembles itself (not a service's): health, an uploaded file,
a count of notifications marked read."""

from __future__ import annotations

from plinth.schemas import Answer, Choice, Instant, Text, Whole


class Health(Answer):
    status = Choice(["ok", "degraded"], required=True)
    database = Choice(["ok", "unavailable"], required=True)
    queue = Choice(["redis", "inline"], required=True)


class FileInfo(Answer):
    id = Text(required=True)
    filename = Text(required=True)
    content_type = Text(required=True)
    size = Whole(required=True)
    sha256 = Text(required=True)
    created_at = Instant()
    url = Text(required=True)


class Marked(Answer):
    marked = Whole(required=True, metadata={"description": "how many were unread"})
