"""Password hashing with argon2id (argon2-cffi); the cost comes from the settings."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from election_monitor.accounts.settings import get_auth_settings
from election_monitor.exceptions import InvalidInputError


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher() -> PasswordHasher:
    """The hasher for the current settings."""
    settings = get_auth_settings()
    return _hasher(settings.password_time_cost, settings.password_memory_kib)


def check_password_policy(password: str) -> None:
    """A password long enough to resist guessing; ``InvalidInputError`` says why not."""
    minimum = get_auth_settings().password_min_length
    if len(password) < minimum:
        raise InvalidInputError(f"password must be at least {minimum} characters long")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (after the policy check)."""
    check_password_policy(password)
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed hash never matches."""
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("not-a-real-password")


def burn_verification_time(password: str) -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a known."""
    settings = get_auth_settings()
    verify_password(
        _dummy_hash(settings.password_time_cost, settings.password_memory_kib), password
    )
