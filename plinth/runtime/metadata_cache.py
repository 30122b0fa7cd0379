"""Compiled metadata per process, refreshed when another process publishes a revision."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection

from plinth.metadata.store import latest_revision_id, load_documents
from plinth.runtime.compiler import CompiledMetadata


class MetadataCache:
    """Holds the compiled metadata of the newest revision.

    ``current(conn)`` costs one indexed read (the newest revision id); only when it changed
    are documents loaded and compiled again, so a schema change made through any process is
    seen by every other on its next request or job.
    """

    def __init__(self) -> None:
        self._compiled: CompiledMetadata | None = None
        self._lock = threading.Lock()

    def current(self, conn: Connection, revision_id: int | None = None) -> CompiledMetadata:
        """Compiled metadata of the newest revision; ``revision_id`` when the caller already
        read it (authentication fetches it in the same query)."""
        if revision_id is None:
            revision_id = latest_revision_id(conn)
        compiled = self._compiled
        if compiled is not None and compiled.revision_id == revision_id:
            return compiled
        with self._lock:
            compiled = self._compiled
            if compiled is None or compiled.revision_id != revision_id:
                compiled = self._compile(conn, revision_id)
                self._compiled = compiled
        return compiled

    @staticmethod
    def _compile(conn: Connection, revision_id: int) -> CompiledMetadata:
        stored = load_documents(conn)
        documents = {
            kind: {name: doc.document for name, doc in by_name.items()}
            for kind, by_name in stored.items()
        }
        packs = {
            (kind, name): doc.pack
            for kind, by_name in stored.items()
            for name, doc in by_name.items()
        }
        return CompiledMetadata(revision_id, documents, packs)

    def invalidate(self) -> None:
        self._compiled = None
