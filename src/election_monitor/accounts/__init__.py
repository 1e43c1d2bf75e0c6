"""Accounts: users and roles, argon2 passwords, API tokens, login sessions with a rate limit,
and the append-only audit log.

Input: credentials and a person's changes. Output: ``users``, ``api_tokens``,
``login_sessions``, ``login_attempts`` and ``audit_log`` rows. Guarantees: no secret is stored
in the clear (passwords as argon2id, tokens and session cookies as SHA-256); every change made
through these functions is written to the audit log in the caller's transaction.

Exceptions (besides the project's tree)::

    ElectionMonitorError
    ├── AuthenticationError   no valid credentials (HTTP 401)
    ├── PermissionDeniedError valid credentials, not allowed (HTTP 403)
    └── RateLimitedError      too many failed logins (HTTP 429)
"""

from election_monitor.accounts.audit import Actor, list_entries, record
from election_monitor.accounts.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
)
from election_monitor.accounts.roles import Role, role_allows

__all__ = [
    "Actor",
    "AuthenticationError",
    "PermissionDeniedError",
    "RateLimitedError",
    "Role",
    "list_entries",
    "record",
    "role_allows",
]
