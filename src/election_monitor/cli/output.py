"""Printing for the CLI: Rich tables for people, plain JSON on stdout for ``--json``."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import orjson
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from election_monitor.exceptions import ElectionMonitorError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="At most N rows (default: all).")]

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    """Write JSON to stdout and nothing else (pydantic models become dicts)."""
    sys.stdout.write(orjson.dumps(_plain(value), option=orjson.OPT_INDENT_2).decode() + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Rich table on stdout."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)


def fail(error: ElectionMonitorError | str, code: int = 1) -> typer.Exit:
    """Report an error on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {error}")
    return typer.Exit(code)


def validation_message(exc: ValidationError) -> str:
    """One line per invalid field: where, and what was expected."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
