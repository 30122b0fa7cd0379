"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from plinth.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so the timing stays the same; made on
    first use, not on import (every ``plinth`` command would pay for one Argon2 hash)."""
    return _hasher.hash("plinth-no-such-user")


def check_policy(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError.single("password", f"must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError.single("password", f"must have at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of a password that meets the policy (slow on purpose)."""
    return _hasher.hash(check_policy(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not a hash is stored."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
