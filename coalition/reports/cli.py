"""`coalition reports add|import|reindex`: moving an existing archive in, from the command
line."""

from __future__ import annotations

import click


@click.group("reports", help="The report archive: add, import, reindex.")
def reports_cli() -> None:
    pass
