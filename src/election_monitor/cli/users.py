"""``elmon users``: create, list, change role, disable or enable accounts; mint API tokens."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from election_monitor.accounts import tokens, users
from election_monitor.accounts.audit import Actor
from election_monitor.accounts.roles import Role
from election_monitor.cli.output import JsonOpt, fail, print_json, print_table
from election_monitor.db import session_scope
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.models import User
from election_monitor.timeutil import parse_datetime

app = typer.Typer(
    help="User accounts and roles (viewer, observer, lead, admin).", no_args_is_help=True
)

ROLES = ", ".join(r.value for r in Role)


def _actor() -> Actor:
    """The operator at this shell, as the audit log records them."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.cli(f"cli:{name}")


def _row(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat", hide_input=True) != first:
        raise fail("the passwords differ")
    return str(first)


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, _.@-).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}.")] = "viewer",
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Create a user (asks for the password unless --password-stdin)."""
    password = _read_password(password_stdin)
    try:
        with session_scope() as db:
            user = users.create_user(
                db,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                actor=_actor(),
            )
            row = _row(user)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(row)
    else:
        typer.echo(f"created {row['username']} ({row['role']}) {row['id']}")


@app.command("list")
def list_(
    role: Annotated[str | None, typer.Option("--role", help=f"Only this role ({ROLES}).")] = None,
    json: JsonOpt = False,
) -> None:
    """List users by name."""
    try:
        with session_scope() as db:
            rows = [_row(u) for u in users.list_users(db, role=role)]
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(rows)
        return
    print_table(
        "Users",
        ["username", "role", "active", "display name", "last login"],
        [
            (r["username"], r["role"], r["is_active"], r["display_name"], r["last_login_at"])
            for r in rows
        ],
    )


@app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help=f"One of: {ROLES}.")],
) -> None:
    """Give a user another role."""
    try:
        with session_scope() as db:
            user = users.require_by_username(db, username)
            users.set_role(db, user=user, role=role, actor=_actor())
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    typer.echo(f"{username.lower()} is now {role}")


def _set_active(username: str, active: bool) -> None:
    try:
        with session_scope() as db:
            user = users.require_by_username(db, username)
            users.set_active(db, user=user, active=active, actor=_actor())
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    typer.echo(f"{username.lower()} is {'enabled' if active else 'disabled'}")


@app.command("disable")
def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    _set_active(username, False)


@app.command("enable")
def enable(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled user again."""
    _set_active(username, True)


@app.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option("--name", help="What script or machine uses it.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Expiry, ISO-8601 (naive means UTC).")
    ] = None,
) -> None:
    """Create an API token for a user and print its secret (shown only this once)."""
    try:
        expires_at = parse_datetime(expires) if expires else None
    except ValueError as exc:
        raise fail(f"--expires must be ISO-8601: {exc}") from exc
    try:
        with session_scope() as db:
            user = users.require_by_username(db, username)
            _, secret = tokens.create_token(
                db, user=user, name=name, expires_at=expires_at, actor=_actor()
            )
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    typer.echo(secret)
