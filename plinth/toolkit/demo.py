"""Generating demo data: one password hash for many demo users, and the accounts that the
banner of ``plinth run`` shows a newcomer."""

from __future__ import annotations

from plinth.auth.passwords import hash_password
from plinth.packs.demo import add_demo_account
from plinth.runtime.session import Session

__all__ = ["demo_account", "hash_password"]


def demo_account(session: Session, email: str, role: str, password: str) -> None:
    """Show this account, its role and its password in the banner of ``plinth run``.

    For demo data only: the password is kept in plain text so that a newcomer can read it.
    """
    add_demo_account(session.conn, email, role, password)
