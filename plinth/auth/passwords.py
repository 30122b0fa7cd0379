"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from plinth.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("plinth-no-such-user")


def check_policy(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError.single("password", f"must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError.single("password", f"must have at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_policy(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not a hash is stored."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
