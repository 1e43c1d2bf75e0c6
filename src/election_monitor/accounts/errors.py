"""Refusals of the accounts layer; the API maps them to 401, 403 and 429."""

from __future__ import annotations

from election_monitor.exceptions import ElectionMonitorError


class AuthenticationError(ElectionMonitorError):
    """No valid credentials: missing, wrong, expired, revoked, or a disabled account."""


class PermissionDeniedError(ElectionMonitorError):
    """Valid credentials whose role (or a missing CSRF token) does not allow the action."""


class RateLimitedError(ElectionMonitorError):
    """Too many failed logins for this user or address; try again after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
